"""Timelines in Chromium: the Karabakh topic's picture and list agree, zooming with htmx keeps
the address, and the embed resizes on a page of another origin."""

import threading
from functools import partial
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from playwright.sync_api import expect

from factcards import timelines
from factcards.embeds import timeline_embed_codes
from factcards.models import FactCard, Topic

from .test_embed_browser import QuietHandler, assert_full_height_without_scrollbar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, editorial_groups):
    call_command("load_demo", verbosity=0)
    return live_server.url


def slug_of(statement_start):
    return FactCard.objects.get(statement__startswith=statement_start).slug


def test_the_karabakh_timeline_in_order_with_the_war_as_a_span(page, site, axe_violations):
    page.goto(f"{site}/topics/karabakh-conflict/timeline/")
    war = slug_of("Azerbaijan and Armenia fought their first war")
    drawn = page.eval_on_selector_all(".tl-svg g[data-card]", "gs => gs.map(g => g.dataset.card)")
    listed = page.eval_on_selector_all(".tl-list li", "lis => lis.map(li => li.dataset.card)")
    assert drawn == listed
    assert listed == [
        war,
        slug_of("Azerbaijan took over Nagorno-Karabakh"),
        slug_of("On September 20, 2023"),
    ]
    # On screen, 1988 to 1994 covers the axis from 1988 to the end of 1994.
    bar = page.locator(f'.tl-svg g[data-card="{war}"] rect').bounding_box()
    ticks = page.eval_on_selector_all(
        ".tl-axis text",
        "ts => Object.fromEntries(ts.map(t => [t.textContent, t.getBoundingClientRect().x"
        " + (t.getAttribute('text-anchor') === 'middle' ? t.getBoundingClientRect().width / 2"
        " : 0)]))",
    )
    year = (ticks["1995"] - ticks["1990"]) / 5
    assert bar["width"] == pytest.approx(7 * year, rel=0.05)
    assert bar["x"] == pytest.approx(ticks["1990"] - 2 * year, abs=year * 0.2)
    # The list says the same in words.
    assert page.locator(".tl-list li").first.inner_text().startswith("1988 to 1994")
    assert axe_violations(page) == []


def test_zooming_swaps_the_timeline_in_place_and_keeps_the_address(page, site):
    page.goto(f"{site}/topics/karabakh-conflict/timeline/")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="the 2020s").click()
    page.wait_for_url("**/timeline/?from=2020&to=2029")
    expect(page.locator(".tl-list li")).to_have_count(2)
    assert page.evaluate("window.notReloaded") is True  # htmx swapped it; no page load
    assert page.locator(".tl-years").inner_text() == "2 dated cards, 2020 to 2029"
    page.get_by_label("From the year").fill("1990")
    page.get_by_label("To the year").fill("1991")
    page.get_by_role("button", name="Show these years").click()
    page.wait_for_url("**/timeline/?from=1990&to=1991")
    expect(page.locator(".tl-list li")).to_have_count(1)
    page.go_back()
    page.wait_for_url("**/timeline/?from=2020&to=2029")
    expect(page.locator(".tl-list li")).to_have_count(2)
    # A range that is not one says so, in place.
    page.get_by_label("From the year").fill("1995")
    page.get_by_label("To the year").fill("1990")
    page.get_by_role("button", name="Show these years").click()
    page.get_by_text("The first year comes after the last: swap them.").wait_for()


@pytest.fixture
def article_with_timeline(tmp_path, site):
    """A page on another origin with the timeline's embed code pasted in."""
    request = RequestFactory().get("/", HTTP_HOST=urlsplit(site).netloc)
    line = timelines.timeline("topic", Topic.objects.get(slug="peacekeeping-mission"))
    codes = timeline_embed_codes(request, line, {})
    (tmp_path / "article.html").write_text(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Article</title></head>"
        f"<body><main><h1>Article</h1><p>Reporting.</p>{codes['iframe']}<p>More.</p></main>"
        "</body></html>"
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/article.html"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("width", [360, 900])
def test_the_timeline_embed_resizes_on_another_origin(browser, article_with_timeline, width):
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(article_with_timeline)
    assert_full_height_without_scrollbar(page)
    frame = page.locator("iframe").element_handle().content_frame()
    assert frame.locator(".tl-list li").count() == 7
    assert [e for e in errors if "404" not in e] == []
    context.close()
