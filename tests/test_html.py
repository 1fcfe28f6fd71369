"""The pages' markup is valid HTML, as the W3C's validator (vnu-jar, from npm) reads it."""

import json
import shutil
import subprocess
from pathlib import Path

from django.core.management import call_command

from factcards.models import FactCard

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
    pages = {
        "list": "/",
        "filtered-list": "/?kind=figure&q=peace",
        "card": card.get_absolute_url(),
        "embed": f"/embed/{card.slug}/",
    }
    desk = {
        "desk-home": "/admin/",
        "desk-cards": "/admin/factcards/factcard/",
        "desk-change-form": f"/admin/factcards/factcard/{draft.pk}/change/",
        "desk-confirmation": f"/admin/factcards/factcard/{draft.pk}/workflow/submit/",
        "desk-preview": f"/admin/factcards/factcard/{draft.pk}/preview/",
        "desk-publish": f"/admin/factcards/factcard/{in_review.pk}/workflow/publish/",
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
