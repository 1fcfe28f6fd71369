"""Where cards live, end to end in a real browser: articles on another site embed two cards,
the registry learns both articles, a correction lists them to check, and the newsroom's CMS
gets one signed webhook, on the third try from a receiver that fails twice."""

import json
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from factcards import registry
from factcards.articles import verify
from factcards.models import ArticleUse, FactCard, WebhookDelivery

from .factories import UserFactory, published_card
from .test_desk import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The articles' site: a name (the registry records no IP address), which this browser alone
# resolves to the loopback server below.
SITE = "news.test"
ARTICLES = ["2026/12/withdrawal.html", "2026/12/what-we-know.html"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def cards(live_server, editorial_groups, registry_permissions, registry_buffer, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.FACTCARDS_TASK_RETRY_DELAY = 0  # retries at once: the worker's batch runs them all
    editor = UserFactory(username="eve", group="Editors")
    return [
        published_card(editor, slug="peacekeepers", statement="Nearly 2,000 peacekeepers."),
        published_card(editor, slug="exodus", statement="Around 100,000 people left."),
    ]


@pytest.fixture
def news_site(tmp_path, live_server, cards):
    """Two articles, each with the blockquote-and-loader code of both cards."""
    quotes = "".join(
        f'<blockquote class="factcard"><p><a href="{live_server.url}{card.get_absolute_url()}">'
        f"{card.statement}</a></p></blockquote>"
        for card in cards
    )
    for name in ARTICLES:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{name}</title></head>"
            f"<body><main><h1>{name}</h1><p>Reporting.</p>{quotes}</main>"
            f'<script async src="{live_server.url}/embed.js"></script></body></html>'
        )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()


@pytest.fixture
def news_browser(browser_type, browser_type_launch_args, news_site):
    args = [*browser_type_launch_args["args"], f"--host-resolver-rules=MAP {SITE} 127.0.0.1"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    yield browser
    browser.close()


def read_articles(browser, port):
    """Open each article as a reader would (from a newsletter link), until both embeds have
    reported it."""
    page = browser.new_page()
    reports = []
    page.on("requestfinished", lambda r: reports.append(r) if "/registry/seen" in r.url else None)
    for name in ARTICLES:
        before = len(reports)
        page.goto(f"http://{SITE}:{port}/{name}?utm_source=newsletter&utm_medium=email#cards")
        expect(page.locator("iframe[data-factcard]")).to_have_count(2)
        deadline = time.monotonic() + 15
        while len(reports) < before + 2 and time.monotonic() < deadline:
            page.wait_for_timeout(100)
    page.close()
    return reports


def test_articles_embedding_cards_reach_the_registry_and_a_correction_reaches_them(
    news_browser, news_site, cards, live_server, webhook_receiver
):
    reports = read_articles(news_browser, news_site)
    assert len(reports) == 4  # each card once in each article
    assert not ArticleUse.objects.exists()  # nothing written while readers read
    registry.flush(up_to=time.time() + settings.FACTCARDS_REGISTRY_WINDOW + registry.GRACE)

    expected = {f"http://{SITE}:{news_site}/{name}" for name in ARTICLES}
    for card in cards:
        assert set(card.article_uses.values_list("url", flat=True)) == expected
        assert set(card.article_uses.values_list("views", flat=True)) == {1}

    # An editor proposes a correction of one card; another publishes it.
    receiver = webhook_receiver([500, 502])
    corrected, untouched = cards
    writer, approver = UserFactory(group="Editors"), UserFactory(username="ed", group="Editors")
    revision = corrected.start_revision(writer)
    revision.statement = "1,960 peacekeepers."
    revision.correction_note = "The agreements give 1,960, not nearly 2,000."
    revision.save(by=writer)
    revision.submit(writer)
    revision.publish(approver)

    page = news_browser.new_page()
    sign_in(page, live_server, "ed")
    expect(page.locator(".fc-waiting", has_text="Articles to check: 2")).to_be_visible()
    section = page.locator("section", has=page.locator("#articles-to-check"))
    expect(section).to_contain_text("1,960 peacekeepers.")
    expect(section).not_to_contain_text(untouched.statement)
    section.get_by_role("link", name="1,960 peacekeepers.").click()
    for url in expected:
        expect(page.get_by_role("link", name=url)).to_be_visible()
    page.locator("input[name='form-0-updated']").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".fc-waiting", has_text="Articles to check: 1")).to_be_visible()
    page.close()

    # The worker delivers the webhook: twice refused, then accepted, each attempt logged.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0",
                 verbosity=0)  # fmt: skip
    assert len(receiver.deliveries) == 3
    headers, body = receiver.deliveries[-1]
    assert verify(body, headers["Factcards-Signature"], settings.FACTCARDS_WEBHOOK_SECRET)
    sent = json.loads(body)
    assert (sent["event"], sent["card"]["slug"]) == ("card.corrected", corrected.slug)
    assert {article["url"] for article in sent["articles"]} == expected
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert [a.status_code for a in delivery.attempts.all()] == [500, 502, 200]
    assert FactCard.objects.get(pk=corrected.pk).statement == "1,960 peacekeepers."


def test_an_iframe_pasted_without_the_loader_reports_the_referers_origin(
    news_browser, news_site, cards, live_server, tmp_path
):
    """No loader to tell it the article: the card falls back on the Referer, which browsers
    cut to the site's origin for another site's frame."""
    card = cards[0]
    (tmp_path / "pasted.html").write_text(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Pasted</title></head>"
        f'<body><iframe src="{live_server.url}/embed/{card.slug}/" title="card"></iframe>'
        "</body></html>"
    )
    page = news_browser.new_page()
    reports = []
    page.on("requestfinished", lambda r: reports.append(r) if "/registry/seen" in r.url else None)
    page.goto(f"http://{SITE}:{news_site}/pasted.html")
    deadline = time.monotonic() + 10
    while not reports and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    page.close()
    registry.flush(up_to=time.time() + settings.FACTCARDS_REGISTRY_WINDOW + registry.GRACE)
    assert list(card.article_uses.values_list("url", flat=True)) == [f"http://{SITE}:{news_site}/"]
