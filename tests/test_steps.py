"""The admin offers a workflow step exactly when taking it would succeed (issue 7, hole 8)."""

import datetime

import pytest
from django.urls import reverse

from factcards import workflow
from factcards.models import EditConflict, FactCard, WorkflowError

from .factories import FactCardFactory, UserFactory

STATUSES = ["draft", "in_review", "published", "retracted", "revision_in_review"]
ROLES = ["author", "other_reporter", "editor_who_edited", "other_editor", "superuser"]
STEPS = ["submit", "return_to_draft", "publish", "retract", "start_revision"]


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


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", STATUSES)
def test_admin_offers_a_step_exactly_when_taking_it_succeeds(client, people, status, role, step):
    card = card_in(status, people)
    user = people[role]
    offered = step in offered_steps(client, card, user)
    try:
        workflow.take(FactCard.objects.get(pk=card.pk), step, user, text="Some text.")
        outcome = "succeeds"
    except (WorkflowError, EditConflict) as error:
        outcome = f"is refused: {' '.join(error.messages)}"
    assert offered == (outcome == "succeeds"), f"offered={offered}, but taking it {outcome}"


# A few cases spelled out, so that the table above can't agree by offering and allowing nothing.
@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        ("draft", "author", {"submit"}),
        ("draft", "other_reporter", set()),
        ("in_review", "other_editor", {"publish", "return_to_draft"}),
        ("in_review", "editor_who_edited", {"return_to_draft"}),
        ("in_review", "superuser", {"publish", "return_to_draft"}),
        ("published", "other_reporter", {"start_revision"}),
        ("published", "other_editor", {"start_revision", "retract"}),
        ("revision_in_review", "other_editor", {"publish", "return_to_draft"}),
        ("revision_in_review", "editor_who_edited", {"return_to_draft"}),
    ],
)
def test_admin_offers_the_steps_a_newsroom_expects(client, people, status, role, expected):
    card = card_in(status, people)
    assert offered_steps(client, card, people[role]) == expected
