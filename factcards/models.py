"""Fact cards, their sources and citations, and the editorial workflow that guards them.

The workflow rules live here, not in the admin, so that every path (change form, list
action, shell, a future API) obeys them: see FactCard.submit/publish/return_to_draft/retract.
"""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

web_url = URLValidator(
    schemes=["http", "https"],
    message="Enter a full web address that starts with http:// or https:// (other kinds of "
    "link, such as javascript: or ftp:, are not allowed).",
)


class WebURLFormField(forms.URLField):
    default_validators = [web_url]
    default_error_messages = {"invalid": web_url.message}


class WebURLField(models.URLField):
    """A URL that must be http or https: a source link a reader can open safely."""

    default_validators = [web_url]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebURLFormField, **kwargs})


class WorkflowError(ValidationError):
    """A workflow step that the rules refuse; the message says why, for an editor."""


class EditConflict(ValidationError):
    """Someone else saved the card after this copy of it was loaded."""


class Tag(models.Model):
    """A name readers filter by; its slug is what the list's URL carries."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Topic(Tag):
    pass


class Place(Tag):
    pass


class Source(models.Model):
    outlet = models.CharField(
        max_length=200, blank=True, help_text="Leave blank when the text does not name it."
    )
    title = models.CharField(max_length=300, help_text="The headline as published.")
    byline = models.CharField(max_length=200, blank=True)
    url = WebURLField(
        "link",
        max_length=500,
        blank=True,
        help_text="Leave blank when the link is not known. Never guess a link.",
    )
    published_on = models.DateField(
        null=True, blank=True, help_text="Leave blank when the source does not state it."
    )
    retrieved_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=12, default="en")
    archive_url = WebURLField("archived copy", max_length=500, blank=True)
    full_text = models.TextField(
        blank=True,
        help_text="The source's text. When present, every excerpt citing it must appear in it "
        "word for word.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "title"]
        # The form's validators say it nicely; these make the database refuse what skips them.
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{field}": ""})
                | Q(**{f"{field}__istartswith": "http://"})
                | Q(**{f"{field}__istartswith": "https://"}),
                name=f"source_{field}_is_http",
                violation_error_message=web_url.message,
            )
            for field in ("url", "archive_url")
        ]

    def __str__(self):
        who = self.outlet or self.byline
        return f"{who}: {self.title}" if who else self.title

    @property
    def credit(self):
        """How a reader sees who published it, never inventing an outlet."""
        if self.outlet:
            return self.outlet
        if self.byline:
            return f"{self.byline} (outlet not stated)"
        return f"“{self.title}” (outlet not stated)"

    def contains_verbatim(self, excerpt):
        """Whether the excerpt appears word for word in the full text (spacing aside)."""
        return squash_space(excerpt) in squash_space(self.full_text)


def squash_space(text):
    return re.sub(r"\s+", " ", text).strip()


class FactCardQuerySet(models.QuerySet):
    def published(self):
        """The one gate for everything public: published cards, never drafts or revisions."""
        return self.filter(status=FactCard.Status.PUBLISHED, revision_of__isnull=True)

    def on_record(self):
        """Published and retracted cards: retracted ones keep their URL with a notice."""
        return self.filter(
            status__in=[FactCard.Status.PUBLISHED, FactCard.Status.RETRACTED],
            revision_of__isnull=True,
        )

    # Bulk paths (admin's "delete selected", the shell) obey the same rules as one card.

    def delete(self):
        if self.filter(status__in=LOCKED).exists():
            raise WorkflowError(
                "Published and retracted cards can't be deleted: articles may embed them. "
                "Retract them instead.",
                code="delete_published",
            )
        return super().delete()

    def update(self, **kwargs):
        if set(kwargs) & set(CONTENT_FIELDS) and self.filter(status__in=LOCKED).exists():
            raise WorkflowError(
                "A published card never changes in place: propose a revision.",
                code="published_locked",
            )
        return super().update(**kwargs)

    def with_sources(self):
        """Cards ready to show: citations with their sources, and corrections, prefetched."""
        return self.prefetch_related("citations__source", "corrections")

    def awaiting_review_by(self, user):
        """Cards in review that this user may publish (four-eyes: not their own work)."""
        return self.filter(status=FactCard.Status.IN_REVIEW).exclude(
            Q(created_by=user) | Q(last_edited_by=user)
        )


LOCKED = ["published", "retracted"]

# What the public sees of a card. Once published these change only through an approved revision.
CONTENT_FIELDS = [
    "slug",
    "statement",
    "kind",
    "value",
    "unit",
    "qualifier",
    "value_date",
    "value_date_end",
    "date_precision",
    "speaker",
    "quotation",
    "document_title",
    "value_note",
    "context",
    "as_of",
]
# A change to any of these on a published card is a change of substance: it needs a correction.
SUBSTANCE_FIELDS = CONTENT_FIELDS[1:12]


class FactCard(models.Model):
    class Kind(models.TextChoices):
        FIGURE = "figure", "Figure"
        DATE = "date", "Date or event"
        QUOTE = "quote", "Quote"
        DOCUMENT = "document", "Document or statement"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        RETRACTED = "retracted", "Retracted"

    class Qualifier(models.TextChoices):
        EXACT = "", "exactly"
        NEARLY = "nearly", "nearly"
        AROUND = "around", "around"
        MORE_THAN = "more_than", "more than"
        FEWER_THAN = "fewer_than", "fewer than"
        AT_LEAST = "at_least", "at least"
        UP_TO = "up_to", "up to"

    class Precision(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"
        YEAR = "year", "Year"

    slug = models.SlugField(
        max_length=80,
        unique=True,
        null=True,
        blank=True,
        error_messages={
            "unique": "A card with this slug already exists. Slugs live in embed codes "
            "forever, so choose another one."
        },
        help_text="Part of the card's address and of every embed code. It can't change once "
        "the card is published.",
    )
    statement = models.CharField(
        max_length=280, help_text="The fact in one sentence, as a reader should see it."
    )
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.FIGURE)
    value = models.DecimalField(
        max_digits=20, decimal_places=4, null=True, blank=True, help_text="Figures: the number."
    )
    unit = models.CharField(
        max_length=80, blank=True, help_text="Figures: what is counted, e.g. military personnel."
    )
    qualifier = models.CharField(
        max_length=12,
        choices=Qualifier,
        blank=True,
        help_text="Figures: how the source hedges the number.",
    )
    value_date = models.DateField(
        "date", null=True, blank=True, help_text="Dates and events (and optionally documents)."
    )
    value_date_end = models.DateField(
        "until", null=True, blank=True, help_text="For a period: its last date."
    )
    date_precision = models.CharField(
        max_length=5,
        choices=Precision,
        blank=True,
        help_text="How much of the date is known. Month: use the 1st; year: use January 1st.",
    )
    speaker = models.CharField(max_length=200, blank=True, help_text="Quotes: who said it.")
    quotation = models.TextField(blank=True, help_text="Quotes: the words, verbatim.")
    document_title = models.CharField(
        max_length=300, blank=True, help_text="Documents: the document's name."
    )
    value_note = models.TextField(
        "why this value",
        blank=True,
        help_text="Where sources disagree: why the card gives the value it gives.",
    )
    context = models.TextField(blank=True, help_text="A few sentences a reader needs around it.")
    as_of = models.DateField(null=True, blank=True, help_text="When the fact was true.")
    topics = models.ManyToManyField(Topic, blank=True, related_name="cards")
    places = models.ManyToManyField(Place, blank=True, related_name="cards")

    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT, editable=False)
    revision_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pending_revision",
        editable=False,
        help_text="The published card this pending revision would replace once approved.",
    )
    correction_note = models.TextField(
        blank=True,
        help_text="Revisions only: the public correction readers will see. Required when the "
        "revision changes the statement or the value.",
    )
    review_comment = models.TextField(
        blank=True, editable=False, help_text="The editor's comment when returning the card."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    published_at = models.DateTimeField(null=True, editable=False)
    revised_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every save bumps it, and a save from a stale copy is refused.
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(m2m_fields=[topics, places], excluded_fields=["version"])
    objects = FactCardQuerySet.as_manager()

    class Meta:
        verbose_name = "fact card"
        ordering = ["-published_at", "-created_at"]
        permissions = [("publish_factcard", "Can publish, return, correct and retract cards")]
        indexes = [models.Index(fields=["status", "-published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(revision_of__isnull=False) | (Q(slug__isnull=False) & ~Q(slug="")),
                name="card_has_slug",
                violation_error_message="Give the card a slug: it becomes the card's address.",
            ),
            models.CheckConstraint(
                condition=~Q(statement=""),
                name="card_has_statement",
                violation_error_message="Write the fact in one sentence.",
            ),
        ]

    def __str__(self):
        return self.statement

    # --- saving ----------------------------------------------------------------------

    def save(self, *args, **kwargs):
        self._refuse_silent_change()
        with transaction.atomic():
            if not self._state.adding:
                bumped = FactCard.objects.filter(pk=self.pk, version=self.version).update(
                    version=F("version") + 1
                )
                if not bumped:
                    raise EditConflict(
                        "Someone else saved this card after you opened it. Nothing of yours "
                        "was saved: reload the card to see their version, then make your "
                        "change again.",
                        code="conflict",
                    )
                self.version += 1
            super().save(*args, **kwargs)
        self._remember_loaded()

    def get_absolute_url(self):
        return reverse("card_detail", args=[(self.revision_of or self).slug])

    def delete(self, *args, **kwargs):
        if self.is_locked:
            raise WorkflowError(
                "A published card can't be deleted: articles may embed it. Retract it instead.",
                code="delete_published",
            )
        return super().delete(*args, **kwargs)

    def _refuse_silent_change(self):
        loaded = getattr(self, "_loaded", {})
        if loaded.get("status") not in (self.Status.PUBLISHED, self.Status.RETRACTED):
            return
        if getattr(self, "_applying_revision", False):
            return
        changed = [
            name
            for name in CONTENT_FIELDS
            if name in loaded
            and loaded[name] != self.__dict__.get(self._meta.get_field(name).attname)
        ]
        if changed:
            raise WorkflowError(
                "A published card never changes in place: propose a revision, which an "
                "editor approves (changed: %(fields)s).",
                code="published_locked",
                params={"fields": ", ".join(changed)},
            )

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        card = super().from_db(db, field_names, values, **kwargs)
        card._remember_loaded()
        return card

    def _remember_loaded(self):
        self._loaded = {
            name: self.__dict__.get(self._meta.get_field(name).attname)
            for name in [*CONTENT_FIELDS, "status"]
            if self._meta.get_field(name).attname in self.__dict__
        }

    # --- what a card says -------------------------------------------------------------

    @property
    def is_revision(self):
        return self.revision_of_id is not None

    @property
    def is_locked(self):
        """Published and retracted cards change only through an approved revision."""
        return self.status in (self.Status.PUBLISHED, self.Status.RETRACTED)

    def display_value(self):
        """The typed value as a reader reads it: 'nearly 2,000 peacekeepers'."""
        if self.kind == self.Kind.FIGURE and self.value is not None:
            text = format_number(self.value)
            parts = [self.get_qualifier_display() if self.qualifier else "", text, self.unit]
            return " ".join(p for p in parts if p)
        if self.kind == self.Kind.DATE and self.value_date:
            text = format_date(self.value_date, self.date_precision)
            if self.value_date_end:
                text += f" to {format_date(self.value_date_end, self.date_precision)}"
            return text
        if self.kind == self.Kind.QUOTE and self.quotation:
            return f"“{self.quotation}” ({self.speaker})"
        if self.kind == self.Kind.DOCUMENT and self.document_title:
            if self.value_date:
                return f"{self.document_title}, {format_date(self.value_date, self.date_precision)}"
            return self.document_title
        return ""

    def has_disagreement(self):
        return any(c.relation == Citation.Relation.DIFFERS for c in self.citations.all())

    def outlets(self, relation=None):
        """Who published the card's sources (each once, in citation order)."""
        credits = [
            c.source.credit
            for c in self.citations.all()
            if relation is None or c.relation == relation
        ]
        return list(dict.fromkeys(credits))

    def json_ld(self, url):
        """schema.org Claim for this card: its citations and public corrections."""
        data = {
            "@context": "https://schema.org",
            "@type": "Claim",
            "url": url,
            "text": self.statement,
            "datePublished": self.published_at.isoformat() if self.published_at else None,
            "dateModified": self.last_updated.isoformat() if self.last_updated else None,
            "citation": [
                {
                    "@type": "NewsArticle",
                    "headline": source.title,
                    "url": source.url or None,
                    "datePublished": source.published_on.isoformat()
                    if source.published_on
                    else None,
                    "publisher": {"@type": "Organization", "name": source.outlet}
                    if source.outlet
                    else None,
                    "author": {"@type": "Organization", "name": source.byline}
                    if source.byline
                    else None,
                }
                for source in self.sources()
            ],
            "correction": [
                {
                    "@type": "CorrectionComment",
                    "text": correction.note,
                    "datePublished": correction.created_at.isoformat(),
                }
                for correction in self.corrections.all()
            ],
        }
        return drop_empty(data)

    def sources(self):
        """The card's sources, each once, in citation order."""
        return list({c.source_id: c.source for c in self.citations.all()}.values())

    def source_summary(self):
        """'3 sources: The Moscow Times, AFP and 1 with no outlet stated'."""
        sources = self.sources()
        named = list(dict.fromkeys(s.outlet or s.byline for s in sources if s.outlet or s.byline))
        unnamed = sum(1 for s in sources if not (s.outlet or s.byline))
        parts = named + ([f"{unnamed} with no outlet stated"] if unnamed else [])
        listed = (
            ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""
        )
        noun = "source" if len(sources) == 1 else "sources"
        if not named:
            return f"{len(sources)} {noun}, outlet not stated" if sources else "no sources"
        return f"{len(sources)} {noun}: {listed}"

    def supporting_outlets(self):
        return self.outlets(Citation.Relation.SUPPORTS)

    @property
    def last_updated(self):
        return self.revised_at or self.published_at

    def value_errors(self):
        """What the typed value lacks for this kind, as {field: message}."""
        errors = {}
        if self.kind == self.Kind.FIGURE and self.value is None:
            errors["value"] = "A figure needs its number."
        if self.kind == self.Kind.DATE and not self.value_date:
            errors["value_date"] = "A date or event needs its date."
        if self.kind == self.Kind.QUOTE:
            if not self.speaker.strip():
                errors["speaker"] = "A quote needs its speaker."
            if not self.quotation.strip():
                errors["quotation"] = "A quote needs the quoted words."
        if self.kind == self.Kind.DOCUMENT and not self.document_title.strip():
            errors["document_title"] = "A document card needs the document's name."
        for field in ("value_date", "value_date_end"):
            problem = precision_problem(getattr(self, field), self.date_precision)
            if problem:
                errors[field] = problem
        if self.value_date and not self.date_precision:
            errors["date_precision"] = "Say how much of the date is known: day, month or year."
        if self.value_date_end and self.value_date and self.value_date_end < self.value_date:
            errors["value_date_end"] = "The end of a period can't come before its start."
        return errors

    def clean(self):
        errors = self.value_errors()
        if not self.is_revision and not self.slug:
            errors["slug"] = "Give the card a slug: it becomes the card's address."
        if self.statement and not self.statement.strip():
            errors["statement"] = "Write the fact in one sentence."
        if errors:
            raise ValidationError(errors)

    # --- who may do what ---------------------------------------------------------------

    @staticmethod
    def is_editor(user):
        return user.is_active and user.has_perm("factcards.publish_factcard")

    def editable_by(self, user):
        """Reporters edit their own drafts; editors edit any draft or card in review."""
        if self.is_locked or not user.has_perm("factcards.change_factcard"):
            return False
        if self.is_editor(user):
            return True
        return self.status == self.Status.DRAFT and self.created_by_id == user.pk

    def _require_editor(self, user, doing):
        if not self.is_editor(user):
            raise WorkflowError(
                "Only editors can %(doing)s cards.", code="not_editor", params={"doing": doing}
            )

    def _require_status(self, allowed, doing):
        if self.status not in allowed:
            raise WorkflowError(
                "Can't %(doing)s a card that is %(status)s.",
                code="wrong_status",
                params={"doing": doing, "status": self.get_status_display().lower()},
            )

    def _save_as(self, user, reason):
        self._history_user = user
        self._change_reason = reason  # shown in the admin's history of the card
        self.save()

    # --- the workflow -------------------------------------------------------------------

    def submit(self, by):
        """Draft → in review."""
        self._require_status([self.Status.DRAFT], "submit for review")
        if not (self.created_by_id == by.pk or self.is_editor(by)):
            raise WorkflowError(
                "Only the card's author or an editor can submit it for review.", code="not_author"
            )
        self.status = self.Status.IN_REVIEW
        self.review_comment = ""
        self._save_as(by, "Submitted for review")

    def return_to_draft(self, by, comment):
        """In review → draft, with a comment the author sees."""
        self._require_editor(by, "return")
        self._require_status([self.Status.IN_REVIEW], "return")
        if not comment.strip():
            raise WorkflowError(
                "Say why the card goes back: the author sees your comment.", code="no_comment"
            )
        self.status = self.Status.DRAFT
        self.review_comment = comment.strip()
        self._save_as(by, f"Returned to draft: {self.review_comment}"[:100])

    def publication_errors(self):
        """Why this version can't be published yet (an empty list when it can)."""
        problems = list(self.value_errors().values())
        supporting = [
            c
            for c in self.citations.all()
            if c.relation == Citation.Relation.SUPPORTS and c.excerpt.strip()
        ]
        if not supporting:
            problems.append("It needs at least one supporting citation with a verbatim excerpt.")
        if self.is_revision and not self.correction_note.strip() and self.substance_changes():
            problems.append(
                "This revision changes the card's substance "
                f"({', '.join(self.substance_changes())}): write the public correction note."
            )
        return problems

    def publish(self, by):
        """In review → published; for a revision, its changes replace the published card."""
        self._require_editor(by, "publish")
        self._require_status([self.Status.IN_REVIEW], "publish")
        if by.pk in (self.created_by_id, self.last_edited_by_id):
            raise WorkflowError(
                "You created or last edited this version, so another editor must publish it "
                "(four-eyes rule).",
                code="four_eyes",
            )
        problems = self.publication_errors()
        if problems:
            raise WorkflowError(" ".join(problems), code="not_ready")
        if self.is_revision:
            return self._approve_revision(by)
        self.status = self.Status.PUBLISHED
        self.published_by = by
        self.published_at = timezone.now()
        self._save_as(by, "Published")
        return self

    def retract(self, by, note):
        """Published → retracted; the card's page stays up with the public retraction note."""
        self._require_editor(by, "retract")
        self._require_status([self.Status.PUBLISHED], "retract")
        if not note.strip():
            raise WorkflowError(
                "Write the retraction notice readers will see.", code="no_retraction_note"
            )
        with transaction.atomic():
            self.status = self.Status.RETRACTED
            self._save_as(by, "Retracted")
            Correction.objects.create(
                card=self, kind=Correction.Kind.RETRACTION, note=note.strip(), created_by=by
            )

    def start_revision(self, by):
        """Open a pending revision of a published card, to be edited and then approved."""
        self._require_status([self.Status.PUBLISHED], "revise")
        if not by.has_perm("factcards.add_factcard"):
            raise WorkflowError("You can't propose revisions.", code="no_permission")
        if FactCard.objects.filter(revision_of=self).exists():
            raise WorkflowError(
                "A revision of this card is already pending: edit that one.",
                code="revision_pending",
            )
        with transaction.atomic():
            revision = FactCard(
                revision_of=self,
                created_by=by,
                last_edited_by=by,
                **{name: getattr(self, name) for name in CONTENT_FIELDS if name != "slug"},
            )
            revision._history_user = by
            revision.save()
            revision.topics.set(self.topics.all())
            revision.places.set(self.places.all())
            for citation in self.citations.all():
                citation.pk = None
                citation.card = revision
                citation.save()
        return revision

    def substance_changes(self):
        """Labels of the substance fields this revision changes on the published card."""
        original = self.revision_of
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in SUBSTANCE_FIELDS
            if getattr(original, name) != getattr(self, name)
        ]

    def revision_diff(self):
        """(label, published, proposed) for every field and citation the revision changes."""
        original = self.revision_of
        rows = [
            (
                str(self._meta.get_field(name).verbose_name),
                getattr(original, name),
                getattr(self, name),
            )
            for name in CONTENT_FIELDS[1:]
            if getattr(original, name) != getattr(self, name)
        ]
        for label, attr in (("topics", "topics"), ("places", "places")):
            old = sorted(str(t) for t in getattr(original, attr).all())
            new = sorted(str(t) for t in getattr(self, attr).all())
            if old != new:
                rows.append((label, ", ".join(old), ", ".join(new)))
        old = {c.fingerprint() for c in original.citations.all()}
        new = {c.fingerprint() for c in self.citations.all()}
        rows += [("citation removed", text, "") for text in sorted(old - new)]
        rows += [("citation added", "", text) for text in sorted(new - old)]
        return rows

    def _approve_revision(self, by):
        with transaction.atomic():
            card = FactCard.objects.select_for_update().get(pk=self.revision_of_id)
            note = self.correction_note.strip()
            substance = self.substance_changes()
            for name in CONTENT_FIELDS[1:]:
                setattr(card, name, getattr(self, name))
            card.last_edited_by_id = self.last_edited_by_id
            card.published_by = by
            card.revised_at = timezone.now()
            card._applying_revision = True
            card._history_user = by
            card._change_reason = "Revision published" + (" with a correction" if note else "")
            card.save()
            card.topics.set(self.topics.all())
            card.places.set(self.places.all())
            for citation in card.citations.all():
                citation._merging = True
                citation.delete()
            for citation in self.citations.all():
                citation.card = card
                citation._merging = True
                citation.save()
            card._applying_revision = False
            if note:
                Correction.objects.create(
                    card=card,
                    kind=Correction.Kind.CORRECTION,
                    note=note,
                    created_by=by,
                    changed=", ".join(substance),
                )
            self._history_user = by
            self.delete()
        return card


def drop_empty(value):
    """The structure without None values and empty lists (JSON-LD leaves unknowns out)."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


def format_number(value):
    """1960.0000 → '1,960'; 4.5000 → '4.5'."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def format_date(value, precision):
    if precision == FactCard.Precision.YEAR:
        return f"{value.year}"
    if precision == FactCard.Precision.MONTH:
        return value.strftime("%B %Y")
    return f"{value:%B} {value.day}, {value.year}"


def precision_problem(value, precision):
    if value is None:
        return None
    if precision == FactCard.Precision.MONTH and value.day != 1:
        return (
            f"With month precision the day is unknown: enter {value:%Y-%m}-01, or choose day "
            "precision."
        )
    if precision == FactCard.Precision.YEAR and (value.month, value.day) != (1, 1):
        return (
            f"With year precision the month and day are unknown: enter {value.year}-01-01, or "
            "choose a finer precision."
        )
    return None


@receiver(m2m_changed, sender=FactCard.topics.through)
@receiver(m2m_changed, sender=FactCard.places.through)
def refuse_silent_tagging(sender, instance, action, reverse, **kwargs):
    """Topics and places of a published card change only through an approved revision."""
    if (
        not reverse
        and action.startswith("pre_")
        and isinstance(instance, FactCard)
        and instance.is_locked
        and not getattr(instance, "_applying_revision", False)
    ):
        raise WorkflowError(
            "A published card never changes in place: propose a revision.",
            code="published_locked",
        )


class CitationQuerySet(models.QuerySet):
    def _refuse_if_published(self):
        if self.filter(card__status__in=LOCKED).exists():
            raise WorkflowError(
                "The sources of a published card change only through a revision.",
                code="published_locked",
            )

    def delete(self):
        self._refuse_if_published()
        return super().delete()

    def update(self, **kwargs):
        self._refuse_if_published()
        return super().update(**kwargs)


class Citation(models.Model):
    class Relation(models.TextChoices):
        SUPPORTS = "supports", "supports the card"
        DIFFERS = "differs", "gives a different value"
        CONTEXT = "context", "context"

    card = models.ForeignKey(FactCard, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    excerpt = models.TextField(
        help_text="The passage, copied word for word from the source: no paraphrase."
    )
    locator = models.CharField(
        max_length=100, blank=True, help_text="Where in the source, e.g. paragraph 4."
    )
    relation = models.CharField(max_length=10, choices=Relation, default=Relation.SUPPORTS)
    stated_value = models.CharField(
        max_length=200,
        blank=True,
        help_text="When the source gives a different value: that value as the source gives "
        "it, e.g. 120,000.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()
    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(excerpt=""),
                name="citation_has_excerpt",
                violation_error_message="Paste the verbatim excerpt that supports the card.",
            )
        ]

    def __str__(self):
        return f"{self.source.credit}: {self.excerpt[:60]}"

    def save(self, *args, **kwargs):
        self._refuse_silent_change()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_silent_change()
        return super().delete(*args, **kwargs)

    def _refuse_silent_change(self):
        if self.card.is_locked and not getattr(self, "_merging", False):
            raise WorkflowError(
                "The sources of a published card change only through a revision.",
                code="published_locked",
            )

    def fingerprint(self):
        return f"{self.source} · {self.get_relation_display()} · “{squash_space(self.excerpt)}”"

    def clean(self):
        errors = {}
        if not self.excerpt.strip():
            errors["excerpt"] = "Paste the verbatim excerpt that supports the card."
        elif (
            self.source_id
            and self.source.full_text
            and not self.source.contains_verbatim(self.excerpt)
        ):
            errors["excerpt"] = (
                "This excerpt does not appear word for word in the source's text. Copy it "
                "exactly, without paraphrase."
            )
        if self.relation == self.Relation.DIFFERS and not self.stated_value.strip():
            errors["stated_value"] = "Say which value this source gives instead."
        if errors:
            raise ValidationError(errors)


class Correction(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        RETRACTION = "retraction", "Retraction"

    card = models.ForeignKey(FactCard, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.CORRECTION)
    note = models.TextField(help_text="Public: readers see it on the card and in embeds.")
    changed = models.CharField(max_length=300, blank=True, help_text="What the revision changed.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.created_at:%Y-%m-%d}: {self.note[:60]}"
