"""Periodic jobs: one row per job and time slot, so each slot is enqueued and run once."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicRun(models.Model):
    job = models.CharField(max_length=40, verbose_name=_("job"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    task_id = models.CharField(max_length=64, blank=True, help_text=_("The worker's task result."))
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("done at"))

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "due_at"], name="one_run_per_slot"),
        ]

    def __str__(self):
        return f"{self.job} at {self.due_at:%Y-%m-%d %H:%M}"
