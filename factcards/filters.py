"""The one FilterSet behind the public list (and, later, the JSON API): never filter twice."""

import django_filters
from django import forms
from django.db.models import Count, Exists, OuterRef, Q

from .models import Citation, FactCard, Place, Source, Topic

SORTS = [("newest", "Newest first"), ("oldest", "Oldest first"), ("sourced", "Most sourced")]


def tag_choices(model):
    """(slug, name) of the topics or places that published cards carry."""
    return list(
        model.objects.filter(cards__status="published").distinct().values_list("slug", "name")
    )


def outlet_choices():
    """Outlets and news agencies named by sources of published cards."""
    pairs = (
        Source.objects.filter(citations__card__status="published")
        .order_by()  # the default ordering would make DISTINCT include published_on
        .values_list("outlet", "byline")
        .distinct()
    )
    names = {name for pair in pairs for name in pair if name}
    return [(name, name) for name in sorted(names)]


def cites(**source_lookup):
    """An Exists() that is true for cards with a citation matching the lookup."""
    return Exists(Citation.objects.filter(card=OuterRef("pk"), **source_lookup))


class FactCardFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "peacekeepers, 2025…", "autocomplete": "off"}
        ),
    )
    kind = django_filters.ChoiceFilter(
        choices=FactCard.Kind.choices, empty_label="All kinds", widget=forms.RadioSelect
    )
    topic = django_filters.ChoiceFilter(
        field_name="topics__slug",
        label="Topic",
        choices=[],
        empty_label="All topics",
        widget=forms.RadioSelect,
    )
    place = django_filters.ChoiceFilter(
        field_name="places__slug",
        label="Place",
        choices=[],
        empty_label="All places",
        widget=forms.RadioSelect,
    )
    outlet = django_filters.ChoiceFilter(
        label="Outlet or agency",
        method="by_outlet",
        choices=[],
        empty_label="All outlets",
        widget=forms.RadioSelect,
    )
    date_from = django_filters.DateFilter(
        label="Fact dated from",
        method="dated_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label="to",
        field_name="value_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    disagree = django_filters.BooleanFilter(
        label="Only where sources disagree",
        method="with_disagreement",
        widget=forms.CheckboxInput,
    )
    sort = django_filters.ChoiceFilter(
        label="Sort",
        choices=SORTS,
        method="sort_by",
        empty_label=None,
        widget=forms.Select,
    )

    class Meta:
        model = FactCard
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read the choices once per request (a callable would be queried at every use).
        self.filters["topic"].extra["choices"] = tag_choices(Topic)
        self.filters["place"].extra["choices"] = tag_choices(Place)
        self.filters["outlet"].extra["choices"] = outlet_choices()

    def search(self, queryset, name, value):
        """Every word must appear in the statement, the context or an excerpt."""
        for word in value.split()[:20]:
            queryset = queryset.filter(
                Q(statement__icontains=word)
                | Q(context__icontains=word)
                | cites(excerpt__icontains=word)
            )
        return queryset

    def by_outlet(self, queryset, name, value):
        return queryset.filter(cites(source__outlet=value) | cites(source__byline=value))

    def dated_from(self, queryset, name, value):
        # A period counts when any part of it is on or after the date.
        return queryset.filter(Q(value_date__gte=value) | Q(value_date_end__gte=value))

    def with_disagreement(self, queryset, name, value):
        return queryset.filter(cites(relation=Citation.Relation.DIFFERS)) if value else queryset

    def sort_by(self, queryset, name, value):
        if value == "oldest":
            return queryset.order_by("published_at", "pk")
        if value == "sourced":
            return queryset.annotate(n_citations=Count("citations")).order_by(
                "-n_citations", "-published_at", "-pk"
            )
        return queryset.order_by("-published_at", "-pk")

    def facets(self, cards):
        """How many of `cards` fall under each kind, topic and outlet choice."""
        card_ids = cards.order_by().values("pk")
        # A plain queryset over the same cards: sort annotations would get in the way.
        cards = FactCard.objects.filter(pk__in=card_ids)
        kinds = dict(cards.values_list("kind").annotate(n=Count("pk")))
        topics = dict(
            Topic.objects.filter(cards__in=card_ids).values_list("slug").annotate(n=Count("cards"))
        )
        places = dict(
            Place.objects.filter(cards__in=card_ids).values_list("slug").annotate(n=Count("cards"))
        )
        # One conditional count per outlet, in a single query: a name may be one source's
        # outlet and another's agency byline, and a card citing both counts once.
        names = [value for value, _ in self.form.fields["outlet"].choices if value]
        counts = (
            cards.aggregate(
                **{
                    f"outlet_{i}": Count(
                        "pk", filter=cites(source__outlet=name) | cites(source__byline=name)
                    )
                    for i, name in enumerate(names)
                }
            )
            if names
            else {}
        )
        outlets = {name: counts[f"outlet_{i}"] for i, name in enumerate(names)}
        return {
            "kind": kinds,
            "topic": topics,
            "place": places,
            "outlet": outlets,
        }
