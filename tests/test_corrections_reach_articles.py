"""Corrections that reach the articles: the desk's checklist, the emails, the signed webhook."""

import datetime
import json
import time

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.tasks import default_task_backend
from django.urls import reverse

from factcards import articles
from factcards.articles import deliver_webhook, signature, stuck_after, verify
from factcards.models import ArticleCheck, ArticleUse, DeskPreference, WebhookDelivery
from factcards.tasks import backoff, run_periodic, schedule_periodic

from .admin_forms import messages_of
from .factories import UserFactory, published_card

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
ARTICLES = ["https://news.example.org/2026/withdrawal", "https://news.example.org/2026/explainer"]


@pytest.fixture
def people(db):
    return (
        UserFactory(username="rita", email="rita@example.org", group="Reporters"),
        UserFactory(username="eve", email="eve@example.org", group="Editors"),
        UserFactory(username="ed", email="ed@example.org", group="Editors"),
    )


@pytest.fixture
def card(people, settings):
    settings.TASKS = DUMMY_TASKS
    reporter, editor, _ = people
    card = published_card(editor, created_by=reporter, statement="Nearly 2,000 peacekeepers.")
    for url in ARTICLES:
        ArticleUse.objects.create(card=card, url=url, how="cms")
    return card


def correct(card, by, approver, note="The agreements give 1,960."):
    revision = card.start_revision(by)
    revision.statement = "1,960 peacekeepers."
    revision.correction_note = note
    revision.save(by=by)
    revision.submit(by)
    return revision.publish(approver)


def test_a_correction_lists_every_article_using_the_card_to_check(card, people):
    _, editor, other = people
    correct(card, editor, other)
    checks = ArticleCheck.objects.filter(correction__card=card)
    assert sorted(checks.values_list("use__url", flat=True)) == sorted(ARTICLES)
    assert not checks.filter(updated=True).exists()


def test_a_retraction_lists_them_too(card, people):
    card.retract(people[2], "The figure was withdrawn.")
    assert ArticleCheck.objects.filter(correction__kind="retraction").count() == 2


def test_a_revision_without_a_correction_asks_for_no_check(card, people):
    _, editor, other = people
    revision = card.start_revision(editor)
    revision.context = "A clearer sentence of context."
    revision.save(by=editor)
    revision.submit(editor)
    revision.publish(other)
    assert not ArticleCheck.objects.exists()


def test_the_desk_counts_the_articles_to_check_until_each_is_ticked(client, card, people):
    _, editor, other = people
    correct(card, editor, other)
    client.force_login(editor)
    home = client.get(reverse("admin:index")).content.decode()
    assert "Articles to check: 2" in home  # the header of every desk page
    assert "1,960 peacekeepers." in home and "2 articles to check" in home
    listing = reverse("admin:factcards_articlecheck_changelist")
    page = client.get(listing)
    assert all(url in page.content.decode() for url in ARTICLES)
    checks = list(ArticleCheck.objects.order_by("pk"))
    form = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": checks[0].pk,
        "form-0-updated": "on",
        "form-1-id": checks[1].pk,
        "_save": "Save",
    }
    assert client.post(listing, form).status_code == 302
    ticked = ArticleCheck.objects.get(pk=checks[0].pk)
    assert ticked.updated and ticked.checked_by == editor and ticked.checked_at
    assert "Articles to check: 1" in client.get(reverse("admin:index")).content.decode()
    rest = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "_save": "Save"}
    rest |= {"form-0-id": checks[1].pk, "form-0-updated": "on"}
    assert client.post(listing, rest).status_code == 302
    assert ArticleCheck.objects.filter(updated=True).count() == 2
    home = client.get(reverse("admin:index")).content.decode()
    assert "Articles to check:" not in home and 'id="articles-to-check"' not in home


def test_a_reporter_sees_the_articles_of_their_own_cards(client, card, people):
    reporter, editor, other = people
    correct(card, editor, other)
    client.force_login(reporter)
    assert "Articles to check: 2" in client.get(reverse("admin:index")).content.decode()
    client.force_login(UserFactory(group="Reporters"))
    assert "Articles to check:" not in client.get(reverse("admin:index")).content.decode()


def test_the_author_and_the_editors_are_emailed_the_list(
    card, people, django_capture_on_commit_callbacks
):
    reporter, editor, other = people
    DeskPreference.objects.create(user=UserFactory(email="quiet@example.org", group="Editors"),
                                  email_me=False)  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        correct(card, editor, other)
    lists = [m for m in mail.outbox if m.subject.startswith("Articles to check")]
    assert len(lists) == 1
    assert sorted(lists[0].to) == ["eve@example.org", "rita@example.org"]  # not who did it
    assert all(url in lists[0].body for url in ARTICLES)


def test_nothing_is_emailed_before_the_correction_commits(card, people):
    mail.outbox.clear()
    correct(card, people[1], people[2])  # the test's transaction never commits
    assert mail.outbox == []


# --- the webhook -----------------------------------------------------------------------------


def deliveries_body(receiver):
    headers, body = receiver.deliveries[-1]
    return headers, body, json.loads(body)


def test_the_cms_gets_one_signed_delivery_naming_card_and_articles(
    card, people, webhook_receiver, settings, django_capture_on_commit_callbacks
):
    receiver = webhook_receiver()
    with django_capture_on_commit_callbacks(execute=True):
        correct(card, people[1], people[2])
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.call(delivery.pk)
    assert len(receiver.deliveries) == 1
    headers, body, sent = deliveries_body(receiver)
    assert verify(body, headers["Factcards-Signature"], settings.FACTCARDS_WEBHOOK_SECRET)
    assert not verify(body, headers["Factcards-Signature"], "another secret")
    assert not verify(
        body + b" ", headers["Factcards-Signature"], settings.FACTCARDS_WEBHOOK_SECRET
    )
    assert sent["event"] == "card.corrected"
    assert sent["card"]["slug"] == card.slug
    assert sent["card"]["statement"] == "1,960 peacekeepers."
    assert sent["correction"]["note"] == "The agreements give 1,960."
    assert sorted(a["url"] for a in sent["articles"]) == sorted(ARTICLES)
    assert headers["Factcards-Delivery"] == sent["id"]
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [(1, 200)]


def test_a_replayed_delivery_is_refused_by_the_receivers_check(settings):
    body = b'{"event": "card.corrected"}'
    old = int(time.time()) - 600
    assert verify(body, signature(body, "s", int(time.time())), "s")
    assert not verify(body, signature(body, "s", old), "s")
    assert not verify(body, "v1=deadbeef", "s")


def test_a_retraction_is_sent_as_card_retracted(card, people, webhook_receiver):
    receiver = webhook_receiver()
    card.retract(people[2], "Withdrawn.")
    deliver_webhook.call(WebhookDelivery.objects.get().pk)
    assert json.loads(receiver.deliveries[0][1])["event"] == "card.retracted"


def test_without_a_webhook_url_nothing_is_sent(card, people, settings):
    settings.FACTCARDS_WEBHOOK_URL = ""
    correct(card, people[1], people[2])
    assert not WebhookDelivery.objects.exists()


def test_a_receiver_that_fails_twice_gets_it_on_the_third_try_from_the_worker(
    transactional_db,
    editorial_groups,
    card,
    people,
    webhook_receiver,
    settings,
    django_capture_on_commit_callbacks,
    client,
):
    settings.TASKS = DATABASE_TASKS
    settings.FACTCARDS_TASK_RETRY_DELAY = 0  # the backoff's shape is the worker's; no waiting
    receiver = webhook_receiver([500, 503])
    with django_capture_on_commit_callbacks(execute=True):
        correct(card, people[1], people[2])
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0",
                 verbosity=0)  # fmt: skip
    assert len(receiver.deliveries) == 3
    secret = settings.FACTCARDS_WEBHOOK_SECRET
    # Each attempt is signed afresh, with its own timestamp, over the same body.
    assert len({body for _, body in receiver.deliveries}) == 1
    assert all(verify(body, h["Factcards-Signature"], secret) for h, body in receiver.deliveries)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [
        (1, 500),
        (2, 503),
        (3, 200),
    ]
    client.force_login(UserFactory(is_superuser=True))
    page = client.get(reverse("admin:factcards_webhookdelivery_change", args=[delivery.pk]))
    assert "HTTP 500" in page.content.decode() and "HTTP 503" in page.content.decode()


def test_a_delivery_that_never_gets_through_ends_failed_after_the_last_attempt(
    card, people, webhook_receiver, settings
):
    settings.FACTCARDS_TASK_ATTEMPTS = 3
    webhook_receiver([500, 500, 500])
    card.retract(people[2], "Withdrawn.")
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.call(delivery.pk, attempt=1)
    deliver_webhook.call(delivery.pk, attempt=2)
    with pytest.raises(Exception, match="failed 3 times"):
        deliver_webhook.call(delivery.pk, attempt=3)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.attempts.count() == 3


def test_an_unreachable_receiver_is_logged_with_the_error(card, people, settings):
    settings.FACTCARDS_WEBHOOK_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.FACTCARDS_WEBHOOK_SECRET = "s"
    card.retract(people[2], "Withdrawn.")
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.call(delivery.pk)
    attempt = delivery.attempts.get()
    assert attempt.status_code is None and attempt.error


def test_the_registrys_desk_pages_are_valid_html(client, card, people, tmp_path, settings):
    from .test_html import validate

    settings.FACTCARDS_WEBHOOK_URL, settings.FACTCARDS_WEBHOOK_SECRET = "http://127.0.0.1:9/", "s"
    correct(card, people[1], people[2])
    deliver_webhook.call(WebhookDelivery.objects.get().pk)
    client.force_login(UserFactory(is_superuser=True))
    pages = {
        "desk-home": reverse("admin:index"),
        "articles-to-check": reverse("admin:factcards_articlecheck_changelist"),
        "card-used-in": reverse("admin:factcards_factcard_change", args=[card.pk]),
        "add-article": reverse("admin:factcards_articleuse_add") + f"?card={card.pk}",
        "delivery": reverse(
            "admin:factcards_webhookdelivery_change", args=[WebhookDelivery.objects.get().pk]
        ),
    }
    files = []
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(response.content)
    assert "Articles to check" in files[0].read_text()
    assert ARTICLES[0] in files[2].read_text()
    assert validate([str(f) for f in files]) == []


# --- deliveries whose task was lost: the quarter-hourly sweep; sending a failed one again -----

TEN_SEVEN = datetime.datetime(2026, 12, 1, 10, 7, tzinfo=datetime.UTC)
DELIVERIES = reverse("admin:factcards_webhookdelivery_changelist")


def quarter(hour, minute):
    return TEN_SEVEN.replace(hour=hour, minute=minute)


def enqueued_deliveries(since=0):
    """The deliver_webhook tasks enqueued (since the `since`-th task), as (id, attempt)."""
    return [
        (result.args[0], result.kwargs.get("attempt", 1))
        for result in default_task_backend.results[since:]
        if result.task.name == "deliver_webhook"
    ]


def sweep(time_machine, at):
    """Run the worker's sweep of stuck deliveries at the quarter hour `at`, as its periodic
    job; what it enqueued, as (id, attempt)."""
    since = len(default_task_backend.results)
    schedule_periodic(now=at - datetime.timedelta(seconds=1))  # the slot's row and task
    time_machine.move_to(at, tick=False)
    outcome = run_periodic.call("webhook_sweep", at.isoformat())
    assert outcome.startswith("Stuck webhook deliveries:")
    return enqueued_deliveries(since)


def send(tasks):
    for delivery_id, attempt in tasks:
        deliver_webhook.call(delivery_id, attempt=attempt)


@pytest.fixture
def backoff_as_shipped(settings):
    """The retry settings' defaults: 8 attempts, 5 s doubling; a delivery is stuck after
    twice the longest wait (320 s) plus one attempt's 10 s."""
    settings.FACTCARDS_TASK_ATTEMPTS = 8
    settings.FACTCARDS_TASK_RETRY_DELAY = 5
    settings.FACTCARDS_TASK_RETRY_MAX_DELAY = 3600
    settings.FACTCARDS_WEBHOOK_TIMEOUT = 10
    assert stuck_after() == datetime.timedelta(seconds=650)


class Unreachable:
    """A task queue that refuses every task (its database gone a moment)."""

    def enqueue(self, *args, **kwargs):
        raise ConnectionError("the queue is down")


def test_a_delivery_whose_enqueue_failed_is_swept_up_and_delivered_once(
    card, people, webhook_receiver, time_machine, monkeypatch, caplog, backoff_as_shipped,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    receiver = webhook_receiver()
    time_machine.move_to(TEN_SEVEN, tick=False)
    monkeypatch.setattr(articles, "deliver_webhook", Unreachable())
    with django_capture_on_commit_callbacks(execute=True):
        card.retract(people[2], "Withdrawn.")
    monkeypatch.undo()
    assert "Could not enqueue webhook delivery" in caplog.text
    delivery = WebhookDelivery.objects.get()

    assert sweep(time_machine, quarter(10, 15)) == []  # 8 minutes: not yet taken as lost
    swept = sweep(time_machine, quarter(10, 30))
    assert swept == [(delivery.pk, 1)]
    send(swept)
    send(swept)  # the same task delivered twice by the queue
    assert sweep(time_machine, quarter(11, 0)) == []

    assert len(receiver.deliveries) == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [(1, 200)]


def test_a_late_retry_and_the_sweeps_copy_of_it_make_that_attempt_once(
    card, people, webhook_receiver, time_machine, backoff_as_shipped
):
    receiver = webhook_receiver([500, 500])
    time_machine.move_to(TEN_SEVEN, tick=False)
    card.retract(people[2], "Withdrawn.")
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.call(delivery.pk)  # refused: the retry waits in a queue that is behind
    retry = enqueued_deliveries()
    assert retry == [(delivery.pk, 2)]

    swept = sweep(time_machine, quarter(10, 30))
    assert swept == [(delivery.pk, 2)]
    since = len(default_task_backend.results)
    send(swept + retry)  # the sweep's copy (refused again), then the late retry: not sent
    assert len(receiver.deliveries) == 2
    send(enqueued_deliveries(since))  # the one retry that follows
    assert len(receiver.deliveries) == 3
    assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [
        (1, 500),
        (2, 500),
        (3, 200),
    ]


def test_a_delivery_being_retried_is_left_alone_by_the_sweep(
    card, people, webhook_receiver, time_machine, backoff_as_shipped
):
    webhook_receiver([500, 500, 500])
    time_machine.move_to(TEN_SEVEN, tick=False)
    card.retract(people[2], "Withdrawn.")
    delivery = WebhookDelivery.objects.get()
    for attempt in (1, 2, 3):
        time_machine.move_to(TEN_SEVEN + datetime.timedelta(minutes=2 * attempt), tick=False)
        deliver_webhook.call(delivery.pk, attempt=attempt)
    # The longest wait between two attempts is far shorter than the time the sweep allows.
    assert stuck_after() > datetime.timedelta(seconds=backoff(7))
    assert sweep(time_machine, quarter(10, 15)) == []
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempt == 3


class WorkerDied(BaseException):
    pass


def test_a_stuck_delivery_that_had_all_its_attempts_ends_failed(
    card, people, webhook_receiver, time_machine, monkeypatch, settings
):
    settings.FACTCARDS_TASK_ATTEMPTS = 3
    receiver = webhook_receiver([500, 500])
    time_machine.move_to(TEN_SEVEN, tick=False)
    card.retract(people[2], "Withdrawn.")
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.call(delivery.pk, attempt=1)
    deliver_webhook.call(delivery.pk, attempt=2)

    def die(delivery):
        raise WorkerDied

    monkeypatch.setattr(articles, "post", die)  # the worker stops during the last attempt
    with pytest.raises(WorkerDied):
        deliver_webhook.call(delivery.pk, attempt=3)
    monkeypatch.undo()

    assert sweep(time_machine, quarter(10, 15)) == []
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert len(receiver.deliveries) == 2


def failed_delivery(card, people, settings):
    settings.FACTCARDS_TASK_ATTEMPTS = 2
    card.retract(people[2], "Withdrawn.")
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.call(delivery.pk, attempt=1)
    with pytest.raises(articles.WebhookFailed):
        deliver_webhook.call(delivery.pk, attempt=2)
    return delivery


def test_an_editor_sends_a_failed_delivery_again_a_reporter_cannot(
    client, card, people, webhook_receiver, settings
):
    reporter, editor, _ = people
    receiver = webhook_receiver([500, 500])
    delivery = failed_delivery(card, people, settings)
    since = len(default_task_backend.results)
    action = {"action": "send_again", "_selected_action": [delivery.pk]}

    client.force_login(reporter)
    assert client.post(DELIVERIES, action).status_code == 403
    # Even let to read the log, a reporter is not offered the action.
    reporter.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    page = client.post(DELIVERIES, action)
    assert page.status_code == 200 and "Send again" not in page.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and enqueued_deliveries(since) == []

    client.force_login(editor)
    assert "Send again" in client.get(DELIVERIES).content.decode()
    response = client.post(DELIVERIES, action, follow=True)
    assert "1 sent again" in messages_of(response)
    resent = enqueued_deliveries(since)
    assert resent == [(delivery.pk, 3)]
    send(resent)
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len(receiver.deliveries) == 3
    assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [
        (1, 500),
        (2, 500),
        (3, 200),
    ]


def test_a_pending_or_delivered_delivery_is_not_sent_again(
    client, card, people, webhook_receiver, settings
):
    receiver = webhook_receiver()
    card.retract(people[2], "Withdrawn.")
    delivered = WebhookDelivery.objects.get()
    deliver_webhook.call(delivered.pk)
    pending = WebhookDelivery.objects.create(
        event="card.retracted", card=card, url=receiver.url, body=delivered.body
    )
    since = len(default_task_backend.results)
    client.force_login(people[1])
    action = {"action": "send_again", "_selected_action": [delivered.pk, pending.pk]}
    shown = messages_of(client.post(DELIVERIES, action, follow=True))
    assert "was not sent again: it was delivered already." in shown
    assert "was not sent again: it is still being delivered" in shown
    assert enqueued_deliveries(since) == []
    assert len(receiver.deliveries) == 1
