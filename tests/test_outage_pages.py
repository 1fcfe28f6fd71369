"""The "back shortly" answer itself, in-process (the real outages are in test_outages.py)."""

from django.db import IntegrityError, OperationalError

from factcards.outage import server_error


def raised(error, request):
    try:
        raise error
    except Exception:
        return server_error(request)


def test_a_database_outage_met_outside_a_view_is_a_503_with_retry_after(rf):
    response = raised(OperationalError("connection refused"), rf.get("/admin/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Back shortly" in response.content
    assert b"connection refused" not in response.content


def test_a_database_error_that_is_a_bug_stays_a_500(rf):
    response = raised(IntegrityError("duplicate key"), rf.get("/admin/"))
    assert response.status_code == 500
