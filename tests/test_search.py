"""Search: the database's own full-text engine (FTS5 / PostgreSQL), the same answers on both."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from factcards import search
from factcards.models import FactCard

from .factories import CitationFactory, FactCardFactory, publish, published_card

# Over the demo data. CI runs this file on SQLite and on PostgreSQL: the same table passing on
# both is the parity. Words match as prefixes and by stem ("withdraw" finds "withdrawal").
EXPECTED = {
    "Peskov": [
        "kremlin-confirms-withdrawal",
        "peskov-yes-really-true",
        "withdrawal-began-april-2024",
    ],
    "withdraw": [
        "defense-ministry-full-withdrawal",
        "hajiyev-early-withdrawal-decided",
        "kremlin-confirms-withdrawal",
        "peskov-yes-really-true",
        "putin-aliyev-agreed-withdrawal",
        "withdrawal-began-april-2024",
        "withdrawal-completed-june-12",
    ],
    "120,000": ["armenians-who-left-karabakh"],
    "Armenians left": ["armenians-who-left-karabakh"],
    "trilateral statement": [
        "hajiyev-early-withdrawal-decided",
        "trilateral-statement-november-10-2020",
    ],
    "Lachin": ["contingent-deployment-lines"],
    "kremlin confirms": ["kremlin-confirms-withdrawal", "peskov-yes-really-true"],
    "mandate 2025": ["peacekeepers-mandate-until-2025"],
    "ethnic armenian": [
        "armenians-who-left-karabakh",
        "peacekeeping-contingent-size",
        "six-weeks-of-fighting-2020",
    ],
    "armoured vehicles": [],
    "Путин": [],
}
COUNTS = {"peacekeepers": 16, "peacekeeper": 16, "peace": 17, "nagorno": 16, "2020": 7}


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def found(text):
    cards = search.matching(FactCard.objects.published(), text)
    return sorted(cards.values_list("slug", flat=True))


@pytest.mark.parametrize("text", EXPECTED)
def test_search_finds_the_same_demo_cards_on_every_database(demo, text):
    assert found(text) == EXPECTED[text]


@pytest.mark.parametrize("text", COUNTS)
def test_search_counts_the_same_demo_cards_on_every_database(demo, text):
    assert len(found(text)) == COUNTS[text]


def test_search_reads_excerpts_not_only_statements(db):
    card = FactCardFactory(statement="A figure.", citations=0)
    CitationFactory(card=card, excerpt="The convoy crossed the Hakari bridge at dawn.")
    card = publish(card)
    assert found("hakari") == [card.slug]


def test_best_matches_come_first_unless_another_order_is_chosen(client, db):
    weak = published_card(statement="Convoys moved; one mention of Stepanakert.")
    strong = published_card(statement="Stepanakert, Stepanakert: the Stepanakert convoy.")
    page = client.get(reverse("card_list"), {"q": "stepanakert", "sort": "relevance"})
    assert [card.pk for card in page.context["page"]] == [strong.pk, weak.pk]
    page = client.get(reverse("card_list"), {"q": "stepanakert", "sort": "oldest"})
    assert [card.pk for card in page.context["page"]] == [weak.pk, strong.pk]


def test_a_published_revision_is_found_by_its_new_words_only(db, reporter, other_editor):
    card = published_card(statement="Nearly 2,000 peacekeepers were garrisoned.")
    revision = card.start_revision(reporter)
    revision.statement = "The contingent numbered 1,960 military personnel."
    revision.correction_note = "The agreements give 1,960."
    revision.save(by=reporter)
    assert found("personnel") == []  # a pending revision is not public
    revision.submit(reporter)
    revision.publish(other_editor)
    assert found("personnel") == [card.slug]
    assert found("garrisoned") == []


def test_drafts_are_never_found(db):
    FactCardFactory(statement="A draft about Shusha.")
    assert found("shusha") == []
