"""The public list at /: filters, search, pagination, htmx fragments, bad input."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from factcards import views
from factcards.models import Citation

from .factories import (
    CitationFactory,
    FactCardFactory,
    PlaceFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    publish,
)

LIST = reverse("card_list")


@pytest.fixture
def editor_user(db):
    return UserFactory(group="Editors")


@pytest.fixture
def cards(db, editor_user):
    """A small newsroom: cards differing in kind, topic, place, outlet, date and agreement."""
    refugees, mission = TopicFactory(slug="refugees"), TopicFactory(slug="mission")
    armenia, russia = PlaceFactory(slug="armenia"), PlaceFactory(slug="russia")
    mt = SourceFactory(outlet="The Moscow Times", byline="AFP")
    anon = SourceFactory(outlet="", byline="", url="")

    exodus = FactCardFactory(
        statement="Around 100,000 ethnic Armenians left.",
        citations=0,
        context="After the offensive of September 2023.",
    )
    CitationFactory(card=exodus, source=mt, excerpt="around 100,000 ethnic Armenians left")
    CitationFactory(
        card=exodus,
        source=anon,
        excerpt="an exodus of 120,000 ethnic Armenians",
        relation=Citation.Relation.DIFFERS,
        stated_value="120,000",
    )
    exodus.topics.set([refugees])
    exodus.places.set([armenia])

    mandate = FactCardFactory(
        statement="The mandate ran until 2025.",
        kind="date",
        value=None,
        unit="",
        qualifier="",
        value_date=datetime.date(2025, 1, 1),
        date_precision="year",
        citations=0,
    )
    CitationFactory(card=mandate, source=anon, excerpt="had a mandate to remain until 2025")
    mandate.topics.set([mission])
    mandate.places.set([russia])

    quote = FactCardFactory(
        statement="Peskov confirmed the withdrawal.",
        kind="quote",
        value=None,
        unit="",
        qualifier="",
        speaker="Dmitry Peskov",
        quotation="Yes, that's really true",
        citations=0,
    )
    CitationFactory(card=quote, source=mt, excerpt="“Yes, that’s really true,” Peskov said")
    CitationFactory(card=quote, source=anon, excerpt="Peskov confirmed reports")
    quote.topics.set([mission])

    cards = {
        name: publish(card, editor_user)
        for name, card in [("exodus", exodus), ("mandate", mandate), ("quote", quote)]
    }
    cards["draft"] = FactCardFactory(statement="A draft about the peacekeepers.")
    cards["in_review"] = FactCardFactory(statement="A card in review about peacekeepers.")
    cards["in_review"].submit(cards["in_review"].created_by)
    return cards


def shown(response):
    """The statements listed, as a reader sees them (a warm page is answered from the
    cache, with no template context)."""
    statements = re.findall(
        r'<h3 class="card-item-statement"><a href="[^"]*">(.*?)</a></h3>', response.text, re.S
    )
    return [html.unescape(statement) for statement in statements]


def test_list_shows_published_cards_newest_first(client, cards):
    response = client.get(LIST)
    assert shown(response) == [
        "Peskov confirmed the withdrawal.",
        "The mandate ran until 2025.",
        "Around 100,000 ethnic Armenians left.",
    ]


def test_drafts_and_cards_in_review_are_never_listed(client, cards):
    page = client.get(LIST, {"q": "peacekeepers"}).content.decode()
    assert "A draft about" not in page
    assert "A card in review" not in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "Armenians"}, ["Around 100,000 ethnic Armenians left."]),
        ({"q": "September 2023"}, ["Around 100,000 ethnic Armenians left."]),  # context
        ({"q": "really true"}, ["Peskov confirmed the withdrawal."]),  # excerpt
        ({"q": "120,000"}, ["Around 100,000 ethnic Armenians left."]),  # differing excerpt
        ({"kind": "date"}, ["The mandate ran until 2025."]),
        ({"topic": "mission"}, ["Peskov confirmed the withdrawal.", "The mandate ran until 2025."]),
        ({"place": "armenia"}, ["Around 100,000 ethnic Armenians left."]),
        (
            {"outlet": "AFP"},
            ["Peskov confirmed the withdrawal.", "Around 100,000 ethnic Armenians left."],
        ),
        ({"disagree": "on"}, ["Around 100,000 ethnic Armenians left."]),
        ({"date_from": "2024-01-01"}, ["The mandate ran until 2025."]),
        ({"date_to": "2024-01-01"}, []),
        (
            {"sort": "oldest"},
            [
                "Around 100,000 ethnic Armenians left.",
                "The mandate ran until 2025.",
                "Peskov confirmed the withdrawal.",
            ],
        ),
    ],
)
def test_each_filter_narrows_the_list(client, cards, params, expected):
    assert shown(client.get(LIST, params)) == expected


def test_most_sourced_sort_puts_cards_with_more_citations_first(client, cards):
    statements = shown(client.get(LIST, {"sort": "sourced"}))
    assert statements[-1] == "The mandate ran until 2025."


def test_filters_combine(client, cards):
    assert shown(client.get(LIST, {"topic": "mission", "kind": "quote"})) == [
        "Peskov confirmed the withdrawal."
    ]
    assert shown(client.get(LIST, {"topic": "mission", "place": "armenia"})) == []


def test_search_needs_every_word(client, cards):
    assert shown(client.get(LIST, {"q": "Peskov Armenians"})) == []


def counts_of(response, facet):
    return {radio.data["value"]: n for radio, n in response.context["facets"][facet]["all"]}


def test_facet_counts_follow_the_other_filters(client, cards):
    response = client.get(LIST, {"topic": "mission"})
    assert counts_of(response, "kind") == {"": 2, "figure": 0, "date": 1, "quote": 1, "document": 0}
    page = response.content.decode()
    assert 'id="count-kind-quote">1<span class="visually-hidden"> card</span>' in page


def test_each_option_counts_the_cards_choosing_it_would_give(client, cards):
    response = client.get(LIST, {"kind": "quote"})
    kinds = counts_of(response, "kind")
    for kind, count in kinds.items():
        assert count == len(shown(client.get(LIST, {"kind": kind}))), kind
    assert kinds["figure"] == 1  # not 0: choosing "Figure" replaces "Quote"


def test_empty_result_says_so_and_offers_to_clear(client, cards):
    page = client.get(LIST, {"q": "no such thing anywhere"}).content.decode()
    assert "No cards match these filters." in page
    assert "Clear all filters" in page


def test_pagination_keeps_every_filter(client, cards, editor_user, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    mission = cards["mandate"].topics.get()
    for n in range(3):
        card = FactCardFactory(statement=f"Extra mission card {n}.", citations=1)
        card.topics.set([mission])
        publish(card, editor_user)
    response = client.get(LIST, {"topic": "mission", "q": "card", "sort": "oldest"})
    page = response.content.decode()
    assert 'href="?topic=mission&amp;q=card&amp;sort=oldest&amp;page=2"' in page
    second = client.get(LIST, {"topic": "mission", "q": "card", "sort": "oldest", "page": 2})
    assert shown(second) == ["Extra mission card 2."]


def test_htmx_request_gets_only_the_results_fragment(client, cards):
    response = client.get(LIST, {"kind": "quote"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="results"')
    assert "Peskov confirmed the withdrawal." in page
    assert "The mandate ran until 2025." not in page
    assert 'hx-swap-oob="innerHTML:#result-count"' in page


def test_history_restore_gets_the_full_page(client, cards):
    response = client.get(
        LIST,
        {"kind": "quote"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    page = response.content.decode()
    assert "<html" in page
    assert "Peskov confirmed the withdrawal." in page


def test_list_varies_on_the_htmx_header(client, cards):
    assert "HX-Request" in client.get(LIST)["Vary"]


def test_result_count_is_announced_to_screen_readers(client, cards):
    page = client.get(LIST, {"kind": "date"}).content.decode()
    assert 'id="result-count" class="result-count" role="status" aria-live="polite">' in page
    assert "1 card" in page


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "nonsense"},
        {"date_from": "2024-13-45"},
        {"date_to": "99999-01-01"},
        {"sort": "random"},
        {"q": "x" * 10_000},
        {"q": "nul\x00byte"},
        {"topic": "nul\x00byte"},
        {"outlet": "nul\x00byte"},
        {"disagree": "maybe"},
    ],
)
def test_bad_filter_input_shows_the_error_and_no_results(client, cards, params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert shown(response) == []
    assert "could not be read" in response.content.decode()


@pytest.mark.parametrize("number", ["abc", "0", "-1", "999999", "1e9", "9" * 30])
def test_bad_page_numbers_still_show_a_page(client, cards, number):
    response = client.get(LIST, {"page": number})
    assert response.status_code == 200
    assert len(shown(response)) == 3


def test_repeated_parameters_use_the_last(client, cards):
    assert shown(client.get(f"{LIST}?kind=quote&kind=date")) == ["The mandate ran until 2025."]


def test_list_only_answers_get(client, cards):
    assert client.post(LIST).status_code == 405


@pytest.mark.parametrize("size", [5, 50])
def test_query_count_does_not_grow_with_page_size(
    client, editor_user, django_assert_num_queries, monkeypatch, size, settings
):
    monkeypatch.setattr(views, "PAGE_SIZE", size)
    topic, source = TopicFactory(slug="t"), SourceFactory()
    for n in range(size):
        card = FactCardFactory(citations=0, statement=f"Card number {n}.")
        CitationFactory.create_batch(2, card=card, source=source)
        card.topics.set([topic])
        publish(card, editor_user)
    # The first request after a publication: the publication counter, 2 for the form's
    # choices (the kept facet counts, the topics' names; no place is used, so no query for
    # theirs), 1 page of ids, the cards with their cited sources (2), 3 for the facets (a
    # grouped count over the kept facets for each facet but the chosen one, whose own
    # counts are kept). No count: one topic's cards are kept with the facets too. Then,
    # until the next publication, the page's fragments are kept as HTML: only the counter
    # is read (from the shared cache, when there is one).
    with django_assert_num_queries(9):
        response = client.get(LIST, {"topic": "t"})
    assert len(response.context["page"].object_list) == size
    with django_assert_num_queries(0 if settings.FACTCARDS_SHARED_CACHE else 1):
        response = client.get(LIST, {"topic": "t"})
    assert len(shown(response)) == size


def test_an_old_link_to_a_topic_no_card_carries_any_more_shows_no_cards(client, cards):
    response = client.get(LIST, {"topic": "no-such-topic"})
    page = response.content.decode()
    assert shown(response) == []
    assert "No cards match these filters." in page
    assert "could not be read" not in page


def test_filter_errors_name_the_filter_as_readers_see_it(client, cards):
    page = client.get(LIST, {"date_from": "2024-13-45"}).content.decode()
    assert "Fact dated from: Enter a valid date." in page
    assert "date_from:" not in page


@pytest.mark.parametrize("name", ["topic", "place", "outlet"])
def test_a_nul_character_in_a_filter_is_a_form_error_not_a_crash(client, cards, name):
    response = client.get(LIST, {name: "kara\x00bakh"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
