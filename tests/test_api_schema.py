"""The API against its own OpenAPI schema: schemathesis generates requests from /api/schema/
and no answer may be a server error, or differ from what the schema promises."""

import itertools

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from newsroom.wsgi import application

EXAMPLES = 50  # per operation and mode: the whole run stays well under 30 seconds


@pytest.fixture
def api_schema(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.FACTCARDS_API_RATE = "100000/minute"
    call_command("load_demo", verbosity=0)
    # In-process requests share the test's connection (and its transaction): the end of a
    # request must not close it, as Django's own test client ensures for its requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_generated_request_gets_a_server_error_or_an_answer_off_the_schema(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} == {"/api/cards/", "/api/cards/{slug}/", "/api/sources/"}
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]  # valid input, and invalid
    for operation, mode in itertools.product(operations, modes):
        if mode == GenerationMode.NEGATIVE and operation.path == "/api/cards/{slug}/":
            continue  # any text is a slug to look up (a 404 when there is none)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(
                # The in-process client does not decompress: ask for the plain body.
                headers={"Accept-Encoding": "identity"},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        check()


@pytest.mark.parametrize(
    "version", ["\x00", "a\x0b", "\u2028", 'x"; filename=evil.html', "abc\r\nX-Evil: 1"]
)
def test_the_schema_takes_no_version_from_the_query_string(client, db, version):
    """The attacker's trial: drf-spectacular echoed ?version= into Content-Disposition (a
    500 for a control character, a second filename for a quote) and into the document."""
    response = client.get("/api/schema/", {"version": version})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["version"]
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert schema["Content-Disposition"] == 'inline; filename="factcards API.yaml"'
