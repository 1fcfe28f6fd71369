"""The pages' markup is valid HTML, as the W3C's validator (vnu-jar, from npm) reads it."""

import datetime
import json
import shutil
import subprocess
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from factcards.intake.fetch import Fetched
from factcards.intake.work import keep_copy
from factcards.models import FactCard, LinkCheck

from .factories import FactCardFactory, UserFactory, publish

VNU = Path(__file__).resolve().parent.parent / "node_modules" / "vnu-jar" / "build" / "dist"


def validate(files):
    """The validator's errors for these files: [(file, line, message)]."""
    java = shutil.which("java")
    if not java or not (VNU / "vnu.jar").exists():
        raise FileNotFoundError("The HTML validator needs java and `npm ci` (make test does).")
    run = [java, "-jar", str(VNU / "vnu.jar"), "--errors-only", "--format", "json", *files]
    report = json.loads(subprocess.run(run, capture_output=True, text=True).stderr)
    return [(Path(m["url"]).name, m.get("lastLine"), m["message"]) for m in report["messages"]]


def test_public_and_desk_pages_have_no_html_errors(client, db, editor, tmp_path):
    call_command("load_demo", verbosity=0)
    card = FactCard.objects.published().first()
    draft = FactCard.objects.filter(status="draft").first()
    in_review = FactCard.objects.filter(status="in_review").first()
    # A card past its check-by date, and one scheduled to go public: their own wording.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    due = publish(FactCardFactory(as_of=yesterday, check_by=yesterday))
    scheduled = FactCardFactory()
    scheduled.submit(scheduled.created_by)
    scheduled.schedule(UserFactory(group="Editors"), timezone.now() + datetime.timedelta(hours=1))
    # A source whose link broke, with our archived copy: the card offers it.
    source = card.citations.first().source
    page = Fetched(
        url=source.url,
        final_url=source.url,
        status=200,
        reason="OK",
        headers=[("Content-Type", "text/html; charset=utf-8")],
        body=b"<!doctype html><title>Kept</title><p>The page as fetched.</p>",
        fetched_at=timezone.now(),
    )
    keep_copy(source, page, "The page as fetched.")
    LinkCheck.objects.create(
        source=source, url=source.url, checked_at=timezone.now(), outcome="missing"
    )
    pages = {
        "list": "/",
        "archived-copy": f"/sources/{source.pk}/archived/",
        "filtered-list": "/?kind=figure&q=peace",
        "card": card.get_absolute_url(),
        "embed": f"/embed/{card.slug}/",
        "card-due": due.get_absolute_url(),
        "embed-due": f"/embed/{due.slug}/",
        "timeline": "/topics/peacekeeping-mission/timeline/",
        "timeline-zoomed": "/topics/karabakh-conflict/timeline/?from=2023&to=abc",
        "place-timeline": "/places/nagorno-karabakh/timeline/",
        "embed-timeline": "/embed/timeline/peacekeeping-mission/",
    }
    desk = {
        "desk-home": "/admin/",
        "desk-cards": "/admin/factcards/factcard/",
        "desk-change-form": f"/admin/factcards/factcard/{draft.pk}/change/",
        "desk-confirmation": f"/admin/factcards/factcard/{draft.pk}/workflow/submit/",
        "desk-preview": f"/admin/factcards/factcard/{draft.pk}/preview/",
        "desk-publish": f"/admin/factcards/factcard/{in_review.pk}/workflow/publish/",
        "desk-schedule": f"/admin/factcards/factcard/{in_review.pk}/workflow/schedule/",
        "desk-scheduled": f"/admin/factcards/factcard/{scheduled.pk}/change/",
        "desk-due": f"/admin/factcards/factcard/{due.pk}/change/",
        "desk-confirm": f"/admin/factcards/factcard/{due.pk}/workflow/confirm/",
        "desk-intake": "/admin/factcards/source/intake/",
        "desk-candidates": f"/admin/factcards/source/{source.pk}/candidates/",
        "desk-broken-links": "/admin/factcards/source/broken-links/",
        "desk-source": f"/admin/factcards/source/{source.pk}/change/",
    }
    files = []
    for name, url in pages.items():
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(client.get(url).content)
    client.force_login(editor)
    for name, url in desk.items():
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(client.get(url).content)
    assert validate([str(f) for f in files]) == []
