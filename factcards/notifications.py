"""Emails for workflow steps, sent once the step has committed (Django's email framework)."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.urls import reverse

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
    return users.exclude(pk=excluding.pk).distinct()


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
                f"Review requested: {subject}",
                f"{by} submitted this card for review:\n\n{statement}\n\n{desk_link(card)}",
                list(editors(excluding=by)),
            )
        ]
    author = card.created_by
    if author == by:
        return []
    if step == "return_to_draft":
        return [
            (
                f"Returned to you: {subject}",
                f"{by} returned your card with this comment:\n\n{text}\n\n{desk_link(card)}",
                [author],
            )
        ]
    if step == "publish":
        target = card.revision_of or card
        link = settings.FACTCARDS_SITE_URL + target.get_absolute_url()
        note = card.correction_note.strip() if card.revision_of_id else ""
        if not card.revision_of_id:
            done, title = "published your card", "Published"
        elif note:
            done, title = (
                "published your revision of this card, with a public correction",
                ("Corrected"),
            )
        else:
            done, title = (
                "published your revision of this card (no correction was needed)",
                ("Updated"),
            )
        said = f"\n\nThe public correction: {note}" if note else ""
        mails = [(f"{title}: {subject}", f"{by} {done}:\n\n{statement}{said}\n\n{link}", [author])]
        if target.created_by not in (author, by):  # a revision of someone else's card
            what = "published a correction of" if note else "published a revision of"
            body = f"{by} {what} your card:\n\n{statement}{said}\n\n{link}"
            mails.append((f"{title}: {subject}", body, [target.created_by]))
        return mails
    if step == "retract":
        body = f"{by} retracted your card:\n\n{statement}\n\nThe public notice: {text}"
        return [(f"Retracted: {subject}", body, [author])]
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
