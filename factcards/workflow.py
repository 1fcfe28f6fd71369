"""The editorial workflow: one declared table of steps, and the one way to take them.

draft → in review → published → retracted, and in review → draft with a comment. In review,
an editor may instead approve a card to go public at a set time (it stays in review until the
worker publishes it); published, an editor may confirm it is still true. Each step says where
it starts from, where it goes, what it asks for and who may take it.
`steps_for(card, user)` is what the admin offers; `take(card, name, user, text, when)` is what
every path calls (FactCard.publish() and friends delegate here). Taking a step locks the
card's row and re-reads it, so of two people taking the same step at once exactly one wins.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import AUTHORED_FIELDS, REVISED_FIELDS, Citation, Correction, FactCard, WorkflowError
from .models.cards import WORKFLOW_FIELDS
from .models.corrections import now_to_the_second
from .models.locking import CONFLICT_MESSAGE
from .notifications import notify

DRAFT, IN_REVIEW, PUBLISHED, RETRACTED = FactCard.Status.values

# What a step that asks for text calls it, how it explains it, and what it says when missing.
ASKS = {
    "comment": (
        _("Comment for the author"),
        _("Say what to fix. The author sees this."),
        _("Say why the card goes back: the author sees your comment."),
    ),
    "note": (
        _("Public retraction notice"),
        _("Readers see this on the card and in every embed."),
        _("Write the retraction notice readers will see."),
    ),
}


def publish_at_help(zone):
    """The publication time's help text, in the language active when it is shown."""
    return gettext(
        "The date and time it goes public (%(zone)s). Any edit or return before then cancels it."
    ) % {"zone": zone}


# Steps that ask for a date or a time instead: (label, help, message when missing or None).
WHEN = {
    "next_check": (
        _("Check again by"),
        _("Leave blank for the usual interval for this kind of card (none for some kinds)."),
        None,
    ),
    "publish_at": (
        _("Publish at"),
        # The time zone as it was at import, the sentence in the language of the moment.
        lazy(publish_at_help, str)(settings.TIME_ZONE),
        _("Say when the card goes public: a date and a time."),
    ),
}
# What a refused date or time is called (the admin asks again, keeping what was typed).
WHEN_ERRORS = {
    "bad_date", "check_in_past", "check_too_far", "no_publish_at", "publish_at_past",
    "publish_at_too_far",
}  # fmt: skip
# The furthest ahead a publication may be scheduled, or a next check set.
SCHEDULE_AHEAD = datetime.timedelta(days=365)
CHECK_AHEAD = datetime.timedelta(days=5 * 365)


# --- who may take a step: each returns why not, or None ------------------------------------


def author_or_editor(card, user):
    if not user.has_perm("factcards.change_factcard"):
        return gettext("You can't submit cards.")
    if card.created_by_id != user.pk and not FactCard.is_editor(user):
        return gettext("Only the card's author or an editor can submit it for review.")


def editor(card, user):
    if not FactCard.is_editor(user):
        return gettext("Only editors can do this.")


def second_editor(card, user):
    """Four-eyes: an editor who neither created nor changed this version, superusers too."""
    if not FactCard.is_editor(user):
        return gettext("Only editors can publish cards.")
    if card.wrote(user):
        return gettext(
            "You created or edited this version, so another editor must publish it "
            "(four-eyes rule)."
        )
    if card.is_revision and card.revision_of.status != PUBLISHED:
        return gettext(
            "The card this revision would replace is no longer published (it was retracted)."
        )


def scheduler(card, user):
    """The publish rule (four-eyes), once: a card is approved for one time at a time."""
    if card.publish_at:
        return gettext(
            "Already approved to go public at %(time)s by %(who)s: cancel that first to "
            "choose another time."
        ) % {"time": f"{card.publish_at:%Y-%m-%d %H:%M}", "who": card.scheduled_by}
    return second_editor(card, user)


def scheduled_editor(card, user):
    if not card.publish_at:
        return gettext("This card is not scheduled to go public.")
    return editor(card, user)


def checker(card, user):
    """Four-eyes for a check too: nobody vouches for a version they created or changed."""
    if not FactCard.is_editor(user):
        return gettext("Only editors can confirm that a card is still true.")
    if card.wrote(user):
        return gettext(
            "You created or edited this card, so another editor must confirm it is still "
            "true (four-eyes rule)."
        )


def reviser(card, user):
    if not user.has_perm("factcards.add_factcard"):
        return gettext("You can't propose revisions.")
    if FactCard.objects.filter(revision_of=card).exists():
        return gettext("A revision of this card is already pending: edit that one.")


# --- what a step does, once the card's row is locked and the checks passed ------------------


def submit(card, by, text):
    missing = card.missing_values()
    if missing:
        raise WorkflowError(
            gettext("Not ready for review: %(missing)s") % {"missing": " ".join(missing.values())},
            code="not_ready",
        )
    card.status = IN_REVIEW
    card.review_comment = ""


def return_to_draft(card, by, text):
    card.status = DRAFT
    card.review_comment = text
    card.publish_at = card.scheduled_by = None  # the approval was of the version in review


def publish(card, by, text):
    problems = card.publication_errors()
    if problems:
        raise WorkflowError(" ".join(problems), code="not_ready")
    if card.is_revision:
        return apply_revision(card, by)
    card.status = PUBLISHED
    card.published_by = by
    card.published_at = now_to_the_second()
    card.publish_at = card.scheduled_by = None
    if card.check_by is None:
        card.check_by = next_check_by(card)


def next_check_by(card, today=None):
    """The kind's usual check-by date from today (FACTCARDS_CHECK_DAYS), or None."""
    days = settings.FACTCARDS_CHECK_DAYS.get(card.kind)
    return (today or timezone.localdate()) + datetime.timedelta(days=days) if days else None


def confirm(card, by, next_check):
    if next_check is not None:
        if not isinstance(next_check, datetime.date) or isinstance(next_check, datetime.datetime):
            raise WorkflowError(gettext("Give the next check as a date."), code="bad_date")
        today = timezone.localdate()
        if next_check <= today:
            raise WorkflowError(
                gettext(
                    "The next check must be after today: choose a later date, or leave it blank."
                ),
                code="check_in_past",
            )
        if next_check > today + CHECK_AHEAD:
            raise WorkflowError(
                gettext("The next check can be at most five years ahead: choose an earlier date."),
                code="check_too_far",
            )
    card.checked_by = by
    card.checked_at = now_to_the_second()
    card.check_by = next_check or next_check_by(card)


def schedule(card, by, publish_at):
    if not isinstance(publish_at, datetime.datetime):
        raise WorkflowError(WHEN["publish_at"][2], code="no_publish_at")
    if timezone.is_naive(publish_at):
        publish_at = timezone.make_aware(publish_at)
    now = timezone.now()
    if publish_at <= now:
        raise WorkflowError(
            gettext("That time has passed: choose a time still to come, or publish the card now."),
            code="publish_at_past",
        )
    if publish_at > now + SCHEDULE_AHEAD:
        raise WorkflowError(
            gettext(
                "That is more than a year ahead: publications can be scheduled up to a year out."
            ),
            code="publish_at_too_far",
        )
    problems = card.publication_errors()
    if problems:
        raise WorkflowError(" ".join(problems), code="not_ready")
    card.publish_at = publish_at.replace(microsecond=0)
    card.scheduled_by = by
    # The queue lives in this database: the approval and its task commit (or not) together.
    from .tasks import publish_scheduled

    publish_scheduled.using(run_after=card.publish_at).enqueue(card.pk, card.publish_at.isoformat())


def cancel_schedule(card, by, text):
    card.publish_at = card.scheduled_by = None


def retract(card, by, text):
    card.status = RETRACTED
    Correction.objects.create(card=card, kind=Correction.Kind.RETRACTION, note=text, created_by=by)


def start_revision(card, by, text):
    """A pending copy of the published card, with its tags and citations, to edit."""
    try:
        with transaction.atomic():
            revision = FactCard(revision_of=card, created_by=by)
            for name in REVISED_FIELDS:
                setattr(revision, name, getattr(card, name))
            revision.save()
    except IntegrityError as error:  # the unique revision_of: another click was first
        raise WorkflowError(
            reviser(card, by) or CONFLICT_MESSAGE, code="revision_pending"
        ) from error
    revision.changed_by = by
    revision.topics.set(card.topics.all())
    revision.places.set(card.places.all())
    for citation in card.citations.all():
        citation.pk = None
        citation._state.adding = True
        citation.card = revision
        citation.save(by=by)
    return revision


def apply_revision(revision, by):
    """The revision's content replaces the published card's; the revision is then gone."""
    card = FactCard.objects.select_for_update(of=("self",)).get(pk=revision.revision_of_id)
    if card.status != PUBLISHED:
        raise WorkflowError(
            gettext(
                "The card this revision would replace is no longer published (it was retracted)."
            ),
            code="wrong_status",
        )
    note = revision.correction_note.strip()
    with translation.override(settings.LANGUAGE_CODE):  # kept on record in the site's language
        substance = revision.substance_changes()
    for name in REVISED_FIELDS:
        setattr(card, name, getattr(revision, name))
    card.last_edited_by_id = revision.last_edited_by_id
    card.published_by = by
    card.revised_at = now_to_the_second()
    card._history_user = by
    card._applying_revision = True  # the published card's tags follow the revision's
    card.topics.set(revision.topics.all())
    card.places.set(revision.places.all())
    # Citations move from the revision to the card, past their own per-edit checks: this
    # step is the approval those checks wait for.
    for citation in card.citations.all():
        citation._history_user = by
        super(Citation, citation).delete()
    for citation in revision.citations.all():
        citation.card = card
        citation._history_user = by
        super(Citation, citation).save()
    card._write(
        [PUBLISHED],
        author=by,
        step="apply_revision",
        reason="Revision published" + (" with a correction" if note else ""),
    )
    card._applying_revision = False
    if note:
        Correction.objects.create(
            card=card,
            kind=Correction.Kind.CORRECTION,
            note=note,
            created_by=by,
            changed=", ".join(substance),
        )
    # Who wrote the published version now includes who wrote the revision: four-eyes bars
    # them from confirming it is still true.
    card.editors.add(*revision.editors.all())
    revision._history_user = by
    revision.delete()
    return card


@dataclass(frozen=True)
class Step:
    name: str
    label: str  # the button (lazily translated, as are done and verb)
    done: str  # "“…” was published."
    verb: str  # "Can't publish a card that is a draft."
    sources: tuple  # the statuses it starts from
    target: str | None  # where it goes (None: a new card, the revision)
    asks: str | None  # None, a text ("comment", "note") or a time ("next_check", "publish_at")
    who: Callable  # (card, user) → why this user may not take it, or None
    apply: Callable  # (card, user, text or time) → the card to go to next, or None for this one
    reason: str  # what the card's history says (stored: not translated)

    def refusal(self, card, user):
        """Why this user can't take this step on this card now, or None."""
        if card.status not in self.sources:
            return gettext("Can't %(doing)s a card that is %(status)s.") % {
                "doing": self.verb,
                "status": card.status_phrase,
            }
        return self.who(card, user)


STEPS = {
    step.name: step
    for step in [
        Step(
            "submit", _("Submit for review"), _("submitted for review"), _("submit for review"),
            (DRAFT,), IN_REVIEW, None, author_or_editor, submit, "Submitted for review",
        ),
        Step(
            "return_to_draft", _("Return to draft"), _("returned to draft"), _("return"),
            (IN_REVIEW,), DRAFT, "comment", editor, return_to_draft, "Returned to draft",
        ),
        Step(
            "publish", _("Publish"), _("published"), _("publish"),
            (IN_REVIEW,), PUBLISHED, None, second_editor, publish, "Published",
        ),
        Step(
            "retract", _("Retract"), _("retracted"), _("retract"),
            (PUBLISHED,), RETRACTED, "note", editor, retract, "Retracted",
        ),
        Step(
            "start_revision", _("Propose a revision"), _("opened as a revision"), _("revise"),
            (PUBLISHED,), None, None, reviser, start_revision, "",
        ),
        Step(
            "confirm", _("Confirm still true"), _("confirmed as still true"), _("confirm"),
            (PUBLISHED,), PUBLISHED, "next_check", checker, confirm, "Confirmed still true",
        ),
        Step(
            "schedule", _("Schedule publication"), _("scheduled"), _("schedule"),
            (IN_REVIEW,), IN_REVIEW, "publish_at", scheduler, schedule, "Scheduled to publish",
        ),
        Step(
            "cancel_schedule", _("Cancel scheduled publication"), _("taken off the schedule"),
            _("unschedule"), (IN_REVIEW,), IN_REVIEW, None, scheduled_editor, cancel_schedule,
            "Scheduled publication cancelled",
        ),
    ]
}  # fmt: skip


# What a card must have for a step, beyond who may take it (the steps' own checks say the same).
READINESS = {
    "submit": lambda card: list(card.missing_values().values()),
    "publish": lambda card: card.publication_errors(),
    "schedule": lambda card: card.publication_errors(),  # approved now, published later
}


def blockers(card, name, user):
    """Everything that stops this user taking this step on this card now, all at once: what
    the admin lists before it offers the button."""
    step = STEPS[name]
    problems = [step.refusal(card, user)]
    if card.status in step.sources:
        problems += READINESS.get(name, lambda card: [])(card)
    return [problem for problem in problems if problem]


def steps_for(card, user):
    """The steps this user may take on this card now: what the admin offers."""
    return [step for step in STEPS.values() if step.refusal(card, user) is None]


def take(card, name, user, text="", when=None):
    """Take one step on one card, as `user`; returns the card to show next. `text` is the
    comment or note a step asks for, `when` the date or time (next check, publication)."""
    step = STEPS[name]
    text = (text or "").strip()
    # Who may not take it at all hears that first, whatever else changed meanwhile.
    problem = step.who(card, user)
    if problem:
        raise WorkflowError(problem, code="not_allowed")
    with transaction.atomic():
        # Lock the row as this copy knows it: a card changed or moved on since it was loaded
        # matches nothing, and the second of two simultaneous steps waits here, then fails.
        if not FactCard.objects.filter(
            pk=card.pk, version=card.version, status__in=step.sources
        ).lock_rows():
            raise card._refusal(step.sources, step.verb)
        stored = FactCard.objects.get(pk=card.pk)
        if any(getattr(stored, f) != getattr(card, f) for f in AUTHORED_FIELDS + WORKFLOW_FIELDS):
            raise WorkflowError(
                gettext(
                    "Save your changes to the card first, then take the step: a workflow step "
                    "never carries an edit."
                ),
                code="unsaved_changes",
            )
        problem = step.refusal(stored, user)
        if problem:
            raise WorkflowError(problem, code="not_allowed")
        if step.asks in ASKS and not text:
            raise WorkflowError(ASKS[step.asks][2], code=f"no_{step.asks}")
        if step.asks in WHEN and when is None and WHEN[step.asks][2]:
            raise WorkflowError(WHEN[step.asks][2], code=f"no_{step.asks}")
        result = step.apply(card, user, when if step.asks in WHEN else text)
        if result is None and step.target:
            reason = step.reason + (f": {text}" if step.name == "return_to_draft" else "")
            if step.name == "confirm" and card.check_by:
                reason += f"; check again by {card.check_by:%Y-%m-%d}"
            if step.name == "schedule":
                reason += f" at {card.publish_at:%Y-%m-%d %H:%M}"
            card._write(step.sources, author=user, step=step.name, reason=reason[:100])
        # Only once it happened: a step rolled back tells nobody anything.
        transaction.on_commit(lambda: notify(step.name, card, user, text))
    return result or card


__all__ = ["ASKS", "STEPS", "WHEN", "WHEN_ERRORS", "Step", "blockers", "steps_for", "take"]
