"""A card's words in another language, reviewed like the card itself.

A translation carries the card's statement, context and reason ("why this value") in one
language; the value, dates and excerpts stay as sourced. It goes draft → in review →
published by the same rules as a card: whoever wrote any of it may not publish it (four-eyes,
superusers included), each step is one guarded UPDATE (two editors at once: one wins), and a
published translation never changes in place: a new one replaces it once approved.

It translates one wording of the card. When a revision changes the card's statement, context
or reason, the translation no longer matches and readers get the card's own words again, until
a translation of the new wording is published: nothing public changes silently, and no text is
shown that nobody reviewed against what the card says now.
"""

import hashlib

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .locking import CONFLICT_MESSAGE, EditConflict, WorkflowError, no_author_error
from .publication import Publication

TRANSLATED_FIELDS = ["statement", "context", "value_note"]
# Where a translation stands: only the steps change these, never a save.
WORKFLOW_FIELDS = ["status", "created_by_id", "published_by_id", "published_at", "card_id"]
PUBLISHED_STAYS = _(
    "A translation readers have seen stays on record; publish a new one to replace it."
)


def wording(card):
    """A fingerprint of the card's words that a translation translates."""
    text = "\x1f".join(getattr(card, name) or "" for name in TRANSLATED_FIELDS)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class TranslationQuerySet(models.QuerySet):
    def shown_for(self, card, language):
        """The published translation readers of `language` get for `card`, if it still
        translates the card's words."""
        return self.filter(
            card=card,
            language=language,
            status=CardTranslation.Status.PUBLISHED,
            of_wording=wording(card),
        ).first()

    def bulk_create(self, objs, *args, **kwargs):
        raise WorkflowError(
            gettext(
                "Translations are created one at a time, each naming its translator "
                "(translation.save(by=user))."
            ),
            code="bulk_create",
        )

    def delete(self):
        """The admin's "delete selected" too: a translation readers saw stays on record."""
        if self.filter(status__in=[CardTranslation.Status.PUBLISHED, "replaced"]).exists():
            raise WorkflowError(PUBLISHED_STAYS, code="delete_published")
        return super().delete()

    def update(self, **kwargs):
        raise WorkflowError(
            gettext(
                "Translations change one at a time, each change naming its author "
                "(translation.save(by=user)) and each step through its own methods."
            ),
            code="bulk_update",
        )


class CardTranslation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        REPLACED = "replaced", _("Replaced by a newer translation")

    DELETABLE = (Status.DRAFT, Status.IN_REVIEW)

    card = models.ForeignKey(
        "factcards.FactCard",
        verbose_name=_("card"),
        on_delete=models.CASCADE,
        related_name="translations",
        limit_choices_to={"revision_of__isnull": True},
        help_text=_("The card on record (not a pending revision) whose words this translates."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[(code, name) for code, name in settings.LANGUAGES if code != "en"],
    )
    statement = models.CharField(
        _("statement"), max_length=280, help_text=_("The card's statement, translated.")
    )
    context = models.TextField(_("context"), blank=True)
    value_note = models.TextField(
        _("why this value"), blank=True, help_text=_("The card's reason, translated.")
    )
    machine_assisted = models.BooleanField(
        _("machine-assisted"),
        default=False,
        help_text=_(
            "Tick if a machine translation was the starting point. It is reviewed like any "
            "other before readers see it."
        ),
    )
    of_wording = models.CharField(max_length=32, editable=False)
    status = models.CharField(
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        editable=False,
        verbose_name=_("status"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, editable=False
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
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # Optimistic locking, as cards: the form carries it, a write from a stale copy is refused.
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["version"])
    objects = TranslationQuerySet.as_manager()

    class Meta:
        verbose_name = _("card translation")
        verbose_name_plural = _("card translations")
        ordering = ["card", "language", "-created_at"]
        permissions = [("publish_cardtranslation", "Can publish card translations")]
        constraints = [
            models.UniqueConstraint(
                fields=["card", "language"],
                condition=Q(status="published"),
                name="one_published_translation_per_language",
            )
        ]

    def __str__(self):
        return f"{self.card} [{self.language}]"

    # --- writing ------------------------------------------------------------------------------

    def save(self, *args, by=None, **kwargs):
        """Every write names its author and is checked against the stored row: a locked or
        changed-since translation is refused, nothing overwritten."""
        by = by or getattr(self, "changed_by", None)  # the admin names the author so
        if by is None:
            raise no_author_error()
        if self.card.revision_of_id:
            raise WorkflowError(
                gettext("Translate the card on record, not its pending revision."), code="revision"
            )
        with transaction.atomic():
            if self.pk is None:
                self._refuse_skipping_review()
                self.created_by = by
                self.of_wording = wording(self.card)
                self._history_user = by
                super().save(*args, **kwargs)
            else:
                stored = type(self).objects.select_for_update().filter(pk=self.pk).first()
                if stored is None or stored.version != self.version:
                    raise EditConflict(CONFLICT_MESSAGE, code="conflict")
                stored._require_author(by)
                # A save changes the words, never where the translation stands: the steps do.
                for name in WORKFLOW_FIELDS:
                    setattr(self, name, getattr(stored, name))
                self.of_wording = wording(self.card)
                self.version = stored.version + 1
                self._history_user = by
                super().save(*args, **kwargs)
            self.editors.add(by)

    def _refuse_skipping_review(self):
        if self.status != self.Status.DRAFT or self.published_by_id or self.published_at:
            raise WorkflowError(
                gettext("A new translation starts as a draft: readers get it only once reviewed."),
                code="new_translation_not_draft",
            )

    def delete(self, *args, **kwargs):
        if self.status in (self.Status.PUBLISHED, self.Status.REPLACED):
            raise WorkflowError(PUBLISHED_STAYS, code="delete_published")
        return super().delete(*args, **kwargs)

    @property
    def is_current(self):
        return self.of_wording == wording(self.card)

    # --- who may do what ------------------------------------------------------------------

    @staticmethod
    def is_editor(user):
        return user.is_active and user.has_perm("factcards.publish_cardtranslation")

    def editable_by(self, user):
        """Its translator edits a draft; editors edit drafts and translations in review."""
        if not user.has_perm("factcards.change_cardtranslation"):
            return False
        if self.status == self.Status.IN_REVIEW:
            return self.is_editor(user)
        return self.status == self.Status.DRAFT and (
            self.created_by_id == user.pk or self.is_editor(user)
        )

    def _require_author(self, user):
        """`self` is the stored row: refuse a change by someone who may not make it now."""
        if not self.editable_by(user):
            raise WorkflowError(
                gettext(
                    "Only its translator (while a draft) and editors (while in review) change a "
                    "translation; a published one is replaced by a new one. Nothing was saved."
                ),
                code="not_editable",
            )

    def missing(self):
        """What of the card's words this translation leaves out (a reader would meet them
        in English)."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in TRANSLATED_FIELDS
            if getattr(self.card, name) and not getattr(self, name).strip()
        ]

    def wrote(self, user):
        return self.created_by_id == user.pk or self.editors.filter(pk=user.pk).exists()

    # --- the steps ----------------------------------------------------------------------------

    def _step(self, by, start, end, **changes):
        """From `start` (at the version loaded) to `end`, on the row locked: two people
        taking a step at once, one of them does; the other is told, and nothing changes."""
        with transaction.atomic():
            stored = (
                type(self)
                .objects.select_for_update()
                .filter(pk=self.pk, status=start, version=self.version)
                .first()
            )
            if stored is None:
                raise EditConflict(
                    gettext(
                        "Someone else took a step on this translation or changed it after you "
                        "opened it: nothing was done. Reload it to see where it stands."
                    ),
                    code="conflict",
                )
            stored.status, stored.version = end, stored.version + 1
            for name, value in changes.items():
                setattr(stored, name, value)
            stored._history_user = by
            models.Model.save(stored)  # the step, in its history; past save()'s edit rules
        self.refresh_from_db()

    def submit(self, by):
        if not (self.created_by_id == by.pk or self.is_editor(by)):
            raise WorkflowError(
                gettext("Only its translator or an editor submits it."), code="not_yours"
            )
        self.refuse_if_incomplete()
        self._step(by, self.Status.DRAFT, self.Status.IN_REVIEW)

    def refuse_if_incomplete(self):
        if self.missing():
            raise WorkflowError(
                gettext("Translate all of the card's words first: %(missing)s."),
                code="incomplete",
                params={"missing": ", ".join(self.missing())},
            )

    def return_to_draft(self, by):
        if not self.is_editor(by):
            raise WorkflowError(gettext("Only editors return a translation."), code="not_editor")
        self._step(by, self.Status.IN_REVIEW, self.Status.DRAFT)

    def publish(self, by):
        """In review → published, replacing the language's earlier translation of the card.
        Four-eyes: nobody who wrote any of it publishes it."""
        if not self.is_editor(by):
            raise WorkflowError(gettext("Only editors publish translations."), code="not_editor")
        if self.wrote(by):
            raise WorkflowError(
                gettext(
                    "You wrote or changed this translation, so someone else must review and "
                    "publish it (four-eyes)."
                ),
                code="four_eyes",
            )
        self.refuse_if_incomplete()
        from .cards import FactCard

        with transaction.atomic():
            # The card as it stands now, locked: its words and status are what readers get.
            card = FactCard.objects.select_for_update(of=("self",)).get(pk=self.card_id)
            if self.of_wording != wording(card):
                raise WorkflowError(
                    gettext(
                        "The card's words changed since this was translated: update the "
                        "translation to the card as it reads now, then submit it again."
                    ),
                    code="stale",
                )
            if card.status != "published":
                raise WorkflowError(
                    gettext("Only a published card's translation is published."),
                    code="card_not_public",
                )
            for earlier in (
                type(self)
                .objects.select_for_update()
                .filter(card_id=self.card_id, language=self.language, status=self.Status.PUBLISHED)
                .exclude(pk=self.pk)
            ):
                earlier._step(by, self.Status.PUBLISHED, self.Status.REPLACED)
            self._step(
                by,
                self.Status.IN_REVIEW,
                self.Status.PUBLISHED,
                published_by=by,
                published_at=timezone.now(),
            )
            # Readers see it now: every cache of the card's pages and embeds lets it go.
            FactCard.objects.filter(pk=self.card_id).update(
                version=F("version") + 1, updated_at=timezone.now()
            )
            Publication.bump(cards=[self.card_id])
