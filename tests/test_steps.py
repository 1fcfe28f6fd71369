"""The admin offers a workflow step exactly when taking it would succeed (issue 7, hole 8)."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from factcards import workflow
from factcards.models import EditConflict, FactCard, WorkflowError

from .factories import FactCardFactory, UserFactory

# "scheduled": in review, approved by another editor to go public tomorrow.
STATUSES = ["draft", "in_review", "scheduled", "published", "retracted", "revision_in_review"]
ROLES = ["author", "other_reporter", "editor_who_edited", "other_editor", "superuser"]
STEPS = [
    "submit",
    "return_to_draft",
    "publish",
    "retract",
    "start_revision",
    "confirm",
    "schedule",
    "cancel_schedule",
]


def tomorrow():
    return timezone.now() + datetime.timedelta(days=1)


@pytest.fixture
def people(reporter, other_reporter, editor, other_editor, superuser):
    return {
        "author": reporter,
        "other_reporter": other_reporter,
        "editor_who_edited": editor,
        "other_editor": other_editor,
        "superuser": superuser,  # never edits the card
        "publisher": UserFactory(username="pat", group="Editors"),
    }


def card_in(status, people):
    """A card in `status` by `author`, edited by `editor_who_edited`, then by `author` again."""
    author, edited_by, publisher = (
        people["author"],
        people["editor_who_edited"],
        people["publisher"],
    )
    card = FactCardFactory(created_by=author)
    card.context = "Clarified by an editor."
    card.save(by=edited_by)
    card.as_of = datetime.date(2024, 1, 1)  # the author's later small change
    card.save(by=author)
    if status == "draft":
        return card
    card.submit(author)
    if status == "in_review":
        return card
    if status == "scheduled":
        card.schedule(publisher, tomorrow())
        return card
    card.publish(publisher)
    if status == "retracted":
        card.retract(publisher, "The figure was misreported.")
    if status != "revision_in_review":
        return card
    revision = card.start_revision(author)
    revision.context = "Clarified again by an editor."
    revision.save(by=edited_by)
    revision.as_of = datetime.date(2024, 6, 1)
    revision.save(by=author)
    revision.submit(author)
    return revision


def offered_steps(client, card, user):
    """The names of the steps whose links the card's change page shows this user."""
    client.force_login(user)
    response = client.get(reverse("admin:factcards_factcard_change", args=[card.pk]))
    assert response.status_code == 200
    urls = {url for _, url in response.context["workflow_links"]}
    return {
        step
        for step in STEPS
        if reverse("admin:factcards_factcard_workflow", args=[card.pk, step]) in urls
    }


def outcome_of(card, step, user):
    """What taking `step` does now, tried in a savepoint rolled back afterwards, so that every
    step meets the card as it is (one card and one page per status and role: the table has
    240 cells, and a card and an admin page for each would cost the suite a minute)."""
    with transaction.atomic():
        try:
            when = tomorrow() if step == "schedule" else None  # confirm: the kind's interval
            workflow.take(FactCard.objects.get(pk=card.pk), step, user, "Some text.", when=when)
            return "succeeds"
        except (WorkflowError, EditConflict) as error:
            return f"is refused: {' '.join(error.messages)}"
        finally:
            transaction.set_rollback(True)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", STATUSES)
def test_admin_offers_a_step_exactly_when_taking_it_succeeds(client, people, status, role):
    card = card_in(status, people)
    user = people[role]
    offered = offered_steps(client, card, user)
    wrong = [
        f"{step}: offered={step in offered}, but taking it {outcome}"
        for step in STEPS
        if (step in offered) != ((outcome := outcome_of(card, step, user)) == "succeeds")
    ]
    assert wrong == []


# A few cases spelled out, so that the table above can't agree by offering and allowing nothing.
@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        ("draft", "author", {"submit"}),
        ("draft", "other_reporter", set()),
        ("in_review", "other_editor", {"publish", "return_to_draft", "schedule"}),
        ("in_review", "editor_who_edited", {"return_to_draft"}),
        ("in_review", "superuser", {"publish", "return_to_draft", "schedule"}),
        ("scheduled", "author", set()),
        ("scheduled", "other_editor", {"publish", "return_to_draft", "cancel_schedule"}),
        ("scheduled", "editor_who_edited", {"return_to_draft", "cancel_schedule"}),
        ("published", "other_reporter", {"start_revision"}),
        ("published", "other_editor", {"start_revision", "retract", "confirm"}),
        ("published", "editor_who_edited", {"start_revision", "retract"}),
        ("retracted", "other_editor", set()),
        ("revision_in_review", "other_editor", {"publish", "return_to_draft", "schedule"}),
        ("revision_in_review", "editor_who_edited", {"return_to_draft"}),
    ],
)
def test_admin_offers_the_steps_a_newsroom_expects(client, people, status, role, expected):
    card = card_in(status, people)
    assert offered_steps(client, card, people[role]) == expected
