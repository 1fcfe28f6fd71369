"""Sources: what was published, by whom and where, with its text for verbatim checks."""

from django.db import models, transaction
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .fields import WebURLField, squash_space, web_url
from .locking import LOCKED, WorkflowError, no_author_error
from .publication import Publication

# What a reader sees of a source on every card citing it.
SOURCE_FIELDS = [
    "outlet",
    "title",
    "byline",
    "url",
    "published_on",
    "retrieved_on",
    "language",
    "archive_url",
    "full_text",
]


class SourceQuerySet(models.QuerySet):
    def cited_on_record(self):
        """Sources that a published or retracted card cites: only editors change them."""
        return self.filter(citations__card__status__in=LOCKED).distinct()

    def update(self, **kwargs):
        raise WorkflowError(
            "Sources change one at a time, naming who makes the change (source.save(by=user)): "
            "a change reaches every card citing it.",
            code="bulk_update",
        )


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
    objects = SourceQuerySet.as_manager()

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

    def save(self, *args, by=None, **kwargs):
        """A change to a source names its author; once a published card cites it, only an
        editor changes it, and every card citing it gets a new version (new ETag)."""
        from .cards import FactCard

        if by is not None:
            self.changed_by = by
        author = getattr(self, "changed_by", None)
        if self._state.adding:
            self._history_user = author
            return super().save(*args, **kwargs)
        if author is None:
            raise no_author_error()
        with transaction.atomic():
            stored = Source.objects.select_for_update().filter(pk=self.pk).first()
            citing = FactCard.objects.filter(citations__source=self.pk, status__in=LOCKED)
            changed = stored is None or any(
                getattr(stored, name) != getattr(self, name) for name in SOURCE_FIELDS
            )
            if changed and citing.exists() and not FactCard.is_editor(author):
                raise WorkflowError(
                    "Published cards cite this source, so only an editor can change it: a "
                    "change shows at once on every card citing it.",
                    code="source_locked",
                )
            self._history_user = author
            super().save(*args, **kwargs)
            if changed and FactCard.objects.filter(pk__in=citing.values("pk"))._claim():
                Publication.bump()

    def editable_by(self, user):
        """Anyone with the permission edits a source; once published cards cite it, editors."""
        if not user.has_perm("factcards.change_source"):
            return False
        return user.has_perm("factcards.publish_factcard") or not (
            Source.objects.filter(pk=self.pk).cited_on_record().exists()
        )

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
