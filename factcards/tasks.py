"""Background work: Django tasks, run by the worker process (`manage.py db_worker`).

django.tasks has no retries of its own; `retry` is the one way a task here tries again: it
enqueues the same task for later, waiting twice as long each time, a bounded number of
times. A task whose last attempt fails ends as a failed result, listed in the admin under
"Task results" with its traceback.

Scheduled publications and the periodic jobs (the weekly email of cards due for a check) are
safe to run twice: each re-reads what it acts on under a row lock and does nothing when there
is nothing (left) to do.
"""

import datetime
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from . import http_cache
from .models import FactCard, Publication
from .models.periodic import PeriodicRun


def backoff(attempt):
    """Seconds to wait after failed attempt number `attempt` (1, 2, …): doubling, capped."""
    delay = settings.FACTCARDS_TASK_RETRY_DELAY * 2 ** (attempt - 1)
    return min(delay, settings.FACTCARDS_TASK_RETRY_MAX_DELAY)


def retry(task, *args, attempt, **kwargs):
    """Enqueue `task` again as attempt `attempt + 1`, after the backoff; False (nothing
    enqueued) once FACTCARDS_TASK_ATTEMPTS attempts have been made. The task must take an
    `attempt` keyword argument and be safe to run twice."""
    if attempt >= settings.FACTCARDS_TASK_ATTEMPTS:
        return False
    run_after = timezone.now() + timedelta(seconds=backoff(attempt))
    task.using(run_after=run_after).enqueue(*args, attempt=attempt + 1, **kwargs)
    return True


@task
def purge_cache(keys, urls, attempt=1):
    """Purge these surrogate keys from the HTTP caches at `urls`; the unreachable ones are
    tried again later. Purging twice does no harm."""
    failed = http_cache.send_purges(keys, urls)
    if failed and not retry(purge_cache, keys, sorted(failed), attempt=attempt):
        raise http_cache.PurgeFailed(failed, attempt)
    return {"purged": [url for url in urls if url not in failed], "failed": sorted(failed)}


logger = logging.getLogger(__name__)


@task()
def publish_scheduled(card_pk, publish_at, attempt=1):
    """Publish a card at the time an editor approved, as that editor, if the approval still
    stands: an edit, a return or a cancellation since then leaves the card in review. A
    database that fails (locked, gone a moment) has it tried again later."""
    try:
        return publish_if_approved(card_pk, publish_at)
    except DatabaseError:
        if not retry(publish_scheduled, card_pk, publish_at, attempt=attempt):
            raise
        return "The database failed: enqueued again."


def publish_if_approved(card_pk, publish_at):
    from .workflow import take

    when = datetime.datetime.fromisoformat(publish_at)
    with transaction.atomic():
        card = FactCard.objects.select_for_update(of=("self",)).filter(pk=card_pk).first()
        if card is None or card.status != FactCard.Status.IN_REVIEW or card.publish_at != when:
            return "Not published: the approval for this time no longer stands."
        if timezone.now() < when:  # woken early (a clock set back): wait for the time
            publish_scheduled.using(run_after=when).enqueue(card_pk, publish_at)
            return "Not yet: enqueued again for the approved time."
        try:
            with transaction.atomic():
                take(card, "publish", card.scheduled_by)
        except ValidationError as error:
            # The rules say no now (the approving editor lost the right to publish…): the
            # approval lapses, visibly in the card's history, instead of waiting forever.
            card = FactCard.objects.get(pk=card_pk)
            card.publish_at = card.scheduled_by = None
            reason = f"Scheduled publication not made: {' '.join(error.messages)}"
            card._write([FactCard.Status.IN_REVIEW], step="schedule_lapsed", reason=reason[:100])
            return reason
    return "Published."


# --- periodic jobs ----------------------------------------------------------------------------
# A periodic job is a task enqueued for its next slot (run_after), with one PeriodicRun row per
# slot: the row's unique key makes enqueueing and running each slot happen once, however many
# workers start or however often a task is delivered. Each run enqueues the next slot.


def weekly_slot(now, weekday, hour):
    """The first time after `now` that is `weekday` (0 = Monday) at `hour`, local time."""
    local = timezone.localtime(now)
    slot = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    slot += datetime.timedelta(days=(weekday - local.weekday()) % 7)
    if slot <= local:
        slot += datetime.timedelta(days=7)
    return slot


def next_midnight(now):
    """The next local midnight after `now`: when cards fall due for a check."""
    local = timezone.localtime(now)
    return (local + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def next_hour(now):
    """The next full hour after `now`: when links due for a check are handed to the worker."""
    return now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)


def next_quarter_hour(now):
    """The next quarter hour (:00, :15, :30, :45) after `now`: when stuck webhooks are swept."""
    slot = now.replace(second=0, microsecond=0)
    return slot + datetime.timedelta(minutes=15 - slot.minute % 15)


def next_digest_slot(now):
    weekday, hour = settings.FACTCARDS_CHECK_DIGEST
    return weekly_slot(now, weekday, hour)


def schedule_periodic(now=None):
    """Make sure every periodic job has its next run enqueued (once; safe to call anytime:
    `manage.py schedule_periodic` does at every worker start)."""
    now = now or timezone.now()
    for job, (next_slot, _) in PERIODIC.items():
        slot = next_slot(now)
        try:
            # The slot's row and its task commit together: never a row without its task.
            with transaction.atomic():
                run, created = PeriodicRun.objects.get_or_create(job=job, due_at=slot)
                if created:
                    result = run_periodic.using(run_after=slot).enqueue(job, slot.isoformat())
                    run.task_id = str(result.id)
                    run.save(update_fields=["task_id"])
        except IntegrityError:  # another worker made it at the same moment
            continue


@task()
def run_periodic(job, due_at, attempt=1):
    """One slot of a periodic job: done once, then the next slot is enqueued. A run that
    fails (the mail server down) is tried again later, then listed as failed."""
    try:
        outcome = run_slot(job, due_at)
    except Exception:
        if retry(run_periodic, job, due_at, attempt=attempt):
            return "Failed: enqueued again."
        schedule_periodic()  # this slot failed for good (see the admin); the next still comes
        raise
    schedule_periodic()
    return outcome


def run_slot(job, due_at):
    with transaction.atomic():
        run = (
            PeriodicRun.objects.select_for_update()
            .filter(job=job, due_at=datetime.datetime.fromisoformat(due_at))
            .first()
        )
        if run is None or run.done_at:
            outcome = "Already done."
        else:
            outcome = PERIODIC[job][1]()
            run.done_at = timezone.now()
            run.save(update_fields=["done_at"])
    return outcome


def send_check_digest():
    """The weekly email to editors: the published cards past their check-by date."""
    from .notifications import send_check_digest as send

    cards = list(FactCard.objects.due_for_check().select_related("checked_by"))
    if not cards:
        return "No card is due for a check."
    sent = send(cards)
    return f"Cards due for a check: {len(cards)}, emailed to {sent} editors."


def announce_fallen_due():
    """At midnight, the cards whose check-by date was yesterday start saying when they were
    last checked: move the publication on for them, so that the HTTP caches in front drop
    their pages now rather than when their copies expire."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    cards = list(
        FactCard.objects.published().filter(check_by=yesterday).values_list("pk", flat=True)
    )
    if cards:
        Publication.bump(cards=cards)
    return f"Cards fallen due for a check: {len(cards)}."


def sweep_webhooks():
    """The webhook deliveries left pending by a lost task (an enqueue that failed, a worker
    gone between an attempt and its retry) are sent again, or end failed."""
    from .articles import sweep_stuck_deliveries

    return sweep_stuck_deliveries()


def check_links():
    from .intake.work import schedule_link_checks

    return schedule_link_checks()


# Each periodic job: (when its next run is due after a given time, what it does).
PERIODIC = {
    "check_digest": (next_digest_slot, send_check_digest),
    "fallen_due": (next_midnight, announce_fallen_due),
    "webhook_sweep": (next_quarter_hour, sweep_webhooks),
    "link_checks": (next_hour, check_links),
}
