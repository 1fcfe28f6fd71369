"""Security headers: a strict CSP on every page, no inline handlers, framing denied."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from .factories import published_card

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture
def card(db):
    return published_card(slug="contingent")


@pytest.mark.parametrize("url", ["/", "/cards/contingent/"])
def test_public_pages_send_a_strict_csp_without_a_nonce_a_shared_cache_would_repeat(
    client, card, url
):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "nonce" not in policy and "nonce=" not in response.content.decode()
    assert "htmx" in response.content.decode()  # its script still loads, from this origin


def test_htmx_is_configured_for_the_csp(client, card):
    page = client.get("/").content.decode()
    assert '"includeIndicatorStyles":false,"allowEval":false,"historyCacheSize":0' in page


def test_no_template_uses_inline_event_handlers_or_hx_on():
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\son[a-z]+=|hx-on", path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("name", ["card_list", "admin:index"])
def test_pages_cannot_be_framed(client, card, admin_user, name):
    client.force_login(admin_user)
    response = client.get(reverse(name))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_public_pages_are_sent_compressed_and_the_desk_is_not(admin_client, db):
    public = admin_client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert public["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in public["Vary"]
    desk = admin_client.get("/admin/", HTTP_ACCEPT_ENCODING="gzip")
    assert desk.status_code == 200
    assert not desk.has_header("Content-Encoding")
