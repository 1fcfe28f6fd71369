"""How a card reads: the same words for the same thing on every page, embed and answer."""

import re

import pytest
from django.urls import reverse

from .factories import CitationFactory, FactCardFactory, SourceFactory, publish, published_card

pytestmark = pytest.mark.django_db


def test_the_site_name_setting_names_the_site_everywhere(client, settings, editor):
    settings.FACTCARDS_SITE_NAME = "The Daily Ledger"
    card = published_card(slug="contingent")
    url = f"http://testserver{card.get_absolute_url()}"
    pages = {
        "list": client.get("/").content.decode(),
        "card": client.get(card.get_absolute_url()).content.decode(),
        "embed": client.get(reverse("card_embed", args=["contingent"])).content.decode(),
        "feed": client.get("/feed/").content.decode(),
    }
    client.force_login(editor)
    pages["desk"] = client.get(reverse("admin:index")).content.decode()
    for name, page in pages.items():
        assert "The Daily Ledger" in page, name
        # The name as words (not paths such as /static/factcards/, nor ids as urn:factcards:).
        assert not re.search(r"(^|[\s>·])factcards([\s<·:]|$)", page), name
    assert 'property="og:site_name" content="The Daily Ledger"' in pages["card"]
    answer = client.get(reverse("oembed"), {"url": url}).json()
    assert answer["provider_name"] == "The Daily Ledger"


def test_a_source_with_only_a_byline_is_never_called_an_outlet(client):
    card = FactCardFactory(slug="bylined", citations=0)
    CitationFactory(card=card, source=SourceFactory(outlet="", byline="Jane Doe"))
    CitationFactory(
        card=card,
        source=SourceFactory(outlet="", byline="Ann Roe"),
        relation="differs",
        stated_value="around 2,000",
    )
    publish(card)
    page = client.get(card.get_absolute_url()).content.decode()
    embed = client.get(reverse("card_embed", args=["bylined"])).content.decode()
    listing = client.get("/").content.decode()
    assert "Jane Doe (outlet not stated)" in page  # beside the source's title
    assert "Ann Roe (outlet not stated)" in page  # in the disagreement, alone
    assert "Ann Roe (outlet not stated)" in embed
    assert "2 sources: Jane Doe and Ann Roe" in listing


def test_embed_codes_and_oembed_escape_what_the_card_says(client):
    card = published_card(slug="quoted", statement='He said "<b>no</b>" & left.')
    page = client.get(card.get_absolute_url()).content.decode()
    answer = client.get(reverse("oembed"), {"url": "http://testserver/cards/quoted/"}).json()
    for html in [answer["html"]]:
        assert "<b>no</b>" not in html
        assert "&quot;&lt;b&gt;no&lt;/b&gt;&quot; &amp; left." in html
    # In the page the codes sit in a textarea: escaped once more.
    assert "&amp;quot;&amp;lt;b&amp;gt;no" in page


def test_a_retracted_card_travels_with_its_retraction_first(client, other_editor):
    card = published_card(slug="withdrawn")
    card.retract(other_editor, "The agency withdrew its report.")
    answer = client.get(reverse("oembed"), {"url": "http://testserver/cards/withdrawn/"}).json()
    page = client.get(card.get_absolute_url()).content.decode()
    assert answer["title"].startswith("Retracted: ")
    assert "<strong>Retracted:</strong> The agency withdrew its report." in answer["html"]
    assert '<meta name="description" content="Retracted: ' in page


def test_a_source_reads_the_same_on_the_card_page_and_in_the_embed(client):
    card = FactCardFactory(slug="credited", citations=0)
    CitationFactory(card=card, source=SourceFactory(outlet="The Moscow Times", byline="AFP"))
    publish(card)
    page = client.get(card.get_absolute_url()).content.decode()
    embed = client.get(reverse("card_embed", args=["credited"])).content.decode()
    assert "The Moscow Times (AFP)" in page
    assert "The Moscow Times (AFP)" in embed
