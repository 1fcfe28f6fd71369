"""Sources coming in: links being fetched, our own archived copies, link health, and the
disagreements a new source suggests."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from .fields import WebURLField
from .locking import WorkflowError


class Intake(models.Model):
    """A link a reporter gave, waiting for the worker to fetch it and make it a source."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for the worker"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    url = WebURLField("link", max_length=500)
    status = models.CharField(max_length=8, choices=Status, default=Status.WAITING)
    error = models.TextField(blank=True, help_text="Why the link could not be taken in.")
    source = models.ForeignKey(
        "factcards.Source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="intakes",
    )
    existing = models.BooleanField(
        default=False, help_text="The link was already a source: nothing new was stored."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "link taken in"
        verbose_name_plural = "links taken in"
        ordering = ["-created_at"]

    def __str__(self):
        return self.url


class ArchivedCopy(models.Model):
    """The page as we fetched it, a WARC record kept in the database (so every app server and
    every backup has it), with the text extracted from it."""

    source = models.ForeignKey(
        "factcards.Source", on_delete=models.CASCADE, related_name="archived_copies"
    )
    url = models.URLField(max_length=500, help_text="The link fetched.")
    final_url = models.URLField(max_length=500, help_text="Where its redirects ended.")
    status = models.PositiveSmallIntegerField()
    fetched_at = models.DateTimeField()
    warc = models.BinaryField(help_text="A gzipped WARC file: the request and the response.")
    size = models.PositiveIntegerField(help_text="Bytes of the page as served.")
    sha256 = models.CharField(max_length=64, help_text="Of the page as served.")
    text = models.TextField(blank=True, help_text="The article's text as extracted.")
    public_copy = models.URLField(
        max_length=500, blank=True, help_text="A public web archive's copy, when one was asked."
    )

    class Meta:
        verbose_name = "archived copy"
        verbose_name_plural = "archived copies"
        ordering = ["-fetched_at"]
        get_latest_by = "fetched_at"

    def __str__(self):
        return f"{self.url} ({self.fetched_at:%Y-%m-%d})"


class LinkCheck(models.Model):
    """One check of a source's link by the worker: the history of its health."""

    class Outcome(models.TextChoices):
        OK = "ok", "works"
        REDIRECTED = "redirected", "works, through redirects"
        MISSING = "missing", "page gone (404 or 410)"
        SOFT_404 = "soft_404", "page gone (the site answers with a 'not found' page)"
        DOMAIN_GONE = "domain_gone", "domain gone (its name no longer resolves)"
        TIMEOUT = "timeout", "timed out"
        FAILING = "failing", "failing (server error, refused or unreachable)"

    source = models.ForeignKey(
        "factcards.Source", on_delete=models.CASCADE, related_name="link_checks"
    )
    url = models.URLField(max_length=500)
    checked_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=12, choices=Outcome)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=500, blank=True)
    redirects = models.JSONField(default=list, blank=True, help_text="[[status, location], …]")
    message = models.TextField(blank=True)
    elapsed_ms = models.PositiveIntegerField(default=0)

    # What a reader can no longer open: the card then offers our archived copy.
    GONE = {Outcome.MISSING, Outcome.SOFT_404, Outcome.DOMAIN_GONE}
    BROKEN = GONE | {Outcome.TIMEOUT, Outcome.FAILING}

    class Meta:
        verbose_name = "link check"
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["source", "-checked_at"], name="link_check_latest")]

    def __str__(self):
        return f"{self.url}: {self.get_outcome_display()}"

    @property
    def is_broken(self):
        return self.outcome in self.BROKEN


class SuggestedDifference(models.Model):
    """A new source gives another number for what a card counts: the desk is asked whether to
    cite it on that card as giving a different value."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CITED = "cited", "Cited on the card"
        DISMISSED = "dismissed", "Dismissed"

    card = models.ForeignKey(
        "factcards.FactCard", on_delete=models.CASCADE, related_name="suggested_differences"
    )
    source = models.ForeignKey(
        "factcards.Source", on_delete=models.CASCADE, related_name="suggested_differences"
    )
    excerpt = models.TextField(help_text="The source's sentence, verbatim.")
    stated_value = models.CharField(max_length=200, help_text="The number as the source gives it.")
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "suggested difference"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["card", "source", "stated_value"], name="one_suggestion_per_value"
            )
        ]

    def __str__(self):
        return f"{self.source}: {self.stated_value} for “{self.card}”"

    # Deciding: once, by someone who may decide for the card. Call inside a transaction,
    # on a row read with select_for_update (two editors at once: one decides).

    def refuse_if_decided(self):
        if self.status != self.Status.OPEN:
            raise WorkflowError(
                "Someone already decided on this suggestion: %(status)s.",
                code="decided",
                params={"status": self.get_status_display().lower()},
            )

    def decide(self, status, by):
        self.refuse_if_decided()
        self.status, self.decided_by, self.decided_at = status, by, timezone.now()
        self.save(update_fields=["status", "decided_by", "decided_at"])

    @classmethod
    def dismiss(cls, pk, by):
        """Dismiss an open suggestion. Hiding a disagreement is the card's editors' call:
        editors, or for a draft its author; for a published card, editors only."""
        with transaction.atomic():
            suggestion = cls.objects.select_for_update().select_related("card").get(pk=pk)
            card = suggestion.card
            allowed = card.is_editor(by) if card.is_locked else card.editable_by(by)
            if not allowed:
                raise WorkflowError(
                    "Only the card's editors (for a draft, also its author) decide whether a "
                    "source that disagrees with it is dismissed: nothing was dismissed.",
                    code="not_yours",
                )
            suggestion.decide(cls.Status.DISMISSED, by)
        return suggestion
