"""Sources as first-class objects: who cites them, found from the cards, never added twice."""

import pytest
from django.urls import reverse

from factcards.models import Source
from factcards.models.fields import link_key

from .factories import CitationFactory, FactCardFactory, SourceFactory

ADD = reverse("admin:factcards_source_add")


@pytest.mark.parametrize(
    "variant",
    [
        "http://example.org/world/peacekeepers",
        "https://www.example.org/world/peacekeepers/",
        "https://EXAMPLE.org/world/peacekeepers?utm_source=tw&utm_medium=social",
        "https://example.org/world/peacekeepers#comments",
        "https://example.org:443/world/peacekeepers",
        "http://example.org:80/world/peacekeepers",
    ],
)
def test_links_to_one_article_share_a_key(variant):
    assert link_key(variant) == link_key("https://example.org/world/peacekeepers")


def test_another_port_is_another_site():
    assert link_key("https://example.org:8443/a") != link_key("https://example.org/a")


def test_the_same_headline_with_other_spacing_is_the_same_source(db):
    from factcards.models import Source

    SourceFactory(outlet="AFP", title="Nagorno-Karabakh, Kremlin Confirms", url="")
    twin = Source(outlet="AFP ", title="Nagorno-Karabakh,  Kremlin Confirms", url="")
    assert twin.duplicates().exists()


def test_a_different_article_keeps_its_own_key():
    assert link_key("https://example.org/world/peacekeepers?id=2") != link_key(
        "https://example.org/world/peacekeepers?id=3"
    )


def new_source(**changes):
    return {"outlet": "AFP", "title": "A headline", "language": "en", "version": "1", **changes}


def test_adding_a_source_already_stored_under_another_link_offers_that_one(client, editor):
    existing = SourceFactory(outlet="AFP", url="https://www.example.org/world/peacekeepers/")
    client.force_login(editor)
    page = client.post(
        ADD, new_source(url="https://example.org/world/peacekeepers?utm_source=tw")
    ).content.decode()
    assert "looks like a source already here" in page
    assert reverse("admin:factcards_source_change", args=[existing.pk]) in page
    assert Source.objects.count() == 1


def test_the_same_headline_from_the_same_outlet_is_flagged_too(client, editor):
    SourceFactory(outlet="AFP", title="A headline", url="")
    client.force_login(editor)
    page = client.post(ADD, new_source(title="a headline ")).content.decode()
    assert "looks like a source already here" in page


def test_a_different_source_that_looks_the_same_can_be_added_deliberately(client, editor):
    SourceFactory(outlet="AFP", title="A headline", url="")
    client.force_login(editor)
    client.post(ADD, new_source(same_source_anyway="on"))
    assert Source.objects.count() == 2


def test_a_sources_page_lists_every_card_citing_it(client, editor):
    source = SourceFactory()
    for statement in ["First card citing it.", "Second card citing it."]:
        CitationFactory(card=FactCardFactory(statement=statement, citations=0), source=source)
    client.force_login(editor)
    page = client.get(reverse("admin:factcards_source_change", args=[source.pk])).content.decode()
    assert "First card citing it." in page and "Second card citing it." in page


@pytest.mark.parametrize("term", ["Interfax", "Special Correspondent", "Withdrawal talks"])
def test_the_desk_finds_cards_by_their_sources(client, editor, term):
    source = SourceFactory(
        outlet="Interfax", byline="Special Correspondent", title="Withdrawal talks"
    )
    card = FactCardFactory(statement="A card found through its source.", citations=0)
    CitationFactory(card=card, source=source)
    FactCardFactory(statement="A card citing something else.")
    client.force_login(editor)
    response = client.get(reverse("admin:factcards_factcard_changelist"), {"q": term})
    shown = [card.statement for card in response.context["cl"].result_list]
    assert shown == ["A card found through its source."]
