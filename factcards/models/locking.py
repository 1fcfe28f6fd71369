"""The lock: which cards are locked, the one message that says so, and the guarded write.

A card is locked when its *stored* status says so. Every write to a card is one UPDATE that
names the version the writer loaded and the statuses it may start from; when it changes no
row, the writer lost a race or the card is locked, and nothing is written.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

LOCKED = ("published", "retracted")  # change only through an approved revision
EDITABLE = ("draft", "in_review")

LOCKED_MESSAGE = _("A published card never changes in place: propose a revision.")
CONFLICT_MESSAGE = _(
    "Someone else changed this card after you opened it (an edit or a workflow step), so "
    "nothing of yours was saved and nothing was overwritten. Copy your changes, reload the "
    "card to see where it stands, then make them again."
)
GONE_MESSAGE = _(
    "This card no longer exists: it was deleted, or (for a revision) another editor has "
    "already published it. Nothing was done."
)
NO_AUTHOR_MESSAGE = _(
    "Say who makes this change (save(by=user)): every change to a card's content names its "
    "author, so that the four-eyes rule can see it."
)


class WorkflowError(ValidationError):
    """A workflow step or change that the rules refuse; the message says why, for an editor."""


class EditConflict(ValidationError):
    """Someone else changed the card after this copy of it was loaded."""


def locked_error():
    return WorkflowError(LOCKED_MESSAGE, code="published_locked")


def no_author_error():
    return WorkflowError(NO_AUTHOR_MESSAGE, code="no_author")


class GuardedQuerySet(models.QuerySet):
    """Bulk writes that skip the rules are refused; the guarded write is the one way in."""

    def _claim(self, **changes):
        """Bump the version of the rows this queryset still matches; how many it bumped."""
        return super().update(version=models.F("version") + 1, **changes)

    def lock_rows(self):
        """The matching rows, locked until the transaction ends (SQLite: the whole database,
        taken at BEGIN IMMEDIATE)."""
        return list(self.select_for_update(of=("self",)).values_list("pk", flat=True))
