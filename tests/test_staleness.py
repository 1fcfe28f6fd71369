"""Issue 11, item 4: cards go stale in the open — a check-by date, a queue, a weekly email,
"last checked" in public, and confirming a card as a workflow step."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from factcards.models import FactCard, PeriodicRun, Publication, WorkflowError
from factcards.tasks import run_periodic, schedule_periodic

from .admin_forms import confirm, messages_of, step_url
from .factories import FactCardFactory, UserFactory, publish

HOME = reverse("admin:index")
PUBLISHED_ON = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def reload(card):
    return FactCard.objects.get(pk=card.pk)


@pytest.fixture
def figure(time_machine, reporter, editor):
    """A figure true as of March 1, published on March 2 with a check-by date of April 1."""
    time_machine.move_to(PUBLISHED_ON, tick=False)
    card = FactCardFactory(
        created_by=reporter,
        as_of=datetime.date(2026, 3, 1),
        check_by=datetime.date(2026, 4, 1),
    )
    return publish(card, editor)


def day(time_machine, month, date, hour=12):
    time_machine.move_to(datetime.datetime(2026, month, date, hour, tzinfo=datetime.UTC))


def test_a_figure_published_without_a_check_by_date_gets_its_kinds_interval(
    time_machine, settings, reporter, editor
):
    settings.FACTCARDS_CHECK_DAYS = {"figure": 30}
    time_machine.move_to(PUBLISHED_ON, tick=False)
    figure = publish(FactCardFactory(created_by=reporter), editor)
    quote = FactCardFactory(
        created_by=reporter, kind="quote", speaker="A spokesman", quotation="We are leaving."
    )
    quote = publish(quote, editor)
    assert figure.check_by == datetime.date(2026, 4, 1)
    assert quote.check_by is None


def test_a_card_is_due_for_a_check_only_once_its_check_by_date_has_passed(
    client, time_machine, figure, other_editor
):
    day(time_machine, 4, 1)
    client.force_login(other_editor)
    due = next(q for q in client.get(HOME).context["desk"] if q["title"] == "Due for a check")
    assert due["cards"] == []
    assert "Due for a check: " not in client.get(HOME).content.decode()
    day(time_machine, 4, 2)
    page = client.get(HOME)
    due = next(q for q in page.context["desk"] if q["title"] == "Due for a check")
    assert [card.pk for card in due["cards"]] == [figure.pk]
    assert "Due for a check: 1" in page.content.decode()  # in the header of every desk page


def test_the_public_card_says_as_of_then_when_it_was_last_checked_once_past_due(
    client, time_machine, figure
):
    day(time_machine, 4, 1, hour=23)  # an hour apart: what any cache kept is still there
    before = client.get(figure.get_absolute_url()).content.decode()
    embed_before = client.get(reverse("card_embed", args=[figure.slug]))
    day(time_machine, 4, 2, hour=0)
    after = client.get(figure.get_absolute_url()).content.decode()
    embed_after = client.get(reverse("card_embed", args=[figure.slug]))

    assert "As of March 1, 2026" in before
    assert "Last checked" not in before
    assert "Last checked" not in embed_before.content.decode()
    for page in (after, embed_after.content.decode()):
        assert "As of March 1, 2026" in page
        assert "Last checked March 2, 2026; it may have changed since." in page
    # Nothing was written to the card, yet caches and CDNs see a new embed.
    assert embed_after["ETag"] != embed_before["ETag"]


def test_an_embed_cached_before_the_check_by_date_is_not_served_as_fresh_after(
    client, time_machine, figure
):
    day(time_machine, 4, 1, hour=23)
    etag = client.get(reverse("card_embed", args=[figure.slug]))["ETag"]
    day(time_machine, 4, 2, hour=0)
    response = client.get(reverse("card_embed", args=[figure.slug]), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200


def test_confirming_records_who_checked_and_when_and_sets_the_next_date(
    client, time_machine, figure, other_editor, settings
):
    settings.FACTCARDS_CHECK_DAYS = {"figure": 90}
    day(time_machine, 4, 10)
    counter = Publication.current()
    before = FactCard.objects.filter(pk=figure.pk).values(*[f.name for f in content()]).get()
    writers = set(figure.editors.values_list("pk", flat=True))

    figure.confirm(other_editor)

    card = reload(figure)
    assert card.checked_by == other_editor
    assert card.checked_at.date() == datetime.date(2026, 4, 10)
    assert card.check_by == datetime.date(2026, 7, 9)
    assert card.history.first().history_change_reason == (
        "Confirmed still true; check again by 2026-07-09"
    )
    assert Publication.current() == counter + 1  # readers see "Last checked": caches move on
    assert set(card.editors.values_list("pk", flat=True)) == writers  # not a content edit
    assert FactCard.objects.filter(pk=figure.pk).values(*before).get() == before
    page = client.get(figure.get_absolute_url()).content.decode()
    assert "Last checked April 10, 2026." in page
    assert "may have changed" not in page
    assert not FactCard.objects.due_for_check().exists()


def content():
    from factcards.models import CONTENT_FIELDS

    return [FactCard._meta.get_field(name) for name in CONTENT_FIELDS]


def test_confirming_can_set_the_next_check_by_date(time_machine, figure, other_editor):
    day(time_machine, 4, 10)
    figure.confirm(other_editor, next_check=datetime.date(2026, 5, 1))
    assert reload(figure).check_by == datetime.date(2026, 5, 1)


def test_nobody_confirms_a_card_they_wrote(reporter, editor, other_editor):
    card = FactCardFactory(created_by=reporter)
    card.context = "Clarified by the editor."
    card.save(by=editor)
    card = publish(card, other_editor)
    with pytest.raises(WorkflowError, match="four-eyes"):
        card.confirm(editor)
    assert reload(card).checked_at is None


def test_nobody_confirms_a_card_whose_published_revision_they_wrote(reporter, editor, other_editor):
    card = publish(FactCardFactory(created_by=reporter), other_editor)
    revision = card.start_revision(editor)
    revision.context = "The editor's revision."
    revision.save(by=editor)
    revision.submit(editor)
    card = revision.publish(other_editor)
    with pytest.raises(WorkflowError, match="four-eyes"):
        reload(card).confirm(editor)
    reload(card).confirm(UserFactory(group="Editors"))  # anyone else may


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-04-10", "The next check must be after today"),
        ("2040-01-01", "at most five years ahead"),
        ("not a date", "Enter a date, like 2026-12-24."),
        ("2026-02-30", "Enter a date, like 2026-12-24."),
    ],
)
def test_a_bad_next_check_date_is_a_clear_error_not_a_crash(
    client, time_machine, figure, other_editor, typed, message
):
    day(time_machine, 4, 10)
    client.raise_request_exception = False
    client.force_login(other_editor)
    response = confirm(client, figure, "confirm", when=typed)
    assert response.status_code == 200
    assert message in response.content.decode() + messages_of(response)
    assert reload(figure).checked_at is None


def test_the_confirm_page_offers_a_date_and_takes_the_step(
    client, time_machine, figure, other_editor
):
    day(time_machine, 4, 10)
    client.force_login(other_editor)
    page = client.get(step_url(figure, "confirm")).content.decode()
    assert 'type="date"' in page
    response = confirm(client, figure, "confirm", when="2026-06-01")
    assert "was confirmed as still true" in messages_of(response)
    assert reload(figure).check_by == datetime.date(2026, 6, 1)


# --- the weekly email ------------------------------------------------------------------------


@pytest.fixture
def inboxes(editor, other_editor):
    for user in (editor, other_editor):
        user.email = f"{user.username}@newsroom.example"
        user.save()


def test_the_weekly_email_lists_the_cards_due_for_a_check_to_each_editor_once(
    time_machine, figure, inboxes, settings
):
    settings.FACTCARDS_CHECK_DIGEST = (0, 8)  # Mondays at 8
    day(time_machine, 4, 5)  # a Sunday: the next slot is Monday April 6, 08:00
    schedule_periodic()
    schedule_periodic()  # a second worker start changes nothing
    run = PeriodicRun.objects.get(job="check_digest")
    assert run.due_at == datetime.datetime(2026, 4, 6, 8, tzinfo=datetime.UTC)
    mail.outbox.clear()
    time_machine.move_to(run.due_at)

    run_periodic.call("check_digest", run.due_at.isoformat())
    run_periodic.call("check_digest", run.due_at.isoformat())  # delivered twice: sent once

    assert sorted(m.to[0] for m in mail.outbox) == ["ed@newsroom.example", "eve@newsroom.example"]
    assert mail.outbox[0].subject == "Due for a check: 1 card"
    assert figure.statement in mail.outbox[0].body
    assert "check-by date 2026-04-01" in mail.outbox[0].body
    # And the next week's run is waiting, once.
    assert list(
        PeriodicRun.objects.filter(job="check_digest").values_list("due_at", flat=True)
    ) == [
        datetime.datetime(2026, 4, 13, 8, tzinfo=datetime.UTC),
        run.due_at,
    ]


def test_the_weekly_email_is_not_sent_when_nothing_is_due(time_machine, figure, inboxes):
    day(time_machine, 3, 28)  # a Saturday: the next slot is Monday March 30, before April 1
    schedule_periodic()
    run = PeriodicRun.objects.get(job="check_digest")
    mail.outbox.clear()
    time_machine.move_to(run.due_at)
    assert run_periodic.call("check_digest", run.due_at.isoformat()) == (
        "No card is due for a check."
    )
    assert mail.outbox == []


def test_at_midnight_the_caches_drop_the_pages_of_cards_that_fell_due(time_machine, figure):
    day(time_machine, 4, 1, hour=22)
    schedule_periodic()
    midnight = PeriodicRun.objects.get(job="fallen_due").due_at
    assert midnight == datetime.datetime(2026, 4, 2, tzinfo=datetime.UTC)
    counter = Publication.current()
    time_machine.move_to(midnight)
    run_periodic.call("fallen_due", midnight.isoformat())
    assert Publication.current() == counter + 1  # pages keyed by it, and purges, move on
    tomorrow = PeriodicRun.objects.filter(job="fallen_due", done_at__isnull=True).get()
    time_machine.move_to(tomorrow.due_at)
    run_periodic.call("fallen_due", tomorrow.due_at.isoformat())
    assert Publication.current() == counter + 1  # nothing fell due that day
