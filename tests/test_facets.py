"""Facet counts say what choosing each option gives: a property over the demo data."""

from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factcards.filters import FACETS, FactCardFilter
from factcards.models import FactCard, Place, Topic


def matching(data):
    filterset = FactCardFilter(data, queryset=FactCard.objects.published())
    assert filterset.is_valid(), filterset.errors
    return filterset


def choices():
    outlets = FactCardFilter({}, queryset=FactCard.objects.none()).filters["outlet"]
    return {
        "kind": [""] + FactCard.Kind.values,
        "topic": [""] + list(Topic.objects.values_list("slug", flat=True)),
        "place": [""] + list(Place.objects.values_list("slug", flat=True)),
        "outlet": [""] + [value for value, _ in outlets.extra["choices"]],
    }


@st.composite
def filters(draw, options):
    data = {name: draw(st.sampled_from(options[name])) for name in FACETS}
    data["disagree"] = draw(st.sampled_from(["", "on"]))
    data["q"] = draw(st.sampled_from(["", "peacekeepers", "withdrawal", "2020"]))
    return {name: value for name, value in data.items() if value}


def test_each_count_is_the_number_of_cards_choosing_that_option_gives(db):
    call_command("load_demo", verbosity=0)  # examples only read, so they share it
    options = choices()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(filters(options))
    def check(data):
        counts = matching(data).facets()
        for facet in FACETS:
            for option in options[facet]:
                chosen = (
                    {**data, facet: option}
                    if option
                    else {k: v for k, v in data.items() if k != facet}
                )
                expected = matching(chosen).qs.count()
                assert counts[facet].get(option, 0) == expected, (data, facet, option)

    check()


def kept():
    """What the list's facets keep, and the same counted afresh from the published cards."""
    from collections import Counter

    from factcards.models import CardFacet, facets

    stored = {(f, o): n for f, options in facets.kept_counts().items() for o, n in options.items()}
    fresh = Counter(pair for pairs in facets.memberships().values() for pair in pairs)
    rows = set(CardFacet.objects.values_list("card", "facet", "option"))
    expected_rows = {(c, f, o) for c, pairs in facets.memberships().items() for f, o in pairs}
    return stored, dict(fresh), rows, expected_rows


def test_kept_counts_follow_every_publication_step(db, editor, other_editor):
    """Publish, retract, a revision that changes topics and sources, an editor's change to a
    cited source's outlet: after each, the kept counts equal a count made afresh."""
    from .factories import CitationFactory, FactCardFactory, SourceFactory, TopicFactory

    call_command("load_demo", verbosity=0)

    def same():
        stored, fresh, rows, expected_rows = kept()
        assert stored == fresh
        assert rows == expected_rows

    same()
    card = FactCardFactory(citations=0, kind="figure")
    CitationFactory(card=card, source=SourceFactory(outlet="Agence Nouvelle"))
    card.topics.set(
        [TopicFactory(slug="new-topic")],
    )
    card.submit(card.created_by)
    card.publish(editor)
    same()
    assert matching({"outlet": "Agence Nouvelle"}).facets()["outlet"]["Agence Nouvelle"] == 1

    revision = FactCard.objects.get(pk=card.pk).start_revision(editor)
    revision.topics.set([TopicFactory(slug="other-topic")])
    CitationFactory(card=revision, source=SourceFactory(outlet="", byline="Wire Service"))
    revision.submit(editor)
    revision.publish(other_editor)
    same()
    assert (
        FactCardFilter({}, queryset=FactCard.objects.published())
        .facets()["topic"]
        .get("new-topic", 0)
        == 0
    )

    source = card.citations.first().source
    source.outlet = "Agence Renommée"
    source.save(by=editor)
    same()

    FactCard.objects.get(pk=card.pk).retract(other_editor, "Withdrawn.")
    same()
    assert (
        "Wire Service"
        not in FactCardFilter({}, queryset=FactCard.objects.none()).kept_counts["outlet"]
    )
