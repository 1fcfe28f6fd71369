"""Where cards live: the articles that embed or cite each card, and what a correction asks
of them (each article checked by someone), the CMS clients that register articles, and the
log of every webhook delivery to the newsroom's CMS."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .fields import link_key
from .locking import LOCKED


def on_record_cards():
    return Q(status__in=LOCKED, revision_of__isnull=True)


class ArticleUse(models.Model):
    """One article (a page on a newsroom's site) that shows or cites one card."""

    class How(models.TextChoices):
        EMBED = "embed", _("Seen embedding the card")
        CMS = "cms", _("Registered by a CMS")
        EDITOR = "editor", _("Added by hand")

    card = models.ForeignKey(
        "factcards.FactCard",
        verbose_name=_("card"),
        on_delete=models.CASCADE,
        related_name="article_uses",
        limit_choices_to=on_record_cards,
    )
    url = models.URLField(
        _("article"),
        max_length=2000,
        help_text=_(
            "The article's address (http or https). Tracking parameters and the part "
            "after # are dropped."
        ),
    )
    key = models.CharField(max_length=64, editable=False)  # the article, as link_key names it
    how = models.CharField(
        _("learnt from"), max_length=6, choices=How, default=How.EDITOR, editable=False
    )
    first_seen = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("first seen")
    )
    last_seen = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last seen")
    )
    views = models.PositiveBigIntegerField(
        _("views (approx.)"),
        default=0,
        editable=False,
        help_text=_("Embeds shown, counted in the cache and added up every few minutes."),
    )
    added_at = models.DateTimeField(auto_now_add=True, verbose_name=_("added at"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    cms = models.ForeignKey(
        "factcards.CmsClient",
        verbose_name=_("cms"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("article using a card")
        verbose_name_plural = _("articles using cards")
        ordering = ["-last_seen", "-added_at"]
        constraints = [
            models.UniqueConstraint(fields=["card", "key"], name="one_use_per_card_and_article")
        ]

    def __str__(self):
        return self.url

    def save(self, *args, **kwargs):
        self.key = self.key_for(self.url)
        super().save(*args, **kwargs)

    @staticmethod
    def key_for(url):
        return hashlib.sha256(link_key(url).encode()).hexdigest()

    def clean(self):
        from ..registry import RejectedURL, article_url

        if self.url:
            try:
                self.url = article_url(self.url)
            except RejectedURL as error:
                raise ValidationError({"url": str(error)}, code="bad_article_url") from error
            self.key = self.key_for(self.url)
            if (
                ArticleUse.objects.filter(card_id=self.card_id, key=self.key)
                .exclude(pk=self.pk)
                .exists()
            ):
                raise ValidationError(
                    {"url": gettext("This article is already listed for this card.")},
                    code="duplicate",
                )


class ArticleCheck(models.Model):
    """A correction or retraction asks that each article using the card be looked at."""

    correction = models.ForeignKey(
        "factcards.Correction",
        on_delete=models.CASCADE,
        related_name="article_checks",
        verbose_name=_("correction"),
    )
    use = models.ForeignKey(
        ArticleUse, on_delete=models.CASCADE, related_name="checks", verbose_name=_("use")
    )
    updated = models.BooleanField(
        verbose_name=_("updated"),
        default=False,
        help_text=_("Tick once the article has been looked at and, if need be, fixed."),
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    checked_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("checked at")
    )

    class Meta:
        verbose_name = _("article to check")
        verbose_name_plural = _("articles to check")
        ordering = ["updated", "-correction__created_at", "use__url"]
        constraints = [
            models.UniqueConstraint(fields=["correction", "use"], name="one_check_per_article")
        ]

    def __str__(self):
        return f"{self.use.url} ({self.correction.get_kind_display().lower()})"


def hash_token(token):
    # Tokens are long and random, so one fast hash is enough (as for GitHub's tokens): unlike
    # passwords, there is nothing to guess from a leaked hash.
    return hashlib.sha256(token.encode()).hexdigest()


class CmsClient(models.Model):
    """A newsroom CMS allowed to register articles: it authenticates with its own token."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
        unique=True,
        help_text=_("e.g. “WordPress, main site”."),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_start = models.CharField(_("token starts with"), max_length=8, editable=False)
    active = models.BooleanField(
        default=True, help_text=_("Untick to refuse its token."), verbose_name=_("active")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, editable=False, verbose_name=_("last used at"))

    class Meta:
        verbose_name = _("CMS client")
        verbose_name_plural = _("CMS clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def new_token(self):
        """Give the client a new token, returned once: only its hash is kept."""
        token = "fc_" + secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.token_start = token[:8]
        return token

    @classmethod
    def for_token(cls, token):
        if not token:
            return None
        return cls.objects.filter(token_hash=hash_token(token), active=True).first()


class WebhookDelivery(models.Model):
    """One event sent to the newsroom's CMS: the exact body, and whether it got there."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being delivered")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed for good")

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40, verbose_name=_("event"))
    card = models.ForeignKey(
        "factcards.FactCard",
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
        verbose_name=_("card"),
    )
    url = models.URLField(max_length=2000, verbose_name=_("url"))
    body = models.TextField(
        help_text=_("The JSON sent, byte for byte (what the signature covers).")
    )
    status = models.CharField(
        max_length=9, choices=Status, default=Status.PENDING, verbose_name=_("status")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    # Each attempt is claimed here before it is sent, so a copy of its task (a retry and the
    # sweep's, both late) finds it taken and sends nothing.
    attempt = models.PositiveSmallIntegerField(
        verbose_name=_("attempt"),
        default=0,
        help_text=_("The number of the latest attempt begun (0: none yet)."),
    )
    attempted_at = models.DateTimeField(
        verbose_name=_("attempted at"),
        null=True,
        blank=True,
        help_text=_(
            "When the latest attempt began, or was asked for: a delivery still pending "
            "long after this is sent again by the worker's sweep."
        ),
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.event}: {self.card}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempts",
        verbose_name=_("delivery"),
    )
    number = models.PositiveSmallIntegerField(verbose_name=_("number"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("status code")
    )
    error = models.TextField(blank=True, verbose_name=_("error"))
    duration_ms = models.PositiveIntegerField(default=0, verbose_name=_("duration ms"))

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number"]

    def __str__(self):
        return f"attempt {self.number}: {self.status_code or self.error[:40]}"

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300


@receiver(post_save, sender="factcards.Correction")
def corrections_reach_articles(sender, instance, created, raw, **kwargs):
    """Every path that corrects or retracts a card creates a Correction: this is where the
    articles hear of it (a backup being restored is not a correction)."""
    if created and not raw:
        from ..articles import correction_made

        correction_made(instance)
