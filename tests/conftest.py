import importlib
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.cache import cache, caches

from factcards import fastpath
from factcards.models import FactCard

from .factories import FactCardFactory, UserFactory
from .web import web  # noqa: F401  (a fixture: a site on loopback for the worker to fetch)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync loop + ORM


@pytest.fixture(autouse=True)
def test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Serve static files from the source folders, as in development: no collectstatic in tests.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    cache.clear()  # share images are cached by ETag; each test starts with none
    caches["local"].clear()  # the throttle's counts while the shared cache is down
    fastpath.recent.clear()  # its keys name publication states, which each test repeats
    # Tasks are only recorded (DummyBackend): a test that wants them run says so.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.FACTCARDS_PURGE_URLS = []


class FakeCache(ThreadingHTTPServer):
    """An HTTP cache on loopback that records the purges it is sent and confirms them."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PurgeHandler, bind_and_activate=False)
        self.server_bind()  # a port of its own, refusing connections until start()
        self.purges = []
        self.url = f"http://127.0.0.1:{self.server_port}/"
        self.running = False

    def start(self):
        self.server_activate()
        threading.Thread(target=self.serve_forever, daemon=True).start()
        self.running = True

    def stop(self):
        if self.running:
            self.shutdown()
        self.server_close()

    def purged_keys(self):
        return [set(keys.split()) for keys in self.purges]


class PurgeHandler(BaseHTTPRequestHandler):
    def do_PURGE(self):
        self.server.purges.append(self.headers["xkey-purge"])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_cache():
    """A cache that is not listening yet (connections refused): call .start() to open it."""
    server = FakeCache()
    yield server
    server.stop()


@pytest.fixture
def editorial_groups():
    """Recreate the groups a migration made: a transactional test's flush deletes them."""
    from django.apps import apps

    migration = importlib.import_module("factcards.migrations.0002_groups")
    migration.create_groups(apps, None)
    # And what later migrations granted them (the registry, translations).
    for later in ("0013_where_cards_live", "0020_card_translations"):
        importlib.import_module(f"factcards.migrations.{later}").grant(apps, None)


@pytest.fixture
def reporter(db):
    return UserFactory(username="rita", group="Reporters")


@pytest.fixture
def other_reporter(db):
    return UserFactory(username="omar", group="Reporters")


@pytest.fixture
def editor(db):
    return UserFactory(username="eve", group="Editors")


@pytest.fixture
def other_editor(db):
    return UserFactory(username="ed", group="Editors")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def draft(reporter):
    return FactCardFactory(created_by=reporter, slug="peacekeepers")


@pytest.fixture
def in_review(draft, reporter):
    draft.submit(reporter)
    return draft


@pytest.fixture
def published(in_review, editor):
    in_review.publish(editor)
    return FactCard.objects.get(pk=in_review.pk)


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium: a skip (with the reason) here, a failure in CI."""
    skip_server_tests(items)
    if Path(CHROMIUM).exists():
        return
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI needs the browser tests: {reason}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def skip_server_tests(items):
    """Tests of several app servers need PostgreSQL and Redis (they run in CI's PostgreSQL
    suite); those of Varnish need varnishd too: missing in CI, that is a failure."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        needs = "app servers sharing one database: run with DATABASE_URL=postgres://…"
    elif not os.environ.get("REDIS_URL"):
        needs = "app servers sharing a cache: run with REDIS_URL=redis://…"
    else:
        needs = None
    if not shutil.which("varnishd", path=f"{os.environ.get('PATH', '')}:/usr/sbin"):
        varnish = "no varnishd (apt-get install varnish varnish-modules)"
        if os.environ.get("CI") == "true" and needs is None:
            raise pytest.UsageError(f"CI needs the Varnish tests: {varnish}")
    else:
        varnish = None
    for item in items:
        reason = needs if "servers" in item.keywords else None
        reason = reason or (varnish if "varnish" in item.keywords else None)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def axe_violations():
    """Run axe-core in a page; returns its violations (id, impact, nodes)."""
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `npm ci` (make test does).")
    source = AXE.read_text()

    def run(page):
        page.evaluate(source)
        result = page.evaluate("async () => await axe.run(document)")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]
        ]

    return run


@pytest.fixture
def registry_buffer(settings, monkeypatch):
    """The embed registry's cache, empty: Redis when REDIS_URL is set, else this process's
    memory (the live server's threads share it); and no repeat views held in memory."""
    from factcards import registry

    monkeypatch.setattr(registry, "repeats", registry.Repeats())
    if not os.environ.get("REDIS_URL"):
        settings.CACHES = {
            **settings.CACHES,
            "registry": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "registry-tests",
            },
        }
    caches["registry"].clear()
    return caches["registry"]


@pytest.fixture
def registry_permissions(editorial_groups):
    """The registry's permissions for the groups (a transactional test's flush drops them)."""
    from django.apps import apps

    importlib.import_module("factcards.migrations.0013_where_cards_live").grant(apps, None)


class WebhookReceiver:
    """A newsroom CMS on loopback: records each delivery (headers, raw body) and answers
    with the next of `answers` (then 200s)."""

    def __init__(self, answers=()):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.answers, self.deliveries = list(answers), []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.deliveries.append((dict(self.headers), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/factcards-hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver(settings):
    """Start a receiver and point FACTCARDS_WEBHOOK_URL at it; call it with the answers."""
    started = []

    def start(answers=()):
        receiver = WebhookReceiver(answers)
        started.append(receiver)
        settings.FACTCARDS_WEBHOOK_URL = receiver.url
        settings.FACTCARDS_WEBHOOK_SECRET = "whsec-test-only"
        return receiver

    yield start
    for receiver in started:
        receiver.stop()
