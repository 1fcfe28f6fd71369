"""Sources coming in: links being fetched, our own archived copies, link health, and the
disagreements a new source suggests."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .fields import WebURLField
from .locking import WorkflowError


class Intake(models.Model):
    """A link a reporter gave, waiting for the worker to fetch it and make it a source."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the worker")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    url = WebURLField(_("link"), max_length=500)
    status = models.CharField(
        max_length=8, choices=Status, default=Status.WAITING, verbose_name=_("status")
    )
    error = models.TextField(
        blank=True, help_text=_("Why the link could not be taken in."), verbose_name=_("error")
    )
    source = models.ForeignKey(
        "factcards.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="intakes",
    )
    existing = models.BooleanField(
        verbose_name=_("existing"),
        default=False,
        help_text=_("The link was already a source: nothing new was stored."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("link taken in")
        verbose_name_plural = _("links taken in")
        ordering = ["-created_at"]

    def __str__(self):
        return self.url


class ArchivedCopy(models.Model):
    """The page as we fetched it, a WARC record kept in the database (so every app server and
    every backup has it), with the text extracted from it."""

    source = models.ForeignKey(
        "factcards.Source",
        on_delete=models.CASCADE,
        related_name="archived_copies",
        verbose_name=_("source"),
    )
    url = models.URLField(max_length=500, help_text=_("The link fetched."), verbose_name=_("url"))
    final_url = models.URLField(
        max_length=500, help_text=_("Where its redirects ended."), verbose_name=_("final url")
    )
    status = models.PositiveSmallIntegerField(verbose_name=_("status"))
    fetched_at = models.DateTimeField(verbose_name=_("fetched at"))
    warc = models.BinaryField(help_text=_("A gzipped WARC file: the request and the response."))
    size = models.PositiveIntegerField(
        help_text=_("Bytes of the page as served."), verbose_name=_("size")
    )
    sha256 = models.CharField(max_length=64, help_text=_("Of the page as served."))
    text = models.TextField(
        blank=True, help_text=_("The article's text as extracted."), verbose_name=_("text")
    )
    public_copy = models.URLField(
        verbose_name=_("public copy"),
        max_length=500,
        blank=True,
        help_text=_("A public web archive's copy, when one was asked."),
    )

    class Meta:
        verbose_name = _("archived copy")
        verbose_name_plural = _("archived copies")
        ordering = ["-fetched_at"]
        get_latest_by = "fetched_at"

    def __str__(self):
        return f"{self.url} ({self.fetched_at:%Y-%m-%d})"


class LinkCheck(models.Model):
    """One check of a source's link by the worker: the history of its health."""

    class Outcome(models.TextChoices):
        OK = "ok", _("works")
        REDIRECTED = "redirected", _("works, through redirects")
        MISSING = "missing", _("page gone (404 or 410)")
        SOFT_404 = "soft_404", _("page gone (the site answers with a 'not found' page)")
        DOMAIN_GONE = "domain_gone", _("domain gone (its name no longer resolves)")
        TIMEOUT = "timeout", _("timed out")
        FAILING = "failing", _("failing (server error, refused or unreachable)")

    source = models.ForeignKey(
        "factcards.Source",
        on_delete=models.CASCADE,
        related_name="link_checks",
        verbose_name=_("source"),
    )
    url = models.URLField(max_length=500, verbose_name=_("url"))
    checked_at = models.DateTimeField(db_index=True, verbose_name=_("checked at"))
    outcome = models.CharField(max_length=12, choices=Outcome, verbose_name=_("outcome"))
    status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("status"))
    final_url = models.URLField(max_length=500, blank=True, verbose_name=_("final url"))
    redirects = models.JSONField(
        default=list,
        blank=True,
        help_text=_("[[status, location], …]"),
        verbose_name=_("redirects"),
    )
    message = models.TextField(blank=True, verbose_name=_("message"))
    elapsed_ms = models.PositiveIntegerField(default=0, verbose_name=_("elapsed ms"))

    # What a reader can no longer open: the card then offers our archived copy.
    GONE = {Outcome.MISSING, Outcome.SOFT_404, Outcome.DOMAIN_GONE}
    BROKEN = GONE | {Outcome.TIMEOUT, Outcome.FAILING}

    class Meta:
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
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
        OPEN = "open", _("Open")
        CITED = "cited", _("Cited on the card")
        DISMISSED = "dismissed", _("Dismissed")

    card = models.ForeignKey(
        "factcards.FactCard",
        on_delete=models.CASCADE,
        related_name="suggested_differences",
        verbose_name=_("card"),
    )
    source = models.ForeignKey(
        "factcards.Source",
        on_delete=models.CASCADE,
        related_name="suggested_differences",
        verbose_name=_("source"),
    )
    excerpt = models.TextField(
        help_text=_("The source's sentence, verbatim."), verbose_name=_("excerpt")
    )
    stated_value = models.CharField(
        verbose_name=_("stated value"),
        max_length=200,
        help_text=_("The number as the source gives it."),
    )
    status = models.CharField(
        max_length=10, choices=Status, default=Status.OPEN, verbose_name=_("status")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    class Meta:
        verbose_name = _("suggested difference")
        verbose_name_plural = _("suggested differences")
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
                gettext("Someone already decided on this suggestion: %(status)s."),
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
                    gettext(
                        "Only the card's editors (for a draft, also its author) decide whether a "
                        "source that disagrees with it is dismissed: nothing was dismissed."
                    ),
                    code="not_yours",
                )
            suggestion.decide(cls.Status.DISMISSED, by)
        return suggestion
