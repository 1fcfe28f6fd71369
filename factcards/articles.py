"""Corrections that reach the articles: when a card is corrected or retracted, every article
that embeds or cites it is listed to be checked, its author and the editors get the list by
email, and the newsroom's CMS gets a signed webhook, delivered by the worker and retried;
a delivery whose task was lost (never enqueued, or a worker gone before the retry) is swept
up by a periodic job and sent again.

Fired from the model layer (a Correction saved, whichever path made it), after the commit.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from .models import ArticleCheck, DeskPreference, WebhookAttempt, WebhookDelivery
from .notifications import editors
from .tasks import backoff, retry

logger = logging.getLogger(__name__)

EVENTS = {"correction": "card.corrected", "retraction": "card.retracted"}
SIGNATURE_HEADER = "Factcards-Signature"
TOLERANCE = 300  # seconds: a receiver refuses a signature older than this (a replay)


def correction_made(correction):
    """In the correction's transaction: the articles to check, the webhook's delivery; once
    it commits, the emails and the delivery's first attempt."""
    card = correction.card
    uses = list(card.article_uses.order_by("url"))
    ArticleCheck.objects.bulk_create([ArticleCheck(correction=correction, use=u) for u in uses])
    delivery = None
    if settings.FACTCARDS_WEBHOOK_URL:
        delivery = WebhookDelivery(
            event=EVENTS[correction.kind], card=card, url=settings.FACTCARDS_WEBHOOK_URL
        )
        delivery.body = json.dumps(payload(delivery, correction, uses), ensure_ascii=False)
        delivery.save()
    transaction.on_commit(lambda: after_commit(correction, uses, delivery))


def after_commit(correction, uses, delivery):
    if uses:
        email_articles_to_check(correction, uses)
    if delivery is not None:
        try:
            deliver_webhook.enqueue(delivery.pk)
        except Exception:  # noqa: BLE001 - the correction is out; the log shows it pending
            logger.exception("Could not enqueue webhook delivery %s", delivery.pk)


def site_url(path):
    return settings.FACTCARDS_SITE_URL + path


def payload(delivery, correction, uses):
    """What the CMS is told: {id, event, card, correction, articles}."""
    card = correction.card
    return {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "card": {
            "slug": card.slug,
            "statement": card.statement,
            "status": card.status,
            "url": site_url(card.get_absolute_url()),
            "embed_url": site_url(reverse("card_embed", args=[card.slug])),
        },
        "correction": {
            "kind": correction.kind,
            "note": correction.note,
            "created_at": correction.created_at.isoformat(),
        },
        "articles": [
            {
                "url": use.url,
                "learnt_from": use.how,
                "first_seen": use.first_seen.isoformat() if use.first_seen else None,
                "last_seen": use.last_seen.isoformat() if use.last_seen else None,
                "views": use.views,
            }
            for use in uses
        ],
    }


# --- the emails -------------------------------------------------------------------------------


def email_articles_to_check(correction, uses):
    card, by = correction.card, correction.created_by
    if correction.kind == "retraction":
        done = gettext("%(by)s retracted this card:") % {"by": by}
    else:
        done = gettext("%(by)s corrected this card:") % {"by": by}
    people = {user.pk: user for user in [card.created_by, *editors(excluding=by)] if user != by}
    addresses = [user.email for user in people.values() if DeskPreference.wants_email(user)]
    if not addresses:
        return
    checklist = site_url(reverse("admin:factcards_articlecheck_changelist"))
    count = len(uses)
    # The same English for one article and many: the count tells other languages' forms.
    these = ngettext(
        "These %(count)s articles embed or cite it: check each one, then tick it as updated on "
        "the desk (%(link)s).",
        "These %(count)s articles embed or cite it: check each one, then tick it as updated on "
        "the desk (%(link)s).",
        count,
    ) % {"count": count, "link": f"{checklist}?correction__id__exact={correction.pk}"}
    body = f"{done}\n\n{card.statement}\n\n{correction.note}\n\n{these}\n\n" + "\n".join(
        f"- {use.url}" for use in uses
    )
    subject = gettext("Articles to check (%(count)s): %(statement)s") % {
        "count": count,
        "statement": card.statement,
    }
    subject = subject[:200]
    try:
        send_mass_mail([(subject, body, None, addresses)])
    except Exception:  # noqa: BLE001 - the correction is out: a mail server down is logged
        logger.exception("Could not email the articles to check for correction %s", correction.pk)


# --- the webhook ------------------------------------------------------------------------------


def signature(body, secret, timestamp):
    """Factcards-Signature's value: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(body, header, secret, tolerance=TOLERANCE, now=None):
    """What a receiver does: True only for a signature of this body, made with this secret
    less than `tolerance` seconds ago (an older one is a replay)."""
    parts = dict(item.split("=", 1) for item in (header or "").split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(body, secret, timestamp).rsplit("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a receiver answers itself: a redirect would drop the POST's body


OPENER = urllib.request.build_opener(NoRedirects)


class WebhookFailed(Exception):
    pass


def post(delivery):
    """One attempt: (status code or None, error text)."""
    body = delivery.body.encode()
    request = urllib.request.Request(
        delivery.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "factcards-webhook/1",
            "Factcards-Event": delivery.event,
            "Factcards-Delivery": str(delivery.event_id),
            SIGNATURE_HEADER: signature(body, settings.FACTCARDS_WEBHOOK_SECRET, int(time.time())),
        },
    )
    try:
        with OPENER.open(request, timeout=settings.FACTCARDS_WEBHOOK_TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code} {error.reason}"[:1000]
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:1000] or type(error).__name__


@task
def deliver_webhook(delivery_id, attempt=1):
    """Send one delivery; every attempt is logged, failures are tried again with backoff.
    A delivery already made is not sent twice, nor an attempt made twice (a late retry and
    the sweep's may both be enqueued): each is claimed on the delivery's row first."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, attempt=attempt - 1
    ).update(attempt=attempt, attempted_at=timezone.now())
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if not claimed:
        return {"status": delivery.status if delivery else "gone", "not_sent": attempt}
    started = time.monotonic()
    code, error = post(delivery)
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=attempt,
        status_code=code,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    if code is not None and 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED, delivered_at=timezone.now()
        )
        return {"status": "delivered", "attempt": attempt}
    if retry(deliver_webhook, delivery_id, attempt=attempt):
        return {"status": "retrying", "attempt": attempt, "error": error}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
    raise WebhookFailed(f"Webhook delivery {delivery_id} failed {attempt} times; last: {error}")


# --- deliveries whose task was lost, and those an editor sends again --------------------------


def stuck_after():
    """How long a pending delivery goes without an attempt before its task is taken as lost:
    twice the longest wait between two attempts, plus one attempt's timeout, so that a retry
    merely late in a busy queue is left to come."""
    waits = [backoff(attempt) for attempt in range(1, settings.FACTCARDS_TASK_ATTEMPTS)]
    return timedelta(seconds=2 * max(waits, default=0) + settings.FACTCARDS_WEBHOOK_TIMEOUT)


def sweep_stuck_deliveries():
    """Send again, as their next attempt, the deliveries pending long after their last
    attempt (or their creation); those that had all their attempts end failed."""
    cutoff = timezone.now() - stuck_after()
    stuck = Q(status=WebhookDelivery.Status.PENDING) & (
        Q(attempted_at__lt=cutoff) | Q(attempted_at__isnull=True, created_at__lt=cutoff)
    )
    resent = failed = 0
    for pk, attempt in WebhookDelivery.objects.filter(stuck).values_list("pk", "attempt"):
        # The update is the claim: a retry that began meanwhile changed the row, and so does
        # another sweep, which then finds nothing to do.
        still_stuck = WebhookDelivery.objects.filter(stuck, pk=pk, attempt=attempt)
        if attempt >= settings.FACTCARDS_TASK_ATTEMPTS:
            failed += still_stuck.update(status=WebhookDelivery.Status.FAILED)
        elif still_stuck.update(attempted_at=timezone.now()):
            deliver_webhook.enqueue(pk, attempt=attempt + 1)
            resent += 1
    return f"Stuck webhook deliveries: {resent} sent again, {failed} failed for good."


def send_again(delivery):
    """One more attempt for a delivery that failed for good; False (nothing sent) for one
    still pending or delivered."""
    with transaction.atomic():
        reopened = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.FAILED, attempt=delivery.attempt
        ).update(status=WebhookDelivery.Status.PENDING, attempted_at=timezone.now())
        if reopened:
            deliver_webhook.enqueue(delivery.pk, attempt=delivery.attempt + 1)
    return bool(reopened)
