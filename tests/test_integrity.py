"""Issue 7: every path obeys the workflow — history pages, races, sources, four-eyes, bad input."""

import threading

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from factcards.admin import FactCardAdminForm
from factcards.models import Citation, Correction, EditConflict, FactCard, WorkflowError

from .admin_forms import (
    CHANGELIST,
    change_form_data,
    change_url,
    confirm,
    messages_of,
    new_card_form,
    source_form_data,
    step_url,
)
from .factories import (
    CitationFactory,
    FactCardFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    publish,
)


def reload(card):
    return FactCard.objects.get(pk=card.pk)


def row(card):
    """Everything stored about a card that a reader or editor could notice changing."""
    return {
        "card": FactCard.objects.filter(pk=card.pk).values().get(),
        "citations": list(Citation.objects.filter(card=card).values()),
        "corrections": list(Correction.objects.filter(card=card).values()),
    }


def edit_in_admin(client, user, card, **changes):
    """Save the card's change form as `user` would, with `changes` typed in."""
    client.force_login(user)
    form = client.get(change_url(card))
    response = client.post(change_url(card), change_form_data(form, **changes))
    assert response.status_code == 302, "the edit itself should have been saved"


@pytest.fixture
def no_raise(client):
    """A crash answers 500, as a browser sees it, instead of failing inside the client."""
    client.raise_request_exception = False
    return client


# --- hole 1: history pages are read-only ----------------------------------------------


def history_url(obj, record):
    return f"/admin/factcards/{obj._meta.model_name}/{obj.pk}/history/{record.history_id}/"


def card_history_post(card, record, **changes):
    """What simple-history's form posts: the old version's fields, plus what the user typed."""
    data = model_to_dict(record.instance, fields=FactCardAdminForm.Meta.fields)
    data = {key: "" if value is None else value for key, value in data.items()}
    data["topics"] = [t.pk for t in data["topics"]]
    data["places"] = [p.pk for p in data["places"]]
    data["version"] = reload(card).version  # the current one: the optimistic lock is no defence
    return {**data, **changes}


@pytest.mark.parametrize("who", ["other_reporter", "other_editor"])
def test_history_page_post_does_not_rewrite_a_published_card(request, no_raise, published, who):
    client = no_raise
    oldest = published.history.earliest("history_date")
    before = row(published)
    client.force_login(request.getfixturevalue(who))
    data = card_history_post(published, oldest, statement="Rewritten through the history page.")
    response = client.post(history_url(published, oldest), data)
    assert row(published) == before
    assert response.status_code == 405


@pytest.mark.parametrize("who", ["other_reporter", "other_editor"])
def test_history_page_post_does_not_rewrite_another_reporters_draft(request, no_raise, draft, who):
    client = no_raise
    record = draft.history.latest("history_date")
    before = row(draft)
    client.force_login(request.getfixturevalue(who))
    data = card_history_post(draft, record, statement="Rewritten through the history page.")
    response = client.post(history_url(draft, record), data)
    assert row(draft) == before
    assert response.status_code == 405


@pytest.mark.parametrize("who", ["other_reporter", "other_editor"])
@pytest.mark.parametrize("kind", ["correction", "retraction"])
def test_history_page_post_does_not_rewrite_a_public_note(
    request, no_raise, published, reporter, other_editor, who, kind
):
    if kind == "retraction":
        published.retract(other_editor, "The figure was misreported.")
    else:
        revision = published.start_revision(reporter)
        revision.value = 1960
        revision.correction_note = "The contingent was 1,960."
        revision.changed_by = reporter
        revision.save()
        revision.submit(reporter)
        revision.publish(other_editor)
    note = Correction.objects.get(card=published)
    record = note.history.get()
    client = no_raise
    client.force_login(request.getfixturevalue(who))
    response = client.post(history_url(note, record), {"note": "Rewritten public note."})
    assert Correction.objects.get(pk=note.pk).note == note.note
    assert note.history.count() == 1
    assert response.status_code == 405


def test_history_pages_stay_browsable(client, published, other_editor, reporter):
    published.retract(other_editor, "The figure was misreported.")
    note = published.corrections.get()
    client.force_login(reporter)
    card_record = published.history.earliest("history_date")
    note_record = note.history.get()
    urls = [
        f"/admin/factcards/factcard/{published.pk}/history/",
        history_url(published, card_record),
        f"/admin/factcards/correction/{note.pk}/history/",
        history_url(note, note_record),
    ]
    assert [client.get(url).status_code for url in urls] == [200, 200, 200, 200]


# --- holes 2 and 6: two people taking one step at the same moment ----------------------


def race(*calls):
    """Run the calls at the same moment, each in its own connection; how each one ended."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[index] = "done"
        except (EditConflict, WorkflowError):
            outcomes[index] = "refused"
        except Exception as error:  # noqa: BLE001 - a crash is what this test looks for
            outcomes[index] = f"crashed: {error!r}"
        finally:
            connection.close()  # each thread has its own connection; free it for teardown

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(5))
def test_two_editors_approving_one_revision_at_once_publish_it_once(editorial_groups, trial):
    reporter = UserFactory(group="Reporters")
    first, second = UserFactory(group="Editors"), UserFactory(group="Editors")
    card = publish(FactCardFactory(created_by=reporter, citations=2))
    revision = card.start_revision(reporter)
    revision.value = 1960
    revision.qualifier = ""
    revision.correction_note = "The agreements set the contingent at 1,960."
    revision.changed_by = reporter
    revision.save()
    revision.submit(reporter)
    copies = [reload(revision), reload(revision)]

    outcomes = race(lambda: copies[0].publish(first), lambda: copies[1].publish(second))

    assert outcomes == ["done", "refused"]
    card = reload(card)
    assert card.value == 1960
    assert card.citations.count() == 2
    assert card.corrections.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(5))
def test_two_revisions_proposed_at_once_open_exactly_one(editorial_groups, trial):
    card = publish(FactCardFactory())
    rita, omar = UserFactory(group="Reporters"), UserFactory(group="Reporters")
    copies = [reload(card), reload(card)]

    outcomes = race(lambda: copies[0].start_revision(rita), lambda: copies[1].start_revision(omar))

    assert outcomes == ["done", "refused"]
    assert FactCard.objects.filter(revision_of=card).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(5))
def test_saving_a_revision_while_another_editor_approves_it_never_crashes(editorial_groups, trial):
    reporter = UserFactory(group="Reporters")
    approver = UserFactory(group="Editors")
    card = publish(FactCardFactory(created_by=reporter, citations=2))
    revision = card.start_revision(reporter)
    revision.context = "The contingent left in 2024."
    revision.save(by=reporter)
    revision.submit(reporter)
    writer, other = Client(raise_request_exception=False), UserFactory(group="Editors")
    writer.force_login(other)
    data = change_form_data(writer.get(change_url(revision)), context="Edited at the last second.")
    answers, pages = [], []

    def save_in_the_admin():
        response = writer.post(change_url(revision), data)
        answers.append(response.status_code)
        pages.append(response.content.decode())

    outcomes = race(save_in_the_admin, lambda: reload(revision).publish(approver))

    assert "crashed" not in " ".join(outcomes)
    card = reload(card)
    assert card.citations.count() == 2
    pending = FactCard.objects.filter(revision_of=card).first()
    if answers == [302]:  # the save went first: approved after it, or refused as stale
        assert (card.context, pending) == ("Edited at the last second.", None) or (
            pending.context == "Edited at the last second." and outcomes == ["done", "refused"]
        )
    else:  # the approval went first: the editor is told, and sees what they typed
        assert answers == [200]
        assert (card.context, pending) == ("The contingent left in 2024.", None)
        assert "Edited at the last second." in pages[0]


# --- hole 3: sources cited by published cards ------------------------------------------


def test_reporter_cannot_change_a_source_cited_by_a_published_card(published, other_reporter):
    source = published.citations.get().source
    title = source.title
    source.title = "A different headline"
    with pytest.raises(WorkflowError) as refused:
        source.save(by=other_reporter)
    assert refused.value.code == "source_locked"
    assert type(source).objects.get(pk=source.pk).title == title


def test_reporter_cannot_change_a_cited_source_in_the_admin(no_raise, published, other_reporter):
    source = published.citations.get().source
    before = model_to_dict(source)
    no_raise.force_login(other_reporter)
    url = reverse("admin:factcards_source_change", args=[source.pk])
    response = no_raise.post(url, source_form_data(source, url="https://example.org/elsewhere"))
    assert response.status_code < 500
    assert model_to_dict(type(source).objects.get(pk=source.pk)) == before


@pytest.fixture
def two_cards_citing_one_source(reporter):
    source = SourceFactory()
    cards = [FactCardFactory(created_by=reporter, citations=0) for _ in range(2)]
    for card in cards:
        CitationFactory(card=card, source=source)
    return source, [publish(card) for card in cards]


def embed_etags(client, cards):
    return [client.get(reverse("card_embed", args=[card.slug]))["ETag"] for card in cards]


def test_editor_changing_a_cited_source_gives_every_citing_embed_a_new_etag(
    client, two_cards_citing_one_source, editor
):
    source, cards = two_cards_citing_one_source
    before = embed_etags(client, cards)
    source.title = "Corrected headline"
    source.save(by=editor)
    after = embed_etags(client, cards)
    assert all(old != new for old, new in zip(before, after, strict=True))


def test_editor_changing_a_cited_source_in_the_admin_gives_embeds_a_new_etag(
    client, two_cards_citing_one_source, editor
):
    source, cards = two_cards_citing_one_source
    before = embed_etags(client, cards)
    client.force_login(editor)
    url = reverse("admin:factcards_source_change", args=[source.pk])
    assert client.post(url, source_form_data(source, title="Corrected headline")).status_code == 302
    client.logout()
    after = embed_etags(client, cards)
    assert all(old != new for old, new in zip(before, after, strict=True))


def test_editors_change_to_a_cited_source_is_in_its_history_with_their_name(
    two_cards_citing_one_source, editor
):
    source, _ = two_cards_citing_one_source
    source.title = "Corrected headline"
    source.save(by=editor)
    latest = source.history.latest("history_date")
    assert (latest.title, latest.history_user) == ("Corrected headline", editor)


# --- hole 4: four-eyes covers everyone who edited the version ----------------------------


def test_editor_who_rewrote_a_card_cannot_publish_after_someone_elses_later_save(
    in_review, editor, other_editor
):
    in_review.statement = "Exactly 2,000 peacekeepers were stationed."
    in_review.save(by=editor)
    in_review.context = "Stationed under the 2020 ceasefire."
    in_review.save(by=other_editor)
    with pytest.raises(WorkflowError, match="four-eyes"):
        in_review.publish(editor)
    assert reload(in_review).status == FactCard.Status.IN_REVIEW


def test_editor_who_edited_in_the_admin_cannot_publish_after_someone_elses_later_save(
    client, in_review, editor, other_editor
):
    edit_in_admin(client, editor, in_review, statement="Exactly 2,000 peacekeepers.")
    edit_in_admin(client, other_editor, in_review, context="Under the 2020 ceasefire.")
    client.force_login(editor)
    response = confirm(client, in_review, "publish")
    assert "four-eyes" in messages_of(response)
    assert reload(in_review).status == FactCard.Status.IN_REVIEW


def test_content_change_without_an_author_is_refused(draft):
    before = row(draft)
    card = FactCard.objects.get(pk=draft.pk)  # as the shell loads it: nobody is editing yet
    card.statement = "Changed from the shell by nobody in particular."
    with pytest.raises(WorkflowError) as refused:
        card.save()
    assert refused.value.code == "no_author"
    assert row(draft) == before


def test_publish_list_action_refuses_a_card_the_editor_edited(
    client, in_review, editor, other_editor
):
    edit_in_admin(client, editor, in_review, statement="Exactly 2,000 peacekeepers.")
    edit_in_admin(client, other_editor, in_review, context="Under the 2020 ceasefire.")
    client.force_login(editor)
    response = client.post(
        CHANGELIST,
        {"action": "publish", ACTION_CHECKBOX_NAME: [in_review.pk], "confirm": "yes"},
        follow=True,
    )
    assert "was not published" in messages_of(response)
    assert reload(in_review).status == FactCard.Status.IN_REVIEW


# --- hole 7: a form open while the card moves on keeps what was typed --------------------


def test_save_after_someone_submitted_the_card_keeps_the_typed_text(
    client, draft, reporter, editor
):
    client.force_login(reporter)
    form = client.get(change_url(draft))
    draft.submit(editor)

    typed = "My careful rewording that must not be lost."
    response = client.post(change_url(draft), change_form_data(form, statement=typed))
    page = response.content.decode()
    assert response.status_code == 200
    assert typed in page
    assert "Someone else" in page or "no longer" in page
    card = reload(draft)
    assert (card.status, card.statement) == ("in_review", draft.statement)


# --- hole 8: bad input in staff URLs is a clear answer, never a crash --------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/factcards/factcard/abc/history/",
        "/admin/factcards/factcard/abc/workflow/publish/",
        "/admin/factcards/factcard/abc/preview/",
    ],
)
def test_staff_url_with_a_non_numeric_id_is_not_found(no_raise, editor, path):
    no_raise.force_login(editor)
    assert no_raise.get(path).status_code == 404


NUL = "Fix the unit.\x00"


def test_nul_in_a_return_comment_is_refused_and_nothing_changes(no_raise, in_review, editor):
    before = row(in_review)
    no_raise.force_login(editor)
    response = no_raise.post(step_url(in_review, "return_to_draft"), {"text": NUL})
    assert response.status_code in (200, 302, 400)
    assert row(in_review) == before


def test_nul_in_a_retraction_note_is_refused_and_nothing_changes(no_raise, published, other_editor):
    before = row(published)
    no_raise.force_login(other_editor)
    response = no_raise.post(step_url(published, "retract"), {"text": NUL})
    assert response.status_code in (200, 302, 400)
    assert row(published) == before


# Harmless on SQLite, a 500 on PostgreSQL ("A string literal cannot contain NUL").
@pytest.mark.parametrize(
    "path",
    [
        "/admin/autocomplete/?app_label=factcards&model_name=factcard&field_name=topics&term=a%00b",
        f"{CHANGELIST}?kind=%00",
        f"{CHANGELIST}?q=%00",
    ],
)
def test_nul_in_a_staff_query_is_never_a_crash(no_raise, draft, editor, path):
    no_raise.force_login(editor)
    assert no_raise.get(path).status_code in (200, 302, 400)


# --- found by trying to break it: the admin's hidden fields and confirmation pages ------


def test_a_step_confirmed_without_the_version_it_was_shown_is_refused(no_raise, in_review, editor):
    no_raise.force_login(editor)
    response = no_raise.post(step_url(in_review, "publish"))
    assert "came without the card" in response.content.decode()
    assert reload(in_review).status == FactCard.Status.IN_REVIEW


def test_a_step_confirmed_on_a_card_changed_since_is_refused(
    no_raise, in_review, editor, other_editor
):
    no_raise.force_login(editor)
    page = no_raise.get(step_url(in_review, "publish"))
    version = page.context["form"]["version"].value()
    card = reload(in_review)
    card.statement = "Changed while the editor read the confirmation page."
    card.save(by=other_editor)
    response = no_raise.post(step_url(in_review, "publish"), {"version": version}, follow=True)
    assert "Someone else changed this card" in messages_of(response)
    assert reload(in_review).status == FactCard.Status.IN_REVIEW


def test_a_confirmation_page_for_a_step_you_may_not_take_says_why_and_offers_no_button(
    client, published, reporter
):
    client.force_login(reporter)
    page = client.get(step_url(published, "publish")).content.decode()
    assert "Can&#x27;t publish a card that is published." in page
    assert 'value="Publish"' not in page


def test_a_version_sent_with_a_new_card_is_ignored(client, reporter):
    client.force_login(reporter)
    # the largest version a form lets through on both databases
    data = new_card_form(
        statement="A new card.", slug="a-new-card", value="2000", version="2147483647"
    )
    assert client.post(reverse("admin:factcards_factcard_add"), data).status_code == 302
    card = FactCard.objects.get(slug="a-new-card")
    assert card.version == 1
    card.submit(reporter)  # the card works normally from there
    assert reload(card).status == FactCard.Status.IN_REVIEW


@pytest.mark.parametrize("selected", ["abc", ""])
def test_a_list_action_on_a_forged_selection_is_refused_not_a_crash(no_raise, editor, selected):
    no_raise.force_login(editor)
    data = {"action": "publish", ACTION_CHECKBOX_NAME: [selected]}
    response = no_raise.post(CHANGELIST, data, follow=True)
    assert response.status_code == 200
    assert "Select items from the list" in messages_of(response)


def test_publishing_a_revision_of_a_retracted_card_is_not_offered(
    client, published, reporter, editor, other_editor
):
    revision = published.start_revision(reporter)
    revision.submit(reporter)
    reload(published).retract(editor, "The figure was wrong.")
    client.force_login(other_editor)
    links = client.get(change_url(revision)).context["workflow_links"]
    assert step_url(revision, "publish") not in [url for _, url in links]


# --- a change to a source is a change to every card citing it ---------------------------


def test_an_editor_who_changed_a_cited_source_cannot_publish_the_card(
    in_review, editor, other_editor
):
    source = in_review.citations.get().source
    source.url = "https://example.org/a-different-article"
    source.save(by=editor)
    with pytest.raises(WorkflowError, match="four-eyes"):
        reload(in_review).publish(editor)
    reload(in_review).publish(other_editor)


def test_a_reporter_cannot_change_a_source_another_reporters_card_cites(draft, other_reporter):
    source = draft.citations.get().source
    source.title = "Rewritten by someone else"
    with pytest.raises(WorkflowError, match="cited by cards that you may not edit"):
        source.save(by=other_reporter)


def test_the_second_of_two_source_saves_from_one_version_gets_a_conflict(published, editor):
    source = published.citations.get().source
    first, second = [type(source).objects.get(pk=source.pk) for _ in range(2)]
    first.title = "First editor's headline"
    first.save(by=editor)
    second.byline = "Second editor's byline"
    with pytest.raises(EditConflict, match="Someone else changed this source"):
        second.save(by=editor)
    assert type(source).objects.get(pk=source.pk).title == "First editor's headline"


def test_a_sources_new_text_must_still_hold_every_excerpt_citing_it(published, editor):
    source = published.citations.get().source
    source.full_text = "A text that quotes nothing the card cites."
    with pytest.raises(ValidationError, match="word for word"):
        source.save(by=editor)


def test_a_stale_source_form_shows_the_conflict_with_the_typed_text(
    client, draft, reporter, editor
):
    source = draft.citations.get().source
    client.force_login(reporter)
    page = client.get(reverse("admin:factcards_source_change", args=[source.pk]))
    draft.submit(reporter)  # the card citing it moves to review: editors' now
    data = {**source_form_data(source, title="My typed headline"), "version": source.version}
    response = client.post(reverse("admin:factcards_source_change", args=[source.pk]), data)
    assert page.status_code == 200 and response.status_code == 200
    assert "cited by cards that you may not edit" in response.content.decode()
    assert "My typed headline" in response.content.decode()


def test_a_history_page_shows_the_old_version_as_text_not_as_a_form(client, published, reporter):
    client.force_login(reporter)
    record = published.history.earliest("history_date")
    page = client.get(history_url(published, record)).content.decode()
    assert published.statement in page
    assert 'name="statement"' not in page


# --- found by the second attack --------------------------------------------------------


def test_a_source_text_dropping_a_cited_excerpt_is_a_form_error_not_a_crash(
    no_raise, published, editor
):
    source = published.citations.get().source
    no_raise.force_login(editor)
    data = {
        **source_form_data(source, full_text="Nothing here matches."),
        "version": source.version,
    }
    response = no_raise.post(reverse("admin:factcards_source_change", args=[source.pk]), data)
    assert response.status_code == 200
    assert "word for word" in response.content.decode()
    assert "Nothing here matches." in response.content.decode()  # what was typed is kept
    assert type(source).objects.get(pk=source.pk).full_text == ""


def test_a_topic_that_published_cards_carry_cannot_be_renamed(published, reporter, other_editor):
    topic = TopicFactory(name="Peacekeeping mission")
    revision = published.start_revision(reporter)
    revision.topics.add(topic)
    revision.submit(reporter)
    revision.publish(other_editor)
    topic.name = "Occupation force"
    with pytest.raises(WorkflowError, match="renaming or deleting it"):
        topic.save()
    assert type(topic).objects.get(pk=topic.pk).name == "Peacekeeping mission"


@pytest.mark.parametrize(
    "changelist, action, selected",
    [
        ("admin:factcards_source_changelist", "delete_selected", "abc"),
        ("admin:factcards_topic_changelist", "delete_selected", ""),
        ("admin:factcards_factcard_changelist", "publish", "9" * 23),
        ("admin:factcards_source_changelist", "delete_selected", "9" * 23),
    ],
)
def test_forged_selections_on_every_list_are_a_message(
    no_raise, superuser, changelist, action, selected
):
    no_raise.force_login(superuser)
    data = {"action": action, ACTION_CHECKBOX_NAME: [selected], "post": "yes"}
    response = no_raise.post(reverse(changelist), data, follow=True)
    assert response.status_code == 200
    assert "Select items from the list" in messages_of(response)


def test_the_feed_names_the_host_it_was_asked_on(client, published, settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    first = client.get("/feed/", HTTP_HOST="localhost").content.decode()
    second = client.get("/feed/").content.decode()
    assert "http://localhost/cards/" in first
    assert "http://testserver/cards/" in second and "http://localhost/" not in second


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(4))
def test_a_source_saved_while_a_revision_citing_it_is_approved_never_crashes(
    editorial_groups, trial
):
    reporter = UserFactory(group="Reporters")
    approver, source_editor = UserFactory(group="Editors"), UserFactory(group="Editors")
    card = publish(FactCardFactory(created_by=reporter))
    revision = card.start_revision(reporter)
    revision.context = "More context."
    revision.save(by=reporter)
    revision.submit(reporter)
    source = revision.citations.get().source

    def edit_source():
        copy = type(source).objects.get(pk=source.pk)
        copy.title = "A corrected headline"
        copy.save(by=source_editor)

    outcomes = race(edit_source, lambda: reload(revision).publish(approver))

    assert "crashed" not in " ".join(outcomes)
    assert type(source).objects.get(pk=source.pk).title == "A corrected headline" or (
        "refused" in outcomes
    )


@pytest.mark.parametrize(
    "forged",
    [
        {"topics": ["abc"]},
        {"topics": ["99999", "abc"]},
        {"places": [str(2**70)]},
        {
            "citations-TOTAL_FORMS": "1",
            "citations-0-source": "abc",
            "citations-0-relation": "supports",
            "citations-0-excerpt": "Nearly 2,000 peacekeepers.",
        },
    ],
)
def test_forged_autocomplete_values_are_a_form_error_not_a_crash(no_raise, reporter, forged):
    no_raise.force_login(reporter)
    data = new_card_form(statement="A card with a forged choice.", slug="forged", **forged)
    response = no_raise.post(reverse("admin:factcards_factcard_add"), data)
    assert response.status_code == 200
    assert 'class="errornote"' in response.content.decode()
    assert not FactCard.objects.filter(slug="forged").exists()
