"""Citations: the verbatim excerpt of a source that supports (or disputes) a card."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .fields import squash_space, verbatim_problem
from .locking import LOCKED, WorkflowError


class CitationQuerySet(models.QuerySet):
    # A card's citations are its content: they change one at a time, with an author.

    def _refuse(self):
        if self.filter(card__status__in=LOCKED).exists():
            raise WorkflowError(
                gettext("The sources of a published card change only through a revision."),
                code="published_locked",
            )
        raise WorkflowError(
            gettext(
                "Citations change one at a time, naming who makes the change "
                "(citation.save(by=user))."
            ),
            code="bulk_update",
        )

    def delete(self):
        self._refuse()

    def bulk_create(self, objs, *args, **kwargs):
        self.none()._refuse()

    def update(self, **kwargs):
        self._refuse()


class Citation(models.Model):
    class Relation(models.TextChoices):
        SUPPORTS = "supports", _("supports the card")
        DIFFERS = "differs", _("gives a different value")
        CONTEXT = "context", _("context")

    card = models.ForeignKey(
        "factcards.FactCard",
        on_delete=models.CASCADE,
        related_name="citations",
        verbose_name=_("card"),
    )
    source = models.ForeignKey(
        "factcards.Source",
        on_delete=models.PROTECT,
        related_name="citations",
        verbose_name=_("source"),
    )
    excerpt = models.TextField(
        verbose_name=_("excerpt"),
        help_text=_("The passage, copied word for word from the source: no paraphrase."),
    )
    locator = models.CharField(
        verbose_name=_("locator"),
        max_length=100,
        blank=True,
        help_text=_("Where in the source, e.g. paragraph 4."),
    )
    relation = models.CharField(
        max_length=10, choices=Relation, default=Relation.SUPPORTS, verbose_name=_("relation")
    )
    stated_value = models.CharField(
        verbose_name=_("stated value"),
        max_length=200,
        blank=True,
        help_text=_(
            "When the source gives a different value: that value as the source gives "
            "it, e.g. 120,000."
        ),
    )
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()
    objects = CitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(excerpt=""),
                name="citation_has_excerpt",
                violation_error_message=_("Paste the verbatim excerpt that supports the card."),
            )
        ]

    def __str__(self):
        return f"{self.source.credit}: {self.excerpt[:60]}"

    # A citation changes its card: the card's lock, author rule and version apply.

    def save(self, *args, by=None, **kwargs):
        author = self._author(by)
        with transaction.atomic():
            if not self._state.adding:
                stored = Citation.objects.filter(pk=self.pk).values_list("card", flat=True)
                if stored.first() not in (None, self.card_id):
                    raise WorkflowError(
                        gettext(
                            "A citation stays with its card: cite the source on the other card."
                        ),
                        code="citation_moved",
                    )
            self.card._record_edit(author)
            self._history_user = author
            super().save(*args, **kwargs)

    def delete(self, *args, by=None, **kwargs):
        author = self._author(by)
        with transaction.atomic():
            self.card._record_edit(author)
            self._history_user = author
            return super().delete(*args, **kwargs)

    def _author(self, by):
        """`by`, or whoever this copy (or the card it came with) is being changed by."""
        if by is not None:
            self.changed_by = by
        return getattr(self, "changed_by", None) or getattr(self.card, "changed_by", None)

    @property
    def differs(self):
        """Its source gives another value than the card's."""
        return self.relation == self.Relation.DIFFERS

    @property
    def is_context(self):
        return self.relation == self.Relation.CONTEXT

    def fingerprint(self):
        return f"{self.source} · {self.get_relation_display()} · “{squash_space(self.excerpt)}”"

    def clean(self):
        errors = {}
        if not self.excerpt.strip():
            errors["excerpt"] = gettext("Paste the verbatim excerpt that supports the card.")
        elif self.source_id and self.source.full_text:
            problem = verbatim_problem(self.excerpt, self.source.full_text)
            if problem:
                errors["excerpt"] = problem
        if self.relation == self.Relation.DIFFERS and not self.stated_value.strip():
            errors["stated_value"] = gettext("Say which value this source gives instead.")
        if errors:
            raise ValidationError(errors)
