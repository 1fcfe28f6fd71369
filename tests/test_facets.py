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
