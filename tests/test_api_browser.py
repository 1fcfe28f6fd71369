"""The API's docs page in a real browser, under the site's own CSP."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_page_renders_every_endpoint_under_the_csp(page, live_server):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    response = page.goto(live_server.url + "/api/docs/")
    assert "script-src" in response.headers["content-security-policy"]
    expect(page.locator(".opblock-summary-path")).to_have_count(3)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert sorted(p.replace("\u200b", "") for p in paths) == [
        "/api/cards/",
        "/api/cards/{slug}/",
        "/api/sources/",
    ]
    expect(page.locator(".info .title")).to_contain_text("factcards API")
    assert errors == []
