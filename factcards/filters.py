"""The one FilterSet behind the public list (and, later, the JSON API): never filter twice."""

import django_filters
import django_filters.fields
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from . import search
from .models import CardFacet, Citation, FactCard, Place, Topic, cached_by_publication, facets

FACETS = ["kind", "topic", "place", "outlet"]

SORTS = [
    ("relevance", _("Best match")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("sourced", _("Most sourced")),
]


def tag_choices(model, used):
    """(slug, name) of the topics or places that published cards carry (`used`: slugs)."""
    return list(model.objects.filter(slug__in=list(used)).values_list("slug", "name"))


class OpenChoiceField(django_filters.fields.ChoiceField):
    """Radio choices that also accept a name no published card carries any more: an old
    shared link then shows "no cards", not an error. Not a NUL, which no name has and
    PostgreSQL refuses in a query (a 500, as the API's schema test found)."""

    default_validators = [ProhibitNullCharactersValidator()]

    def valid_value(self, value):
        return "\x00" not in str(value)  # PostgreSQL text can't hold it: an error, not a 500


class OpenChoiceFilter(django_filters.ChoiceFilter):
    field_class = OpenChoiceField


FLAG_WORDS = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}


class FlagCheckbox(forms.CheckboxInput):
    """A checkbox ("on", as a browser sends it), or true/false/1/0 as an API client writes
    it. Any other word reaches the field as written (a plain checkbox reads it as ticked)."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if value in (None, ""):
            return None
        return FLAG_WORDS.get(value.lower(), value) if isinstance(value, str) else bool(value)


class FlagField(forms.NullBooleanField):
    widget = FlagCheckbox

    def to_python(self, value):
        if isinstance(value, str):
            raise forms.ValidationError(_("Give true or false."), code="invalid")
        return value


class FlagFilter(django_filters.BooleanFilter):
    field_class = FlagField


def cites(**source_lookup):
    """An Exists() that is true for cards with a citation matching the lookup."""
    return Exists(Citation.objects.filter(card=OuterRef("pk"), **source_lookup))


class FactCardFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("peacekeepers, 2025…"), "autocomplete": "off"}
        ),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        choices=FactCard.Kind.choices,
        empty_label=_("All kinds"),
        widget=forms.RadioSelect,
    )
    topic = OpenChoiceFilter(
        field_name="topics__slug",
        label=_("Topic"),
        choices=[],
        empty_label=_("All topics"),
        widget=forms.RadioSelect,
    )
    place = OpenChoiceFilter(
        field_name="places__slug",
        label=_("Place"),
        choices=[],
        empty_label=_("All places"),
        widget=forms.RadioSelect,
    )
    outlet = OpenChoiceFilter(
        label=_("Outlet or agency"),
        method="by_outlet",
        choices=[],
        empty_label=_("All outlets"),
        widget=forms.RadioSelect,
    )
    date_from = django_filters.DateFilter(
        label=_("Fact dated from"),
        method="dated_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("to"),
        field_name="value_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    disagree = FlagFilter(label=_("Only where sources disagree"), method="with_disagreement")
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
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
                "topic": tag_choices(Topic, self.kept_counts["topic"]),
                "place": tag_choices(Place, self.kept_counts["place"]),
                "outlet": [(name, name) for name in sorted(self.kept_counts["outlet"])],
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

    def chosen(self, leaving_out=None):
        """The filters that narrow the list (the sort does not), less one facet's own."""
        data = dict(self.form.cleaned_data)
        data.pop("sort", None)
        data.pop(leaving_out, None)
        return {name: value for name, value in data.items() if value not in (None, "", False)}

    def facet_base(self, facet):
        return self.narrow(self.base, self.chosen(leaving_out=facet)).order_by().values("pk")

    @cached_property
    def kept_counts(self):
        """Each option's published cards, as kept at every publication (one read)."""
        return facets.kept_counts()

    def published_total(self):
        """How many cards the unfiltered list has: kept with the facets, no count needed."""
        return sum(self.kept_counts["kind"].values())

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
        choosing each gives. Where nothing but the facet itself is chosen, the counts kept
        at each publication; otherwise one grouped query a facet: over the kept facets of
        the published cards alone where every other choice is a facet (an index read per
        card), else over the facets of the cards the other filters let through."""
        self.qs  # noqa: B018 - filters the queryset and keeps the facets' bases
        counts = {}
        for facet in FACETS:
            pairs = self.facet_pairs(leaving_out=facet)
            if pairs == []:
                options, total = self.kept_counts[facet], self.published_total()
            elif pairs is not None:
                options = counted_options(cards_with(pairs, facet=facet))
                total = self.total_with(pairs)
            else:
                base = self.facet_base(facet)
                options = counted_options(CardFacet.objects.filter(facet=facet, card__in=base))
                total = FactCard.objects.filter(pk__in=base).count()
            counts[facet] = {"": total, **options}
        return counts

    def facet_pairs(self, leaving_out=None):
        """The chosen filters as (facet, option) pairs, less one facet's own; None where a
        filter that is no facet (a search, a date) is chosen too."""
        pairs = []
        for name, value in sorted(self.chosen(leaving_out=leaving_out).items()):
            if name == "disagree":
                pairs.append(("disagree", "on"))
            elif name in FACETS:
                pairs.append((name, value))
            else:
                return None
        return pairs

    def total_with(self, pairs):
        """How many published cards count for every pair: kept for one, else counted."""
        if len(pairs) == 1:
            facet, option = pairs[0]
            return self.kept_counts[facet].get(option, 0)
        return cards_with(pairs, facet="kind").count()  # every card has one kind

    def matching_total(self):
        """How many cards the filtered list has, where the kept facets can say (None where
        a search or a date is chosen: the list's own query counts then)."""
        pairs = self.facet_pairs()
        if pairs is None:
            return None
        return self.total_with(pairs) if pairs else self.published_total()


def cards_with(pairs, facet):
    """The `facet` rows of the published cards that count for every (facet, option) pair."""
    rows = CardFacet.objects.filter(facet=facet)
    for chosen, option in pairs:
        rows = rows.filter(
            card__in=CardFacet.objects.filter(facet=chosen, option=option).values("card")
        )
    return rows


def counted_options(rows):
    return dict(rows.values_list("option").annotate(n=Count("pk")).order_by())
