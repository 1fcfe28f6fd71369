"""Corrections: dated public notes on a published card; once out, never rewritten."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .locking import WorkflowError

REWRITE_MESSAGE = _(
    "A public correction or retraction notice, once out, is never rewritten or removed: "
    "a further revision adds another."
)


class CorrectionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise WorkflowError(REWRITE_MESSAGE, code="correction_locked")

    def delete(self):
        raise WorkflowError(REWRITE_MESSAGE, code="correction_locked")


def now_to_the_second():
    # Readers see whole seconds; a backup (dumpdata's JSON keeps milliseconds) restores them.
    return timezone.now().replace(microsecond=0)


class Correction(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        RETRACTION = "retraction", _("Retraction")

    card = models.ForeignKey(
        "factcards.FactCard",
        on_delete=models.CASCADE,
        related_name="corrections",
        verbose_name=_("card"),
    )
    kind = models.CharField(
        max_length=10, choices=Kind, default=Kind.CORRECTION, verbose_name=_("kind")
    )
    note = models.TextField(
        help_text=_("Public: readers see it on the card and in embeds."), verbose_name=_("note")
    )
    changed = models.CharField(
        verbose_name=_("changed"),
        max_length=300,
        blank=True,
        help_text=_("What the revision changed."),
    )
    created_at = models.DateTimeField(default=now_to_the_second, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    history = HistoricalRecords()
    objects = CorrectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.created_at:%Y-%m-%d}: {self.note[:60]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise WorkflowError(REWRITE_MESSAGE, code="correction_locked")
        self._history_user = self.created_by
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise WorkflowError(REWRITE_MESSAGE, code="correction_locked")
