"""Background work: Django tasks, run by the worker process (`manage.py db_worker`).

django.tasks has no retries of its own; `retry` is the one way a task here tries again: it
enqueues the same task for later, waiting twice as long each time, a bounded number of
times. A task whose last attempt fails ends as a failed result, listed in the admin under
"Task results" with its traceback.
"""

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from . import http_cache


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
