"""The editorial workflow: one declared table of steps, and the one way to take them.

draft → in review → published → retracted, and in review → draft with a comment. Each step
says where it starts from, where it goes, what it asks for and who may take it.
`steps_for(card, user)` is what the admin offers; `take(card, name, user, text)` is what
every path calls (FactCard.publish() and friends delegate here). Taking a step locks the
card's row and re-reads it, so of two people taking the same step at once exactly one wins.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from .models import REVISED_FIELDS, Citation, Correction, FactCard, WorkflowError
from .models.corrections import now_to_the_second
from .models.locking import CONFLICT_MESSAGE
from .notifications import notify

DRAFT, IN_REVIEW, PUBLISHED, RETRACTED = FactCard.Status.values

# What a step that asks for text calls it, how it explains it, and what it says when missing.
ASKS = {
    "comment": (
        "Comment for the author",
        "Say what to fix. The author sees this.",
        "Say why the card goes back: the author sees your comment.",
    ),
    "note": (
        "Public retraction notice",
        "Readers see this on the card and in every embed.",
        "Write the retraction notice readers will see.",
    ),
}


# --- who may take a step: each returns why not, or None ------------------------------------


def author_or_editor(card, user):
    if not user.has_perm("factcards.change_factcard"):
        return "You can't submit cards."
    if card.created_by_id != user.pk and not FactCard.is_editor(user):
        return "Only the card's author or an editor can submit it for review."


def editor(card, user):
    if not FactCard.is_editor(user):
        return "Only editors can do this."


def second_editor(card, user):
    """Four-eyes: an editor who neither created nor changed this version, superusers too."""
    if not FactCard.is_editor(user):
        return "Only editors can publish cards."
    if card.wrote(user):
        return (
            "You created or edited this version, so another editor must publish it "
            "(four-eyes rule)."
        )
    if card.is_revision and card.revision_of.status != PUBLISHED:
        return "The card this revision would replace is no longer published (it was retracted)."


def reviser(card, user):
    if not user.has_perm("factcards.add_factcard"):
        return "You can't propose revisions."
    if FactCard.objects.filter(revision_of=card).exists():
        return "A revision of this card is already pending: edit that one."


# --- what a step does, once the card's row is locked and the checks passed ------------------


def submit(card, by, text):
    missing = card.missing_values()
    if missing:
        raise WorkflowError("Not ready for review: " + " ".join(missing.values()), code="not_ready")
    card.status = IN_REVIEW
    card.review_comment = ""


def return_to_draft(card, by, text):
    card.status = DRAFT
    card.review_comment = text


def publish(card, by, text):
    problems = card.publication_errors()
    if problems:
        raise WorkflowError(" ".join(problems), code="not_ready")
    if card.is_revision:
        return apply_revision(card, by)
    card.status = PUBLISHED
    card.published_by = by
    card.published_at = now_to_the_second()


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
            "The card this revision would replace is no longer published (it was retracted).",
            code="wrong_status",
        )
    note = revision.correction_note.strip()
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
    revision._history_user = by
    revision.delete()
    return card


@dataclass(frozen=True)
class Step:
    name: str
    label: str  # the button
    done: str  # "“…” was published."
    verb: str  # "Can't publish a card that is a draft."
    sources: tuple  # the statuses it starts from
    target: str | None  # where it goes (None: a new card, the revision)
    asks: str | None  # None, "comment" or "note"
    who: Callable  # (card, user) → why this user may not take it, or None
    apply: Callable  # (card, user, text) → the card to go to next, or None for this one
    reason: str  # what the card's history says

    def refusal(self, card, user):
        """Why this user can't take this step on this card now, or None."""
        if card.status not in self.sources:
            return f"Can't {self.verb} a card that is {card.status_phrase}."
        return self.who(card, user)


STEPS = {
    step.name: step
    for step in [
        Step(
            "submit", "Submit for review", "submitted for review", "submit for review",
            (DRAFT,), IN_REVIEW, None, author_or_editor, submit, "Submitted for review",
        ),
        Step(
            "return_to_draft", "Return to draft", "returned to draft", "return",
            (IN_REVIEW,), DRAFT, "comment", editor, return_to_draft, "Returned to draft",
        ),
        Step(
            "publish", "Publish", "published", "publish",
            (IN_REVIEW,), PUBLISHED, None, second_editor, publish, "Published",
        ),
        Step(
            "retract", "Retract", "retracted", "retract",
            (PUBLISHED,), RETRACTED, "note", editor, retract, "Retracted",
        ),
        Step(
            "start_revision", "Propose a revision", "opened as a revision", "revise",
            (PUBLISHED,), None, None, reviser, start_revision, "",
        ),
    ]
}  # fmt: skip


# What a card must have for a step, beyond who may take it (the steps' own checks say the same).
READINESS = {
    "submit": lambda card: list(card.missing_values().values()),
    "publish": lambda card: card.publication_errors(),
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


def take(card, name, user, text=""):
    """Take one step on one card, as `user`; returns the card to show next."""
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
        problem = step.refusal(card, user)
        if problem:
            raise WorkflowError(problem, code="not_allowed")
        if step.asks and not text:
            raise WorkflowError(ASKS[step.asks][2], code=f"no_{step.asks}")
        result = step.apply(card, user, text)
        if result is None and step.target:
            reason = step.reason + (f": {text}" if step.name == "return_to_draft" else "")
            card._write(step.sources, author=user, step=step.name, reason=reason[:100])
        # Only once it happened: a step rolled back tells nobody anything.
        transaction.on_commit(lambda: notify(step.name, card, user, text))
    return result or card


__all__ = ["ASKS", "STEPS", "Step", "blockers", "steps_for", "take"]
