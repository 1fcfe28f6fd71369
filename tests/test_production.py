"""Production serving: `make serve` with the README's production environment, behind a
TLS-terminating proxy, as the HTTP Observatory and an editor see it."""

import json
import os
import re
import subprocess
import sys
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin

import pytest
from django.conf import global_settings
from django.db import connection
from django.utils.csp import CSP

from factcards.embeds import EMBED_CSP

from . import observatory
from .factories import UserFactory, published_card
from .servers import ROOT, AppServer, database_url, production_environment, server_environment

SITE = "https://facts.example.org"


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=server_environment(production_environment()),
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_make_serve_refuses_to_start_without_a_secret_key_and_says_how_to_set_one():
    environment = server_environment(production_environment())
    del environment["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "needs DJANGO_SECRET_KEY" in result.stdout
    assert "secrets.token_urlsafe" in result.stdout


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """`make serve` against the test database, with the production environment."""
    with django_db_blocker.unblock():
        database = database_url(connection.settings_dict)
    folder = tmp_path_factory.mktemp("serve")
    environment = production_environment() | {
        "DATABASE_URL": database,
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "DJANGO_DEBUG": "true",  # left over from development: make serve turns it off
    }
    # The README names a Redis host; the server uses the suite's own Redis, if any.
    environment.pop("REDIS_URL")
    if os.environ.get("REDIS_URL"):
        environment["REDIS_URL"] = os.environ["REDIS_URL"]
    environment = server_environment(environment)
    app = AppServer(environment, folder / "serve.log")
    try:
        app.start()
    except Exception:
        app.stop()
        raise RuntimeError("make serve did not start:\n" + app.log()) from None
    yield app
    app.stop()


@pytest.fixture
def card(transactional_db, editorial_groups):
    return published_card(slug="contingent")


def response(server, url, headers=None):
    status, headers_, body = server.fetch(url, headers=headers)
    return observatory.Response(url=url, status=status, headers=headers_, body=body)


def observe(server, path):
    """What the Observatory fetches for a page: from http:// through its redirects, the
    final https:// response, and that URL again with an Origin header."""
    url = "http://facts.example.org" + path
    route = [response(server, url)]
    while route[-1].status in (301, 302, 307, 308) and len(route) < 10:
        route.append(response(server, urljoin(route[-1].url, route[-1].first("Location"))))
    final = route[-1]
    cors = response(server, final.url, {"Origin": observatory.OBSERVATORY_ORIGIN})
    return observatory.grade(route, final, cors)


PAGES = ["/", "/cards/contingent/", "/embed/contingent/", "/admin/login/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_kind_of_page_grades_a_plus_by_the_observatory_scoring(server, card, path):
    scan = observe(server, path)
    assert scan.https.status == 200, scan.https.body[:300]
    assert scan.grade == "A+", scan.explain()


def test_plain_http_is_redirected_to_https_on_the_same_host_with_hsts(server, card):
    scan = observe(server, "/cards/contingent/")
    assert [r.status for r in scan.http_route] == [301, 200]
    assert scan.http_route[1].url == SITE + "/cards/contingent/"
    hsts = scan.https.first("Strict-Transport-Security")
    assert hsts == "max-age=31536000; includeSubDomains; preload"


def test_an_embed_grades_a_plus_without_the_frame_ancestors_bonus_it_gets_for_any_policy(
    server, card
):
    """The Observatory gives +5 for any CSP frame-ancestors, even one that lets every site
    frame the page, as an embed must (FACTCARDS_EMBED_FRAME_ANCESTORS, default "*"). So the
    grade is also computed without that bonus, and the embed keeps its A+ honestly."""
    scan = observe(server, "/embed/contingent/")
    policy = observatory.parse_csp(scan.https.all("Content-Security-Policy"))
    assert policy["frame-ancestors"] == set(EMBED_CSP["frame-ancestors"])
    assert not scan.https.first("X-Frame-Options")
    scan.results["x-frame-options"] = ("frame-ancestors-counted-as-no-protection", 0)
    assert scan.grade == "A+", scan.explain()


def test_pages_that_must_not_be_framed_say_so_in_the_csp(server, card):
    for path in ["/", "/cards/contingent/", "/admin/login/"]:
        policy = observatory.parse_csp(response(server, SITE + path).all("Content-Security-Policy"))
        assert policy["frame-ancestors"] == {CSP.NONE}, path


def test_behind_the_tls_proxy_an_editor_signs_in_to_the_admin(server, transactional_db, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server's own
    UserFactory(username="eve", is_superuser=True)
    status, headers, body = server.fetch(SITE + "/admin/login/")
    cookie = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookie.load(value)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": "eve",
            "password": "correct horse battery staple",
            "next": "/admin/",
        }
    )
    status, headers, body = server.fetch(
        SITE + "/admin/login/",
        method="POST",
        headers={
            "Cookie": f"csrftoken={cookie['csrftoken'].value}",
            "Origin": SITE,
            "Referer": SITE + "/admin/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=form,
    )
    assert status == 302, body[:500]
    assert dict((k.lower(), v) for k, v in headers)["location"] == "/admin/"


def test_behind_the_tls_proxy_every_absolute_url_is_https(server, card):
    oembed = json.loads(
        server.fetch(SITE + "/oembed/?" + urlencode({"url": SITE + "/cards/contingent/"}))[2]
    )
    assert oembed["thumbnail_url"] == SITE + "/cards/contingent.png"
    assert f'src="{SITE}/embed/contingent/"' in oembed["html"]
    assert oembed["provider_url"] == SITE + "/"
    page = server.fetch(SITE + "/cards/contingent/")[2].decode()
    feed = server.fetch(SITE + "/feed/")[2].decode()
    for text in (page, feed, oembed["html"]):
        assert "http://facts.example.org" not in text
    json_ld = json.loads(
        re.search(r'application/ld\+json"[^>]*>(.*?)</script>', page, re.S).group(1)
    )
    assert json_ld["url"] == SITE + "/cards/contingent/"
    assert f"{SITE}/embed.js" in page and f"{SITE}/embed/contingent/" in page  # embed codes
    assert f"{SITE}/cards/contingent/" in feed


def test_the_scoring_gives_the_review_its_c_plus_for_a_site_without_hsts_or_redirect():
    """The helper itself: the headers the review saw (no HSTS, no redirect) are C+ (60)."""
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    page = observatory.Response("https://facts.example.org/", 200, headers, b"<p>hi</p>")
    plain = observatory.Response("http://facts.example.org/", 200, headers, b"<p>hi</p>")
    scan = observatory.grade([plain], page, page)
    assert (scan.grade, scan.score) == ("C+", 60), scan.explain()


def test_make_serve_runs_with_debug_off_whatever_the_environment_says(server, transactional_db):
    status, _, body = server.fetch(SITE + "/no-such-page/")
    assert status == 404
    assert b"URLconf" not in body and b"DEBUG = True" not in body  # Django's debug 404
