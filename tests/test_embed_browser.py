"""Embeds in a real browser, on a page of another origin, the way a newsroom's article has them."""

import shutil
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from factcards.embeds import embed_codes, estimate_height, oembed_html
from factcards.models import FactCard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PYM = Path(__file__).resolve().parent.parent / "node_modules" / "pym.js" / "dist" / "pym.v1.min.js"
SLUG = "armenians-who-left-karabakh"  # the demo card with the most to show: five sources


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def site(live_server, editorial_groups):
    call_command("load_demo", verbosity=0)
    return live_server.url


@pytest.fixture
def third_party(tmp_path, site):
    """Another origin (127.0.0.1 on its own port) serving articles that embed the card."""
    host = urlsplit(site).netloc
    request = RequestFactory().get("/", HTTP_HOST=host)
    card = FactCard.objects.get(slug=SLUG)
    codes = embed_codes(request, card)
    oembed_answer = oembed_html(request, card, codes["url"], codes["embed_url"], 560, 400)
    shutil.copy(PYM, tmp_path / "pym.v1.min.js")
    article = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
        "<style>body{{margin:0;font-family:serif}}</style></head>"
        "<body><main><h1>{title}</h1><p>Some reporting.</p>{embed}<p>More.</p></main>"
        "</body></html>"
    )
    pages = {
        "iframe.html": codes["iframe"],
        "loader.html": codes["blockquote"],
        "oembed.html": oembed_answer,
        "pym.html": '<div id="card"></div><script src="pym.v1.min.js"></script>'
        f'<script>new pym.Parent("card", "{codes["embed_url"]}", {{}});</script>',
        "messages.html": f'<iframe id="frame" title="card" style="width:100%;border:0" '
        f'src="{codes["embed_url"]}?childId=card-7&initialWidth=600'
        f'#?secret=s3cr3t"></iframe><script>window.got = [];'
        'addEventListener("message", function (e) { got.push(e.data); });'
        "</script>",
    }
    for name, embed in pages.items():
        (tmp_path / name).write_text(article.format(title=name, embed=embed))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=tmp_path))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def settled_frame(page):
    """The card's iframe, once its height has stopped changing."""
    page.wait_for_selector("iframe")
    iframe = page.locator("iframe").first
    last, steady = None, 0
    for _ in range(100):
        height = iframe.bounding_box()["height"]
        steady = steady + 1 if height == last else 0
        if steady >= 4 and height > 150:
            break
        last = height
        time.sleep(0.1)
    return iframe


def assert_full_height_without_scrollbar(page):
    frame = settled_frame(page).element_handle().content_frame()
    frame.wait_for_selector("main")
    content = frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
    inner = frame.evaluate("window.innerHeight")
    overflow = frame.evaluate(
        "document.documentElement.scrollHeight - document.documentElement.clientHeight"
    )
    assert inner >= content, (inner, content)
    assert inner - content <= 4, (inner, content)  # the frame is the card's height, no gap
    assert overflow <= 0


@pytest.mark.parametrize("width", [320, 800])
@pytest.mark.parametrize("snippet", ["iframe.html", "loader.html", "pym.html"])
def test_embed_on_another_origin_reaches_full_height(browser, third_party, snippet, width):
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{third_party}/{snippet}")
    assert_full_height_without_scrollbar(page)
    # The article's own missing favicon aside, neither page complains (postMessage, CSP...).
    assert [e for e in errors if "404" not in e] == []
    context.close()


def test_loader_keeps_the_blockquote_as_fallback_without_javascript(browser, third_party):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{third_party}/loader.html")
    quote = page.locator("blockquote.factcard a")
    assert quote.is_visible()
    assert quote.get_attribute("href").endswith(f"/cards/{SLUG}/")
    assert page.locator("iframe").count() == 0
    context.close()


def test_loader_hides_the_blockquote_once_the_card_is_shown(page, third_party):
    page.goto(f"{third_party}/loader.html")
    settled_frame(page)
    assert not page.locator("blockquote.factcard").is_visible()


def test_child_reports_height_in_every_protocol(page, third_party):
    page.goto(f"{third_party}/messages.html")
    page.wait_for_function("window.got.length >= 4")
    got = page.evaluate("window.got")
    pym = [m for m in got if isinstance(m, str)]
    assert pym and pym[0].startswith("pymxPYMxcard-7xPYMxheightxPYMx")
    height = int(pym[0].rsplit("xPYMx", 1)[1])
    objects = [m for m in got if isinstance(m, dict)]
    assert {"datawrapper-height": {SLUG: height}} in objects
    assert {"sentinel": "amp", "type": "embed-size", "height": height} in objects
    assert {"message": "height", "value": height, "secret": "s3cr3t"} in objects


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_violations_in_the_embed(browser, site, axe_violations, theme):
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    page.goto(f"{site}/embed/{SLUG}/?theme={theme}")
    assert axe_violations(page) == []
    context.close()


def test_retraction_reaches_an_embedded_card(page, third_party, other_editor):
    FactCard.objects.get(slug=SLUG).retract(other_editor, "Withdrawn for the demo.")
    page.goto(f"{third_party}/iframe.html")
    frame = settled_frame(page).element_handle().content_frame()
    assert "Withdrawn for the demo." in frame.locator("main").inner_text()


@pytest.mark.parametrize("slug", [SLUG, "hajiyev-early-withdrawal-decided"])
def test_embed_reads_at_280_px_without_sideways_scrolling(browser, site, slug):
    context = browser.new_context(viewport={"width": 280, "height": 600})
    page = context.new_page()
    page.goto(f"{site}/embed/{slug}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 280
    assert page.locator("h1").is_visible()
    context.close()


def test_an_oembed_answer_shown_as_it_is_reads_once(browser, third_party):
    """A CMS that pastes the oEmbed html as it is shows the live card alone, full height."""
    context = browser.new_context(viewport={"width": 800, "height": 700})
    page = context.new_page()
    page.goto(f"{third_party}/oembed.html")
    assert_full_height_without_scrollbar(page)
    assert page.locator("iframe").count() == 1
    assert not page.locator("blockquote.factcard").is_visible()
    context.close()


def test_an_oembed_answer_without_javascript_shows_only_the_quote(browser, third_party):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{third_party}/oembed.html")
    assert page.locator("blockquote.factcard a").is_visible()
    assert not page.locator("iframe").is_visible()
    context.close()


def test_the_estimated_height_never_cuts_a_card_short(browser, site, other_editor):
    """Before a card reports its height (or where no script runs) the frame has the estimate:
    it must hold the whole card, retracted ones with their notice included."""
    FactCard.objects.get(slug="kremlin-confirms-withdrawal").retract(
        other_editor, "The agency's report was withdrawn; this card is kept for the record."
    )
    context = browser.new_context(viewport={"width": 560, "height": 700})
    page = context.new_page()
    wrong = []
    for card in FactCard.objects.on_record().with_sources():
        page.goto(f"{site}/embed/{card.slug}/")
        rendered = page.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        # Never short, and not so tall that the article shows a gap until the card reports.
        if not rendered <= estimate_height(card, 560) <= rendered * 1.3:
            wrong.append((card.slug, estimate_height(card, 560), rendered))
    context.close()
    assert wrong == []
