"""Who may take which step in the admin: anonymous, reporter, editor, superuser × each action."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from factcards.models import FactCard

from .factories import FactCardFactory, UserFactory

CHANGELIST = reverse("admin:factcards_factcard_changelist")

# action: (status the card starts in, status after it, text the step needs)
ACTIONS = {
    "submit_for_review": ("draft", "in_review", ""),
    "publish": ("in_review", "published", ""),
    "return_to_draft": ("in_review", "draft", "Please add a second source."),
    "retract": ("published", "retracted", "This card was wrong."),
}
ALLOWED = {
    "anonymous": set(),
    "reporter": set(),  # a reporter who is not the card's author
    "editor": set(ACTIONS),
    "superuser": set(ACTIONS),
}


def card_in(status, author, editor):
    card = FactCardFactory(created_by=author)
    if status in ("in_review", "published"):
        card.submit(author)
    if status == "published":
        card.publish(editor)
    return card


def login_as(client, role):
    if role == "anonymous":
        return
    if role == "superuser":
        user = UserFactory(username="root", is_superuser=True)
    else:
        user = UserFactory(username=f"the-{role}", group=f"{role.capitalize()}s")
    client.force_login(user)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ALLOWED)
def test_admin_action_permissions(client, other_reporter, other_editor, role, action):
    start, end, text = ACTIONS[action]
    card = card_in(start, other_reporter, other_editor)
    login_as(client, role)
    data = {"action": action, ACTION_CHECKBOX_NAME: [card.pk], "confirm": "yes", "text": text}
    response = client.post(CHANGELIST, data)
    assert response.status_code in (200, 302)
    expected = end if action in ALLOWED[role] else start
    assert FactCard.objects.get(pk=card.pk).status == expected


def test_reporter_submits_own_draft_from_the_list(client, reporter, other_editor):
    card = card_in("draft", reporter, other_editor)
    client.force_login(reporter)
    client.post(CHANGELIST, {"action": "submit_for_review", ACTION_CHECKBOX_NAME: [card.pk]})
    assert FactCard.objects.get(pk=card.pk).status == "in_review"


def test_reporter_cannot_edit_another_reporters_draft(client, reporter, other_reporter):
    card = FactCardFactory(created_by=other_reporter)
    client.force_login(reporter)
    url = reverse("admin:factcards_factcard_change", args=[card.pk])
    page = client.get(url).content.decode()
    assert 'name="_save"' not in page


def test_reporter_cannot_edit_own_card_while_in_review(client, in_review, reporter):
    client.force_login(reporter)
    url = reverse("admin:factcards_factcard_change", args=[in_review.pk])
    assert 'name="_save"' not in client.get(url).content.decode()


def test_anonymous_visitor_is_sent_to_the_login_page(client, in_review):
    response = client.get(
        reverse("admin:factcards_factcard_workflow", args=[in_review.pk, "publish"])
    )
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


@pytest.mark.parametrize("role", ["reporter", "editor"])
def test_groups_come_from_the_migration(role, db):
    from django.contrib.auth.models import Group

    perms = set(
        Group.objects.get(name=f"{role.capitalize()}s").permissions.values_list(
            "codename", flat=True
        )
    )
    assert "add_factcard" in perms
    assert ("publish_factcard" in perms) == (role == "editor")
