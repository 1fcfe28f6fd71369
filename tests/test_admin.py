"""The editorial desk in the Django admin: change form, workflow buttons, list actions."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from factcards.models import FactCard

from .admin_forms import (
    CHANGELIST,
    change_form_data,
    change_url,
    confirm,
    messages_of,
    new_card_form,
    step_url,
)
from .factories import FactCardFactory


def status_of(card):
    return FactCard.objects.get(pk=card.pk).status


def test_reporter_creates_a_draft_in_the_add_form(client, reporter):
    client.force_login(reporter)
    response = client.post(
        reverse("admin:factcards_factcard_add"),
        {
            "statement": "Nearly 2,000 Russian peacekeepers had been stationed in Karabakh.",
            "slug": "peacekeepers-stationed",
            "kind": "figure",
            "qualifier": "nearly",
            "value": "2000",
            "unit": "peacekeepers",
            "version": "1",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
            "corrections-TOTAL_FORMS": "0",
            "corrections-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    card = FactCard.objects.get(slug="peacekeepers-stationed")
    assert (card.status, card.created_by, card.last_edited_by) == ("draft", reporter, reporter)


def test_the_add_form_refuses_a_slug_already_here_in_other_capitals(client, reporter):
    FactCardFactory(slug="armenians-who-left-karabakh")
    client.force_login(reporter)
    response = client.post(
        reverse("admin:factcards_factcard_add"),
        new_card_form(
            statement="More than 100,000 Armenians left Karabakh.",
            slug="Armenians-Who-Left-Karabakh",
            value="100000",
        ),
    )
    assert response.status_code == 200
    assert "a slug is the same whatever its case" in response.content.decode()
    assert not FactCard.objects.filter(slug="Armenians-Who-Left-Karabakh").exists()


def test_editor_who_edits_in_the_change_form_cannot_then_publish(client, in_review, editor):
    client.force_login(editor)
    form = client.get(change_url(in_review))
    data = change_form_data(form, context="Stationed under the 2020 ceasefire.")
    assert client.post(change_url(in_review), data).status_code == 302

    response = confirm(client, in_review, "publish")
    assert "four-eyes" in messages_of(response)
    assert status_of(in_review) == "in_review"


def test_another_editor_publishes_from_the_change_form_button(client, in_review, editor):
    client.force_login(editor)
    response = confirm(client, in_review, "publish")
    assert "was published" in messages_of(response)
    assert status_of(in_review) == "published"


def test_workflow_button_asks_for_confirmation_before_acting(client, in_review, editor):
    client.force_login(editor)
    response = client.get(step_url(in_review, "publish"))
    assert response.status_code == 200
    assert in_review.statement in response.content.decode()
    assert status_of(in_review) == "in_review"


def test_publish_list_action_reports_each_card_done_or_refused(client, reporter, editor):
    theirs = FactCardFactory(created_by=reporter, statement="A reporter's card.")
    mine = FactCardFactory(created_by=editor, statement="The editor's own card.")
    for card in (theirs, mine):
        card.submit(card.created_by)
    client.force_login(editor)
    response = client.post(
        CHANGELIST,
        {"action": "publish", ACTION_CHECKBOX_NAME: [theirs.pk, mine.pk], "confirm": "yes"},
        follow=True,
    )
    text = messages_of(response)
    assert "1 published: “A reporter's card.”" in text
    assert "“The editor's own card.” was not published" in text
    assert "four-eyes" in text
    assert (status_of(theirs), status_of(mine)) == ("published", "in_review")


def test_bulk_publish_refuses_drafts_and_publishes_the_rest(client, reporter, editor):
    ready = FactCardFactory.create_batch(3, created_by=reporter)
    for card in ready:
        card.submit(reporter)
    still_draft = FactCardFactory(created_by=reporter)
    client.force_login(editor)
    client.post(
        CHANGELIST,
        {
            "action": "publish",
            ACTION_CHECKBOX_NAME: [c.pk for c in [*ready, still_draft]],
            "confirm": "yes",
        },
    )
    assert FactCard.objects.published().count() == 3
    assert status_of(still_draft) == "draft"


def test_return_to_draft_action_asks_for_a_comment_first(client, in_review, editor):
    client.force_login(editor)
    data = {"action": "return_to_draft", ACTION_CHECKBOX_NAME: [in_review.pk]}
    response = client.post(CHANGELIST, data)
    assert response.status_code == 200
    assert "Comment for the author" in response.content.decode()
    assert status_of(in_review) == "in_review"

    client.post(CHANGELIST, {**data, "confirm": "yes", "text": "Cite the agreement itself."})
    card = FactCard.objects.get(pk=in_review.pk)
    assert (card.status, card.review_comment) == ("draft", "Cite the agreement itself.")


def test_return_to_draft_without_a_comment_is_refused(client, in_review, editor):
    client.force_login(editor)
    data = {"action": "return_to_draft", ACTION_CHECKBOX_NAME: [in_review.pk], "confirm": "yes"}
    response = client.post(CHANGELIST, {**data, "text": "  "})
    assert "Say why the card goes back" in response.content.decode()
    assert status_of(in_review) == "in_review"


def test_author_sees_the_editors_comment_on_the_returned_draft(client, in_review, editor, reporter):
    in_review.return_to_draft(editor, "Add the second source.")
    client.force_login(reporter)
    response = client.get(change_url(in_review))
    assert "Returned by the editor" in response.content.decode()
    assert "Add the second source." in response.content.decode()


def test_retract_action_needs_a_public_notice(client, published, other_editor):
    client.force_login(other_editor)
    data = {"action": "retract", ACTION_CHECKBOX_NAME: [published.pk], "confirm": "yes"}
    client.post(CHANGELIST, {**data, "text": ""})
    assert status_of(published) == "published"
    client.post(CHANGELIST, {**data, "text": "The count was misattributed."})
    assert status_of(published) == "retracted"


def test_stale_change_form_gets_a_conflict_and_overwrites_nothing(client, draft, reporter):
    client.force_login(reporter)
    form = client.get(change_url(draft))
    other = FactCard.objects.get(pk=draft.pk)
    other.statement = "Saved by a colleague meanwhile."
    other.save(by=reporter)

    data = change_form_data(form, statement="My stale edit.")
    response = client.post(change_url(draft), data)
    assert response.status_code == 200
    assert "Someone else changed this card" in response.content.decode()
    assert FactCard.objects.get(pk=draft.pk).statement == "Saved by a colleague meanwhile."


def test_published_card_opens_read_only_with_revision_offered(client, published, reporter):
    client.force_login(reporter)
    response = client.get(change_url(published))
    page = response.content.decode()
    assert 'name="_save"' not in page
    assert "Propose a revision" in page
    data = change_form_data(response, statement="Rewritten in place.")
    response = client.post(change_url(published), data)
    assert "You can no longer edit this card: it is published" in response.content.decode()
    assert FactCard.objects.get(pk=published.pk).statement == published.statement


def test_proposing_a_revision_opens_an_editable_copy(client, published, reporter):
    client.force_login(reporter)
    response = confirm(client, published, "start_revision")
    revision = FactCard.objects.get(revision_of=published)
    assert response.redirect_chain[-1][0] == change_url(revision)
    assert revision.statement == published.statement
    assert revision.citations.count() == 1


def test_revision_change_form_shows_the_diff_against_published(client, published, reporter):
    revision = published.start_revision(reporter)
    revision.statement = "1,960 military personnel were sent."
    revision.save()
    client.force_login(reporter)
    page = client.get(change_url(revision)).content.decode()
    assert "Changes against the published card" in page
    assert "<del>" + published.statement + "</del>" in page
    assert "<ins>1,960 military personnel were sent.</ins>" in page


def test_preview_shows_the_card_as_readers_will(client, in_review, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:factcards_factcard_preview", args=[in_review.pk]))
    page = response.content.decode()
    assert "nearly 2,000 peacekeepers" in page
    assert "Nearly 2,000 Russian peacekeepers had been stationed in Karabakh." in page


def test_history_shows_who_changed_what(client, in_review, editor, reporter):
    in_review.publish(editor)
    client.force_login(editor)
    response = client.get(reverse("admin:factcards_factcard_history", args=[in_review.pk]))
    page = response.content.decode()
    assert "eve" in page and "rita" in page
    assert "In review" in page and "Published" in page


@pytest.mark.parametrize(
    ("mine", "expected"), [("drafts", {"my draft"}), ("review", {"theirs in review"})]
)
def test_mine_filter_lists_my_drafts_and_what_awaits_my_review(
    client, editor, reporter, mine, expected
):
    FactCardFactory(created_by=editor, statement="my draft")
    mine_in_review = FactCardFactory(created_by=editor, statement="mine in review")
    mine_in_review.submit(editor)
    theirs = FactCardFactory(created_by=reporter, statement="theirs in review")
    theirs.submit(reporter)
    client.force_login(editor)
    response = client.get(CHANGELIST, {"mine": mine})
    shown = {card.statement for card in response.context["cl"].result_list}
    assert shown == expected


def test_changelist_search_finds_cards_by_excerpt(client, draft, editor):
    client.force_login(editor)
    response = client.get(CHANGELIST, {"q": "stationed in Karabakh"})
    assert [c.pk for c in response.context["cl"].result_list] == [draft.pk]


def test_bulk_delete_is_not_offered_for_cards(client, published, editor):
    client.force_login(editor)
    response = client.get(CHANGELIST)
    assert "delete_selected" not in response.content.decode()
    response = client.post(
        CHANGELIST,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [published.pk], "post": "yes"},
    )
    assert FactCard.objects.filter(pk=published.pk).exists()


def test_public_corrections_cannot_be_rewritten_in_the_admin(client, published, other_editor):
    published.retract(other_editor, "Withdrawn.")
    correction = published.corrections.get()
    client.force_login(other_editor)
    url = reverse("admin:factcards_correction_change", args=[correction.pk])
    assert 'name="_save"' not in client.get(url).content.decode()
    client.post(url, {"note": "Rewritten."})
    assert published.corrections.get().note == "Withdrawn."


def test_a_half_finished_draft_saves_and_lists_what_it_lacks(client, reporter):
    client.force_login(reporter)
    data = new_card_form(
        statement="Peskov confirmed the withdrawal.", slug="peskov-confirmed", kind="quote"
    )
    assert client.post(reverse("admin:factcards_factcard_add"), data).status_code == 302
    card = FactCard.objects.get(slug="peskov-confirmed")
    page = client.get(change_url(card)).content.decode()
    assert "Not ready to submit" in page
    assert "A quote needs its speaker." in page
    assert "Before it can be published" in page
    assert "at least one supporting citation" in page


def test_bulk_publish_asks_for_confirmation_first(client, in_review, editor):
    client.force_login(editor)
    data = {"action": "publish", ACTION_CHECKBOX_NAME: [in_review.pk]}
    page = client.post(CHANGELIST, data).content.decode()
    assert 'value="Publish"' in page
    assert status_of(in_review) == "in_review"


def test_the_publish_confirmation_shows_the_card_and_what_blocks_it(client, reporter, editor):
    card = FactCardFactory(created_by=reporter, citations=0)
    card.submit(reporter)
    client.force_login(editor)
    page = client.get(step_url(card, "publish")).content.decode()
    assert "As readers will see it" in page and card.statement in page
    assert "needs at least one supporting citation" in page
    assert 'value="Publish"' not in page


def test_a_card_saved_without_a_slug_gets_a_short_one_from_its_statement(client, reporter):
    client.force_login(reporter)
    data = new_card_form(
        statement="Nearly 2,000 Russian peacekeepers had been stationed in the region.",
        slug="",
        value="2000",
    )
    add = reverse("admin:factcards_factcard_add")
    assert client.post(add, data).status_code == 302
    assert client.post(add, data).status_code == 302
    slugs = sorted(FactCard.objects.values_list("slug", flat=True))
    assert slugs == [
        "nearly-2000-russian-peacekeepers-stationed-region",
        "nearly-2000-russian-peacekeepers-stationed-region-2",
    ]


def test_the_publish_page_lists_every_blocker_at_once_and_offers_no_button(
    client, reporter, editor
):
    card = FactCardFactory(created_by=reporter, citations=0)
    card.context = "An editor's touch."
    card.save(by=editor)
    card.submit(reporter)
    client.force_login(editor)
    page = client.get(step_url(card, "publish")).content.decode()
    assert "four-eyes rule" in page
    assert "supporting citation with a verbatim excerpt" in page
    assert 'type="submit" value="Publish"' not in page


def test_the_submit_page_says_what_a_draft_lacks_before_the_button(client, reporter):
    card = FactCardFactory(created_by=reporter, value=None)
    client.force_login(reporter)
    page = client.get(step_url(card, "submit")).content.decode()
    assert "A figure needs its number." in page
    assert 'value="Submit for review"' not in page


def test_bulk_publish_asks_first_with_each_cards_blockers(client, reporter, editor):
    ready = FactCardFactory(created_by=reporter, statement="A card ready to go.")
    bare = FactCardFactory(created_by=reporter, statement="A card with no source.", citations=0)
    for card in (ready, bare):
        card.submit(reporter)
    client.force_login(editor)
    data = {"action": "publish", ACTION_CHECKBOX_NAME: [ready.pk, bare.pk]}
    page = client.post(CHANGELIST, data).content.decode()
    blocked = page.split("A card with no source.", 1)[1].split("</li>", 2)
    assert "supporting citation" in blocked[0] + blocked[1]
    assert "supporting citation" not in page.split("A card ready to go.", 1)[1].split("</li>")[0]
    assert "will be left as they are" in page
    assert status_of(ready) == status_of(bare) == "in_review"  # nothing happened yet
