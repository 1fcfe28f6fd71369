"""The "back shortly" answer itself, in-process (the real outages are in test_outages.py)."""

import json

import pytest
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


def test_a_server_that_lately_read_only_the_shared_state_keeps_the_newest_one_in_an_outage(
    db, settings, monkeypatch
):
    """Two app servers: this one read the state from the database once, then (for a second
    at a time) only from the shared copy another server set after a publication. When the
    database goes down, it must serve what the newest publication's caches keep, not what
    it read itself long ago: else every embed kept since is a "back shortly"."""
    from django.core.cache import cache

    from factcards.models import publication

    settings.FACTCARDS_SHARED_CACHE = True
    cache.clear()
    monkeypatch.setattr(publication, "last_seen", {})
    first = publication.publication_state()  # read from the database
    # The other server's publication, once committed (remember_state).
    cache.set(publication.STATE_KEY, first + 1)
    cache.set(publication.LAST_STATE_KEY, first + 1)
    assert publication.publication_state() == first + 1
    cache.delete(publication.STATE_KEY)  # its second is up

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(publication.Publication, "current", down)
    assert publication.publication_state() == first + 1


def test_with_the_database_down_and_the_shared_cache_silent_nothing_is_served_for_old_news(
    db, settings, monkeypatch
):
    """This server's own last reading may be older than a publication another server made
    (a retraction, say): with neither the database nor the shared cache to say, a page is
    "back shortly", never what this server kept for the state it saw last."""
    from django.core.cache import cache

    from factcards.models import publication

    settings.FACTCARDS_SHARED_CACHE = True
    cache.clear()
    monkeypatch.setattr(publication, "last_seen", {})
    publication.publication_state()  # read from the database, remembered here
    cache.clear()  # the shared cache lost it (restarted, or unreachable)

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(publication.Publication, "current", down)
    with pytest.raises(OperationalError):
        publication.publication_state()


def test_the_api_says_back_shortly_in_json(rf):
    """The attacker's trial: the API's 503 was the HTML page, though its errors are JSON."""
    response = raised(OperationalError("connection refused"), rf.get("/api/cards/"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert "try again in a minute" in json.loads(response.content)["detail"]


def test_healthz_says_when_to_ask_again_while_the_database_is_down(client, monkeypatch):
    from factcards import views

    monkeypatch.setattr(views, "database_answers", lambda: False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


def test_the_last_state_is_written_again_however_long_since_the_last_publication(
    db, settings, monkeypatch
):
    """An outage's only source must not expire on a quiet day: each reading from the
    database writes it again."""
    from django.core.cache import cache

    from factcards.models import publication

    settings.FACTCARDS_SHARED_CACHE = True
    cache.clear()
    state = publication.publication_state()
    cache.clear()  # a day later: the copies expired, with no publication since
    assert publication.publication_state() == state
    assert cache.get(publication.LAST_STATE_KEY) == state
