"""Periodic jobs: one row per job and time slot, so each slot is enqueued and run once."""

from django.db import models


class PeriodicRun(models.Model):
    job = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True, help_text="The worker's task result.")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "periodic run"
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "due_at"], name="one_run_per_slot"),
        ]

    def __str__(self):
        return f"{self.job} at {self.due_at:%Y-%m-%d %H:%M}"
