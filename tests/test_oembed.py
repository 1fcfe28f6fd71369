"""The oEmbed provider: fields per the spec, maxwidth/maxheight, 404, 501, XML, discovery."""

from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from .factories import FactCardFactory, published_card

OEMBED = reverse("oembed")
CARD_URL = "http://testserver/cards/contingent/"


@pytest.fixture
def card(db):
    return published_card(slug="contingent", statement="Russia sent 1,960 military personnel.")


def oembed(client, **params):
    return client.get(OEMBED + "?" + urlencode(params))


def test_oembed_json_has_the_fields_the_spec_requires(client, card):
    data = oembed(client, url=CARD_URL).json()
    assert data["version"] == "1.0"
    assert data["type"] == "rich"
    assert data["title"] == "Russia sent 1,960 military personnel."
    assert data["provider_name"] == "factcards"
    assert data["provider_url"] == "http://testserver/"
    assert isinstance(data["width"], int) and isinstance(data["height"], int)
    assert isinstance(data["cache_age"], int)
    assert data["thumbnail_url"] == "http://testserver/cards/contingent.png"
    assert (data["thumbnail_width"], data["thumbnail_height"]) == (1200, 630)


def test_oembed_html_shows_the_fact_once_a_blockquote_then_its_hidden_frame(client, card):
    """Shown as it is, the answer reads once: the quote, the frame hidden until the loader (or
    WordPress's embed script, which keeps only the quote and the frame) swaps them."""
    html = oembed(client, url=CARD_URL).json()["html"]
    assert html.startswith('<blockquote class="factcard">')
    assert f'<a href="{CARD_URL}">' in html
    frame = html[html.index("<iframe") : html.index("</iframe>")]
    assert 'src="http://testserver/embed/contingent/"' in frame
    assert " hidden" in frame and 'data-factcard="contingent"' in frame
    assert html.endswith('<script async src="http://testserver/embed.js"></script>')


def test_oembed_accepts_the_embed_url_too(client, card):
    assert oembed(client, url="http://testserver/embed/contingent/").status_code == 200


@pytest.mark.parametrize("maxwidth", [200, 320, 500])
def test_oembed_width_respects_maxwidth(client, card, maxwidth):
    data = oembed(client, url=CARD_URL, maxwidth=maxwidth).json()
    assert data["width"] <= maxwidth
    assert f'width="{data["width"]}"' in data["html"]
    assert data["thumbnail_width"] <= maxwidth


def test_oembed_height_respects_maxheight(client, card):
    data = oembed(client, url=CARD_URL, maxheight=150).json()
    assert data["height"] <= 150
    assert "thumbnail_url" not in data  # a 630 px thumbnail would not fit either


def test_narrower_embeds_are_estimated_taller(client, card):
    wide = oembed(client, url=CARD_URL, maxwidth=560).json()["height"]
    narrow = oembed(client, url=CARD_URL, maxwidth=280).json()["height"]
    assert narrow > wide


def test_oembed_xml_is_well_formed(client, card):
    response = oembed(client, url=CARD_URL, format="xml")
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "oembed"
    assert root.findtext("type") == "rich"
    assert root.findtext("version") == "1.0"
    assert root.findtext("html").startswith("<blockquote")


def test_unknown_format_is_501(client, card):
    response = oembed(client, url=CARD_URL, format="yaml")
    assert response.status_code == 501
    assert b"format=json" in response.content


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/cards/no-such-card/",
        "http://testserver/",
        "http://elsewhere.example/cards/contingent/",
        "javascript:alert(1)",
        "",
        "not a url at all",
        "http://[::1",
    ],
)
def test_urls_that_are_not_cards_here_are_404(client, card, url):
    assert oembed(client, url=url).status_code == 404


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_unpublished_cards_are_404(client, db, status):
    draft = FactCardFactory(slug="secret")
    if status == "in_review":
        draft.submit(draft.created_by)
    assert oembed(client, url="http://testserver/cards/secret/").status_code == 404


def test_retracted_cards_keep_answering_so_embeds_show_the_notice(client, card, other_editor):
    card.retract(other_editor, "Misattributed.")
    assert oembed(client, url=CARD_URL).status_code == 200


@pytest.mark.parametrize("bad", ["abc", "-5", "0", "1.5", "9" * 40])
def test_bad_dimensions_are_a_clear_400(client, card, bad):
    response = oembed(client, url=CARD_URL, maxwidth=bad)
    if bad == "9" * 40:
        assert response.status_code == 200  # huge but valid: the default width applies
    else:
        assert response.status_code == 400
        assert b"whole numbers of pixels" in response.content


def test_oembed_is_cacheable_and_answers_304(client, card):
    first = oembed(client, url=CARD_URL)
    assert "s-maxage" in first["Cache-Control"]
    again = client.get(
        OEMBED + "?" + urlencode({"url": CARD_URL}), headers={"If-None-Match": first["ETag"]}
    )
    assert again.status_code == 304


def test_oembed_etag_changes_after_a_retraction(client, card, other_editor):
    before = oembed(client, url=CARD_URL)["ETag"]
    card.retract(other_editor, "Misattributed.")
    assert oembed(client, url=CARD_URL)["ETag"] != before


def test_card_page_advertises_oembed_discovery(client, card):
    page = client.get(CARD_URL).content.decode()
    encoded = "http%3A%2F%2Ftestserver%2Fcards%2Fcontingent%2F"
    assert (
        f'<link rel="alternate" type="application/json+oembed" '
        f'href="http://testserver/oembed/?url={encoded}&amp;format=json"'
    ) in page
    assert 'type="text/xml+oembed"' in page
