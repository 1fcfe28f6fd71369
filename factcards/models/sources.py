"""Sources: what was published, by whom and where, with its text for verbatim checks."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import reading
from .fields import WebURLField, link_key, squash_space, web_url
from .locking import EDITABLE, LOCKED, EditConflict, WorkflowError, no_author_error
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


SOURCE_CONFLICT = _(
    "Someone else changed this source after you opened it, so nothing of yours was saved "
    "and nothing was overwritten. Copy your changes, reload the source, then make them again."
)
SOURCE_GONE = _("This source no longer exists: it was deleted. Nothing was saved.")


class SourceQuerySet(models.QuerySet):
    def cited_on_record(self):
        """Sources that a published or retracted card cites: only editors change them."""
        return self.filter(citations__card__status__in=LOCKED).distinct()

    def with_link_state(self):
        """Each with link_outcome (its newest link check's) and has_archive (our own copy)."""
        from .intake import ArchivedCopy, LinkCheck

        latest = LinkCheck.objects.filter(source=models.OuterRef("pk")).order_by("-checked_at")
        return self.annotate(
            link_outcome=models.Subquery(latest.values("outcome")[:1]),
            link_checked_at=models.Subquery(latest.values("checked_at")[:1]),
            has_archive=models.Exists(ArchivedCopy.objects.filter(source=models.OuterRef("pk"))),
        )

    def update(self, **kwargs):
        raise WorkflowError(
            gettext(
                "Sources change one at a time, naming who makes the change (source.save(by=user)): "
                "a change reaches every card citing it."
            ),
            code="bulk_update",
        )

    def _claim(self):
        return super().update(version=models.F("version") + 1)


class Source(models.Model):
    outlet = models.CharField(
        verbose_name=_("outlet"),
        max_length=200,
        blank=True,
        help_text=_("Leave blank when the text does not name it."),
    )
    title = models.CharField(
        max_length=300, help_text=_("The headline as published."), verbose_name=_("title")
    )
    byline = models.CharField(max_length=200, blank=True, verbose_name=_("byline"))
    url = WebURLField(
        _("link"),
        max_length=500,
        blank=True,
        help_text=_("Leave blank when the link is not known. Never guess a link."),
    )
    published_on = models.DateField(
        verbose_name=_("published on"),
        null=True,
        blank=True,
        help_text=_("Leave blank when the source does not state it."),
    )
    retrieved_on = models.DateField(null=True, blank=True, verbose_name=_("retrieved on"))
    language = models.CharField(
        verbose_name=_("language"),
        max_length=12,
        default="en",
        blank=True,
        help_text=_("As the page states it; blank if not."),
    )
    archive_url = WebURLField(_("archived copy"), max_length=500, blank=True)
    full_text = models.TextField(
        verbose_name=_("full text"),
        blank=True,
        help_text=_(
            "The source's text. When present, every excerpt citing it must appear in it "
            "word for word."
        ),
    )
    link_key = models.CharField(
        max_length=500,
        blank=True,
        editable=False,
        db_index=True,
        help_text=_("The link as it names the article (see fields.link_key): finds duplicates."),
    )
    # Optimistic locking, as for cards: a save from a stale copy is refused.
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["version", "link_key"])
    conflict_message, gone_message = SOURCE_CONFLICT, SOURCE_GONE
    objects = SourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
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
        """A change to a source is a change to every card citing it: it names its author, who
        must be allowed to change each of those cards (only editors, once one is published),
        and who joins the editors of each card still in the works (four-eyes). Cards on
        record get a new version (new ETag) and the publication moves on."""
        from .cards import FactCard

        if by is not None:
            self.changed_by = by
        author = getattr(self, "changed_by", None)
        self.link_key = link_key(self.url)
        if self._state.adding:
            self.version = 1
            self._history_user = author
            return super().save(*args, **kwargs)
        if author is None:
            raise no_author_error()
        with transaction.atomic():
            if not Source.objects.filter(pk=self.pk, version=self.version)._claim():
                gone = not Source.objects.filter(pk=self.pk).exists()
                raise EditConflict(SOURCE_GONE if gone else SOURCE_CONFLICT, code="conflict")
            stored = Source.objects.get(pk=self.pk)
            self.version = stored.version
            changed = any(getattr(stored, name) != getattr(self, name) for name in SOURCE_FIELDS)
            if not changed:
                return super().save(*args, **kwargs)
            # The cards citing it, locked until this commits: none is published, approved
            # or deleted half-way through this change.
            cards = FactCard.objects.filter(pk__in=self.citations.values("card"))
            cards.lock_rows()
            self._require_author(author)
            self._require_excerpts_in_text()
            self._history_user = author
            super().save(*args, **kwargs)
            in_work = cards.filter(status__in=EDITABLE)
            in_work = list(in_work.values_list("pk", flat=True))
            FactCard.objects.filter(pk__in=in_work)._claim(last_edited_by=author)
            FactCard.editors.through.objects.bulk_create(
                [FactCard.editors.through(factcard_id=pk, user_id=author.pk) for pk in in_work],
                ignore_conflicts=True,
            )
            on_record = list(cards.filter(status__in=LOCKED).values_list("pk", flat=True))
            if FactCard.objects.filter(pk__in=on_record)._claim():
                Publication.bump(cards=on_record, sources=[self.pk])

    def _require_author(self, author):
        """Refuse an author who may not change every card citing this source as it stands."""
        if not self.editable_by(author):
            raise WorkflowError(
                gettext(
                    "You can't change this source: it is cited by cards that you may not edit "
                    "(published cards, or cards in review, are changed by editors). Nothing was "
                    "saved."
                ),
                code="source_locked",
            )

    def _require_excerpts_in_text(self):
        if not self.full_text:
            return
        missing = [
            citation.card.statement
            for citation in self.citations.select_related("card")
            if not self.contains_verbatim(citation.excerpt)
        ]
        if missing:
            raise ValidationError(
                {
                    "full_text": gettext(
                        "Every excerpt citing this source must appear in its text word "
                        "for word; these cards quote words the new text lacks: %(cards)s"
                    )
                    % {"cards": "; ".join(f"“{statement}”" for statement in missing[:5])}
                }
            )

    def clean(self):
        super().clean()
        if self.pk:
            self._require_excerpts_in_text()

    def duplicates(self):
        """Sources already stored that are probably this one: the same article's link, or the
        same headline from the same outlet."""
        same = models.Q(
            title__iexact=squash_space(self.title), outlet__iexact=squash_space(self.outlet)
        )
        key = link_key(self.url)
        if key:
            same |= models.Q(link_key=key)
        return Source.objects.filter(same).exclude(pk=self.pk)

    def editable_by(self, user):
        """Whether this user may change this source as it stands in the database: they must
        have the permission and be allowed to edit every card citing it."""
        from .cards import FactCard

        if not user.has_perm("factcards.change_source"):
            return False
        cards = FactCard.objects.filter(pk__in=self.citations.values("card"))
        if FactCard.is_editor(user):
            return True
        return not (
            cards.filter(status__in=LOCKED).exists()
            or cards.filter(status="in_review").exists()
            or cards.filter(status="draft").exclude(created_by=user).exists()
        )

    @property
    def link_is_broken(self):
        """The newest check found the link broken (needs with_link_state())."""
        from .intake import LinkCheck

        return getattr(self, "link_outcome", None) in LinkCheck.BROKEN

    @property
    def archived_link(self):
        """Where readers find the page while its link is broken: our archived copy, else the
        archive link given by hand; blank while the link works (needs with_link_state())."""
        if not self.link_is_broken:
            return ""
        if getattr(self, "has_archive", False):
            return reverse("archived_copy", args=[self.pk])
        return self.archive_url

    @property
    def credit(self):
        """How a reader sees who published it, never inventing an outlet."""
        return reading.credit(self)

    def contains_verbatim(self, excerpt):
        """Whether the excerpt appears word for word in the full text (spacing aside)."""
        return squash_space(excerpt) in squash_space(self.full_text)
