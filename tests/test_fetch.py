"""What the worker fetches and what it refuses (SSRF, sizes, time), our WARC copy, and the
article read out of a page: all against a site on loopback, never the internet."""

import gzip
import socket
import threading
import time

import pytest

from factcards.intake.extract import extract_html, extract_text
from factcards.intake.fetch import FetchFailed, FetchRefused, fetch, read_warc, warc_record

from .web import article_html

PARAGRAPHS = [
    "The Kremlin says Russian peacekeepers have begun leaving Nagorno-Karabakh, where they "
    "were deployed under the ceasefire that ended the 2020 war.",
    "According to the agreements, 1,960 military personnel were stationed in the region, "
    "together with 90 armoured personnel carriers.",
]


def refused(url, code, **kwargs):
    with pytest.raises((FetchRefused, FetchFailed)) as caught:
        fetch(url, **kwargs)
    assert caught.value.code == code, caught.value
    return str(caught.value)


def test_a_page_is_fetched_with_its_status_headers_and_body(web):
    web.page("/story", "<p>héllo</p>")
    page = fetch(web.url("/story"))
    assert (page.status, page.content_type, page.charset) == (200, "text/html", "utf-8")
    assert page.text() == "<p>héllo</p>" and page.final_url == web.url("/story")
    assert page.address == "127.0.0.1" and page.redirects == []
    assert web.requests[0][2]["User-Agent"].startswith("factcards/")


def test_redirects_are_followed_and_recorded(web):
    web.redirect("/a", "/b", status=301)
    web.redirect("/b", web.url("/c"), status=307)
    web.page("/c", "<p>here</p>")
    page = fetch(web.url("/a"))
    assert page.url == web.url("/a") and page.final_url == web.url("/c")
    assert page.redirects == [(301, web.url("/b")), (307, web.url("/c"))]


def test_a_redirect_loop_is_refused(web):
    web.redirect("/loop", "/loop")
    assert "redirects more than 5 times" in refused(web.url("/loop"), "redirects")


@pytest.mark.parametrize("target", ["http://10.0.0.1/admin", "file:///etc/passwd"])
def test_a_redirect_to_a_target_we_refuse_is_refused(web, target):
    web.redirect("/out", target)
    refused(web.url("/out"), "address" if target.startswith("http") else "scheme")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://127.1:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://0.0.0.0:{port}/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
    ],
)
def test_private_and_local_addresses_are_refused_in_production_settings(web, settings, url):
    settings.FACTCARDS_FETCH_ALLOW_NETWORKS = []
    message = refused(url.format(port=web.server_port), "address")
    assert "private or local address" in message
    assert web.requests == []  # refused before anything was sent


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/", "javascript:alert(1)"]
)
def test_only_http_and_https_are_fetched(url):
    assert "only fetches http and https" in refused(url, "scheme")


def test_a_link_with_credentials_is_refused(web):
    refused(web.url("/x").replace("http://", "http://user:secret@"), "credentials")
    assert web.requests == []


def test_a_name_that_resolves_to_a_private_address_is_refused(settings, monkeypatch):
    """DNS rebinding: a public-looking name answering 127.0.0.1."""
    settings.FACTCARDS_FETCH_ALLOW_NETWORKS = []
    answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answer)
    assert "(127.0.0.1)" in refused("http://news.example.com/story", "address")


def test_the_connection_goes_to_the_address_that_was_checked(web, monkeypatch):
    web.page("/story", "<p>checked</p>")
    answers = [[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", web.server_port))]]
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "news.example.com":  # a second lookup would answer elsewhere
            return answers.pop(0) if answers else real("10.255.255.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    page = fetch(f"http://news.example.com:{web.server_port}/story")
    assert page.text() == "<p>checked</p>" and web.requests[0][2]["Host"].startswith("news.")


def test_a_page_too_big_is_refused_by_its_length_or_as_it_streams(web):
    web.page("/big", b"x" * 2000)
    web.page("/streamed", b"x" * 20000, chunked=True)
    assert "larger than 1,000 bytes" in refused(web.url("/big"), "too_big", max_bytes=1000)
    refused(web.url("/streamed"), "too_big", max_bytes=1000)


def test_a_compressed_page_is_decoded_and_a_gzip_bomb_refused(web):
    compressed = gzip.compress(b"<p>small</p>")
    web.page("/small", compressed, headers={"Content-Encoding": "gzip"})
    page = fetch(web.url("/small"))
    assert page.body == b"<p>small</p>"
    bomb = gzip.compress(b"\0" * 5_000_000)  # 5 MB in about 5 kB
    web.page("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 10_000
    refused(web.url("/bomb"), "too_big", max_bytes=100_000)


def test_a_slow_site_times_out(web):
    web.page("/slow", "<p>late</p>", delay=1.5)
    assert "within 0.5 seconds" in refused(web.url("/slow"), "timeout", timeout=0.5)


def test_a_dribbling_site_is_held_to_one_deadline(web):
    web.page("/drip", b"x" * 50, dribble=0.05)  # each byte in time, the whole too slow
    refused(web.url("/drip"), "timeout", timeout=1)


def test_a_site_dribbling_its_headers_is_held_to_the_deadline(web):
    server = socket.create_server(("127.0.0.1", 0))

    def dribble():
        connection, _ = server.accept()
        with connection:
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 100:
                    connection.sendall(bytes([byte]))
                    time.sleep(0.05)
            except OSError:
                pass  # the client gave up

    threading.Thread(target=dribble, daemon=True).start()
    started = time.monotonic()
    try:
        refused(f"http://127.0.0.1:{server.getsockname()[1]}/", "timeout", timeout=0.5)
    finally:
        server.close()
    assert time.monotonic() - started < 1.5


def test_a_domain_that_does_not_exist_says_so(monkeypatch):
    def nxdomain(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    assert "does not exist" in refused("http://factcards-gone.invalid/", "dns")


def test_a_closed_port_is_a_connection_failure(web):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    refused(f"http://127.0.0.1:{port}/", "connection")


def test_https_to_a_site_that_speaks_no_tls_fails_cleanly(web):
    refused(web.url("/x").replace("http://", "https://"), "tls")


def test_a_404_is_returned_for_the_caller_to_read(web):
    web.gone("/missing", status=410)
    assert fetch(web.url("/missing")).status == 410


def test_a_page_in_latin_1_is_decoded_by_its_charset(web):
    web.page("/latin", "<p>Café</p>".encode("latin-1"), content_type="text/html; charset=latin-1")
    assert fetch(web.url("/latin")).text() == "<p>Café</p>"


def test_our_warc_copy_holds_the_page_as_fetched(web):
    html = article_html("Withdrawal", PARAGRAPHS)
    web.page("/story", gzip.compress(html.encode()), headers={"Content-Encoding": "gzip"})
    page = fetch(web.url("/story"))
    copy = read_warc(warc_record(page))
    assert (copy.url, copy.status, copy.content_type) == (web.url("/story"), 200, "text/html")
    assert copy.text() == html and copy.header("content-encoding") == ""


def test_an_article_page_gives_its_text_and_what_it_states():
    html = article_html(
        "Russia starts withdrawing its peacekeepers",
        PARAGRAPHS,
        outlet="Example Agency",
        byline="A. Writer",
        published="2024-04-17",
        lang="en-GB",
    )
    article = extract_html(html.encode())
    assert article.title == "Russia starts withdrawing its peacekeepers"
    assert (article.outlet, article.byline, article.language) == (
        "Example Agency",
        "A. Writer",
        "en-gb",
    )
    assert str(article.published_on) == "2024-04-17"
    assert f"{PARAGRAPHS[0]}\n\n{PARAGRAPHS[1]}" in article.text
    assert "Subscribe" not in article.text and "Cookie" not in article.text


def test_the_publisher_stated_in_json_ld_is_the_outlet():
    ld = '{"@context": "https://schema.org", "@graph": [{"@type": "NewsArticle", '
    ld += '"publisher": {"@type": "Organization", "name": "Example Agency"}}]}'
    html = article_html("A headline", PARAGRAPHS).replace(
        "</head>", f'<script type="application/ld+json">{ld}</script></head>'
    )
    assert extract_html(html).outlet == "Example Agency"


def test_a_page_in_utf_8_that_does_not_say_so_is_read_as_utf_8():
    html = article_html("Café", PARAGRAPHS + ["Le café crème coûte 2 € à Besançon, dit-on."])
    article = extract_html(html.replace('<meta charset="utf-8">', "").encode())
    assert article.title == "Café" and "coûte 2 € à Besançon" in article.text


def test_an_xhtml_page_with_an_xml_declaration_is_read():
    html = '<?xml version="1.0" encoding="utf-8"?>\n' + article_html("XHTML", PARAGRAPHS)
    assert PARAGRAPHS[0] in extract_html(html).text


def test_what_a_page_does_not_state_stays_blank():
    html = article_html("Only a headline", PARAGRAPHS, lang="")
    html = html.replace("Copyright.", "© 2023 Example Agency.")  # a year, not a date
    html = html.replace("<head>", '<head><link rel="canonical" href="https://ex.org/2024/06/12/a">')
    article = extract_html(html, url="https://www.example.org/2024/06/12/story")
    assert (article.outlet, article.byline, article.published_on, article.language) == (
        "",
        "",
        None,
        "",
    )


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></body></html>",
        "",
        b"\x00\x01\x02\x03",
    ],
)
def test_a_page_without_an_article_says_so(html):
    with pytest.raises(ValueError, match="No article text was found"):
        extract_html(html)


def test_a_pasted_text_keeps_its_paragraphs():
    article = extract_text("  First paragraph.\r\n\r\n\r\n\r\nSecond one.  \r\n")
    assert article.text == "First paragraph.\n\nSecond one." and article.title == ""
    with pytest.raises(ValueError, match="empty"):
        extract_text(" \n\n ")
