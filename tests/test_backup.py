"""Backups restore: dumpdata, then loaddata into an empty database, gives the same site."""

import datetime
import os
import re
import shutil
import stat
import subprocess
import sys
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from factcards import fastpath
from factcards.models import FactCard, Publication

from .factories import UserFactory, published_card
from .servers import ROOT, database_url, missing, server_environment

# What differs between two requests for the same page by design, not by data: the CSP nonce
# (a fresh one per response) and CSRF tokens (masked differently on every render).
PER_REQUEST = [
    (re.compile(rb'nonce="[^"]*"'), b'nonce=""'),
    (re.compile(rb'(name="csrfmiddlewaretoken" value=)"[^"]*"'), rb'\1""'),
    (re.compile(rb"(X-CSRFToken&quot;: &quot;)[^&]*"), rb"\1"),
    (re.compile(rb'("X-CSRFToken": ")[^"]*'), rb"\1"),
]


def without_per_request_tokens(body):
    for pattern, replacement in PER_REQUEST:
        body = pattern.sub(replacement, body)
    return body


def public_site():
    """Every public page's body, by URL, as a reader or an embedding site gets it."""
    urls = ["/", "/feed/", "/sitemap.xml"]
    for slug in FactCard.objects.on_record().order_by("slug").values_list("slug", flat=True):
        card_url = f"http://testserver/cards/{slug}/"
        urls += [f"/cards/{slug}/", f"/embed/{slug}/", "/oembed/?" + urlencode({"url": card_url})]
    client = Client()
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = without_per_request_tokens(response.content)
    return pages


def history_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label == "factcards" and model.__name__.startswith("Historical")
    }


@pytest.fixture
def newsroom_with_a_past(editorial_groups):
    """The demo, plus a pending revision, a published correction and a retraction."""
    call_command("load_demo", verbosity=0)
    reporter = UserFactory(username="rita", group="Reporters")
    editor = UserFactory(username="eve", group="Editors")
    pending, corrected, retracted = FactCard.objects.published().order_by("slug")[:3]

    revision = pending.start_revision(reporter)
    revision.context = "A pending change the public must not see."
    revision.changed_by = reporter  # the API's other spelling of save(by=reporter)
    revision.save()

    revision = corrected.start_revision(reporter)
    revision.statement = "A corrected statement, approved by an editor."
    revision.as_of = datetime.date(2024, 3, 1)
    revision.correction_note = "The statement was corrected."
    revision.changed_by = reporter
    revision.save()
    revision.submit(reporter)
    revision.publish(editor)

    retracted.retract(editor, "The figure was misreported.")


@pytest.mark.django_db(transaction=True)
def test_dumpdata_then_loaddata_into_an_empty_database_gives_the_same_site(
    newsroom_with_a_past, tmp_path
):
    backup = tmp_path / "backup.json"
    pages, counts = public_site(), history_counts()
    call_command(
        "dumpdata",
        natural_foreign=True,
        natural_primary=True,
        exclude=["contenttypes", "auth.permission", "sessions", "admin.logentry"],
        output=str(backup),
        verbosity=0,
    )
    call_command("flush", interactive=False, verbosity=0)
    assert not FactCard.objects.exists()

    call_command("loaddata", str(backup), verbosity=0)

    assert history_counts() == counts
    restored = public_site()
    assert list(restored) == list(pages)
    for url, body in pages.items():
        assert restored[url] == body, url


# --- whole-database backups: manage.py backup / restore (make backup, make restore) ----------


ENGINE = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]


def manage(*arguments, database):
    """manage.py in its own process, on the database at `database` (a DATABASE_URL)."""
    environment = server_environment({"DATABASE_URL": database, "DJANGO_DEBUG": "true"})
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@contextmanager
def reading_from(name):
    """This process's queries go to another database (the restored one) for a while."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    cache.clear()  # pages are cached by publication, which the restored copy shares
    fastpath.recent.clear()
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA database_list")
                assert cursor.fetchone()[2] == name
            else:
                cursor.execute("SELECT current_database()")
                assert cursor.fetchone()[0] == name
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        cache.clear()
        fastpath.recent.clear()


def backed_up_while_someone_writes(tmp_path, database, suffix):
    """`manage.py backup` in another process while this one holds an uncommitted change:
    the site keeps running, and the backup has only what was committed."""
    backup = tmp_path / f"backup{suffix}"
    with transaction.atomic():
        published_card(slug="not-committed-yet")  # it would show on the list if it leaked
        manage("backup", "--output", str(backup), database=database)
        transaction.set_rollback(True)
    assert backup.stat().st_size > 0
    return backup


@pytest.mark.django_db(transaction=True)
def test_a_backup_is_readable_by_its_owner_only(editorial_groups, tmp_path):
    """It holds password hashes and sessions: never readable by the machine's other users."""
    if ENGINE == "postgresql" and not shutil.which("pg_dump"):
        missing("no pg_dump (apt-get install postgresql-client)")
    UserFactory(username="rita", group="Reporters")
    backup = tmp_path / "backup"
    umask = os.umask(0o022)  # the usual: files readable by everyone
    try:
        manage("backup", "--output", str(backup), database=database_url(connection.settings_dict))
    finally:
        os.umask(umask)
    assert backup.stat().st_size > 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


@pytest.mark.skipif(ENGINE != "sqlite3", reason="SQLite's backup: the suite runs on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_an_online_sqlite_backup_restored_into_a_new_file_gives_the_same_site(
    newsroom_with_a_past, tmp_path
):
    pages, counts = public_site(), history_counts()
    state = Publication.current()
    backup = backed_up_while_someone_writes(
        tmp_path, database_url(connection.settings_dict), ".sqlite3"
    )
    restored = tmp_path / "restored.sqlite3"

    manage("restore", str(backup), database=f"sqlite:///{restored}")

    with reading_from(str(restored)):
        assert history_counts() == counts
        assert public_site() == pages
        # Caches keep pages per publication state, and outlive the database: a restored
        # counter would name states whose pages may have changed since.
        assert Publication.current() > state + 1_000_000


@pytest.mark.skipif(ENGINE != "postgresql", reason="pg_dump/pg_restore: the suite runs on SQLite")
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_backup_restored_into_a_fresh_database_gives_the_same_site(
    newsroom_with_a_past, tmp_path
):
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        missing("no pg_dump/pg_restore (apt-get install postgresql-client)")
    pages, counts = public_site(), history_counts()
    state = Publication.current()
    backup = backed_up_while_someone_writes(
        tmp_path, database_url(connection.settings_dict), ".dump"
    )
    fresh = connection.settings_dict["NAME"] + "_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    try:
        manage(
            "restore",
            str(backup),
            database=database_url(connection.settings_dict | {"NAME": fresh}),
        )

        with reading_from(fresh):
            assert history_counts() == counts
            assert public_site() == pages
            assert Publication.current() > state + 1_000_000
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')


def test_restore_refuses_a_database_that_is_not_fresh(tmp_path):
    existing = tmp_path / "existing.sqlite3"
    existing.write_bytes(b"something")
    environment = server_environment(
        {"DATABASE_URL": f"sqlite:///{existing}", "DJANGO_DEBUG": "true"}
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(existing)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "exists already: restore into a new file" in result.stderr
    assert existing.read_bytes() == b"something"
