"""Issue 11, item 5: an editor approves a card to go public at a set time; the worker
publishes it then, unless the approval no longer stands."""

import datetime
import subprocess
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from factcards.models import Citation, FactCard, WorkflowError
from factcards.tasks import publish_scheduled

from .admin_forms import confirm, messages_of, step_url
from .factories import FactCardFactory, SourceFactory, UserFactory
from .processes import environment, manage, stop
from .test_integrity import race

NOON = datetime.datetime(2026, 5, 4, 12, 0, tzinfo=datetime.UTC)
AT_THREE = NOON + datetime.timedelta(hours=3)


def reload(card):
    return FactCard.objects.get(pk=card.pk)


@pytest.fixture
def noon(time_machine):
    """Frozen at noon on May 4, 2026, before any card is made (history runs in order)."""
    time_machine.move_to(NOON, tick=False)
    return NOON


@pytest.fixture
def scheduled(noon, in_review, editor):
    in_review.schedule(editor, AT_THREE)
    return reload(in_review)


def run_the_task(card):
    return publish_scheduled.call(card.pk, AT_THREE.isoformat())


def test_a_scheduled_card_stays_in_review_and_hidden_until_its_time(client, scheduled, editor):
    assert scheduled.status == FactCard.Status.IN_REVIEW
    assert scheduled.publish_at == AT_THREE
    assert scheduled.scheduled_by == editor
    assert client.get(reverse("card_detail", args=[scheduled.slug])).status_code == 404
    assert client.get(reverse("card_embed", args=[scheduled.slug])).status_code == 404


def test_the_desk_lists_a_scheduled_card_with_its_time(client, scheduled, other_editor):
    client.force_login(other_editor)
    page = client.get(reverse("admin:index"))
    queue = next(q for q in page.context["desk"] if q["title"] == "Scheduled")
    assert [card.pk for card in queue["cards"]] == [scheduled.pk]
    assert "goes public" in page.content.decode()
    assert "May 4, 15:00" in page.content.decode()
    awaiting = next(q for q in page.context["desk"] if q["title"] == "Awaiting your review")
    assert awaiting["cards"] == []  # already approved


def test_the_worker_task_publishes_it_at_its_time_as_the_approving_editor_once(
    client, time_machine, scheduled, editor
):
    time_machine.move_to(AT_THREE + datetime.timedelta(seconds=1))
    assert run_the_task(scheduled) == "Published."
    assert run_the_task(scheduled) != "Published."  # delivered twice: published once
    card = reload(scheduled)
    assert card.status == FactCard.Status.PUBLISHED
    assert card.published_by == editor
    assert card.publish_at is None
    assert client.get(reverse("card_detail", args=[card.slug])).status_code == 200
    assert card.history.filter(history_change_reason="Published").count() == 1


def test_an_approval_the_rules_no_longer_allow_lapses_visibly(time_machine, scheduled, editor):
    editor.groups.clear()  # the approving editor is no longer an editor
    time_machine.move_to(AT_THREE + datetime.timedelta(seconds=1))
    outcome = run_the_task(scheduled)
    card = reload(scheduled)
    assert (card.status, card.publish_at) == (FactCard.Status.IN_REVIEW, None)
    assert outcome.startswith("Scheduled publication not made: Only editors")
    assert card.history.first().history_change_reason == outcome[:100]


def test_an_edit_after_approval_cancels_it_and_the_task_publishes_nothing(
    time_machine, scheduled, other_editor
):
    card = reload(scheduled)
    card.context = "Changed after the approval."
    card.save(by=other_editor)
    assert reload(card).publish_at is None
    time_machine.move_to(AT_THREE + datetime.timedelta(seconds=1))
    run_the_task(card)
    assert reload(card).status == FactCard.Status.IN_REVIEW


def test_a_new_citation_after_approval_cancels_it(time_machine, scheduled, other_editor):
    card = reload(scheduled)
    Citation(card=card, source=SourceFactory(), excerpt="Another excerpt.").save(by=other_editor)
    assert reload(card).publish_at is None


def test_returning_the_card_cancels_the_approval(time_machine, scheduled, other_editor):
    reload(scheduled).return_to_draft(other_editor, "Not yet: wait for the agreement.")
    time_machine.move_to(AT_THREE + datetime.timedelta(seconds=1))
    run_the_task(scheduled)
    card = reload(scheduled)
    assert (card.status, card.publish_at) == (FactCard.Status.DRAFT, None)


def test_cancelling_is_a_step_and_the_task_then_publishes_nothing(
    time_machine, scheduled, other_editor
):
    reload(scheduled).cancel_schedule(other_editor)
    assert reload(scheduled).history.first().history_change_reason == (
        "Scheduled publication cancelled"
    )
    time_machine.move_to(AT_THREE + datetime.timedelta(seconds=1))
    run_the_task(scheduled)
    assert reload(scheduled).status == FactCard.Status.IN_REVIEW


def test_a_reschedule_publishes_at_the_new_time_not_the_old_one(
    time_machine, scheduled, other_editor
):
    reload(scheduled).cancel_schedule(other_editor)
    later = AT_THREE + datetime.timedelta(days=1)
    reload(scheduled).schedule(other_editor, later)
    time_machine.move_to(AT_THREE + datetime.timedelta(seconds=1))
    run_the_task(scheduled)  # the first approval's task
    assert reload(scheduled).status == FactCard.Status.IN_REVIEW
    time_machine.move_to(later)
    assert publish_scheduled.call(scheduled.pk, later.isoformat()) == "Published."


def test_four_eyes_applies_at_approval(noon, reporter, editor):
    card = FactCardFactory(created_by=reporter)
    card.context = "The editor's own words."
    card.save(by=editor)
    card.submit(reporter)
    with pytest.raises(WorkflowError, match="four-eyes"):
        card.schedule(editor, AT_THREE)
    assert reload(card).publish_at is None


def test_a_card_that_could_not_be_published_cannot_be_scheduled(noon, reporter, editor):
    card = FactCardFactory(created_by=reporter, citations=0)
    card.submit(reporter)
    with pytest.raises(WorkflowError, match="supporting citation"):
        card.schedule(editor, AT_THREE)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-05-04T11:00", "That time has passed"),
        ("2027-06-01T09:00", "more than a year ahead"),
        ("", "Say when the card goes public"),
        ("tomorrow at nine", "Enter a date and a time, like 2026-12-24 09:30."),
        ("2026-05-04T25:00", "Enter a date and a time, like 2026-12-24 09:30."),
        ("99999-01-01T00:00", "Enter a date and a time, like 2026-12-24 09:30."),
    ],
)
def test_a_bad_publication_time_is_a_clear_error_not_a_crash(
    client, noon, in_review, editor, typed, message
):
    client.raise_request_exception = False
    client.force_login(editor)
    response = confirm(client, in_review, "schedule", when=typed)
    assert response.status_code == 200
    assert message in response.content.decode() + messages_of(response)
    assert reload(in_review).publish_at is None


def test_a_refused_time_is_asked_again_with_what_was_typed(client, noon, in_review, editor):
    client.force_login(editor)
    page = confirm(client, in_review, "schedule", when="2026-05-04T11:00").content.decode()
    assert "That time has passed" in page
    assert 'value="2026-05-04T11:00"' in page


def test_an_editor_schedules_from_the_confirmation_page(client, noon, in_review, editor):
    client.force_login(editor)
    assert 'type="datetime-local"' in client.get(step_url(in_review, "schedule")).content.decode()
    response = confirm(client, in_review, "schedule", when="2026-05-04T15:00")
    assert "was scheduled" in messages_of(response)
    assert reload(in_review).publish_at == AT_THREE


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_two_editors_scheduling_at_once_one_wins(editorial_groups, trial):
    reporter = UserFactory(group="Reporters")
    first, second = UserFactory(group="Editors"), UserFactory(group="Editors")
    card = FactCardFactory(created_by=reporter)
    card.submit(reporter)
    copies = [reload(card), reload(card)]
    soon, later = (timezone.now() + datetime.timedelta(hours=h) for h in (1, 2))

    outcomes = race(
        lambda: copies[0].schedule(first, soon), lambda: copies[1].schedule(second, later)
    )

    assert outcomes == ["done", "refused"]
    card = reload(card)
    assert (card.publish_at, card.scheduled_by) in [
        (soon.replace(microsecond=0), first),
        (later.replace(microsecond=0), second),
    ]


# --- the real worker --------------------------------------------------------------------------


@pytest.fixture
def worker(settings):
    """`manage.py db_worker` in its own process, against the test database; stopped after.
    The tasks this test enqueues go to the database queue it reads."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    process = manage(
        "db_worker", "--interval", "0.2", "--no-startup-delay",
        env=environment(DJANGO_LOG_LEVEL="WARNING"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    yield process
    stop(process)


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_publishes_a_scheduled_card_at_its_time(client, editorial_groups, worker):
    reporter = UserFactory(group="Reporters")
    editor = UserFactory(group="Editors")
    card = FactCardFactory(created_by=reporter)
    card.submit(reporter)
    publish_at = timezone.now() + datetime.timedelta(seconds=3)
    card.schedule(editor, publish_at)
    url = reverse("card_detail", args=[card.slug])

    assert client.get(url).status_code == 404
    published = wait_for(lambda: reload(card).status == FactCard.Status.PUBLISHED, seconds=30)

    if not published:
        worker.terminate()
        pytest.fail(f"The worker did not publish the card. Its output:\n{worker.stdout.read()}")
    card = reload(card)
    assert card.published_at >= publish_at.replace(microsecond=0)
    assert card.published_by == editor
    assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_leaves_a_card_edited_after_approval_in_review(
    client, editorial_groups, worker
):
    reporter = UserFactory(group="Reporters")
    editor, other = UserFactory(group="Editors"), UserFactory(group="Editors")
    card = FactCardFactory(created_by=reporter)
    card.submit(reporter)
    card.schedule(editor, timezone.now() + datetime.timedelta(seconds=2))
    card = reload(card)
    card.context = "Edited after the approval."
    card.save(by=other)
    from django_tasks_db.models import DBTaskResult

    ran = wait_for(lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").exists(), seconds=30)

    assert ran, "the worker never ran the task"
    assert reload(card).status == FactCard.Status.IN_REVIEW
    assert client.get(reverse("card_detail", args=[card.slug])).status_code == 404
