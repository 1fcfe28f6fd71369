"""The background worker: tasks retried with backoff, failures kept, a real worker process."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from factcards.http_cache import PurgeFailed
from factcards.tasks import backoff, purge_cache

from .factories import published_card
from .processes import environment, manage

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_each_retry_waits_twice_as_long_up_to_the_cap(settings):
    settings.FACTCARDS_TASK_RETRY_DELAY = 5
    settings.FACTCARDS_TASK_RETRY_MAX_DELAY = 60
    waits = [backoff(attempt) for attempt in range(1, 8)]
    assert waits[:4] == [5 * 2**n for n in range(4)]
    assert waits[4:] == [60, 60, 60]


def test_a_purge_a_cache_missed_is_tried_again_later_and_later(fake_cache):
    keys = ["card-1", "cards-list"]
    for attempt in (1, 2):
        before = timezone.now()
        purge_cache.call(keys, [fake_cache.url], attempt=attempt)
        retried = default_task_backend.results[-1]
        assert retried.args == [keys, [fake_cache.url]]
        assert retried.kwargs == {"attempt": attempt + 1}
        assert retried.task.run_after >= before + timedelta(seconds=backoff(attempt))
    assert len(default_task_backend.results) == 2


def test_only_the_caches_that_missed_it_are_tried_again(fake_cache):
    up = type(fake_cache)()
    up.start()
    try:
        result = purge_cache.call(["card-1"], [up.url, fake_cache.url])
    finally:
        up.stop()
    assert up.purged_keys() == [{"card-1"}]
    assert result["failed"] == [fake_cache.url]
    assert default_task_backend.results[-1].args == [["card-1"], [fake_cache.url]]


def test_after_the_last_attempt_a_purge_fails_and_is_not_tried_again(fake_cache, settings):
    with pytest.raises(PurgeFailed, match=fake_cache.url):
        purge_cache.call(["card-1"], [fake_cache.url], attempt=settings.FACTCARDS_TASK_ATTEMPTS)
    assert default_task_backend.results == []


def test_a_task_that_failed_for_good_is_listed_in_the_admin(
    fake_cache, settings, admin_client, transactional_db
):
    settings.TASKS = DATABASE_BACKEND
    last = settings.FACTCARDS_TASK_ATTEMPTS
    purge_cache.enqueue(["card-1"], [fake_cache.url], attempt=last)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    failed = DBTaskResult.objects.get()
    assert failed.status == "FAILED"
    listing = admin_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_changelist") + "?status__exact=FAILED"
    )
    assert "purge_cache" in listing.content.decode()
    page = admin_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed.pk])
    )
    assert f"Could not purge after {last} attempts" in page.content.decode()


def test_the_worker_process_purges_what_a_cache_missed_while_it_was_down(
    fake_cache, settings, transactional_db, editorial_groups
):
    settings.TASKS = DATABASE_BACKEND
    settings.FACTCARDS_PURGE_URLS = [fake_cache.url]
    settings.FACTCARDS_PURGE_REPEAT_AFTER = 0
    card = published_card()  # committed; the purge at once was refused
    assert fake_cache.purges == []
    fake_cache.start()
    worker = manage(
        "db_worker", "--no-startup-delay", "--interval", "0.1", "--max-tasks", "1",
        env=environment(),
    )  # fmt: skip
    try:
        assert worker.wait(timeout=60) == 0
    finally:
        worker.kill()
    assert fake_cache.purged_keys() == [{f"card-{card.pk}", "cards-list"}]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
