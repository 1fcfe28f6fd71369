"""The demo data: honest, complete enough to try every part of the app, and idempotent."""

import pytest
from django.core import serializers
from django.core.management import call_command

from factcards.models import Citation, Correction, FactCard, Place, Source, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def snapshot():
    """Every demo row, as data, without the timestamps a second run would not touch anyway."""
    models = [FactCard, Source, Citation, Correction, Topic, Place]
    return {
        model.__name__: serializers.serialize("python", model.objects.order_by("pk"))
        for model in models
    }


def differing(slug):
    card = FactCard.objects.get(slug=slug)
    return {c.stated_value for c in card.citations.filter(relation=Citation.Relation.DIFFERS)}


def test_loading_the_demo_twice_gives_the_same_database(demo):
    before = snapshot()
    history_before = FactCard.history.count()
    call_command("load_demo", verbosity=0)
    assert snapshot() == before
    assert FactCard.history.count() == history_before


def test_demo_has_at_least_25_cards_of_all_four_kinds(demo):
    assert FactCard.objects.count() >= 25
    assert set(FactCard.objects.values_list("kind", flat=True)) == set(FactCard.Kind.values)


def test_demo_cites_all_five_sources(demo):
    assert Source.objects.count() == 5
    assert not Source.objects.filter(citations=None).exists()


def test_demo_leaves_cards_in_draft_and_in_review_to_try_the_workflow(demo):
    statuses = set(FactCard.objects.values_list("status", flat=True))
    assert {"draft", "in_review", "published"} <= statuses


def test_every_demo_excerpt_is_verbatim_from_its_article(demo):
    for citation in Citation.objects.select_related("source"):
        assert citation.source.full_text
        assert citation.source.contains_verbatim(citation.excerpt), citation.excerpt


def test_demo_sources_without_a_stated_link_have_none(demo):
    linked = dict(Source.objects.values_list("title", "url"))
    assert sum(1 for url in linked.values() if url) == 2
    assert linked["Azerbaijan says Russian peacekeepers have completed withdrawal"] == ""
    assert all(
        url.startswith("https://www.themoscowtimes.com/2024/") for url in linked.values() if url
    )


def test_demo_link_has_the_real_slug_not_the_stray_space(demo):
    urls = Source.objects.exclude(url="").values_list("url", flat=True)
    assert (
        "https://www.themoscowtimes.com/2024/06/12/russian-peacekeepers-complete-withdrawal-from-nagorno-karabakh-a85385"
        in urls
    )


def test_demo_shows_how_many_people_left_by_source(demo):
    card = FactCard.objects.get(slug="armenians-who-left-karabakh")
    assert card.display_value() == "around 100,000 ethnic Armenians"
    assert differing(card.slug) == {
        "120,000",
        "more than 100,000",
        "nearly the entire population of 100,000",
    }


def test_demo_shows_the_contingent_disagreement(demo):
    card = FactCard.objects.get(slug="peacekeeping-contingent-size")
    assert card.display_value() == "1,960 military personnel"
    assert differing(card.slug) == {"nearly 2,000", "around 2,000"}


def test_demo_shows_the_mandate_disagreement(demo):
    assert differing("peacekeepers-mandate-until-2025") == {"until November 2025"}


def test_demo_shows_the_first_war_disagreement(demo):
    assert FactCard.objects.get(slug="first-karabakh-war-1988-1994").display_value() == (
        "1988 to 1994"
    )
    assert differing("first-karabakh-war-1988-1994") == {"in the 1990s"}


def test_demo_cards_with_disagreements_explain_the_preferred_value(demo):
    for card in FactCard.objects.filter(citations__relation="differs").distinct():
        assert card.value_note, card.slug


def test_demo_published_cards_went_through_four_eyes(demo):
    for card in FactCard.objects.published():
        assert card.published_by_id != card.created_by_id
