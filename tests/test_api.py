"""The read-only JSON API at /api/: what it shows, the list's filters, errors, CORS, limits."""

import datetime
from urllib.parse import parse_qsl

import pytest
from django.core.management import call_command
from django.urls import reverse

from factcards import reading
from factcards.models import Citation, FactCard

from .factories import (
    CitationFactory,
    FactCardFactory,
    PlaceFactory,
    SourceFactory,
    TopicFactory,
    publish,
)

CARDS = reverse("api:card_list")
SOURCES = reverse("api:source_list")


def card_url(slug):
    return reverse("api:card_detail", args=[slug])


def walk(client, url, params=None):
    """Every result of a paginated API list, following `next` to the end."""
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        assert response.status_code == 200, response.content
        results += response.json()["results"]
    return results


@pytest.fixture
def newsroom(db, editor, other_editor, reporter):
    """A published card, a retracted one, a published one with a pending revision, a draft
    and a card in review, the last two citing a source nobody else cites."""
    secret = SourceFactory(outlet="Internal Memo", title="Not yet public")
    cards = {
        "published": publish(FactCardFactory(statement="Published: 2,000 peacekeepers."), editor),
        "retracted": publish(FactCardFactory(statement="Retracted: 3,000 peacekeepers."), editor),
        "revised": publish(FactCardFactory(statement="Revised: 1,960 peacekeepers."), editor),
    }
    cards["retracted"].retract(other_editor, "The figure was misreported.")
    revision = cards["revised"].start_revision(other_editor)
    revision.statement = "Pending revision: 4,000 peacekeepers."
    revision.save(by=other_editor)
    cards["revision"] = revision
    cards["draft"] = FactCardFactory(statement="Draft: 5,000 peacekeepers.", citations=0)
    CitationFactory(card=cards["draft"], source=secret)
    cards["in_review"] = FactCardFactory(statement="In review: 6,000 peacekeepers.", citations=0)
    CitationFactory(card=cards["in_review"], source=secret)
    cards["in_review"].submit(cards["in_review"].created_by)
    return cards


def test_drafts_cards_in_review_and_pending_revisions_appear_in_no_api_response(client, newsroom):
    hidden = ["Draft:", "In review:", "Pending revision:", "Internal Memo", "Not yet public"]
    responses = [
        client.get(CARDS),
        client.get(CARDS, {"include_retracted": "true"}),
        client.get(CARDS, {"q": "peacekeepers", "sort": "relevance"}),
        client.get(SOURCES),
        *(client.get(card_url(card.slug)) for card in FactCard.objects.exclude(slug=None)),
    ]
    for response in responses:
        body = response.content.decode()
        assert not [text for text in hidden if text in body], response.request
    for name in ("draft", "in_review"):
        response = client.get(card_url(newsroom[name].slug))
        assert response.status_code == 404
        assert response.json() == {"detail": "No card on record at this address."}
    shown = [card["slug"] for card in walk(client, CARDS, {"include_retracted": "true"})]
    assert sorted(shown) == sorted(newsroom[n].slug for n in ("published", "retracted", "revised"))


def test_the_card_list_leaves_retracted_cards_out_as_the_public_list_does(client, newsroom):
    assert newsroom["retracted"].slug not in [card["slug"] for card in walk(client, CARDS)]


def test_a_retracted_card_is_flagged_with_its_notice(client, newsroom):
    card = client.get(card_url(newsroom["retracted"].slug)).json()
    assert card["status"] == "retracted"
    assert card["retracted"] is True
    assert card["retraction_notice"] == "The figure was misreported."
    assert [c["kind"] for c in card["corrections"]] == ["retraction"]
    listed = walk(client, CARDS, {"include_retracted": "true"})
    flags = {card["slug"]: card["retracted"] for card in listed}
    assert flags[newsroom["retracted"].slug] is True
    assert flags[newsroom["published"].slug] is False


def test_a_card_reads_as_it_does_on_its_page(client, editor):
    topic, place = TopicFactory(slug="mission", name="Mission"), PlaceFactory(slug="karabakh")
    source = SourceFactory(outlet="", byline="AFP", url="https://example.org/afp")
    card = FactCardFactory(value=1960, unit="military personnel", qualifier="", citations=0)
    CitationFactory(card=card, source=source, locator="paragraph 2")
    CitationFactory(
        card=card,
        source=SourceFactory(outlet="AP"),
        relation=Citation.Relation.DIFFERS,
        stated_value="nearly 2,000",
    )
    card.changed_by = card.created_by
    card.topics.set([topic])
    card.places.set([place])
    card = publish(card, editor)
    data = client.get(card_url(card.slug)).json()
    assert data["url"] == f"http://testserver/cards/{card.slug}/"
    assert data["display_value"] == card.display_value() == "1,960 military personnel"
    assert data["value"] == "1960"
    assert data["source_summary"] == reading.source_summary(card)
    assert data["topics"] == [{"slug": "mission", "name": "Mission"}]
    assert data["places"] == [{"slug": "karabakh", "name": place.name}]
    first, second = data["citations"]
    assert first["locator"] == "paragraph 2"
    assert first["source"]["id"] == source.pk
    assert first["source"]["url"] == "https://example.org/afp"
    assert first["source"]["credit"] == "AFP (outlet not stated)"
    assert (second["relation"], second["stated_value"]) == ("differs", "nearly 2,000")
    assert data["published_at"].startswith(str(card.published_at.date()))


def test_sources_are_the_ones_cards_on_record_cite_with_those_cards(client, newsroom):
    sources = walk(client, SOURCES)
    cited = {c.source_id for c in Citation.objects.filter(card__status__in=["published"])}
    assert {s["id"] for s in sources} >= cited
    for source in sources:
        assert source["cards"], source
        for card in source["cards"]:
            assert client.get(card["api_url"]).status_code == 200


# The same query strings, through the public list at / and through /api/cards/.
QUERY_STRINGS = [
    "",
    "q=peacekeepers",
    "q=peacekeepers&sort=relevance",
    "q=withdrawal&sort=oldest",
    "q=russian+peacekeepers&sort=sourced",
    "sort=newest",
    "sort=oldest",
    "sort=sourced",
    "sort=relevance",
    "kind=figure",
    "kind=date&sort=oldest",
    "topic=refugees",
    "topic=peacekeeping-mission&sort=sourced",
    "place=nagorno-karabakh&q=withdrawal&sort=relevance",
    "outlet=AFP",
    "outlet=The+Moscow+Times&sort=oldest",
    "disagree=on",
    "disagree=true&kind=figure",
    "disagree=false",
    "date_from=2024-01-01",
    "date_to=2023-12-31&sort=oldest",
    "date_from=2020-01-01&date_to=2024-12-31&kind=date",
    "topic=no-such-topic",
]


def test_the_api_lists_the_same_cards_in_the_same_order_as_the_list_page(client, db):
    call_command("load_demo", verbosity=0)
    compared = 0
    for query in QUERY_STRINGS:
        params = dict(parse_qsl(query))
        on_page, number = [], 1
        while True:
            response = client.get(reverse("card_list"), {**params, "page": number})
            assert response.status_code == 200
            page = response.context["page"]
            on_page += [card.slug for card in page.object_list]
            if not page.has_next():
                break
            number += 1
        # Seven a page: the cursor crosses the list page's page boundaries (twenty a page).
        in_api = [card["slug"] for card in walk(client, CARDS, {**params, "page_size": 7})]
        assert in_api == on_page, query
        compared += len(on_page)
    published = FactCard.objects.published().count()
    assert published > 20  # the list page has two pages, the API four
    assert compared > 4 * published  # most query strings give cards, not only empty lists


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"kind": "nonsense"}, "kind"),
        ({"date_from": "2024-13-45"}, "date_from"),
        ({"date_to": "99999-01-01"}, "date_to"),
        ({"sort": "random"}, "sort"),
        ({"q": "x" * 10_000}, "q"),
        ({"q": "nul\x00byte"}, "q"),
        ({"topic": "nul\x00byte"}, "topic"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1000"}, "page_size"),
        ({"page_size": "²"}, "page_size"),  # str.isdigit() says yes, int() says no
        ({"page_size": "５"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJvZmZzZXQiOiAtMX0="}, "cursor"),  # {"offset": -1}
        ({"include_retracted": "maybe"}, "include_retracted"),
        ({"disagree": "maybe"}, "disagree"),
        ({"colour": "red"}, "colour"),
        ({"page": "2"}, "page"),
    ],
)
def test_invalid_parameters_are_a_400_in_json_naming_the_parameter(client, newsroom, params, named):
    response = client.get(CARDS, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    errors = response.json()
    assert list(errors) == [named]
    assert all(isinstance(message, str) and message for message in errors[named])


def test_a_cursor_from_another_sort_is_a_400(client, newsroom):
    first = client.get(CARDS, {"page_size": 1, "sort": "oldest"}).json()
    query = dict(parse_qsl(first["next"].split("?", 1)[1]))
    response = client.get(CARDS, {**query, "sort": "sourced"})
    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_the_detail_takes_no_parameters(client, newsroom):
    response = client.get(card_url(newsroom["published"].slug), {"format": "xml"})
    assert response.status_code == 400
    assert list(response.json()) == ["format"]


def test_an_unknown_api_address_is_a_json_404(client, db):
    response = client.get("/api/cardz/")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("where", ["cards", "card", "sources"])
def test_writes_are_refused_with_a_json_405(client, newsroom, editor, method, where):
    url = {"cards": CARDS, "card": card_url(newsroom["published"].slug), "sources": SOURCES}
    client.force_login(editor)  # signed in to the desk: still nothing to write here
    client.handler.enforce_csrf_checks = True
    response = getattr(client, method)(url[where], {}, content_type="application/json")
    assert response.status_code == 405
    assert response.json()["detail"] == f'Method "{method.upper()}" not allowed.'
    assert "POST" not in response["Allow"]


ORIGIN = {"Origin": "https://news.example.com"}


@pytest.mark.parametrize("method", ["get", "head"])
def test_other_sites_may_read_the_api(client, newsroom, method):
    response = getattr(client, method)(CARDS, headers=ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_for_a_read_is_allowed(client, db):
    response = client.options(CARDS, headers={**ORIGIN, "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in response["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT"])
def test_no_cors_for_writes(client, newsroom, method):
    preflight = client.options(CARDS, headers={**ORIGIN, "Access-Control-Request-Method": method})
    assert "Access-Control-Allow-Origin" not in preflight
    response = client.generic(method, CARDS, headers=ORIGIN)
    assert response.status_code == 405
    assert "Access-Control-Allow-Origin" not in response


def test_no_cors_outside_the_api(client, newsroom):
    assert "Access-Control-Allow-Origin" not in client.get("/", headers=ORIGIN)


def test_each_client_is_throttled_with_a_json_429(client, newsroom, settings):
    settings.FACTCARDS_API_RATE = "3/minute"
    for _ in range(3):
        assert client.get(CARDS, REMOTE_ADDR="203.0.113.7").status_code == 200
    refused = client.get(SOURCES, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert client.get(CARDS, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_clients_are_still_throttled_while_redis_is_down(client, newsroom, settings):
    """The attacker's trial: with Redis unreachable every request was let through, just
    when the database carries all the load. Each server then counts in its own memory."""
    settings.CACHES = {
        **settings.CACHES,
        # Nothing listens on port 9: every Redis call fails at once, as in an outage.
        "default": {
            "BACKEND": "factcards.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    settings.FACTCARDS_SHARED_CACHE = True
    settings.FACTCARDS_API_RATE = "3/minute"
    statuses = [client.get(CARDS, REMOTE_ADDR="203.0.113.9").status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert statuses.count(200) <= 4  # the request that found Redis down counted nowhere


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client, newsroom, settings):
    settings.FACTCARDS_API_RATE = "2/minute"
    statuses = [
        client.get(CARDS, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        for n in range(3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]


@pytest.fixture
def many_cards(db, editor):
    def make(count):
        topic, place = TopicFactory(slug="t"), PlaceFactory(slug="p")
        for n in range(count):
            card = FactCardFactory(citations=0, statement=f"Card number {n}.")
            CitationFactory.create_batch(2, card=card)
            card.changed_by = card.created_by
            card.topics.set([topic])
            card.places.set([place])
            publish(card, editor)

    return make


@pytest.mark.parametrize("size", [3, 15])
def test_card_list_queries_do_not_grow_with_the_page_size(
    client, many_cards, django_assert_max_num_queries, size
):
    many_cards(size + 1)
    # The publication counter and the form's 3 choices (then cached until the next
    # publication), the page, its citations and their sources, corrections, topics, places.
    with django_assert_max_num_queries(10):
        response = client.get(CARDS, {"page_size": size, "topic": "t"})
    assert len(response.json()["results"]) == size
    # Kept until the next publication: the counter only (none when a shared cache holds it).
    with django_assert_max_num_queries(1):
        assert client.get(CARDS, {"page_size": size, "topic": "t"}).json() == response.json()
    with django_assert_max_num_queries(7):  # the next page: the choices come from the cache
        response = client.get(response.json()["next"])
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("size", [3, 15])
def test_source_list_queries_do_not_grow_with_the_page_size(
    client, many_cards, django_assert_max_num_queries, size
):
    many_cards(size)
    # The publication counter, the sources, the cards on record citing them.
    with django_assert_max_num_queries(3):
        response = client.get(SOURCES, {"page_size": size})
    assert len(response.json()["results"]) == size


def test_an_answer_kept_in_the_cache_changes_with_the_next_publication(client, newsroom, editor):
    first = client.get(CARDS).json()
    card = publish(FactCardFactory(statement="Just published."), editor)
    assert client.get(CARDS).json()["results"][0]["slug"] == card.slug
    assert len(client.get(CARDS).json()["results"]) == len(first["results"]) + 1
    card.retract(editor, "Wrong.")
    assert client.get(card_url(card.slug)).json()["retracted"] is True


def test_a_client_walking_the_pages_misses_nothing_when_a_card_is_published_meanwhile(
    client, many_cards, editor
):
    many_cards(6)
    first = client.get(CARDS, {"page_size": 3, "sort": "newest"}).json()
    publish(FactCardFactory(statement="Published while a client was paging."), editor)
    rest = walk(client, first["next"])
    slugs = [c["slug"] for c in first["results"] + rest]
    expected = FactCard.objects.published().exclude(statement__startswith="Published while")
    assert slugs == list(expected.order_by("-published_at", "-pk").values_list("slug", flat=True))


def test_dates_in_the_api_are_iso(client, editor):
    card = publish(
        FactCardFactory(
            kind="date",
            value=None,
            unit="",
            qualifier="",
            value_date=datetime.date(2025, 1, 1),
            date_precision="year",
            as_of=datetime.date(2024, 6, 12),
        ),
        editor,
    )
    data = client.get(card_url(card.slug)).json()
    assert (data["value_date"], data["date_precision"], data["as_of"]) == (
        "2025-01-01",
        "year",
        "2024-06-12",
    )
    assert data["display_value"] == "2025"
    assert data["value"] is None
