"""Intake in Chromium: a source's text with its facts highlighted; a click opens the draft."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from factcards.models import FactCard, Source

from .factories import UserFactory
from .test_desk import sign_in
from .test_intake import TASS


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_click_on_a_highlighted_figure_opens_the_draft_card_form_prefilled(
    page, live_server, editorial_groups, axe_violations
):
    reporter = UserFactory(username="rita", group="Reporters")
    source = Source(title="Russia starts withdrawing", full_text="\n\n".join(TASS))
    source.save(by=reporter)
    sign_in(page, live_server, "rita")
    page.goto(live_server.url + reverse("admin:factcards_source_candidates", args=[source.pk]))
    text = page.locator(".fc-source-text")
    figure = text.get_by_role("button", name="1,960 military personnel")
    expect(figure).to_have_class("fc-cand fc-cand-figure")
    expect(text.locator(".fc-cand-date").first).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/intake-candidates.png", full_page=True)

    figure.click()
    expect(page.locator(".messagelist")).to_contain_text("A draft card was made")
    expect(page.locator("#id_kind")).to_have_value("figure")
    expect(page.locator("#id_value")).to_have_value("1960")
    expect(page.locator("#id_unit")).to_have_value("military personnel")
    expect(page.locator("#id_citations-0-excerpt")).to_contain_text("1,960 military personnel")
    card = FactCard.objects.get()
    assert (card.status, card.created_by) == ("draft", reporter)
