"""Fact cards: what a card says, who wrote it, and the one guarded write that saves it.

The workflow's steps are declared in factcards/workflow.py; the methods here (publish, retract…)
delegate to it. Every write goes through FactCard._write, which checks the stored status and
version in one UPDATE, so no path (change form, history page, list action, shell, fixture
load, API) can change a locked card or overwrite someone else's save.
"""

from decimal import Decimal

from anyascii import anyascii
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import reading
from .citations import Citation
from .locking import (
    CONFLICT_MESSAGE,
    EDITABLE,
    GONE_MESSAGE,
    LOCKED,
    EditConflict,
    GuardedQuerySet,
    WorkflowError,
    locked_error,
    no_author_error,
)
from .publication import Publication
from .tags import Place, Topic

# Steps after which readers see something new: every cache keyed by the publication moves on.
PUBLIC_STEPS = ("publish", "retract", "apply_revision", "confirm")

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
# What a revision carries over to the published card: everything but the slug, which is forever.
REVISED_FIELDS = [name for name in CONTENT_FIELDS if name != "slug"]
# A change to any of these on a published card is a change of substance: it needs a correction.
SUBSTANCE_FIELDS = [
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
]
# What an author writes on a card, as opposed to what the workflow steps set.
AUTHORED_FIELDS = [*CONTENT_FIELDS, "correction_note", "check_by"]
# The one authored field a step sets itself: the next check-by date, when a card goes public
# (from the kind's interval, if it has none) and when an editor confirms it is still true.
SET_BY_STEPS = {"publish": {"check_by"}, "confirm": {"check_by"}}
WORKFLOW_FIELDS = [
    "status",
    "revision_of_id",
    "review_comment",
    "created_by_id",
    "published_by_id",
    "published_at",
    "revised_at",
    "checked_by_id",
    "checked_at",
    "publish_at",
    "scheduled_by_id",
]


class FactCardQuerySet(GuardedQuerySet):
    def published(self):
        """The one gate for everything public: published cards, never drafts or revisions."""
        return self.filter(status=FactCard.Status.PUBLISHED, revision_of__isnull=True)

    def due_for_check(self):
        """Published cards past their check-by date, the longest overdue first."""
        return self.published().filter(check_by__lt=timezone.localdate()).order_by("check_by")

    def scheduled(self):
        """Cards in review that an editor approved to go public at a set time, soonest first."""
        return self.filter(status=FactCard.Status.IN_REVIEW, publish_at__isnull=False).order_by(
            "publish_at"
        )

    def on_record(self):
        """Published and retracted cards: retracted ones keep their URL with a notice."""
        return self.filter(status__in=LOCKED, revision_of__isnull=True)

    def with_sources(self):
        """Cards ready to show: citations with their sources, and corrections, prefetched."""
        from .sources import Source

        sources = models.Prefetch("citations__source", Source.objects.with_link_state())
        return self.prefetch_related(sources, "corrections")

    def related_to(self, card, count=4):
        """The newest published cards sharing a topic with `card`: the few newest per topic,
        read through the topic links (indexed), never a DISTINCT sort over every card."""
        links = (
            FactCard.topics.through.objects.filter(
                topic__in=card.topics.all(), factcard__status=FactCard.Status.PUBLISHED
            )
            .exclude(factcard=card)
            .order_by("-factcard__published_at", "-factcard_id")
            .values_list("factcard", flat=True)
        )
        newest = list(dict.fromkeys(links[: count * 8]))[:count]
        return self.published().filter(pk__in=newest).order_by("-published_at", "-pk")

    def awaiting_review_by(self, user):
        """Cards in review that this user may publish (four-eyes: nobody who wrote them),
        not those already approved to go public at a set time."""
        return (
            self.filter(status=FactCard.Status.IN_REVIEW, publish_at__isnull=True)
            .exclude(created_by=user)
            .exclude(editors=user)
        )

    # Bulk paths (admin's "delete selected", the shell) obey the same rules as one card.

    def delete(self):
        if self.filter(status__in=LOCKED).exists():
            raise WorkflowError(
                gettext(
                    "Published and retracted cards can't be deleted: articles may embed them. "
                    "Retract them instead."
                ),
                code="delete_published",
            )
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for card in objs:
            card._refuse_skipping_review()
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        if set(kwargs) - {"version", "updated_at"}:
            if self.filter(status__in=LOCKED).exists():
                raise locked_error()
            raise WorkflowError(
                gettext(
                    "Cards change one at a time, each change naming its author "
                    "(card.save(by=user)) and workflow steps through the card's own methods."
                ),
                code="bulk_update",
            )
        return super().update(**kwargs)


class FactCard(models.Model):
    class Kind(models.TextChoices):
        FIGURE = "figure", _("Figure")
        DATE = "date", _("Date or event")
        QUOTE = "quote", _("Quote")
        DOCUMENT = "document", _("Document or statement")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        RETRACTED = "retracted", _("Retracted")

    class Qualifier(models.TextChoices):
        EXACT = "", _("exactly")
        NEARLY = "nearly", _("nearly")
        AROUND = "around", _("around")
        MORE_THAN = "more_than", _("more than")
        FEWER_THAN = "fewer_than", _("fewer than")
        AT_LEAST = "at_least", _("at least")
        UP_TO = "up_to", _("up to")

    class Precision(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")
        YEAR = "year", _("Year")

    slug = models.SlugField(
        verbose_name=_("slug"),
        max_length=80,
        unique=True,
        null=True,
        blank=True,
        error_messages={
            "unique": _(
                "A card with this slug already exists. Slugs live in embed codes "
                "forever, so choose another one."
            )
        },
        help_text=_(
            "Part of the card's address and of every embed code. It can't change once "
            "the card is published. Leave it blank for a short one made from the statement."
        ),
    )
    statement = models.CharField(
        verbose_name=_("statement"),
        max_length=280,
        help_text=_("The fact in one sentence, as a reader should see it."),
    )
    kind = models.CharField(
        max_length=12, choices=Kind, default=Kind.FIGURE, verbose_name=_("kind")
    )
    value = models.DecimalField(
        verbose_name=_("value"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Figures: the number."),
    )
    unit = models.CharField(
        verbose_name=_("unit"),
        max_length=80,
        blank=True,
        help_text=_("Figures: what is counted, e.g. military personnel."),
    )
    qualifier = models.CharField(
        verbose_name=_("qualifier"),
        max_length=12,
        choices=Qualifier,
        blank=True,
        help_text=_("Figures: how the source hedges the number."),
    )
    value_date = models.DateField(
        _("date"),
        null=True,
        blank=True,
        help_text=_("Dates and events (and optionally documents)."),
    )
    value_date_end = models.DateField(
        _("until"), null=True, blank=True, help_text=_("For a period: its last date.")
    )
    date_precision = models.CharField(
        verbose_name=_("date precision"),
        max_length=5,
        choices=Precision,
        blank=True,
        help_text=_("How much of the date is known. Month: use the 1st; year: use January 1st."),
    )
    speaker = models.CharField(
        max_length=200, blank=True, help_text=_("Quotes: who said it."), verbose_name=_("speaker")
    )
    quotation = models.TextField(
        blank=True, help_text=_("Quotes: the words, verbatim."), verbose_name=_("quotation")
    )
    document_title = models.CharField(
        verbose_name=_("document title"),
        max_length=300,
        blank=True,
        help_text=_("Documents: the document's name."),
    )
    value_note = models.TextField(
        _("why this value"),
        blank=True,
        help_text=_("Where sources disagree: why the card gives the value it gives."),
    )
    context = models.TextField(
        blank=True,
        help_text=_("A few sentences a reader needs around it."),
        verbose_name=_("context"),
    )
    as_of = models.DateField(
        null=True, blank=True, help_text=_("When the fact was true."), verbose_name=_("as of")
    )
    check_by = models.DateField(
        _("check again by"),
        null=True,
        blank=True,
        help_text=_(
            "When an editor should confirm it is still true; readers then see when it "
            "was last checked. Blank: figures get one when published (see the README), other "
            "kinds none."
        ),
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="cards", verbose_name=_("topics")
    )
    places = models.ManyToManyField(
        Place, blank=True, related_name="cards", verbose_name=_("places")
    )

    status = models.CharField(
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        editable=False,
        verbose_name=_("status"),
    )
    revision_of = models.OneToOneField(
        "self",
        verbose_name=_("revision of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pending_revision",
        editable=False,
        help_text=_("The published card this pending revision would replace once approved."),
    )
    correction_note = models.TextField(
        verbose_name=_("correction note"),
        blank=True,
        help_text=_(
            "Revisions only: the public correction readers will see. Required when the "
            "revision changes the statement or the value."
        ),
    )
    review_comment = models.TextField(
        verbose_name=_("review comment"),
        blank=True,
        editable=False,
        help_text=_("The editor's comment when returning the card."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    published_at = models.DateTimeField(null=True, editable=False, verbose_name=_("published at"))
    revised_at = models.DateTimeField(null=True, editable=False, verbose_name=_("revised at"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        help_text=_("The editor who last confirmed the published card is still true."),
    )
    checked_at = models.DateTimeField(null=True, editable=False, verbose_name=_("checked at"))
    publish_at = models.DateTimeField(
        _("scheduled for"),
        null=True,
        editable=False,
        help_text=_("Approved to go public at this time; any edit or return cancels it."),
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        help_text=_("The editor who approved the scheduled publication (and publishes it)."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    search_text = models.TextField(
        blank=True,
        editable=False,
        help_text=_("What search reads: the statement, value, context and every excerpt."),
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="+",
        blank=True,
        editable=False,
        help_text=_(
            "Everyone who wrote this version (its creator included): four-eyes bars "
            "each of them from publishing it."
        ),
    )
    # Optimistic locking: every write bumps it, and a write from a stale copy is refused.
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(
        m2m_fields=[topics, places], excluded_fields=["version", "search_text"]
    )
    objects = FactCardQuerySet.as_manager()

    class Meta:
        verbose_name = _("fact card")
        verbose_name_plural = _("fact cards")
        ordering = ["-published_at", "-created_at"]
        permissions = [("publish_factcard", "Can publish, return, correct and retract cards")]
        indexes = [models.Index(fields=["status", "-published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(revision_of__isnull=False) | (Q(slug__isnull=False) & ~Q(slug="")),
                name="card_has_slug",
                violation_error_message=_("Give the card a slug: it becomes the card's address."),
            ),
            models.CheckConstraint(
                condition=~Q(statement=""),
                name="card_has_statement",
                violation_error_message=_("Write the fact in one sentence."),
            ),
            # Readers type addresses in any case, and an import must know the card is here.
            models.UniqueConstraint(
                Lower("slug"),
                name="card_slug_unique_whatever_its_case",
                violation_error_message=_(
                    "Another card has this slug in other capitals: a slug "
                    "is the same whatever its case, so choose another one."
                ),
            ),
        ]

    def __str__(self):
        return self.statement

    # --- writing: one guarded UPDATE, checked against the database --------------------------

    def save(self, *args, by=None, **kwargs):
        """Save an author's change (`by`, or `changed_by` set before): drafts and cards in
        review only, by someone who may edit them, from the version they loaded."""
        if by is not None:
            self.changed_by = by
        if not self._state.adding:
            return self._write(EDITABLE, author=getattr(self, "changed_by", None))
        self._refuse_skipping_review()
        if not self.slug and not self.revision_of_id:
            self.slug = short_slug(self.statement)
        self.version = 1  # whatever a form or a script sent: the lock starts here
        author = getattr(self, "changed_by", None) or self.created_by
        self.last_edited_by = self.changed_by = author  # also the author of its tags, citations
        with transaction.atomic():
            self._history_user = author
            self.search_text = self.search_document()
            super().save(*args, **kwargs)
            self.editors.add(*{self.created_by_id, author.pk})

    def get_absolute_url(self):
        return reverse("card_detail", args=[(self.revision_of or self).slug])

    def _refuse_skipping_review(self):
        if self.status != self.Status.DRAFT or self.published_by_id or self.published_at:
            raise WorkflowError(
                gettext("A new card starts as a draft: it reaches the public only through review."),
                code="new_card_not_draft",
            )

    def _write(self, allowed, author=None, step=None, reason=""):
        """The one write of an existing card. `allowed`: the stored statuses it may start
        from. A plain save (no `step`) may change what authors write, never the workflow's
        fields; a step (publish, retract…) the reverse, except applying a revision."""
        with transaction.atomic():
            if not FactCard.objects.filter(
                pk=self.pk, version=self.version, status__in=allowed
            )._claim():
                raise self._refusal(allowed)
            stored = FactCard.objects.select_related("created_by").get(pk=self.pk)
            changed = [
                name for name in AUTHORED_FIELDS if getattr(stored, name) != getattr(self, name)
            ]
            if step is None:
                if [
                    name for name in WORKFLOW_FIELDS if getattr(stored, name) != getattr(self, name)
                ]:
                    raise WorkflowError(
                        gettext(
                            "A card's status and credits change only through the workflow's "
                            "steps (submit, publish, return, retract)."
                        ),
                        code="workflow_fields",
                    )
                # Even a save that changes nothing is someone's, and must be theirs to make.
                stored._require_author(author)
                if changed:
                    self.last_edited_by = author
                    if self.publish_at:  # the approval was of the version before this edit
                        self.publish_at = self.scheduled_by = None
                        reason = "Edited: the scheduled publication is cancelled"
            elif step != "apply_revision" and set(changed) - SET_BY_STEPS.get(step, set()):
                raise WorkflowError(
                    gettext(
                        "Save your changes to the card first, then take the step: a workflow "
                        "step never carries an edit."
                    ),
                    code="unsaved_changes",
                )
            self.version = stored.version
            self.search_text = self.search_document()
            self._history_user = author
            self._change_reason = reason or None
            models.Model.save(self)
            if changed and step is None:
                self.editors.add(author)
            if step in PUBLIC_STEPS:
                topics = self.topics.values_list("pk", flat=True)
                Publication.bump(cards=[self.pk], topics=list(topics))

    def search_document(self):
        """The text search reads (see factcards.search): what the card says and quotes."""
        parts = [
            self.statement,
            self.unit,
            self.speaker,
            self.quotation,
            self.document_title,
            self.context,
        ]
        if self.pk:
            parts += self.citations.values_list("excerpt", flat=True)
        return " ".join(part for part in parts if part)

    def _record_edit(self, author):
        """A change to the card's citations, topics or places: the same lock and author rule
        as a save, and the author joins the card's editors."""
        with transaction.atomic():
            # An edit also cancels an approval to publish at a set time: it approved the
            # version before this change.
            if not FactCard.objects.filter(
                pk=self.pk, version=self.version, status__in=EDITABLE
            )._claim(last_edited_by=author, publish_at=None, scheduled_by=None):
                raise self._refusal(EDITABLE)
            FactCard.objects.select_related("created_by").get(pk=self.pk)._require_author(author)
            self.version += 1
            self.last_edited_by = author
            self.publish_at = self.scheduled_by = None
            self.editors.add(author)

    def _require_author(self, author):
        """`self` is the stored card: refuse a change without an author, or by someone who
        may not edit it as it stands now."""
        if author is None:
            raise no_author_error()
        if self.status in LOCKED:
            raise WorkflowError(
                gettext(
                    "You can no longer edit this card: it is %(status)s, and a published card "
                    "never changes in place. Propose a revision. Nothing was saved."
                ),
                code="published_locked",
                params={"status": self.status_phrase},
            )
        if not self.editable_by(author):
            raise WorkflowError(
                gettext(
                    "You can no longer edit this card: it is %(status)s, and only %(who)s can "
                    "change it now. Nothing was saved."
                ),
                code="not_editable",
                params={
                    "status": self.status_phrase,
                    "who": gettext("its author and editors")
                    if self.status == self.Status.DRAFT
                    else gettext("editors"),
                },
            )

    def _refusal(self, allowed, doing="change"):
        """Why a guarded write matched no row: deleted, changed since loaded, or locked."""
        stored = FactCard.objects.filter(pk=self.pk).values("version", "status", "slug").first()
        if stored is None:
            return EditConflict(GONE_MESSAGE, code="gone")
        now = STATUS_PHRASES[stored["status"]]
        if (
            doing != "change"
            and stored["status"] not in allowed
            and stored["status"] != self.status
        ):
            return EditConflict(
                gettext(
                    "Can't %(doing)s this card: it is %(status)s now (someone took a step on it "
                    "after you opened it). Nothing was done."
                ),
                code="conflict",
                params={"doing": doing, "status": now},
            )
        if stored["version"] != self.version:
            return EditConflict(CONFLICT_MESSAGE, code="conflict")
        if doing == "change" and stored["status"] in LOCKED:
            if stored["slug"] != self.slug:
                return WorkflowError(
                    gettext("A published card's slug never changes: it lives in every embed code."),
                    code="published_locked",
                )
            return locked_error()
        return WorkflowError(
            gettext("Can't %(doing)s a card that is %(status)s."),
            code="wrong_status",
            params={"doing": doing, "status": now},
        )

    def delete(self, *args, **kwargs):
        if FactCard.objects.filter(pk=self.pk, status__in=LOCKED).exists():
            raise WorkflowError(
                gettext(
                    "A published card can't be deleted: articles may embed it. Retract it instead."
                ),
                code="delete_published",
            )
        return super().delete(*args, **kwargs)

    # --- what a card says -------------------------------------------------------------

    @property
    def status_phrase(self):
        """The status as a sentence says it: 'a draft', 'in review', 'published'."""
        return STATUS_PHRASES[self.status]

    @property
    def is_revision(self):
        return self.revision_of_id is not None

    @property
    def is_locked(self):
        """Published and retracted cards change only through an approved revision."""
        return self.status in (self.Status.PUBLISHED, self.Status.RETRACTED)

    def display_value(self):
        """The typed value as a reader reads it: 'nearly 2,000 peacekeepers'."""
        return reading.display_value(self)

    @property
    def is_retracted(self):
        return self.status == self.Status.RETRACTED

    @property
    def retraction(self):
        """The public retraction notice of a retracted card, else None."""
        return reading.retraction(self)

    @property
    def correction_notes(self):
        """The public corrections (not the retraction), oldest first."""
        return [c for c in self.corrections.all() if c.kind == "correction"]

    @property
    def supporting_citations(self):
        return [c for c in self.citations.all() if c.relation == Citation.Relation.SUPPORTS]

    @property
    def differing_citations(self):
        """Citations whose source gives another value than the card's."""
        return [c for c in self.citations.all() if c.relation == Citation.Relation.DIFFERS]

    def has_disagreement(self):
        return bool(self.differing_citations)

    def sources(self):
        """The card's sources, each once, in citation order."""
        return reading.sources(self)

    @property
    def last_updated(self):
        return self.revised_at or self.published_at

    @property
    def is_due_for_check(self):
        """Past its check-by date (the day itself still counts as in time)."""
        return self.check_is_due(self.check_by)

    @staticmethod
    def check_is_due(check_by):
        return check_by is not None and check_by < timezone.localdate()

    @property
    def last_checked(self):
        """When an editor last vouched for what the card says: confirmed, or published."""
        times = [t for t in (self.checked_at, self.revised_at, self.published_at) if t]
        return max(times) if times else None

    def value_errors(self):
        """What is wrong with the typed value, or what it lacks for this kind, as
        {field: message}: nothing of it may be missing at submit and publish."""
        return {**self.missing_values(), **self.value_mistakes()}

    def missing_values(self):
        """What the kind asks for and the card lacks yet: a draft may be saved without it."""
        errors = {}
        if self.kind == self.Kind.FIGURE and self.value is None:
            errors["value"] = gettext("A figure needs its number.")
        if self.kind == self.Kind.DATE and not self.value_date:
            errors["value_date"] = gettext("A date or event needs its date.")
        if self.kind == self.Kind.QUOTE:
            if not self.speaker.strip():
                errors["speaker"] = gettext("A quote needs its speaker.")
            if not self.quotation.strip():
                errors["quotation"] = gettext("A quote needs the quoted words.")
        if self.kind == self.Kind.DOCUMENT and not self.document_title.strip():
            errors["document_title"] = gettext("A document card needs the document's name.")
        return errors

    def value_mistakes(self):
        """What is wrong with what was typed, whatever the card's stage."""
        errors = {}
        for field in ("value_date", "value_date_end"):
            problem = precision_problem(getattr(self, field), self.date_precision)
            if problem:
                errors[field] = problem
        if self.value_date and not self.date_precision:
            errors["date_precision"] = gettext(
                "Say how much of the date is known: day, month or year."
            )
        if self.value_date_end and self.value_date and self.value_date_end < self.value_date:
            errors["value_date_end"] = gettext("The end of a period can't come before its start.")
        return errors

    def clean(self):
        errors = self.value_mistakes()
        if self.statement and not self.statement.strip():
            errors["statement"] = gettext("Write the fact in one sentence.")
        if errors:
            raise ValidationError(errors)

    # --- who may do what ---------------------------------------------------------------

    @staticmethod
    def is_editor(user):
        return user.is_active and user.has_perm("factcards.publish_factcard")

    def editable_by(self, user):
        """Reporters edit their own drafts; editors edit any draft or card in review."""
        if self.status not in EDITABLE or not user.has_perm("factcards.change_factcard"):
            return False
        if self.is_editor(user):
            return True
        return self.status == self.Status.DRAFT and self.created_by_id == user.pk

    def wrote(self, user):
        """Whether this user created or changed this version (four-eyes bars them)."""
        return self.created_by_id == user.pk or self.editors.filter(pk=user.pk).exists()

    # --- the workflow: declared in factcards/workflow.py --------------------------------

    def submit(self, by):
        """Draft → in review."""
        return _take(self, "submit", by)

    def return_to_draft(self, by, comment):
        """In review → draft, with a comment the author sees."""
        return _take(self, "return_to_draft", by, comment)

    def publish(self, by):
        """In review → published; for a revision, its changes replace the published card."""
        return _take(self, "publish", by)

    def retract(self, by, note):
        """Published → retracted; the card's page stays up with the public retraction note."""
        return _take(self, "retract", by, note)

    def start_revision(self, by):
        """Open a pending revision of a published card, to be edited and then approved."""
        return _take(self, "start_revision", by)

    def confirm(self, by, next_check=None):
        """A published card is still true: record who checked, and when to check again."""
        return _take(self, "confirm", by, when=next_check)

    def schedule(self, by, publish_at):
        """Approve a card in review to go public at `publish_at` (the worker publishes it)."""
        return _take(self, "schedule", by, when=publish_at)

    def cancel_schedule(self, by):
        """Withdraw the approval to publish at a set time; the card stays in review."""
        return _take(self, "cancel_schedule", by)

    def publication_errors(self):
        """Why this version can't be published yet (an empty list when it can)."""
        problems = list(self.value_errors().values())
        supporting = [
            c
            for c in self.citations.all()
            if c.relation == Citation.Relation.SUPPORTS and c.excerpt.strip()
        ]
        if not supporting:
            problems.append(
                gettext("It needs at least one supporting citation with a verbatim excerpt.")
            )
        if self.is_revision and not self.correction_note.strip() and self.substance_changes():
            problems.append(
                gettext(
                    "This revision changes the card's substance "
                    "(%(fields)s): write the public correction note."
                )
                % {"fields": ", ".join(self.substance_changes())}
            )
        if self.pk and any(c.kind == "retraction" for c in self.corrections.all()):
            # Only an import brings one to a card that is not retracted here.
            problems.append(
                gettext(
                    "This card carries a retraction notice (it came with an import): a retracted "
                    "claim is not published again. Write a new card for what holds now."
                )
            )
        return problems

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

        def shown(value):
            return reading.format_number(value) if isinstance(value, Decimal) else value

        rows = [
            (
                str(self._meta.get_field(name).verbose_name),
                shown(getattr(original, name)),
                shown(getattr(self, name)),
            )
            for name in REVISED_FIELDS
            if getattr(original, name) != getattr(self, name)
        ]
        for label, attr in ((gettext("topics"), "topics"), (gettext("places"), "places")):
            old = sorted(str(t) for t in getattr(original, attr).all())
            new = sorted(str(t) for t in getattr(self, attr).all())
            if old != new:
                rows.append((label, ", ".join(old), ", ".join(new)))
        old = {c.fingerprint() for c in original.citations.all()}
        new = {c.fingerprint() for c in self.citations.all()}
        rows += [(gettext("citation removed"), text, "") for text in sorted(old - new)]
        rows += [(gettext("citation added"), "", text) for text in sorted(new - old)]
        return rows


STATUS_PHRASES = {
    "draft": _("a draft"),
    "in_review": _("in review"),
    "published": _("published"),
    "retracted": _("retracted"),
}

# Words that carry no meaning in an address.
FILLER = set(
    "a an the of in on at to for from by with and or but as is are was were be been had has "
    "have that this these those it its into over after before about than their there said "
    "says who which what when".split()
)


def short_slug(statement, words=6):
    """A card's address from a few meaningful words of its statement, unique among cards."""
    # Russian, Armenian, Azerbaijani… spelt in Latin letters: an address made of words.
    meaningful = [w for w in slugify(anyascii(statement)).split("-") if w and w not in FILLER]
    base = "-".join(meaningful[:words])[:60].strip("-") or "card"
    slug, n = base, 1
    while FactCard.objects.filter(slug__iexact=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def precision_problem(value, precision):
    if value is None:
        return None
    if precision == FactCard.Precision.MONTH and value.day != 1:
        return gettext(
            "With month precision the day is unknown: enter %(month)s-01, or choose day precision."
        ) % {"month": format(value, "%Y-%m")}
    if precision == FactCard.Precision.YEAR and (value.month, value.day) != (1, 1):
        return gettext(
            "With year precision the month and day are unknown: enter %(year)s-01-01, or "
            "choose a finer precision."
        ) % {"year": value.year}
    return None


def _take(card, step, by, text="", when=None):
    from factcards import workflow  # the step table imports the models

    return workflow.take(card, step, by, text, when=when)


@receiver(m2m_changed, sender=FactCard.topics.through)
@receiver(m2m_changed, sender=FactCard.places.through)
def record_tagging(sender, instance, action, reverse, pk_set, **kwargs):
    """Topics and places are content: changed with an author, never on a locked card."""
    if not action.startswith("pre_") or getattr(instance, "_loading_fixture", False):
        return
    if reverse:
        raise WorkflowError(
            gettext(
                "Change a card's topics and places from the card, naming who makes the change."
            ),
            code="reverse_tagging",
        )
    if getattr(instance, "_applying_revision", False) or (action != "pre_clear" and not pk_set):
        return
    instance._record_edit(getattr(instance, "changed_by", None))


@receiver(m2m_changed, sender=FactCard.editors.through)
def keep_every_editor(sender, instance, action, **kwargs):
    """Who wrote a version is never erased: four-eyes depends on it."""
    if action in ("pre_remove", "pre_clear") and not getattr(instance, "_loading_fixture", False):
        raise WorkflowError(
            gettext("The record of who wrote a card is never erased."), code="editors_kept"
        )


@receiver(pre_save)
def note_fixture_load(sender, instance, raw, **kwargs):
    """loaddata saves raw rows and then sets their many-to-many fields: a restore, not an
    edit, so neither the workflow nor the history sees it."""
    if raw and sender._meta.app_label == "factcards":
        instance._loading_fixture = True
        instance.skip_history_when_saving = True
