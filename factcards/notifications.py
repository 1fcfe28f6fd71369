"""Emails for workflow steps, sent once the step has committed (Django's email framework)."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from .models.preferences import DeskPreference

logger = logging.getLogger(__name__)


def editors(excluding):
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="publish_factcard")
            | Q(user_permissions__codename="publish_factcard")
        )
    )
    if excluding is not None:
        users = users.exclude(pk=excluding.pk)
    return users.distinct()


def desk_link(card):
    return settings.FACTCARDS_SITE_URL + reverse("admin:factcards_factcard_change", args=[card.pk])


def one_line(text, length=150):
    """A subject line: mail headers can't carry line breaks, and long ones get cut."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def messages_for(step, card, by, text):
    """[(subject, body, recipients)] for a step just taken: whom it concerns, and why."""
    statement = card.statement
    subject = one_line(statement)
    if step == "submit":
        return [
            (
                gettext("Review requested: %(subject)s") % {"subject": subject},
                gettext("%(by)s submitted this card for review:\n\n%(statement)s\n\n%(link)s")
                % {"by": by, "statement": statement, "link": desk_link(card)},
                list(editors(excluding=by)),
            )
        ]
    author = card.created_by
    if author == by:
        return []
    if step == "return_to_draft":
        return [
            (
                gettext("Returned to you: %(subject)s") % {"subject": subject},
                gettext("%(by)s returned your card with this comment:\n\n%(text)s\n\n%(link)s")
                % {"by": by, "text": text, "link": desk_link(card)},
                [author],
            )
        ]
    if step == "publish":
        target = card.revision_of or card
        link = settings.FACTCARDS_SITE_URL + target.get_absolute_url()
        note = card.correction_note.strip() if card.revision_of_id else ""
        if not card.revision_of_id:
            done, title = gettext("published your card"), gettext("Published: %(subject)s")
        elif note:
            done, title = (
                gettext("published your revision of this card, with a public correction"),
                gettext("Corrected: %(subject)s"),
            )
        else:
            done, title = (
                gettext("published your revision of this card (no correction was needed)"),
                gettext("Updated: %(subject)s"),
            )
        title %= {"subject": subject}
        said = gettext("\n\nThe public correction: %(note)s") % {"note": note} if note else ""
        values = {"by": by, "statement": statement, "said": said, "link": link}
        body = gettext("%(by)s %(done)s:\n\n%(statement)s%(said)s\n\n%(link)s")
        mails = [(title, body % {**values, "done": done}, [author])]
        if target.created_by not in (author, by):  # a revision of someone else's card
            if note:
                body = gettext(
                    "%(by)s published a correction of your card:\n\n%(statement)s%(said)s\n\n"
                    "%(link)s"
                )
            else:
                body = gettext(
                    "%(by)s published a revision of your card:\n\n%(statement)s%(said)s\n\n%(link)s"
                )
            body %= values
            mails.append((title, body, [target.created_by]))
        return mails
    if step == "retract":
        body = gettext(
            "%(by)s retracted your card:\n\n%(statement)s\n\nThe public notice: %(text)s"
        ) % {"by": by, "statement": statement, "text": text}
        return [(gettext("Retracted: %(subject)s") % {"subject": subject}, body, [author])]
    return []


def notify(step, card, by, text=""):
    """Email everyone a step concerns who has an address and has not turned emails off."""
    mails = [
        (subject, body, None, [user.email for user in users if DeskPreference.wants_email(user)])
        for subject, body, users in messages_for(step, card, by, text)
    ]
    try:
        send_mass_mail([mail for mail in mails if mail[3]])
    except Exception:  # noqa: BLE001 - the step is done: a mail server down is only logged
        logger.exception("Could not send the emails for %s of card %s", step, card.pk)


def send_check_digest(cards):
    """The weekly list of published cards due for a check, to every editor who wants emails;
    returns how many it went to."""
    lines = [
        gettext(
            "- %(statement)s\n  check-by date %(check_by)s; last checked %(checked)s\n  %(link)s"
        )
        % {
            "statement": card.statement,
            "check_by": f"{card.check_by:%Y-%m-%d}",
            "checked": f"{card.last_checked:%Y-%m-%d}",
            "link": desk_link(card),
        }
        for card in cards
    ]
    count = len(cards)
    body = (
        ngettext(
            "%(count)s published card is past the date by which an editor should confirm they "
            "are still true. Readers now see when each was last checked. Open each card and "
            "confirm it, or propose a revision:",
            "%(count)s published cards are past the date by which an editor should confirm they "
            "are still true. Readers now see when each was last checked. Open each card and "
            "confirm it, or propose a revision:",
            count,
        )
        % {"count": count}
        + "\n\n"
        + "\n".join(lines)
    )
    subject = ngettext(
        "Due for a check: %(count)s card", "Due for a check: %(count)s cards", count
    ) % {"count": count}
    to = [user.email for user in editors(excluding=None) if DeskPreference.wants_email(user)]
    to = [address for address in to if address]
    if to:
        # One message each, so no editor sees the others' addresses.
        send_mass_mail([(subject, body, None, [address]) for address in to])
    return len(to)
