"""The public site in a real browser (Debian's Chromium through Playwright)."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, editorial_groups):
    call_command("load_demo", verbosity=0)
    return live_server.url


@pytest.fixture
def csp_errors(page):
    """Console errors from the page: a CSP violation shows up here."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def result_titles(page):
    return page.locator("#results .card-item-statement").all_inner_texts()


def test_typing_a_search_swaps_the_results_and_the_url(page, site, csp_errors):
    page.goto(site + "/")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"23 cards"))
    page.locator("#id_q").press_sequentially("120,000", delay=30)
    expect(page).to_have_url(re.compile(r"\?.*q=120%2C000"))
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^\s*1 card for"))
    assert result_titles(page) == [
        "After Azerbaijan's offensive of September 2023, around 100,000 ethnic Armenians left "
        "Nagorno-Karabakh."
    ]
    assert csp_errors == []


def test_choosing_a_facet_updates_results_and_counts(page, site, csp_errors):
    page.goto(site + "/")
    page.get_by_role("radio", name=re.compile(r"^Quote\b")).check()
    expect(page).to_have_url(re.compile(r"kind=quote"))
    expect(page.locator("#result-count")).to_have_text(re.compile(r"4 cards"))
    expect(page.locator("#count-topic-all")).to_have_text("4 cards")
    assert csp_errors == []


def test_back_restores_the_previous_results(page, site):
    page.goto(site + "/")
    page.get_by_role("radio", name=re.compile(r"^Document or statement\b")).check()
    expect(page.locator("#result-count")).to_have_text(re.compile(r"4 cards"))
    page.get_by_role("radio", name=re.compile(r"^Quote\b")).check()
    expect(page.locator("#result-count")).to_have_text(re.compile(r"4 cards"))
    expect(page).to_have_url(re.compile(r"kind=quote"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"kind=document"))
    expect(page.locator("#results .card-item-kind").first).to_have_text(re.compile("Document"))
    expect(page.get_by_role("radio", name=re.compile(r"^Document or statement\b"))).to_be_checked()


def test_the_list_works_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/")
    page.fill("#id_q", "Peskov")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"q=Peskov"))
    expect(page.locator("#result-count")).to_have_text(re.compile(r"cards? for “Peskov”"))
    page.get_by_role("link", name=re.compile("Kremlin spokesman Dmitry Peskov confirmed")).click()
    expect(page.locator("h1")).to_have_text(re.compile("Dmitry Peskov confirmed"))
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?kind=figure&disagree=on",
        "/?q=nothing-matches-this",
        "/cards/armenians-who-left-karabakh/",
    ],
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_accessibility_violations(browser, site, axe_violations, path, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(site + path)
    assert axe_violations(page) == []
    context.close()


def test_keyboard_alone_reaches_filters_results_and_a_card(page, site):
    page.goto(site + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if page.evaluate("!!document.activeElement.closest('.card-item')"):
            break
    assert "id_q" in reached
    assert "id_sort" in reached
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cards/[\w-]+/$"))
    expect(page.locator("h1")).to_be_visible()


def test_facets_fold_away_on_a_phone(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(site + "/")
    expect(page.get_by_role("radio", name=re.compile(r"^Quote\b"))).to_be_hidden()
    page.get_by_text("Filter by kind, topic, outlet, place, date").click()
    expect(page.get_by_role("radio", name=re.compile(r"^Quote\b"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_on_a_phone_choosing_a_filter_brings_the_result_count_into_view(page, site):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site + "/")
    page.get_by_text("Filter by kind, topic, outlet, place, date").click()
    radio = page.get_by_role("radio", name=re.compile(r"^Quote\b"))
    radio.scroll_into_view_if_needed()
    radio.check()
    count = page.locator("#result-count")
    expect(count).to_have_text(re.compile(r"4 cards"))
    expect(count).to_be_in_viewport()
