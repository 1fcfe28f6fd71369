"""Cards in more than one language: a translation of a card's words goes through the same
workflow as the card (four-eyes, one step at a time), and readers of its language get it on
the card's page, its embed and in the API, saying so; never a translation nobody reviewed,
nor one of words the card no longer has."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from factcards.models import CardTranslation, EditConflict, FactCard, WorkflowError

from .factories import UserFactory
from .test_integrity import race

SLUG = "first-karabakh-war-1988-1994"
# Our own translation of the demo card, for the tests (not demo content).
RUSSIAN = {
    "statement": "Азербайджан и Армения вели первую войну за контроль над Нагорным Карабахом "
    "с 1988 по 1994 год.",
    "value_note": "Один источник называет 1988–1994 годы, другой говорит лишь о «1990-х». "
    "Карточка приводит годы так, как их называет более точный источник.",
}


@pytest.fixture
def demo(db, editorial_groups):
    call_command("load_demo", verbosity=0)
    return FactCard.objects.get(slug=SLUG)


@pytest.fixture
def translator(db):
    return UserFactory(username="tanya", group="Reporters")


def translate(card, user, **words):
    translation = CardTranslation(card=card, language="ru", **(RUSSIAN | words))
    translation.save(by=user)
    return translation


def test_a_translated_demo_card_published_through_the_workflow_shows_in_russian(
    client, demo, translator, editor
):
    translation = translate(demo, translator)
    russian = {"headers": {"Accept-Language": "ru"}}
    # A draft, then a translation in review: readers still get the card's own words.
    assert (
        RUSSIAN["statement"] not in client.get(demo.get_absolute_url(), **russian).content.decode()
    )
    translation.submit(translator)
    assert (
        RUSSIAN["statement"] not in client.get(demo.get_absolute_url(), **russian).content.decode()
    )
    with pytest.raises(WorkflowError, match="Only editors publish"):
        translation.publish(translator)
    translation.publish(editor)

    page = client.get(demo.get_absolute_url(), **russian).content.decode()
    assert RUSSIAN["statement"] in page and RUSSIAN["value_note"] in page
    assert "Переведено с английского и проверено нашими редакторами." in page
    assert "1988 — 1994" in page  # the value as sourced, in Russian form
    # The excerpts stay as the sources published them, marked as English.
    assert "Azerbaijan and Armenia had fought two wars" in page
    english = client.get(demo.get_absolute_url()).content.decode()
    assert RUSSIAN["statement"] not in english and demo.statement in english

    embed = client.get(f"/embed/{SLUG}/?lang=ru").content.decode()
    assert RUSSIAN["statement"] in embed and "Переведено с английского" in embed
    assert RUSSIAN["statement"] not in client.get(f"/embed/{SLUG}/").content.decode()

    api = client.get(f"/api/cards/{SLUG}/", {"lang": "ru"}).json()
    assert api["statement"] == RUSSIAN["statement"]
    assert api["translation"]["language"] == "ru" and api["translation"]["reviewed"] is True
    assert client.get(f"/api/cards/{SLUG}/").json()["translation"] is None
    assert client.get(f"/api/cards/{SLUG}/", {"lang": "xx"}).status_code == 400

    listed = client.get("/", {"q": "first war"}, **russian).content.decode()
    assert RUSSIAN["statement"] in listed


def test_nobody_publishes_a_translation_they_wrote_or_changed(demo, translator, editor, superuser):
    translation = translate(demo, translator)
    translation.submit(translator)
    translation.statement = RUSSIAN["statement"].replace("вели", "провели")
    translation.save(by=editor)  # an editor's change in review makes them one of its writers
    for writer in (translator, editor):
        with pytest.raises(WorkflowError):
            translation.publish(writer)
    translation.refresh_from_db()
    superuser_change = CardTranslation.objects.get(pk=translation.pk)
    superuser_change.context = ""
    superuser_change.save(by=superuser)
    translation.refresh_from_db()
    with pytest.raises(WorkflowError, match="four-eyes"):
        translation.publish(superuser)
    other = UserFactory(group="Editors")
    translation.publish(other)
    assert CardTranslation.objects.get(pk=translation.pk).published_by == other


def test_a_translation_leaving_words_in_english_is_not_submitted(demo, translator):
    translation = translate(demo, translator, value_note="")
    with pytest.raises(WorkflowError, match="why this value"):
        translation.submit(translator)


def test_a_published_translation_never_changes_in_place(demo, translator, editor):
    translation = translate(demo, translator)
    translation.submit(translator)
    translation.publish(editor)
    translation.statement = "Другое."
    with pytest.raises(WorkflowError):
        translation.save(by=editor)
    with pytest.raises(WorkflowError):
        CardTranslation.objects.filter(pk=translation.pk).update(statement="Другое.")
    with pytest.raises(WorkflowError):
        CardTranslation.objects.filter(pk=translation.pk).delete()
    # A new translation replaces it, once published by someone who did not write it.
    newer = translate(demo, editor, statement=RUSSIAN["statement"] + " ")
    newer.submit(editor)
    newer.publish(UserFactory(group="Editors"))
    assert CardTranslation.objects.get(pk=translation.pk).status == "replaced"
    assert CardTranslation.objects.shown_for(demo, "ru") == newer


def test_after_the_card_is_corrected_its_old_translation_is_not_shown(
    client, demo, translator, editor, other_editor
):
    translation = translate(demo, translator)
    translation.submit(translator)
    translation.publish(editor)
    # Publishing the translation moved the card's version on (its embeds' ETags change).
    demo = FactCard.objects.get(slug=SLUG)
    pending = translate(demo, translator, statement=RUSSIAN["statement"] + " ")
    pending.submit(translator)  # a translation of the words as they read now...
    revision = demo.start_revision(translator)
    revision.statement = "Azerbaijan and Armenia fought their first war over Nagorno-Karabakh."
    revision.correction_note = "The statement now says what the war was over."
    revision.save(by=translator)
    revision.submit(translator)
    revision.publish(other_editor)
    page = client.get(demo.get_absolute_url(), headers={"Accept-Language": "ru"})
    assert RUSSIAN["statement"] not in page.content.decode()
    assert "fought their first war over Nagorno-Karabakh" in page.content.decode()
    # ...is not published over the new ones.
    pending = CardTranslation.objects.get(pk=pending.pk)
    with pytest.raises(WorkflowError, match="words changed"):
        pending.publish(UserFactory(group="Editors"))
    assert CardTranslation.objects.get(pk=pending.pk).status == "in_review"


def test_a_stale_copy_of_a_translation_is_refused(demo, translator):
    translation = translate(demo, translator)
    stale = CardTranslation.objects.get(pk=translation.pk)
    translation.statement += " "
    translation.save(by=translator)
    stale.statement = "Устарело."
    with pytest.raises(EditConflict):
        stale.save(by=translator)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_two_editors_publishing_one_translation_at_once_publish_it_once(editorial_groups, trial):
    call_command("load_demo", verbosity=0)
    card = FactCard.objects.get(slug=SLUG)
    translator = UserFactory(group="Reporters")
    translation = translate(card, translator)
    translation.submit(translator)
    first, second = UserFactory(group="Editors"), UserFactory(group="Editors")
    copies = [CardTranslation.objects.get(pk=translation.pk) for _ in range(2)]
    outcomes = race(lambda: copies[0].publish(first), lambda: copies[1].publish(second))
    assert outcomes == ["done", "refused"]
    assert CardTranslation.objects.filter(card=card, status="published").count() == 1


def test_the_desk_writes_submits_and_publishes_translations(client, demo, translator, editor):
    client.force_login(translator)
    add = reverse("admin:factcards_cardtranslation_add")
    assert client.get(add).status_code == 200
    response = client.post(
        add, {"card": demo.pk, "language": "ru", "version": 1, "context": "", **RUSSIAN}
    )
    translation = CardTranslation.objects.get()
    assert response.status_code == 302 and translation.created_by == translator
    changelist = reverse("admin:factcards_cardtranslation_changelist")
    client.post(changelist, {"action": "submit_translations", "_selected_action": [translation.pk]})
    assert CardTranslation.objects.get().status == "in_review"
    # The translator may not publish it: the desk does not offer it, and a forged POST
    # changes nothing.
    assert "publish_translations" not in client.get(changelist).content.decode()
    client.post(
        changelist, {"action": "publish_translations", "_selected_action": [translation.pk]}
    )
    assert CardTranslation.objects.get().status == "in_review"
    client.force_login(editor)
    change = reverse("admin:factcards_cardtranslation_change", args=[translation.pk])
    assert RUSSIAN["statement"] in client.get(change).content.decode()
    client.post(
        changelist, {"action": "publish_translations", "_selected_action": [translation.pk]}
    )
    assert CardTranslation.objects.get().status == "published"
    # A published translation stays on record: no delete, one by one or in bulk.
    delete = reverse("admin:factcards_cardtranslation_delete", args=[translation.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [translation.pk], "post": "yes"},
    )
    assert bulk.status_code == 403 and CardTranslation.objects.filter(pk=translation.pk).exists()
    history = reverse("admin:factcards_cardtranslation_history", args=[translation.pk])
    assert client.get(history).status_code == 200
    first = translation.history.earliest()
    version = reverse(
        "admin:factcards_cardtranslation_simple_history", args=[translation.pk, first.pk]
    )
    assert client.get(version).status_code == 200
    assert client.post(version, {"statement": "Откат."}).status_code == 405  # read-only
    assert CardTranslation.objects.get().status == "published"


def test_no_save_skips_the_review(demo, translator, editor):
    """The shell, a fixture-like script, a forged form: a save never moves a translation on."""
    born_published = CardTranslation(card=demo, language="ru", status="published", **RUSSIAN)
    with pytest.raises(WorkflowError, match="starts as a draft"):
        born_published.save(by=editor)
    translation = translate(demo, translator)
    translation.status, translation.published_by = "published", translator
    translation.save(by=translator)  # its words are saved; where it stands is not
    stored = CardTranslation.objects.get(pk=translation.pk)
    assert (stored.status, stored.published_by) == ("draft", None)
    assert CardTranslation.objects.shown_for(demo, "ru") is None
    with pytest.raises(WorkflowError):
        CardTranslation.objects.bulk_create(
            [CardTranslation(card=demo, language="fr", status="published", **RUSSIAN)]
        )
    assert not CardTranslation.objects.filter(language="fr").exists()
