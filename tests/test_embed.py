"""Embeds: the framable card, framing policy, size budget, caching and the share image."""

import gzip
import io
import json
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from factcards.models import Citation, FactCard

from .factories import CitationFactory, FactCardFactory, SourceFactory, publish

STATIC = Path(__file__).resolve().parent.parent / "static" / "factcards"


@pytest.fixture
def card(db):
    card = FactCardFactory(
        slug="exodus",
        statement="Around 100,000 ethnic Armenians left.",
        value=100000,
        unit="ethnic Armenians",
        qualifier="around",
        citations=0,
        value_note="Most sources say around 100,000.",
    )
    CitationFactory(
        card=card,
        source=SourceFactory(outlet="The Moscow Times", url="https://example.org/a"),
        excerpt="around 100,000 ethnic Armenians left",
    )
    CitationFactory(
        card=card,
        source=SourceFactory(outlet="", url=""),
        relation=Citation.Relation.DIFFERS,
        stated_value="120,000",
        excerpt="an exodus of 120,000 ethnic Armenians",
    )
    return publish(card)


def embed(client, slug="exodus", **params):
    return client.get(reverse("card_embed", args=[slug]), params)


def test_embed_shows_statement_value_sources_and_disagreement(client, card):
    page = embed(client).content.decode()
    assert "Around 100,000 ethnic Armenians left." in page
    assert "around 100,000 ethnic Armenians" in page
    assert "Where sources disagree" in page and "<b>120,000</b>" in page
    assert '<a href="https://example.org/a" target="_blank" rel="noopener">' in page
    assert f'href="http://testserver{card.get_absolute_url()}"' in page  # attribution


def test_embed_has_no_htmx_and_no_inline_script(client, card):
    page = embed(client).content.decode()
    assert "htmx" not in page
    assert "<script>" not in page and "<style" not in page
    assert 'src="/static/factcards/embed-child.js"' in page


def test_embed_page_fits_the_6_kb_budget(client, card):
    response = client.get(
        reverse("card_embed", args=["exodus"]), headers={"Accept-Encoding": "gzip"}
    )
    assert response["Content-Encoding"] == "gzip"
    html = len(response.content)
    css = len(gzip.compress((STATIC / "embed.css").read_bytes(), 9))
    js = len(gzip.compress((STATIC / "embed-child.js").read_bytes(), 9))
    assert html + css + js <= 6 * 1024, (html, css, js)


@pytest.mark.parametrize(
    ("theme", "expected"),
    [("dark", "theme-dark"), ("light", "theme-light"), ("neon", "theme-auto"), ("", "theme-auto")],
)
def test_embed_theme_comes_from_the_query(client, card, theme, expected):
    assert f'class="{expected}"' in embed(client, theme=theme).content.decode()


def test_embed_is_framable_from_any_origin(client, card):
    response = embed(client)
    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy
    assert "nonce-" not in policy


@pytest.mark.parametrize("name", ["card_list", "admin:login"])
def test_other_pages_refuse_framing(client, card, name):
    response = client.get(reverse(name))
    assert response["X-Frame-Options"] == "DENY"


def test_card_page_refuses_framing(client, card):
    response = client.get(card.get_absolute_url())
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("status", ["draft", "in_review"])
@pytest.mark.parametrize("url_name", ["card_embed", "card_image"])
def test_unpublished_cards_are_404_on_embed_urls(client, db, status, url_name):
    card = FactCardFactory(slug="secret")
    if status == "in_review":
        card.submit(card.created_by)
    assert client.get(reverse(url_name, args=["secret"])).status_code == 404


def test_retracted_card_embed_shows_the_notice(client, card, other_editor):
    card.retract(other_editor, "The count came from an unverified source.")
    response = embed(client)
    assert response.status_code == 200
    assert "Retracted" in response.content.decode()
    assert "The count came from an unverified source." in response.content.decode()


def test_corrected_card_embed_shows_the_correction(client, card, reporter, other_editor):
    revision = card.start_revision(reporter)
    revision.value = 120000
    revision.qualifier = ""
    revision.correction_note = "One source gives 120,000."
    revision.save()
    revision.submit(reporter)
    revision.publish(other_editor)
    page = embed(client).content.decode()
    assert "120,000 ethnic Armenians" in page
    assert "Corrected" in page and "One source gives 120,000." in page


def test_loader_script_is_served_as_javascript(client, db):
    response = client.get(reverse("embed_loader"))
    assert response["Content-Type"].startswith("text/javascript")
    assert b"blockquote.factcard" in response.content
    assert "max-age" in response["Cache-Control"]


# --- caching -----------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["card_embed", "card_image"])
def test_cacheable_responses_carry_validators_and_cache_control(client, card, url_name):
    response = client.get(reverse(url_name, args=["exodus"]))
    assert response["ETag"]
    assert response["Last-Modified"]
    cache = response["Cache-Control"]
    assert "max-age=" in cache and "s-maxage=" in cache and "stale-while-revalidate=" in cache


def test_matching_etag_answers_304_without_rendering(
    client, card, django_assert_max_num_queries
):
    etag = embed(client)["ETag"]
    # From the fast path: the publication counter at most (none when a shared cache has it).
    with django_assert_max_num_queries(1):
        response = client.get(
            reverse("card_embed", args=["exodus"]), headers={"If-None-Match": etag}
        )
    assert response.status_code == 304
    assert response.content == b""
    assert "X-Frame-Options" not in response  # a 304 must not forbid framing the cached copy
    assert "stale-while-revalidate" in response["Cache-Control"]


def test_etag_changes_when_a_card_is_corrected(client, card, reporter, other_editor):
    before = embed(client)["ETag"]
    revision = card.start_revision(reporter)
    revision.context = "Added context."
    revision.save()
    assert embed(client)["ETag"] == before  # a pending revision changes nothing public
    revision.submit(reporter)
    revision.publish(other_editor)
    after = embed(client)
    assert after["ETag"] != before
    stale = client.get(reverse("card_embed", args=["exodus"]), headers={"If-None-Match": before})
    assert stale.status_code == 200


def test_etag_changes_when_a_card_is_retracted(client, card, other_editor):
    before = embed(client)["ETag"]
    card.retract(other_editor, "Withdrawn.")
    assert embed(client)["ETag"] != before


def test_etag_is_new_when_a_card_is_published(client, db, editor):
    card = FactCardFactory(slug="fresh")
    card.submit(card.created_by)
    assert embed(client, "fresh").status_code == 404
    card.publish(editor)
    assert embed(client, "fresh")["ETag"]


def test_etag_differs_by_theme(client, card):
    assert embed(client, theme="dark")["ETag"] != embed(client)["ETag"]


# --- share image -------------------------------------------------------------------------


def test_share_image_is_a_1200_by_630_png(client, card):
    response = client.get(reverse("card_image", args=["exodus"]))
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1200, 630)


def test_share_image_differs_between_cards(client, card, db):
    other = publish(FactCardFactory(slug="other", statement="A different fact entirely."))
    first = client.get(reverse("card_image", args=["exodus"])).content
    second = client.get(reverse("card_image", args=[other.slug])).content
    assert first != second


def test_share_image_is_redrawn_after_a_correction(client, card, reporter, other_editor):
    before = client.get(reverse("card_image", args=["exodus"])).content
    revision = card.start_revision(reporter)
    revision.statement = "Some 120,000 ethnic Armenians left, one source says."
    revision.correction_note = "Restated with the larger figure."
    revision.save()
    revision.submit(reporter)
    revision.publish(other_editor)
    assert client.get(reverse("card_image", args=["exodus"])).content != before


def test_card_page_uses_the_share_image(client, card):
    page = client.get(card.get_absolute_url()).content.decode()
    assert '<meta property="og:image" content="http://testserver/cards/exodus.png">' in page
    assert '<meta name="twitter:image" content="http://testserver/cards/exodus.png">' in page


# --- structured data and embed codes on the card page --------------------------------------


def json_ld(client, card):
    page = client.get(card.get_absolute_url()).content.decode()
    start = page.index('<script type="application/ld+json"')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(body)


def test_card_page_has_valid_claim_json_ld_with_citations(client, card):
    data = json_ld(client, card)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Claim"
    assert data["text"] == card.statement
    assert {c["@type"] for c in data["citation"]} == {"NewsArticle"}
    assert {"The Moscow Times"} == {
        c["publisher"]["name"] for c in data["citation"] if "publisher" in c
    }
    assert all("url" not in c or c["url"].startswith("https://") for c in data["citation"])


def test_json_ld_lists_corrections(client, card, other_editor):
    card.retract(other_editor, "Withdrawn </script><script>alert(1)</script>.")
    data = json_ld(client, card)
    assert data["correction"][0]["@type"] == "CorrectionComment"
    assert data["correction"][0]["text"].startswith("Withdrawn </script>")


def test_card_page_offers_three_embed_codes_and_a_preview(client, card):
    page = client.get(card.get_absolute_url()).content.decode()
    assert "Embed this card" in page
    assert "&lt;iframe src=&quot;http://testserver/embed/exodus/&quot;" in page
    assert "&lt;blockquote class=&quot;factcard&quot;&gt;" in page
    assert "http://testserver/embed.js" in page
    assert '<iframe class="embed-preview" src="http://testserver/embed/exodus/"' in page


def test_admin_change_form_of_a_published_card_offers_embed_codes(client, card, editor):
    client.force_login(editor)
    page = client.get(reverse("admin:factcards_factcard_change", args=[card.pk])).content.decode()
    assert "Embed this card" in page
    assert "http://testserver/embed/exodus/" in page


def test_drafts_offer_no_embed_codes_in_the_admin(client, draft, editor):
    client.force_login(editor)
    page = client.get(reverse("admin:factcards_factcard_change", args=[draft.pk])).content.decode()
    assert "Embed this card" not in page
    assert FactCard.objects.get(pk=draft.pk).status == "draft"
