"""The API's views: published cards through the list's own FilterSet, cards on record by
slug, and the sources those cite. Read-only: every other method is a 405."""

from django.db.models import Prefetch
from django.http import JsonResponse
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from .. import reading
from ..filters import FactCardFilter
from ..languages import SPOKEN
from ..models import Citation, FactCard, Source, cached_by_publication
from ..views import filtered_by
from .pagination import KeysetCursorPagination
from .serializers import CardSerializer, SourceSerializer

INCLUDE_RETRACTED = "include_retracted"


class StrictParameters:
    """An unknown query parameter is a 400 naming it (a typo is not silently ignored)."""

    def known_parameters(self):
        return {"cursor", "page_size"}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        known = self.known_parameters() | {"lang"}  # every endpoint speaks ?lang=
        asked = request.query_params.get("lang")
        if asked is not None and asked not in SPOKEN:
            spoken = ", ".join(sorted(SPOKEN))
            raise ValidationError({"lang": [f"Unknown language. This API speaks: {spoken}."]})
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            hint = (
                "The API pages with `cursor`: follow each page's `next` link."
                if {"page", "more"} & set(unknown)
                else f"This endpoint takes: {', '.join(sorted(known)) or 'no parameters'}."
            )
            raise ValidationError({name: [f"Unknown parameter. {hint}"] for name in unknown})


class PerPublication:
    """Answers kept until the next publication, per URL (host and scheme shape the links
    inside), as the public pages are: never stale, and a warm answer costs one query."""

    def get(self, request, *args, **kwargs):
        key = f"api:{filtered_by(request.build_absolute_uri())}"
        parent = super()
        data = cached_by_publication(
            key, lambda: parent.get(request, *args, **kwargs).data, request
        )
        return Response(data)


PARAMETER_ERRORS = OpenApiResponse(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": {"date_from": ["Enter a valid date."]},
    },
    description="A parameter could not be read: each one named, with what is wrong.",
)
DETAIL = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
ERRORS = {
    400: PARAMETER_ERRORS,
    429: OpenApiResponse(DETAIL, description="Too many requests from this client: wait."),
}


LANG = OpenApiParameter(
    "lang",
    str,
    enum=sorted(SPOKEN),
    description="The language of the answer's words (default en): a card's statement, "
    "context and value_note are its published translation where one exists (see "
    "`translation`); the values, dates and excerpts stay as sourced.",
)


def public_cards():
    return FactCard.objects.with_sources().prefetch_related("topics", "places")


@extend_schema_view(
    get=extend_schema(
        summary="Published cards, filtered as the public list filters them",
        responses={200: CardSerializer(many=True), **ERRORS},
        parameters=[
            LANG,
            OpenApiParameter(
                "outlet",
                str,
                description="Outlet or agency: cards citing a source it published (its "
                "outlet or its agency byline), exactly as named.",
            ),
            OpenApiParameter(
                INCLUDE_RETRACTED,
                bool,
                description="Also list retracted cards (flagged `retracted`, with their "
                "notice). The public list at / leaves them out, and so does this by default.",
            ),
        ],
    )
)
class CardList(StrictParameters, PerPublication, generics.ListAPIView):
    """The cards the public list at / shows for the same query string, in the same order,
    with the same filters (one FilterSet serves both). Unknown parameters are a 400."""

    serializer_class = CardSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = FactCardFilter
    pagination_class = KeysetCursorPagination

    def known_parameters(self):
        return {*super().known_parameters(), *FactCardFilter.base_filters, INCLUDE_RETRACTED}

    def paginate_queryset(self, queryset):
        return reading.in_readers_language(super().paginate_queryset(queryset))

    def get_queryset(self):
        cards = public_cards()
        text = self.request.query_params.get(INCLUDE_RETRACTED)
        if text is None or text.lower() in {"false", "0", ""}:
            return cards.published()
        if text.lower() in {"true", "1"}:
            return cards.on_record()
        raise ValidationError({INCLUDE_RETRACTED: ["Give true or false."]})


@extend_schema_view(
    get=extend_schema(
        summary="One card on record (published or retracted)",
        parameters=[LANG],
        responses={
            200: CardSerializer,
            404: OpenApiResponse(DETAIL, description="No card on record at this slug."),
            **ERRORS,
        },
    )
)
class CardDetail(StrictParameters, PerPublication, generics.RetrieveAPIView):
    """A card on record by its slug: published, or retracted (flagged, with its notice).
    Drafts, cards in review and pending revisions are a 404."""

    serializer_class = CardSerializer
    lookup_field = "slug"
    queryset = public_cards().on_record()

    def known_parameters(self):
        return set()

    def get_object(self):
        card = self.get_queryset().filter(slug=self.kwargs["slug"]).first()
        if card is None:
            raise NotFound("No card on record at this address.")
        return reading.in_readers_language([card])[0]


@extend_schema_view(
    get=extend_schema(
        summary="Sources cited by cards on record",
        parameters=[LANG],
        responses={200: SourceSerializer(many=True), **ERRORS},
    )
)
class SourceList(StrictParameters, PerPublication, generics.ListAPIView):
    """The sources cards on record cite, oldest first, each with the cards on record citing
    it (a source cited only by drafts is not listed)."""

    serializer_class = SourceSerializer
    pagination_class = KeysetCursorPagination

    def get_queryset(self):
        # A source cited only by drafts is nobody's business yet.
        public = Citation.objects.filter(card__in=FactCard.objects.on_record())
        citing = Prefetch(
            "citations",
            queryset=public.select_related("card").order_by("-card__published_at", "card_id"),
            to_attr="public_citations",
        )
        return (
            Source.objects.filter(pk__in=public.values("source"))
            .prefetch_related(citing)
            .order_by("pk")
        )


def not_found(request, exception=None):
    """handler404 for /api/: an address no endpoint answers (a slug with characters no slug
    has, say) is JSON, as every other API answer; elsewhere Django's own page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "No such address in the API."}, status=404)
    return defaults.page_not_found(request, exception)
