"""Outages for real: the app under `make serve` on its own throwaway PostgreSQL cluster and
Redis, both stopped and started again inside the tests (never the machine's shared servers)."""

import json
import subprocess
import time
from urllib.parse import urlencode

import pytest
from django.conf import settings

from .servers import (
    IN_CI,
    ROOT,
    AppServer,
    ThrowawayRedis,
    production_environment,
    server_environment,
    throwaway_postgres,
    wait_for,
)

SITE = "https://facts.example.org"

# The app here runs on its own PostgreSQL and Redis, whichever database the suite uses: CI
# runs these once, in its PostgreSQL pass; elsewhere they always run.
pytestmark = pytest.mark.skipif(
    IN_CI and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="run once per CI, in the PostgreSQL pass (the app gets its own PostgreSQL here)",
)
SESSION = "sessionid=" + "a" * 32  # a signed-in browser's cookie: the session is looked up


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """PostgreSQL, Redis and `make serve` (two workers) with the production environment,
    four published cards."""
    folder = tmp_path_factory.mktemp("outages")
    with throwaway_postgres() as database:
        redis = ThrowawayRedis(folder).start()
        environment = server_environment(
            production_environment()
            | {
                "DATABASE_URL": database.url(),
                "REDIS_URL": redis.url(),
                "DJANGO_STATIC_ROOT": str(folder / "static"),
                "DJANGO_LOG_LEVEL": "WARNING",
            }
        )
        app = AppServer(environment, folder / "serve.log")  # it migrates the database
        try:
            app.start()
            subprocess.run(
                [
                    str(ROOT / ".venv" / "bin" / "python"),
                    "manage.py",
                    "shell",
                    "--no-imports",
                    "-c",
                    CARDS,
                ],
                cwd=ROOT,
                env=environment,
                check=True,
            )
            app.database, app.redis, app.slugs = database, redis, SLUGS
            yield app
        finally:
            app.stop()
            redis.stop()


SLUGS = ["alpha", "bravo", "charlie", "delta"]
CARDS = f"""
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
from tests.factories import UserFactory, published_card
editor = UserFactory(group="Editors")
for slug in {SLUGS!r}:
    published_card(editor, slug=slug)
"""


def get(stack, path, **headers):
    status, header_list, body = stack.fetch(SITE + path, headers=headers)
    return status, {name.lower(): value for name, value in header_list}, body


def up(stack, path="/"):
    """Wait until the page answers 200 again (after a restart)."""
    wait_for(lambda: get(stack, path)[0] == 200, f"{path} answering 200", timeout=15)


@pytest.fixture
def database_down(stack):
    stack.database.stop()
    yield
    stack.database.start()
    up(stack)


@pytest.fixture
def redis_down(stack):
    stack.redis.stop()
    yield
    stack.redis.start()


def test_with_the_database_down_pages_answer_503_back_shortly_and_recover_on_restart(stack):
    card = f"/cards/{stack.slugs[0]}/"
    # Kept whole until the next publication, once asked for.
    kept = ["/", card, "/feed/", "/oembed/?" + urlencode({"url": SITE + card})]
    pages = [f"/cards/{stack.slugs[1]}/", "/admin/"]  # never asked for; the desk
    before = {path: get(stack, path) for path in kept}
    assert get(stack, "/admin/", Cookie=SESSION)[0] == 302

    stack.database.stop()
    try:
        # Nothing can be published while the database is down: what the cache keeps for the
        # last publication is still current, and served.
        for path in kept:
            status, headers, body = get(stack, path)
            assert (status, body) == (200, before[path][2]), path
        for path in pages:
            # A signed-in editor's session lives in the database too.
            status, headers, body = get(stack, path, Cookie=SESSION)
            assert status == 503, (path, body[:200])
            assert headers["retry-after"] == "30"
            assert "no-store" in headers["cache-control"]
            assert headers["content-type"] == "text/html; charset=utf-8"
            assert b"<h1>Back shortly</h1>" in body
            assert "strict-transport-security" in headers  # still the production headers
    finally:
        stack.database.start()

    up(stack, card)
    assert get(stack, "/")[0] == 200


def test_embeds_served_before_keep_serving_from_the_cache_with_the_database_down(stack):
    served, never = stack.slugs[0], stack.slugs[2]
    before = get(stack, f"/embed/{served}/?theme=dark")
    assert before[0] == 200
    # Kept: a later request is answered from the cache (on a busy machine a first write to
    # Redis can time out, and that copy is then simply not kept).
    for _ in range(20):
        if get(stack, f"/embed/{served}/?theme=dark")[1].get("x-factcards-served-from"):
            break
        time.sleep(0.25)
    else:
        pytest.fail("the embed was never answered from the cache")

    stack.database.stop()
    try:
        status, headers, body = get(stack, f"/embed/{served}/?theme=dark")
        assert (status, body) == (200, before[2])
        # From the cache: said plainly, with the reason once the app has met the outage.
        assert headers["x-factcards-served-from"].startswith("cache")
        for name in ("etag", "last-modified", "cache-control", "content-security-policy"):
            assert headers[name] == before[1][name], name
        assert "x-factcards-served-from" not in before[1]
        # Its ETag still answers a revalidation.
        assert (
            get(stack, f"/embed/{served}/?theme=dark", **{"If-None-Match": headers["etag"]})[0]
            == 304
        )
        # Only what was served before: another theme, another card are "back shortly".
        assert get(stack, f"/embed/{served}/?theme=light")[0] == 503
        status, headers, body = get(stack, f"/embed/{never}/")
        assert (status, headers["retry-after"]) == (503, "30")
        assert b"Back shortly" in body
        # Shown inside the frame of the page that embeds it, not refused by the browser.
        assert "x-frame-options" not in headers
        assert "frame-ancestors *" in headers["content-security-policy"]
    finally:
        stack.database.start()
    up(stack)
    after = get(stack, f"/embed/{served}/?theme=dark")[1].get("x-factcards-served-from", "")
    assert "unavailable" not in after


def test_healthz_reports_the_database_down_without_hosts_ports_or_errors(stack, database_down):
    status, headers, body = get(stack, "/healthz")
    assert status == 503
    assert json.loads(body) == {"status": "unavailable", "database": "down", "cache": "ok"}
    text = body.decode()
    assert str(stack.database.port) not in text and "127.0.0.1" not in text


def test_healthz_is_ok_again_once_the_database_is_back(stack):
    stack.database.stop()
    assert get(stack, "/healthz")[0] == 503
    stack.database.start()
    up(stack, "/healthz")
    status, _, body = get(stack, "/healthz")
    assert json.loads(body) == {"status": "ok", "database": "ok", "cache": "ok"}


def test_with_redis_down_every_page_and_the_share_image_serve_from_the_database(stack, redis_down):
    slug = stack.slugs[1]
    for path in ["/", f"/cards/{slug}/", f"/embed/{slug}/", f"/cards/{slug}.png", "/feed/"]:
        status, headers, body = get(stack, path)
        assert status == 200, (path, body[:300])
    status, _, body = get(stack, "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "degraded", "database": "ok", "cache": "down"}


def test_healthz_says_the_cache_is_back_once_redis_restarts(stack):
    stack.redis.stop()
    assert json.loads(get(stack, "/healthz")[2])["cache"] == "down"
    stack.redis.start()
    assert json.loads(get(stack, "/healthz")[2]) == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
    }


RETRACT = """
from factcards.models import FactCard
from tests.factories import UserFactory
editor = UserFactory(group="Editors", username="retracting-editor")
FactCard.objects.get(slug="delta").retract(editor, "Retracted: the figure was misread.")
"""


def test_a_card_retracted_before_an_outage_is_never_served_as_it_was(stack):
    """The attacker's trial: an embed served (and kept), then the card retracted by another
    process, then the database down. No copy of the claim as it was may come back: not
    during the outage, not from the cache once it ends, on any worker."""
    path = "/embed/delta/?theme=dark"
    before = get(stack, path)
    assert before[0] == 200 and b"Retracted" not in before[2]
    wait_for(lambda: get(stack, path)[1].get("x-factcards-served-from"), "the embed kept")
    shell = [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "shell", "--no-imports"]
    subprocess.run([*shell, "-c", RETRACT], cwd=ROOT, env=stack.environment, check=True)

    stack.database.stop()
    try:
        for _ in range(6):  # both workers, whichever answers
            status, headers, body = get(stack, path)
            assert status == 503 or b"misread" in body, (status, headers)
            assert headers.get("etag") != before[1]["etag"]
    finally:
        stack.database.start()
    up(stack, path)
    for _ in range(6):
        status, headers, body = get(stack, path)
        assert (status, b"misread" in body) == (200, True), headers
        assert headers["etag"] != before[1]["etag"]
