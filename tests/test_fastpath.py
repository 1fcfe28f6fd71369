"""A warm embed comes from the cache before the middleware stack: the same answer, sooner."""

import pytest
from django.urls import reverse

from factcards import fastpath
from factcards.models import FactCard

from .factories import published_card

pytestmark = pytest.mark.django_db

EMBED = reverse("card_embed", args=["contingent"])


def answer(response):
    """What a reader's browser gets: status, headers (but the date), body."""
    headers = {k: v for k, v in response.items() if k.lower() not in ("date", "expires")}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("headers", [{}, {"HTTP_ACCEPT_ENCODING": "gzip, br"}])
@pytest.mark.parametrize("query", ["", "?theme=dark", "?childId=card-7&initialWidth=600"])
def test_a_warm_embed_is_the_same_answer_the_full_stack_gave(client, headers, query):
    published_card(slug="contingent")
    first = client.get(EMBED + query, **headers)
    assert first.templates  # rendered by the view
    again = client.get(EMBED + query, **headers)
    assert not again.templates  # answered before the view ran
    status, kept, body = answer(again)
    assert kept.pop("X-Factcards-Served-From") == "cache"
    assert (status, kept, body) == answer(first)


def test_a_warm_embed_costs_at_most_the_publication_counter(client, django_assert_max_num_queries):
    published_card(slug="contingent")
    client.get(EMBED)
    with django_assert_max_num_queries(1):
        client.get(EMBED)


def test_a_warm_304_is_the_same_answer_the_full_stack_gives(client):
    published_card(slug="contingent")
    etag = client.get(EMBED)["ETag"]
    from django.core.cache import cache

    cache.clear()  # the next answer comes from the view's own conditional check
    fastpath.recent.clear()
    full = client.get(EMBED, HTTP_IF_NONE_MATCH=etag)
    client.get(EMBED)  # kept again
    fast = client.get(EMBED, HTTP_IF_NONE_MATCH=etag)
    assert full.status_code == fast.status_code == 304
    status, headers, body = answer(fast)
    assert headers.pop("Vary") == "Accept-Encoding"  # a 304 carries the 200's Vary (RFC 9110)
    assert headers.pop("X-Factcards-Served-From") == "cache"
    assert (status, headers, body) == answer(full)


def test_themes_are_kept_apart(client):
    published_card(slug="contingent")
    client.get(EMBED + "?theme=dark")
    assert b"theme-light" in client.get(EMBED + "?theme=light").content
    assert b"theme-dark" in client.get(EMBED + "?theme=dark").content


def test_a_correction_shows_in_the_warm_embed_at_once(client, editor, other_editor):
    card = published_card(slug="contingent", statement="Nearly 2,000 peacekeepers went.")
    client.get(EMBED)
    revision = FactCard.objects.get(pk=card.pk).start_revision(editor)
    revision.statement = "1,960 peacekeepers went."
    revision.correction_note = "The agreements give 1,960."
    revision.save(by=editor)
    revision.submit(editor)
    revision.publish(other_editor)
    page = client.get(EMBED).content.decode()
    assert "1,960 peacekeepers went." in page
    assert "The agreements give 1,960." in page


def test_a_card_that_is_not_public_is_never_kept(client, draft):
    assert client.get(reverse("card_embed", args=[draft.slug])).status_code == 404
    assert client.get(reverse("card_embed", args=[draft.slug])).status_code == 404


@pytest.mark.parametrize(
    "url, headers",
    [
        ("/", {}),
        ("/?kind=figure&sort=oldest", {"HTTP_ACCEPT_ENCODING": "gzip"}),
        ("/?q=peacekeepers", {"HTTP_HX_REQUEST": "true"}),  # htmx's fragment
        ("/cards/contingent/", {}),
        ("/cards/contingent/", {"HTTP_ACCEPT_ENCODING": "gzip"}),
        ("/oembed/?url=http://testserver/cards/contingent/", {}),
        ("/oembed/?url=http://testserver/cards/contingent/&maxwidth=300&format=xml", {}),
    ],
)
def test_a_warm_list_card_page_or_oembed_is_the_same_answer_the_full_stack_gave(
    client, url, headers
):
    published_card(slug="contingent", statement="Nearly 2,000 peacekeepers went.")
    first = client.get(url, **headers)
    assert "X-Factcards-Served-From" not in first  # made by the view
    again = client.get(url, **headers)
    status, kept, body = answer(again)
    assert kept.pop("X-Factcards-Served-From") == "cache"
    assert (status, kept, body) == answer(first)


def test_the_htmx_fragment_and_the_whole_page_are_kept_apart(client):
    published_card(slug="contingent")
    whole = client.get("/").content
    fragment = client.get("/", HTTP_HX_REQUEST="true").content
    assert whole != fragment
    assert client.get("/").content == whole
    assert client.get("/", HTTP_HX_REQUEST="true").content == fragment


def test_each_site_gets_its_own_links(client, settings):
    """A page's links are absolute: one kept for one host name is never sent to another."""
    settings.ALLOWED_HOSTS = ["facts.example.org", "cards.example.net"]
    published_card(slug="contingent")
    for host in ["facts.example.org", "cards.example.net"] * 2:
        page = client.get(EMBED, HTTP_HOST=host).content.decode()
        assert (
            f"https://{host}/cards/contingent/" in page
            or f"http://{host}/cards/contingent/" in page
        )


def test_a_new_card_shows_on_the_warm_list_at_once(client, editor):
    published_card(slug="contingent", statement="Nearly 2,000 peacekeepers went.")
    client.get("/")
    assert "Nearly 2,000" in client.get("/").text
    published_card(editor, slug="withdrawal", statement="The withdrawal began in April 2024.")
    assert "The withdrawal began in April 2024." in client.get("/").text
