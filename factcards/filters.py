"""The one FilterSet behind the public list (and, later, the JSON API): never filter twice."""

import django_filters
import django_filters.fields
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from . import search
from .models import Citation, FactCard, Place, Source, Topic, cached_by_publication

FACETS = ["kind", "topic", "place", "outlet"]

SORTS = [
    ("relevance", "Best match"),
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("sourced", "Most sourced"),
]


def tag_choices(model):
    """(slug, name) of the topics or places that published cards carry."""
    on_record = FactCard.topics.through if model is Topic else FactCard.places.through
    column = on_record._meta.get_field(model.__name__.lower()).attname
    used = on_record.objects.filter(factcard__status="published").values(column)
    return list(model.objects.filter(pk__in=used).values_list("slug", "name"))


def outlet_choices():
    """Outlets and news agencies named by sources of published cards."""
    cited = Citation.objects.filter(card__status="published").values("source")
    pairs = Source.objects.filter(pk__in=cited).order_by().values_list("outlet", "byline")
    names = {name for pair in pairs.distinct() for name in pair if name}
    return [(name, name) for name in sorted(names)]


class OpenChoiceField(django_filters.fields.ChoiceField):
    """Radio choices that also accept a name no published card carries any more: an old
    shared link then shows "no cards", not an error. Not a NUL, which no name has and
    PostgreSQL refuses in a query (a 500, as the API's schema test found)."""

    default_validators = [ProhibitNullCharactersValidator()]

    def valid_value(self, value):
        return True


class OpenChoiceFilter(django_filters.ChoiceFilter):
    field_class = OpenChoiceField


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
    topic = OpenChoiceFilter(
        field_name="topics__slug",
        label="Topic",
        choices=[],
        empty_label="All topics",
        widget=forms.RadioSelect,
    )
    place = OpenChoiceFilter(
        field_name="places__slug",
        label="Place",
        choices=[],
        empty_label="All places",
        widget=forms.RadioSelect,
    )
    outlet = OpenChoiceFilter(
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
        # What published cards carry changes only with a publication: read it once then.
        choices = cached_by_publication(
            "choices",
            lambda: {
                "topic": tag_choices(Topic),
                "place": tag_choices(Place),
                "outlet": outlet_choices(),
            },
            self.request,
        )
        for name, options in choices.items():
            self.filters[name].extra["choices"] = options

    def filter_queryset(self, queryset):
        """Filter, then order. Keeps what the facets count: for each facet, the cards that
        every other filter lets through (its own choice left out), so that each option's
        count says how many cards choosing it gives."""
        data = dict(self.form.cleaned_data)
        sort = data.pop("sort", None)
        self.base = queryset
        matches = self.narrow(queryset, data)
        return self.filters["sort"].filter(matches, sort)

    def narrow(self, queryset, data):
        for name, value in data.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def facet_base(self, facet):
        data = dict(self.form.cleaned_data)
        data.pop("sort", None)
        data.pop(facet, None)
        return self.narrow(self.base, data).order_by().values("pk")

    def search(self, queryset, name, value):
        """Every word (or a word it begins) in the statement, value, context or an excerpt;
        best matches first unless another order is chosen."""
        return search.matching(queryset, value)

    def by_outlet(self, queryset, name, value: str):  # the hint types it in the API schema
        return queryset.filter(cites(source__outlet=value) | cites(source__byline=value))

    def dated_from(self, queryset, name, value):
        # A period counts when any part of it is on or after the date.
        return queryset.filter(Q(value_date__gte=value) | Q(value_date_end__gte=value))

    def with_disagreement(self, queryset, name, value):
        return queryset.filter(cites(relation=Citation.Relation.DIFFERS)) if value else queryset

    def sort_by(self, queryset, name, value):
        text = self.form.cleaned_data.get("q") or ""
        if value == "relevance" and search.words_of(text):
            return search.by_relevance(queryset, text)
        if value == "oldest":
            return queryset.order_by("published_at", "pk")
        if value == "sourced":
            return queryset.annotate(n_citations=Count("citations")).order_by(
                "-n_citations", "-published_at", "-pk"
            )
        return queryset.order_by("-published_at", "-pk")

    def facets(self):
        """{facet: {option: cards}}, with "" for all options of the facet: how many cards
        choosing each gives. A fixed number of grouped queries, however many options."""
        self.qs  # noqa: B018 - filters the queryset and keeps the facets' bases
        kinds = dict(
            FactCard.objects.filter(pk__in=self.facet_base("kind"))
            .order_by()
            .values_list("kind")
            .annotate(n=Count("pk"))
        )
        counts = {"kind": {"": sum(kinds.values()), **kinds}}
        for facet in ("topic", "place"):
            base = self.facet_base(facet)
            link = getattr(FactCard, f"{facet}s").through
            tagged = dict(
                link.objects.filter(factcard__in=base)
                .values_list(f"{facet}__slug")
                .annotate(n=Count("factcard"))
                .order_by()
            )
            counts[facet] = {"": FactCard.objects.filter(pk__in=base).count(), **tagged}
        base = self.facet_base("outlet")
        counts["outlet"] = {
            "": FactCard.objects.filter(pk__in=base).count(),
            **outlet_counts(base),
        }
        return counts


def outlet_counts(card_ids):
    """{name: cards} for every outlet or agency the cards cite, in one grouped query: a name
    may be one source's outlet and another's agency byline, and a card citing both counts
    once."""
    cards_sql, params = card_ids.query.sql_with_params()
    named = (
        "SELECT c.card_id, s.{column} AS name FROM factcards_citation c "
        "JOIN factcards_source s ON s.id = c.source_id "
        f"WHERE c.card_id IN ({cards_sql}) AND s.{{column}} <> ''"
    )
    sql = (
        f"SELECT name, COUNT(DISTINCT card_id) FROM ({named.format(column='outlet')} "
        f"UNION {named.format(column='byline')}) named GROUP BY name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params])
        return dict(cursor.fetchall())
