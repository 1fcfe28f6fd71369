"""An article's main text and what its page states about it, with trafilatura (text, headline,
byline) and htmldate (the date in the page's markup). What the page does not state stays blank:
no outlet from the host name, no date from the address or the prose, no language guessed."""

import json
import re
from dataclasses import dataclass
from datetime import date

import lxml.html
import trafilatura
from django.utils.translation import gettext_lazy as _
from htmldate import find_date


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str = ""
    outlet: str = ""
    byline: str = ""
    published_on: date | None = None
    language: str = ""


OUTLET_META = [
    "//meta[@property='og:site_name']/@content",
    "//meta[@name='application-name']/@content",
    "//meta[@name='publisher']/@content",
]
BYLINE_META = [
    "//meta[@name='author']/@content",
    "//meta[@property='article:author'][not(starts-with(@content, 'http'))]/@content",
]
LANGUAGE_META = [
    "/html/@lang",
    "//meta[@http-equiv='content-language']/@content",
    "//meta[@property='og:locale']/@content",
]


MIN_WORDS = 15  # fewer is a menu or a teaser, not an article
NO_TEXT = _(
    "No article text was found on this page (it may be a front page, a login wall, or need "
    "scripts to show its text). Paste the article's text instead."
)


def extract_html(html, url=None):
    """The article in an HTML page (bytes or text); ValueError when there is none. `url` is
    only where the page came from: nothing is read from it."""
    try:
        tree = lxml.html.fromstring(as_text(html))
    except (ValueError, lxml.etree.ParserError):
        raise ValueError(NO_TEXT) from None
    # The page's own address says nothing about the article: htmldate would read a date in it.
    for element in tree.xpath("//link[@rel='canonical'] | //meta[@property='og:url']"):
        element.drop_tree()
    # Read before trafilatura, which prunes the tree it is given.
    stated = {
        "outlet": squash(first(tree, OUTLET_META) or publisher(tree)),
        "published_on": stated_date(tree),
        "language": language_of(first(tree, LANGUAGE_META)),
        "byline": squash(first(tree, BYLINE_META)),
    }
    document = trafilatura.bare_extraction(
        tree, with_metadata=True, include_comments=False, include_tables=False
    )
    text = paragraphs(document.text if document is not None else "")
    if len(text.split()) < MIN_WORDS:
        raise ValueError(NO_TEXT)
    stated["byline"] = stated["byline"] or squash(document.author)
    return Extracted(text=text, title=squash(document.title), **stated)


def extract_text(text):
    """A pasted text, as published: paragraphs kept, nothing stated about it."""
    text = re.sub(r"\n{3,}", "\n\n", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    if not text:
        raise ValueError(_("The text is empty: paste the article's text."))
    return Extracted(text=text)


DECLARED_CHARSET = re.compile(rb"<meta[^>]+charset|<\?xml[^>]+encoding", re.I)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def as_text(html):
    """The page as text for lxml. Bytes that declare no charset (their HTTP header named it)
    are read as UTF-8, else Windows-1252: lxml would read them as Latin-1, garbling UTF-8."""
    if isinstance(html, bytes):
        if DECLARED_CHARSET.search(html[:4096]):
            return html  # lxml reads the declaration
        try:
            html = html.decode("utf-8-sig")
        except UnicodeDecodeError:
            html = html.decode("cp1252", errors="replace")
    # lxml refuses text that declares an encoding (XHTML's <?xml ...?>).
    return XML_DECLARATION.sub("", html or "", count=1)


def publisher(tree):
    """The publisher's name in the page's schema.org JSON-LD, if it states one."""
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        items = data if isinstance(data, list) else [data]
        for item in list(items):
            if isinstance(item, dict) and isinstance(item.get("@graph"), list):
                items += item["@graph"]
        for item in items:
            named = item.get("publisher") if isinstance(item, dict) else None
            if isinstance(named, dict) and isinstance(named.get("name"), str):
                return named["name"]
    return ""


def paragraphs(text):
    """trafilatura gives a line per paragraph; excerpts are read between blank lines."""
    lines = (squash(line) for line in (text or "").split("\n"))
    return "\n\n".join(line for line in lines if line)


def stated_date(tree):
    """The publication date the page's markup states (meta tags, <time>), not a guess from
    its address or its text."""
    found = find_date(
        tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%d", url=None
    )
    return date.fromisoformat(found) if found else None


def first(tree, xpaths):
    for xpath in xpaths:
        values = [value.strip() for value in tree.xpath(xpath) if value.strip()]
        if values:
            return values[0]
    return ""


def language_of(value):
    """ "en-GB" → "en-gb"; "en_US" (og:locale) → "en-us"; blank when not stated."""
    value = value.split(",")[0].strip().replace("_", "-").lower()
    return value if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", value) else ""


def squash(value):
    return " ".join((value or "").split())
