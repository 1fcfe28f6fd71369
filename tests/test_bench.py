"""A smoke run of the benchmark's data set, so that `make bench` cannot rot unnoticed."""

import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from factcards.models import Citation, FactCard

from .servers import ROOT, missing


@pytest.fixture
def archive(db, tmp_path):
    words = tmp_path / "words.json"
    call_command("bench_data", cards=400, words=words, stdout=io.StringIO())
    return json.loads(words.read_text())


def test_bench_data_builds_a_published_archive_with_the_shape_asked_for(archive):
    published = FactCard.objects.published()
    assert 300 <= published.count() <= 400  # about a tenth stay drafts
    assert Citation.objects.filter(relation="differs").exists()
    per_card = Citation.objects.count() / FactCard.objects.count()
    assert 2.5 <= per_card <= 4.5  # one to six a card
    assert set(archive) == {"common", "middling", "rare"}


def test_the_pages_the_benchmark_times_answer_over_it(client, archive):
    for word in archive.values():
        response = client.get(reverse("card_list"), {"q": word})
        assert response.status_code == 200
        assert response.context["page"].paginator.count >= 1, word
    card = FactCard.objects.published().first()
    for url in [card.get_absolute_url(), reverse("card_embed", args=[card.slug]), "/feed/"]:
        assert client.get(url).status_code == 200, url


def smoke(script, tmp_path, *args):
    """One of bench/'s scripts on a small SQLite archive of its own: its JSON report."""
    if connection.vendor != "sqlite":
        pytest.skip("run once per CI, in the SQLite pass (the smoke builds its own SQLite file)")
    if not shutil.which("wrk"):
        missing("wrk is not installed (apt-get install wrk; .ci/run installs it)")
    out = tmp_path / "report.json"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3"}
    env.pop("REDIS_URL", None)
    run = [sys.executable, f"bench/{script}", "--cards", "300", *args, "--output", str(out)]
    subprocess.run(run, cwd=ROOT, env=env, check=True, timeout=240)
    return json.loads(out.read_text())


def test_make_bench_serves_every_page_it_times_without_an_error(tmp_path):
    """bench/serve.py end to end on a small archive: gunicorn, wrk, the table and its JSON."""
    report = smoke("serve.py", tmp_path, "--seconds", "1")
    pages = {row["page"]: row for row in report["pages"]}
    assert {"static file", "bare view", "list", "embed (warm)", "embed 304"} <= set(pages)
    assert all(row["errors"] == 0 and row["rps"] > 0 for row in pages.values())
    assert pages["static file"]["ratio_to_static"] == 1.0
    assert pages["list"]["queries_5"] == pages["list"]["queries_50"]  # independent of size


def test_make_bench_load_publishes_while_readers_read_and_sees_each_publication(tmp_path):
    """bench/load.py end to end: readers without an error while cards are published, each
    publication seen in its embed and on the list."""
    report = smoke("load.py", tmp_path, "--seconds", "3", "--connections", "4")
    assert report["readers"]["errors"] == 0 and report["readers"]["requests"] > 0
    assert len(report["published"]) == 3
    assert report["never_seen"] == 0
    assert all(p["embed_s"] is not None and p["list_s"] is not None for p in report["published"])
