"""Cards in and out as JSON Lines: one card a line, with its topics, places, citations (each
with its source) and corrections. export_cards writes it, import_cards reads it; the admin's
CSV export of a changelist is here too.

What a line holds is what a card says (CONTENT_FIELDS) and what it cites. The workflow's
fields (status, published_at, revised_at, created_by, published_by) are written for the
reader of the file; an import ignores them: imported cards are drafts of the importing user.
"""

import csv
import json
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import reading
from .models import (
    CONTENT_FIELDS,
    Citation,
    Correction,
    FactCard,
    Place,
    Source,
    Topic,
    WebURLField,
    web_url,
)
from .models.sources import SOURCE_FIELDS

CITATION_FIELDS = ["excerpt", "locator", "relation", "stated_value", "position"]
CORRECTION_FIELDS = ["kind", "note", "changed", "created_at"]
# Written for whoever reads an export; an import leaves them to the workflow.
WORKFLOW_KEYS = ["status", "published_at", "revised_at", "created_by", "published_by"]


# --- out ----------------------------------------------------------------------------------


def cards_to_export(statuses):
    """The cards with these statuses (never pending revisions: they belong to their card),
    in a stable order, with everything a line holds prefetched."""
    return (
        FactCard.objects.filter(status__in=statuses, revision_of__isnull=True)
        .select_related("created_by", "published_by")
        .prefetch_related("topics", "places", "citations__source", "corrections")
        .order_by("slug")
    )


def card_line(card):
    """One card as a JSON object (a dict, keys in a fixed order)."""
    data = {name: plain(getattr(card, name)) for name in CONTENT_FIELDS}
    data["topics"] = [{"slug": t.slug, "name": t.name} for t in card.topics.all()]
    data["places"] = [{"slug": p.slug, "name": p.name} for p in card.places.all()]
    data["citations"] = [
        {
            **{name: plain(getattr(citation, name)) for name in CITATION_FIELDS},
            "source": {name: plain(getattr(citation.source, name)) for name in SOURCE_FIELDS},
        }
        for citation in card.citations.all()
    ]
    data["corrections"] = [
        {name: plain(getattr(c, name)) for name in CORRECTION_FIELDS}
        for c in sorted(card.corrections.all(), key=lambda c: (c.created_at, c.pk))
    ]
    data.update(
        status=card.status,
        published_at=plain(card.published_at),
        revised_at=plain(card.revised_at),
        created_by=card.created_by.get_username(),
        published_by=card.published_by.get_username() if card.published_by else None,
    )
    return data


def plain(value):
    """A field's value as JSON has it: dates in ISO 8601, numbers exactly (as text)."""
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return f"{value.normalize():f}"  # Decimal: 1960.0000 → "1960"


def dump_line(card):
    return json.dumps(card_line(card), ensure_ascii=False)


# --- in -----------------------------------------------------------------------------------


class TagIn(serializers.Serializer):
    slug = serializers.SlugField(max_length=120)
    name = serializers.CharField(max_length=120, trim_whitespace=False)


class Exactly(serializers.ModelSerializer):
    """Text as the file has it: DRF trims spaces by default, and a source's full text (which
    excerpts are checked against) or a quotation must arrive as it left."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, WebURLField):
            # DRF swaps the field's validator for its own, which lets ftp: through.
            field_class, kwargs["validators"] = serializers.CharField, [web_url]
        if issubclass(field_class, serializers.CharField):
            kwargs["trim_whitespace"] = False
        return field_class, kwargs


class SourceIn(Exactly):
    class Meta:
        model = Source
        fields = SOURCE_FIELDS


class CitationIn(Exactly):
    source = SourceIn()

    class Meta:
        model = Citation
        fields = [*CITATION_FIELDS, "source"]


class CorrectionIn(Exactly):
    class Meta:
        model = Correction
        fields = CORRECTION_FIELDS
        extra_kwargs = {"created_at": {"required": True}}

    def validate_created_at(self, value):
        if value > timezone.now():
            raise serializers.ValidationError(gettext("A correction can't be dated in the future."))
        return value


class CardIn(Exactly):
    """What an import reads of a line: the model's own fields and rules (lengths, choices,
    links), the slug required (it is how a second import knows the card is here)."""

    topics = TagIn(many=True, required=False)
    places = TagIn(many=True, required=False)
    citations = CitationIn(many=True, required=False)
    corrections = CorrectionIn(many=True, required=False)

    class Meta:
        model = FactCard
        fields = [*CONTENT_FIELDS, "topics", "places", "citations", "corrections"]
        # Unique, but a card already here is skipped (idempotent), not an error.
        extra_kwargs = {"slug": {"required": True, "allow_null": False, "validators": []}}


KNOWN_KEYS = {*CardIn.Meta.fields, *WORKFLOW_KEYS}


class ImportErrors(Exception):
    def __init__(self, messages):
        super().__init__(f"{len(messages)} problems")
        self.messages = messages


class AddedMeanwhile(Exception):
    """The card's slug was free when checked, taken when written: another import (or an
    editor) committed it in between."""

    def __init__(self, slug):
        super().__init__(slug)
        self.slug = slug


RUN_AGAIN = _("nothing was imported: run it again, and the cards already there are skipped")


def read_lines(lines):
    """(line number, the card's validated data, or its problems as messages) for each
    non-blank line."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except ValueError as error:
            yield number, None, [gettext("not JSON: %(error)s") % {"error": error}]
            continue
        except RecursionError:  # the parser's own limit: a card is a few levels deep
            yield number, None, [gettext("not a card: its JSON is nested too deeply")]
            continue
        if not isinstance(data, dict):
            yield number, None, [gettext("a line must be a JSON object: one card")]
            continue
        unknown = sorted(set(data) - KNOWN_KEYS)
        if unknown:
            fields = ", ".join(unknown)
            yield number, None, [gettext("%(fields)s: unknown field") % {"fields": fields}]
            continue
        card = CardIn(data=data)
        if card.is_valid():
            yield number, card.validated_data, []
        else:
            yield number, None, flatten(card.errors)


def flatten(errors, prefix=""):
    """DRF's nested errors as 'citations[0].source.url: Enter a valid URL.' lines."""
    if isinstance(errors, dict):
        return [
            line
            for key, value in errors.items()
            for line in flatten(
                value,
                f"{prefix}[{key}]"
                if isinstance(key, int)
                else f"{prefix}.{key}"
                if prefix
                else key,
            )
        ]
    if isinstance(errors, list) and any(isinstance(e, (dict, list)) for e in errors):
        return [line for i, e in enumerate(errors) for line in flatten(e, f"{prefix}[{i}]")]
    messages = errors if isinstance(errors, list) else [errors]
    where = prefix if prefix not in ("", "non_field_errors") else "card"
    return [f"{where}: {message}" for message in messages if message]


class Importer:
    """Writes validated lines as drafts of `user`, through the models' own saves (author
    rules, history, search text): one transaction, all or nothing."""

    def __init__(self, user):
        self.user = user
        self.added, self.present = [], []
        self.sources_added = self.sources_matched = 0

    def write(self, numbered):
        """Write every (number, data) line; ImportErrors (nothing written) if any fails."""
        problems = []
        with transaction.atomic():
            for number, data in numbered:
                # Whatever its case: a slug differing only in capitals is the same address.
                if FactCard.objects.filter(slug__iexact=data["slug"]).exists():
                    self.present.append(data["slug"])
                    continue
                try:
                    with transaction.atomic():
                        self.write_card(data)
                    self.added.append(data["slug"])
                except ValidationError as error:  # the models' rules, workflow's included
                    problems += [
                        gettext("line %(number)s: %(problem)s") % {"number": number, "problem": m}
                        for m in model_errors(error)
                    ]
                except AddedMeanwhile as race:
                    problems.append(
                        gettext(
                            "line %(number)s: a card with the slug %(slug)s was added while this "
                            "import ran (another import?); %(run_again)s"
                        )
                        % {"number": number, "slug": race.slug, "run_again": RUN_AGAIN}
                    )
                except IntegrityError:  # a topic, place or source, by the same race
                    problems.append(
                        gettext(
                            "line %(number)s: a topic, place or source of this card was added "
                            "while this import ran (another import?); %(run_again)s"
                        )
                        % {"number": number, "run_again": RUN_AGAIN}
                    )
            if problems:
                transaction.set_rollback(True)
        if problems:
            raise ImportErrors(problems)

    def write_card(self, data):
        user = self.user
        fields = {name: data[name] for name in CONTENT_FIELDS if name in data}
        card = FactCard(**fields, created_by=user)
        card.full_clean()
        try:
            card.save(by=user)
        except IntegrityError as error:  # clean a moment ago: most likely a rival took the slug
            raise AddedMeanwhile(card.slug) from error
        card.changed_by = user  # the author of its tags and citations too
        card.topics.set([tag(Topic, t) for t in data.get("topics", [])])
        card.places.set([tag(Place, p) for p in data.get("places", [])])
        for position, cited in enumerate(data.get("citations", [])):
            try:
                citation = Citation(
                    card=card,
                    source=self.source(cited["source"]),
                    **{name: cited[name] for name in CITATION_FIELDS if name in cited},
                )
                if "position" not in cited:
                    citation.position = position
                citation.full_clean()
            except ValidationError as error:
                raise prefixed(error, f"citations[{position}]") from None
            citation.save(by=user)
        for correction in data.get("corrections", []):
            Correction(card=card, created_by=user, **correction).save()

    def source(self, fields):
        """The source already here that this one duplicates (same link, or same headline
        and outlet), else a new one by the importing user."""
        candidate = Source(**fields)
        existing = candidate.duplicates().order_by("pk").first()
        if existing:
            self.sources_matched += 1
            return existing
        try:
            candidate.full_clean()
        except ValidationError as error:
            raise prefixed(error, "source") from None
        candidate.save(by=self.user)
        self.sources_added += 1
        return candidate


def tag(model, data):
    """The topic or place with this slug (or, failing that, this name), else a new one."""
    found = model.objects.filter(slug=data["slug"]).first()
    found = found or model.objects.filter(name__iexact=data["name"]).first()
    return found or model.objects.create(slug=data["slug"], name=data["name"])


def model_errors(error):
    if hasattr(error, "message_dict"):
        return [f"{field}: {m}" for field, ms in error.message_dict.items() for m in ms]
    return [f"card: {m}" for m in error.messages]


def prefixed(error, prefix):
    """A model's ValidationError with its fields named under `prefix`."""
    if hasattr(error, "message_dict"):
        return ValidationError(
            {f"{prefix}.{field}": messages for field, messages in error.message_dict.items()}
        )
    return ValidationError({prefix: error.messages})


# --- the admin's CSV ------------------------------------------------------------------------

CSV_COLUMNS = [
    "slug",
    "statement",
    "kind",
    "value",
    "status",
    "outlets",
    "published",
    "url",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_csv(cards, out, absolute_url):
    """The newsroom's spreadsheet of these cards: one row each, the value as readers read it,
    the public URL for cards on record. A UTF-8 mark first, so Excel reads the accents."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for card in cards:
        on_record = card.status in ("published", "retracted") and not card.is_revision
        row = [
            card.slug or "",
            card.statement,
            card.get_kind_display(),
            card.display_value(),
            ("Revision: " if card.is_revision else "") + card.get_status_display(),
            "; ".join(reading.credits(card.citations.all())),
            card.published_at.date().isoformat() if card.published_at else "",
            absolute_url(card.get_absolute_url()) if on_record else "",
        ]
        writer.writerow([cell_safe(cell) for cell in row])


def cell_safe(text):
    """A cell a spreadsheet will not run as a formula (OWASP's CSV injection advice), leading
    spaces and full-width signs included (spreadsheets skip or fold them)."""
    start = unicodedata.normalize("NFKC", text).lstrip()
    return f"'{text}" if start.startswith(FORMULA_STARTS) else text
