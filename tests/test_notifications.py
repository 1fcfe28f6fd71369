"""Who is told about each workflow step, by email, once it has happened."""

from django.core import mail
from django.urls import reverse

from factcards.models import DeskPreference

from .factories import FactCardFactory, UserFactory


def mailed(django_capture_on_commit_callbacks, action):
    with django_capture_on_commit_callbacks(execute=True):
        action()
    return [(message.subject, sorted(message.to), message.body) for message in mail.outbox]


def people(db):
    reporter = UserFactory(username="rita", email="rita@example.org", group="Reporters")
    editor = UserFactory(username="eve", email="eve@example.org", group="Editors")
    other = UserFactory(username="ed", email="ed@example.org", group="Editors")
    return reporter, editor, other


def test_a_submitted_card_is_announced_to_the_editors(db, django_capture_on_commit_callbacks):
    reporter, _, _ = people(db)
    card = FactCardFactory(created_by=reporter, statement="Nearly 2,000 peacekeepers.")
    sent = mailed(django_capture_on_commit_callbacks, lambda: card.submit(reporter))
    assert [(subject, to) for subject, to, _ in sent] == [
        ("Review requested: Nearly 2,000 peacekeepers.", ["ed@example.org", "eve@example.org"])
    ]
    assert f"/admin/factcards/factcard/{card.pk}/change/" in sent[0][2]


def test_a_returned_card_tells_its_author_the_comment(db, django_capture_on_commit_callbacks):
    reporter, editor, _ = people(db)
    card = FactCardFactory(created_by=reporter)
    card.submit(reporter)
    sent = mailed(
        django_capture_on_commit_callbacks,
        lambda: card.return_to_draft(editor, "Cite the agreement itself."),
    )
    assert [(to, "Cite the agreement itself." in body) for _, to, body in sent] == [
        (["rita@example.org"], True)
    ]


def test_publishing_and_retracting_tell_the_author(db, django_capture_on_commit_callbacks):
    reporter, editor, other = people(db)
    card = FactCardFactory(created_by=reporter, statement="The mandate ran to 2025.")
    card.submit(reporter)
    sent = mailed(django_capture_on_commit_callbacks, lambda: card.publish(editor))
    assert [(s, to) for s, to, _ in sent] == [
        ("Published: The mandate ran to 2025.", ["rita@example.org"])
    ]
    mail.outbox.clear()
    sent = mailed(django_capture_on_commit_callbacks, lambda: card.retract(other, "Misread."))
    assert [(s, to) for s, to, _ in sent] == [
        ("Retracted: The mandate ran to 2025.", ["rita@example.org"])
    ]


def test_someone_who_turned_emails_off_gets_none(client, db, django_capture_on_commit_callbacks):
    reporter, editor, _ = people(db)
    client.force_login(editor)
    client.post(reverse("admin:desk_preferences"), {})  # the box left unticked
    assert not DeskPreference.objects.get(user=editor).email_me
    card = FactCardFactory(created_by=reporter)
    sent = mailed(django_capture_on_commit_callbacks, lambda: card.submit(reporter))
    assert [to for _, to, _ in sent] == [["ed@example.org"]]


def test_a_step_that_fails_sends_nothing(db, django_capture_on_commit_callbacks):
    reporter, editor, _ = people(db)
    card = FactCardFactory(created_by=editor)
    card.submit(editor)
    mail.outbox.clear()
    sent = mailed(django_capture_on_commit_callbacks, lambda: _refused(card, editor))
    assert sent == []


def _refused(card, editor):
    from factcards.models import WorkflowError

    try:
        card.publish(editor)  # four-eyes: their own card
    except WorkflowError:
        pass


def test_a_mail_server_that_fails_never_undoes_or_breaks_the_step(
    db, django_capture_on_commit_callbacks, settings
):
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    options = {"host": "127.0.0.1", "port": 9, "timeout": 2}  # nothing listens there
    settings.MAILERS = {"default": {"BACKEND": smtp, "OPTIONS": options}}
    reporter, _, _ = people(db)
    card = FactCardFactory(created_by=reporter)
    with django_capture_on_commit_callbacks(execute=True):
        card.submit(reporter)
    card.refresh_from_db()
    assert card.status == "in_review"


def test_a_correction_tells_the_published_cards_author_too(db, django_capture_on_commit_callbacks):
    reporter, editor, other = people(db)
    card = FactCardFactory(created_by=reporter, statement="Nearly 2,000 peacekeepers.")
    card.submit(reporter)
    card.publish(editor)
    revision = card.start_revision(other)
    revision.statement = "1,960 peacekeepers."
    revision.correction_note = "The agreements give 1,960."
    revision.save(by=other)
    revision.submit(other)
    mail.outbox.clear()
    sent = mailed(django_capture_on_commit_callbacks, lambda: revision.publish(editor))
    assert sorted((s, to) for s, to, _ in sent) == [
        ("Corrected: 1,960 peacekeepers.", ["ed@example.org"]),
        ("Corrected: 1,960 peacekeepers.", ["rita@example.org"]),
    ]
    assert all("The public correction: The agreements give 1,960." in body for *_, body in sent)


def test_a_revision_without_a_correction_is_not_called_one(db, django_capture_on_commit_callbacks):
    reporter, editor, other = people(db)
    card = FactCardFactory(created_by=reporter, statement="Nearly 2,000 peacekeepers.")
    card.submit(reporter)
    card.publish(editor)
    revision = card.start_revision(other)
    revision.context = "Deployed under the November 2020 statement."
    revision.save(by=other)
    revision.submit(other)
    mail.outbox.clear()
    sent = mailed(django_capture_on_commit_callbacks, lambda: revision.publish(editor))
    assert sorted(s for s, _, _ in sent) == ["Updated: Nearly 2,000 peacekeepers."] * 2
    assert not any("correction of" in body for *_, body in sent)


def test_a_statement_on_two_lines_still_reaches_the_editors(db, django_capture_on_commit_callbacks):
    reporter, _, _ = people(db)
    card = FactCardFactory(created_by=reporter, statement="Line one of the fact\nand line two.")
    sent = mailed(django_capture_on_commit_callbacks, lambda: card.submit(reporter))
    assert [s for s, _, _ in sent] == ["Review requested: Line one of the fact and line two."]
