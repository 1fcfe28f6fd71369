"""The editorial workflow as the model enforces it, whatever path calls it."""

import threading

import pytest
from django.db import connection, transaction

from factcards.models import Citation, Correction, EditConflict, FactCard, WorkflowError

from .factories import CitationFactory, FactCardFactory, TopicFactory, UserFactory


def reload(card):
    return FactCard.objects.get(pk=card.pk)


def test_reporter_submits_own_draft_for_review(draft, reporter):
    draft.submit(reporter)
    assert reload(draft).status == FactCard.Status.IN_REVIEW


def test_reporter_cannot_submit_someone_elses_draft(draft, other_reporter):
    with pytest.raises(WorkflowError, match="author or an editor"):
        draft.submit(other_reporter)
    assert reload(draft).status == FactCard.Status.DRAFT


def test_card_in_review_cannot_be_submitted_again(in_review, reporter):
    with pytest.raises(WorkflowError, match="in review"):
        in_review.submit(reporter)


def test_editor_publishes_card_in_review(in_review, editor):
    in_review.publish(editor)
    card = reload(in_review)
    assert card.status == FactCard.Status.PUBLISHED
    assert card.published_by == editor
    assert card.published_at is not None
    assert list(FactCard.objects.published()) == [card]


def test_draft_must_go_through_review_before_publishing(draft, editor):
    with pytest.raises(WorkflowError, match="draft"):
        draft.publish(editor)
    assert not FactCard.objects.published().exists()


def test_reporter_cannot_publish(in_review, other_reporter):
    with pytest.raises(WorkflowError, match="Only editors"):
        in_review.publish(other_reporter)
    assert reload(in_review).status == FactCard.Status.IN_REVIEW


def test_four_eyes_editor_cannot_publish_card_they_created(editor, other_editor):
    card = FactCardFactory(created_by=editor)
    card.submit(editor)
    with pytest.raises(WorkflowError, match="four-eyes"):
        card.publish(editor)
    card.publish(other_editor)
    assert reload(card).status == FactCard.Status.PUBLISHED


def test_four_eyes_editor_cannot_publish_card_they_last_edited(in_review, editor):
    in_review.context = "Stationed under the 2020 ceasefire."
    in_review.save(by=editor)
    with pytest.raises(WorkflowError, match="four-eyes"):
        in_review.publish(editor)
    assert reload(in_review).status == FactCard.Status.IN_REVIEW


def test_four_eyes_applies_to_superusers(superuser, editor):
    card = FactCardFactory(created_by=superuser)
    card.submit(superuser)
    with pytest.raises(WorkflowError, match="four-eyes"):
        card.publish(superuser)


def test_publishing_needs_a_supporting_citation(reporter, editor):
    card = FactCardFactory(created_by=reporter, citations=0)
    CitationFactory(card=card, relation=Citation.Relation.CONTEXT)
    card.submit(reporter)
    with pytest.raises(WorkflowError, match="supporting citation"):
        card.publish(editor)
    assert reload(card).status == FactCard.Status.IN_REVIEW


def test_publishing_needs_a_value_that_fits_the_kind(in_review, editor, other_editor):
    in_review.kind = FactCard.Kind.QUOTE
    in_review.save(by=other_editor)
    with pytest.raises(WorkflowError, match="speaker"):
        in_review.publish(editor)


def test_editor_returns_card_to_draft_with_comment_for_author(in_review, editor):
    in_review.return_to_draft(editor, "The excerpt says nearly 2,000, not 2,000.")
    card = reload(in_review)
    assert card.status == FactCard.Status.DRAFT
    assert card.review_comment == "The excerpt says nearly 2,000, not 2,000."


def test_returning_to_draft_needs_a_comment(in_review, editor):
    with pytest.raises(WorkflowError, match="comment"):
        in_review.return_to_draft(editor, "   ")
    assert reload(in_review).status == FactCard.Status.IN_REVIEW


def test_reporter_cannot_return_card_to_draft(in_review, other_reporter):
    with pytest.raises(WorkflowError, match="Only editors"):
        in_review.return_to_draft(other_reporter, "no")


def test_resubmitting_clears_the_returned_comment(in_review, editor, reporter):
    in_review.return_to_draft(editor, "Fix the unit.")
    in_review.submit(reporter)
    assert reload(in_review).review_comment == ""


def test_retracting_keeps_the_card_on_record_with_a_public_notice(published, other_editor):
    published.retract(other_editor, "The figure was misreported.")
    card = reload(published)
    assert card.status == FactCard.Status.RETRACTED
    assert card in FactCard.objects.on_record()
    assert card not in FactCard.objects.published()
    notice = card.corrections.get()
    assert notice.kind == Correction.Kind.RETRACTION
    assert notice.note == "The figure was misreported."


def test_retracting_needs_a_notice(published, editor):
    with pytest.raises(WorkflowError, match="retraction notice"):
        published.retract(editor, "")
    assert reload(published).status == FactCard.Status.PUBLISHED


def test_only_published_cards_can_be_retracted(in_review, editor):
    with pytest.raises(WorkflowError, match="in review"):
        in_review.retract(editor, "why")


def test_reporter_cannot_retract(published, reporter):
    with pytest.raises(WorkflowError, match="Only editors"):
        published.retract(reporter, "why")


def test_drafts_and_cards_in_review_are_not_public(draft, reporter):
    assert not FactCard.objects.published().exists()
    draft.submit(reporter)
    assert not FactCard.objects.on_record().exists()


def test_published_card_cannot_be_edited_in_place(published):
    published.statement = "Exactly 2,000 peacekeepers were stationed."
    with pytest.raises(WorkflowError, match="propose a revision"):
        published.save()
    assert reload(published).statement.endswith("nearly 2,000 peacekeepers were stationed.")


def test_slug_never_changes_once_published(published):
    published.slug = "new-slug"
    with pytest.raises(WorkflowError, match="slug"):
        published.save()
    assert reload(published).slug == "peacekeepers"


def test_published_card_sources_cannot_change_in_place(published):
    citation = published.citations.get()
    citation.excerpt = "Something else."
    with pytest.raises(WorkflowError, match="revision"):
        citation.save()
    with pytest.raises(WorkflowError, match="revision"):
        citation.delete()
    assert reload(published).citations.count() == 1


def test_published_card_topics_cannot_change_in_place(published):
    with pytest.raises(WorkflowError, match="revision"), transaction.atomic():
        published.topics.add(TopicFactory())
    assert not reload(published).topics.exists()


def test_published_card_cannot_be_deleted(published):
    with pytest.raises(WorkflowError, match="Retract"):
        published.delete()
    assert FactCard.objects.filter(pk=published.pk).exists()


def test_published_cards_cannot_be_deleted_in_bulk(published, draft):
    with pytest.raises(WorkflowError, match="Retract"), transaction.atomic():
        FactCard.objects.all().delete()
    assert FactCard.objects.filter(pk=published.pk).exists()


def test_published_cards_cannot_be_edited_in_bulk(published):
    with pytest.raises(WorkflowError, match="revision"), transaction.atomic():
        FactCard.objects.filter(pk=published.pk).update(statement="Bulk rewrite.")
    assert reload(published).statement != "Bulk rewrite."


def test_published_card_sources_cannot_be_deleted_in_bulk(published):
    with pytest.raises(WorkflowError, match="revision"), transaction.atomic():
        Citation.objects.filter(card=published).delete()
    assert published.citations.count() == 1


def test_drafts_can_still_be_deleted_in_bulk(draft):
    FactCard.objects.filter(pk=draft.pk).delete()
    assert not FactCard.objects.filter(pk=draft.pk).exists()


# --- revisions of published cards -----------------------------------------------------


def test_pending_revision_is_invisible_to_the_public_until_approved(published, reporter):
    revision = published.start_revision(reporter)
    revision.statement = "1,960 military personnel were sent to the region."
    revision.save()
    public = FactCard.objects.published().get()
    assert public.pk == published.pk
    assert public.statement == published.statement
    assert revision not in FactCard.objects.on_record()


def test_approved_revision_replaces_published_card_and_logs_correction(
    published, reporter, other_editor
):
    revision = published.start_revision(reporter)
    revision.value = 1960
    revision.qualifier = ""
    revision.correction_note = "The agreements set the contingent at 1,960, not nearly 2,000."
    revision.save()
    revision.submit(reporter)
    revision.publish(other_editor)
    card = reload(published)
    assert card.display_value() == "1,960 peacekeepers"
    assert card.slug == "peacekeepers"
    assert card.status == FactCard.Status.PUBLISHED
    assert card.corrections.get().note.startswith("The agreements set")
    assert not FactCard.objects.filter(revision_of=card).exists()
    assert card.citations.count() == 1


def test_revision_that_changes_substance_needs_a_correction_note(published, reporter, other_editor):
    revision = published.start_revision(reporter)
    revision.value = 1960
    revision.save()
    revision.submit(reporter)
    with pytest.raises(WorkflowError, match="correction note"):
        revision.publish(other_editor)
    assert reload(published).value == 2000


def test_revision_of_context_only_needs_no_correction(published, reporter, other_editor):
    revision = published.start_revision(reporter)
    revision.context = "The contingent left in 2024."
    revision.save()
    revision.submit(reporter)
    revision.publish(other_editor)
    assert reload(published).context == "The contingent left in 2024."
    assert not published.corrections.exists()


def test_revision_author_cannot_approve_their_own_revision(published, editor, other_editor):
    revision = published.start_revision(editor)
    revision.context = "More context."
    revision.save()
    revision.submit(editor)
    with pytest.raises(WorkflowError, match="four-eyes"):
        revision.publish(editor)
    revision.publish(other_editor)


def test_only_one_revision_pending_per_card(published, reporter, other_reporter):
    published.start_revision(reporter)
    with pytest.raises(WorkflowError, match="already pending"):
        published.start_revision(other_reporter)


def test_drafts_cannot_be_revised(draft, reporter):
    with pytest.raises(WorkflowError, match="draft"):
        draft.start_revision(reporter)


# --- no lost updates -------------------------------------------------------------------


def test_second_of_two_saves_from_the_same_version_gets_a_conflict(draft):
    first, second = reload(draft), reload(draft)
    first.statement = "First editor's wording."
    first.save(by=draft.created_by)
    second.statement = "Second editor's wording."
    with pytest.raises(EditConflict, match="Someone else changed"):
        second.save(by=draft.created_by)
    assert reload(draft).statement == "First editor's wording."


def test_workflow_step_on_a_stale_copy_is_refused(in_review, editor, reporter):
    stale = reload(in_review)
    in_review.return_to_draft(editor, "Needs a second source.")
    with pytest.raises(EditConflict):
        stale.publish(editor)
    assert reload(in_review).status == FactCard.Status.DRAFT


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_in_two_connections_keep_exactly_one(editorial_groups):
    reporter = UserFactory(group="Reporters")
    card = FactCardFactory(created_by=reporter)
    copies = [reload(card), reload(card)]
    barrier = threading.Barrier(2)
    outcomes = []

    def save(copy, text):
        try:
            copy.statement = text
            barrier.wait(timeout=10)
            copy.save(by=reporter)
            outcomes.append(("saved", text))
        except EditConflict:
            outcomes.append(("conflict", text))
        finally:
            connection.close()  # each thread has its own connection; free it for teardown

    threads = [threading.Thread(target=save, args=(c, f"Writer {i}")) for i, c in enumerate(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(kind for kind, _ in outcomes) == ["conflict", "saved"]
    winner = next(text for kind, text in outcomes if kind == "saved")
    assert reload(card).statement == winner


# --- history --------------------------------------------------------------------------


def test_every_step_is_recorded_in_history_with_who_did_it(in_review, reporter, editor):
    in_review.publish(editor)
    records = list(reload(in_review).history.order_by("history_date"))
    assert [r.status for r in records] == ["draft", "in_review", "published"]
    assert [r.history_user for r in records[1:]] == [reporter, editor]
    assert [r.history_change_reason for r in records[1:]] == ["Submitted for review", "Published"]


# --- shortcuts past the workflow, as the shell offers them -------------------------------


def shortcuts(reporter, published):
    source = published.citations.get().source
    stale = reload(published)
    stale.statement = "Bulk rewrite."
    return {
        "create as published": lambda: FactCard(
            slug="x", statement="S", created_by=reporter, status="published"
        ).save(),
        "bulk_create as published": lambda: FactCard.objects.bulk_create(
            [FactCard(slug="y", statement="S", created_by=reporter, status="published")]
        ),
        "bulk_update a published card": lambda: FactCard.objects.bulk_update(
            [stale], ["statement"]
        ),
        "update_or_create a published card": lambda: FactCard.objects.update_or_create(
            slug=published.slug, defaults={"statement": "U"}
        ),
        "bulk_create a citation": lambda: Citation.objects.bulk_create(
            [Citation(card=published, source=source, excerpt="Not in the card.")]
        ),
        "erase oneself from the editors": lambda: published.editors.remove(reporter),
    }


@pytest.mark.parametrize(
    "shortcut",
    [
        "create as published",
        "bulk_create as published",
        "bulk_update a published card",
        "update_or_create a published card",
        "bulk_create a citation",
        "erase oneself from the editors",
    ],
)
def test_shell_shortcuts_past_the_workflow_are_refused(published, reporter, shortcut):
    before = (FactCard.objects.count(), Citation.objects.count(), reload(published).statement)
    with pytest.raises(WorkflowError), transaction.atomic():
        shortcuts(reporter, published)[shortcut]()
    after = (FactCard.objects.count(), Citation.objects.count(), reload(published).statement)
    assert after == before
    assert published.editors.filter(pk=reporter.pk).exists()


def test_a_topic_that_published_cards_carry_cannot_be_deleted(published, reporter):
    topic = TopicFactory()
    card = reload(published).start_revision(reporter)
    card.topics.add(topic)  # by its author, who started the revision
    card.submit(reporter)
    card.publish(UserFactory(group="Editors"))
    with pytest.raises(WorkflowError, match="Published cards carry this topic"):
        topic.delete()
    with (
        pytest.raises(WorkflowError, match="Published cards carry this topic"),
        transaction.atomic(),
    ):
        type(topic).objects.filter(pk=topic.pk).delete()
    assert list(reload(published).topics.all()) == [topic]


def test_a_save_that_changes_nothing_still_needs_someone_allowed_to_edit(draft, other_reporter):
    card = reload(draft)
    with pytest.raises(WorkflowError, match="no longer edit"):
        card.save(by=other_reporter)
    with pytest.raises(WorkflowError, match="Say who makes this change"):
        reload(draft).save()
    assert reload(draft).version == draft.version


def test_someone_who_may_never_take_a_step_hears_that_even_on_a_stale_copy(
    in_review, editor, other_reporter
):
    stale = reload(in_review)
    in_review.return_to_draft(editor, "Needs a second source.")
    with pytest.raises(WorkflowError, match="Only editors"):
        stale.publish(other_reporter)


def test_a_step_someone_else_took_first_says_where_the_card_is_now(in_review, editor, reporter):
    stale = reload(in_review)
    in_review.return_to_draft(editor, "Needs a second source.")
    with pytest.raises(EditConflict, match="it is a draft now"):
        stale.return_to_draft(editor, "Twice.")
