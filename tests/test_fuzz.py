"""Whatever a visitor types into the address bar, / answers without a server error."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .factories import published_card

PARAMS = [
    "q",
    "kind",
    "topic",
    "place",
    "outlet",
    "date_from",
    "date_to",
    "disagree",
    "sort",
    "page",
    "unknown",
]
values = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "figure",
            "date",
            "2024-02-30",
            "9999-12-31",
            "0000-00-00",
            "on",
            "sourced",
            "' OR 1=1 --",
            "%00",
            "\x00",
            "🙂" * 50,
        ]
    ),
)
query_strings = st.lists(st.tuples(st.sampled_from(PARAMS), values), max_size=8)


@pytest.fixture
def some_cards(db):
    published_card(statement="Nearly 2,000 peacekeepers.")


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pairs=query_strings)
def test_random_query_strings_never_get_a_server_error(client, some_cards, pairs):
    response = client.get("/?" + urlencode(pairs))
    assert response.status_code < 500
    response = client.get("/?" + urlencode(pairs), headers={"HX-Request": "true"})
    assert response.status_code < 500
