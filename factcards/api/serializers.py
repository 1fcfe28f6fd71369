"""How the API shows cards and sources: the fields as stored, and the card's own reading of
them (display value, source credits, retraction notice), never formatted a second time."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import reading
from ..models import CONTENT_FIELDS, Citation, Correction, FactCard, Source


class TagSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class SourceSummarySerializer(serializers.ModelSerializer):
    url = serializers.CharField(help_text="The source's own link; empty when not known.")
    credit = serializers.CharField(help_text="Who published it, as a reader sees it.")

    class Meta:
        model = Source
        fields = ["id", "title", "outlet", "byline", "credit", "url", "published_on"]


class CitationSerializer(serializers.ModelSerializer):
    source = SourceSummarySerializer()

    class Meta:
        model = Citation
        fields = ["excerpt", "relation", "stated_value", "locator", "source"]


class CorrectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Correction
        fields = ["kind", "note", "created_at"]


class CardSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The card's page on this site.")
    display_value = serializers.CharField(help_text="The typed value as readers read it.")
    value = serializers.DecimalField(
        max_digits=20, decimal_places=4, normalize_output=True, allow_null=True
    )
    topics = TagSerializer(many=True)
    places = TagSerializer(many=True)
    retracted = serializers.SerializerMethodField()
    retraction_notice = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(
        source="last_updated", help_text="When a revision was last published (else published_at)."
    )
    source_summary = serializers.SerializerMethodField(
        help_text="The sources in a line: '3 sources: The Moscow Times, AFP and …'."
    )
    citations = CitationSerializer(many=True)
    corrections = CorrectionSerializer(many=True)
    translation = serializers.SerializerMethodField(
        help_text="Null for the card in its own words (English). With ?lang=ru or ?lang=fr, "
        "where editors published a translation of the card's current words: its statement, "
        "context and value_note are that translation (value, dates and excerpts stay as "
        "sourced), and this says so."
    )

    class Meta:
        model = FactCard
        fields = [
            "url",
            "display_value",
            *CONTENT_FIELDS,  # what the card says, as the desk's form names it
            "topics",
            "places",
            "status",
            "retracted",
            "retraction_notice",
            "published_at",
            "updated_at",
            "source_summary",
            "citations",
            "corrections",
            "translation",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, card):
        return self.context["request"].build_absolute_uri(card.get_absolute_url())

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "language": {"type": "string"},
                "translated_from": {"type": "string"},
                "reviewed": {"type": "boolean"},
                "published_at": {"type": "string", "format": "date-time"},
            },
        }
    )
    def get_translation(self, card):
        shown = getattr(card, "translation", None)
        if shown is None:
            return None
        return {
            "language": shown.language,
            "translated_from": "en",
            "reviewed": True,  # published only through four-eyes review
            "published_at": shown.published_at.isoformat() if shown.published_at else None,
        }

    def get_retracted(self, card) -> bool:
        return card.is_retracted

    @extend_schema_field({"type": "string", "nullable": True})
    def get_retraction_notice(self, card):
        """The public note of a retracted card; null for a card that is not retracted."""
        return reading.retraction_notice(card)

    def get_source_summary(self, card) -> str:
        return reading.source_summary(card)


class CitingCardSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()
    retracted = serializers.SerializerMethodField()

    class Meta:
        model = FactCard
        fields = ["slug", "url", "api_url", "statement", "retracted"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, card):
        return self.context["request"].build_absolute_uri(card.get_absolute_url())

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, card):
        return self.context["request"].build_absolute_uri(
            reverse("api:card_detail", args=[card.slug])
        )

    def get_retracted(self, card) -> bool:
        return card.is_retracted


class SourceSerializer(serializers.ModelSerializer):
    url = serializers.CharField(help_text="The source's own link; empty when not known.")
    archive_url = serializers.CharField()
    credit = serializers.CharField(help_text="Who published it, as a reader sees it.")
    cards = serializers.SerializerMethodField(help_text="The cards on record that cite it.")

    class Meta:
        model = Source
        fields = [
            "id",
            "title",
            "outlet",
            "byline",
            "credit",
            "url",
            "archive_url",
            "published_on",
            "language",
            "cards",
        ]

    @extend_schema_field(CitingCardSerializer(many=True))
    def get_cards(self, source):
        cards = {c.card_id: c.card for c in source.public_citations}
        return CitingCardSerializer(list(cards.values()), many=True, context=self.context).data
