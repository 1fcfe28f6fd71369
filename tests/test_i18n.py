"""The interface in several languages: the catalogues are complete and current, no template
holds an untranslated literal, every public page in Russian has no English left (only the
sourced content, which stays as sourced), numbers, dates and plurals in each locale's form,
the language switcher, embeds by ?lang=."""

import datetime
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.base import Lexer, TokenType
from django.utils import timezone, translation

from factcards import reading
from factcards.models import Citation, FactCard, Place, Source, Topic

from .factories import CitationFactory, FactCardFactory, SourceFactory, publish

ROOT = Path(settings.BASE_DIR)
LANGUAGES = ["ru", "fr"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(language):
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


# --- the catalogues -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_complete_and_compiled(language):
    po = catalogue(language)
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    nplurals = int(po.metadata["Plural-Forms"].split("nplurals=")[1].split(";")[0])
    for entry in po:
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if entry.msgid_plural:
            assert len(forms) == nplurals, entry.msgid
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == wanted, (entry.msgid, form)
    # What Django reads is the compiled file: it says the same.
    mo = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    for entry in po:
        assert compiled[(entry.msgctxt, entry.msgid)] == (entry.msgstr, entry.msgstr_plural), (
            f"{entry.msgid!r}: run make messages"
        )


@pytest.mark.skipif(
    not shutil.which("xgettext") and not os.environ.get("CI"),
    reason="GNU gettext is not installed (apt-get install gettext; .ci/run installs it)",
)
def test_makemessages_runs_clean_and_finds_nothing_untranslated(tmp_path):
    """On a copy of the project: every string the code and templates mark is already in the
    catalogues, translated (a new string fails here until it is translated)."""
    for name in ["factcards", "newsroom", "templates", "locale"]:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "-l", "fr", "--no-location"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"DJANGO_DEBUG": "true", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower(), result.stderr
    for language in LANGUAGES:
        fresh = polib.pofile(str(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"))
        kept = {(e.msgctxt, e.msgid) for e in catalogue(language)}
        new = [e.msgid for e in fresh if (e.msgctxt, e.msgid) not in kept]
        assert new == [], f"not in locale/{language}: translate them, then make messages"
        assert fresh.untranslated_entries() == [] and fresh.fuzzy_entries() == []


# --- templates hold no untranslated literal -------------------------------------------------------

# The public site, the embeds and the desk (the admin's own templates are Django's, and
# translated by Django).
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
# Attributes a reader sees or hears.
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "label"}
# Words that are the same in every language here: names and formats.
SAME_EVERYWHERE = {
    "factcards",
    "API",
    "oEmbed",
    "WordPress",
    "Ghost",
    "iframe",
    "HTML",
    "JavaScript",
}
LETTERS = re.compile(r"[^\W\d_]{2,}")


class ReadText(HTMLParser):
    """What a reader sees or hears of a template's literal HTML."""

    def __init__(self):
        super().__init__()
        self.found, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        self.found += [value for name, value in attrs if name in READ_ATTRIBUTES and value]
        if tag == "meta" and dict(attrs).get("name") == "description":
            self.found.append(dict(attrs).get("content") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.found.append(data)


def untranslated(path):
    """Words in a template that are not inside {% translate %} or {% blocktranslate %}."""
    literal, depth = [], 0
    for token in Lexer(path.read_text()).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            if name in ("blocktranslate", "blocktrans", "comment"):
                depth += 1
            elif name in ("endblocktranslate", "endblocktrans", "endcomment"):
                depth -= 1
            literal.append(" ")
        elif token.token_type == TokenType.TEXT and not depth:
            literal.append(token.contents)
        elif token.token_type == TokenType.VAR:
            literal.append("x")  # a value: stands for an attribute's content
    parser = ReadText()
    parser.feed("".join(literal))
    words = [w for text in parser.found for w in LETTERS.findall(text.replace("x", " "))]
    return [w for w in words if w not in SAME_EVERYWHERE]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_template_has_an_untranslated_literal(path):
    assert untranslated(path) == []


def test_the_literal_check_finds_an_untranslated_word(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<p>{% translate "Sources" %}</p><button title="Copy it">'
        "{% blocktranslate %}Copy {{ x }}{% endblocktranslate %}</button><p>Retracted</p>"
    )
    assert untranslated(page) == ["Copy", "it", "Retracted"]


# --- every public page in Russian ---------------------------------------------------------------


class VisibleText(ReadText):
    """A page's text as a reader meets it; embed codes (HTML to copy) are code, not prose."""

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        if tag == "textarea":
            self.skip += 1
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.found.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        if tag == "textarea":
            self.skip -= 1


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.found).split())


def sourced_content():
    """The demo's own words (statements, values, excerpts, titles, names): they stay as
    sourced in every language."""
    texts = []
    for card in FactCard.objects.all():
        texts += [card.statement, card.unit, card.speaker, card.quotation, card.document_title]
        texts += [card.context, card.value_note]
    for citation in Citation.objects.all():
        texts += [citation.excerpt, citation.stated_value, citation.locator]
    for source in Source.objects.all():
        texts += [source.title, source.outlet, source.byline, source.url]
    texts += [t.name for t in Topic.objects.all()] + [p.name for p in Place.objects.all()]
    return sorted({" ".join(t.split()) for t in texts if t}, key=len, reverse=True)


def ours(html, content):
    """A page's text less the sourced content in it: the words this site itself shows."""
    text = visible_text(html).replace("&#x27;", "'")
    # Content cut short to fit (a page title, a timeline label): "Azerbaijan took over…".
    for cut in re.findall(r"[^·:]+…", text):
        for start in [0, *(m.end() for m in re.finditer(r"[\s«“(]+", cut))]:
            begun = cut[start:-1].rstrip()
            if begun and any(sourced.startswith(begun) for sourced in content):
                text = text.replace(cut, cut[:start] + " ")
                break
    for sourced in content:
        text = text.replace(sourced, " ")
    text = re.sub(r"https?://\S+", " ", text)
    for _, name in settings.LANGUAGES:  # the switcher names each language in itself
        text = text.replace(name, " ")
    return text


def english_left(html, content):
    text = ours(html, content)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in SAME_EVERYWHERE]


def english_phrases(language):
    """The catalogue's English words, each piece between placeholders: none may show."""
    pieces = set()
    for entry in catalogue(language):
        for msgid in filter(None, [entry.msgid, entry.msgid_plural]):
            for piece in PLACEHOLDER.split(re.sub(r"<[^>]+>", "%(tag)s", msgid))[::2]:
                piece = piece.strip(" .,:;()“”…←→")
                if len(piece) >= 8 and " " in piece:
                    pieces.add(piece)
    return pieces


@pytest.fixture
def demo(db, editorial_groups):
    call_command("load_demo", verbosity=0)


def public_pages():
    disagreeing = FactCard.objects.published().filter(citations__relation="differs").first()
    figure = FactCard.objects.published().filter(kind="figure").first()
    source = Source.objects.filter(citations__card__status="published").first()
    return {
        "list": "/",
        "search without results": "/?q=zzzz&kind=figure",
        "bad filter": "/?date_from=yesterday",
        "card with disagreement": disagreeing.get_absolute_url(),
        "figure": figure.get_absolute_url(),
        "embed": f"/embed/{disagreeing.slug}/?lang=ru",
        "topic timeline": "/topics/peacekeeping-mission/timeline/",
        "zoomed timeline, bad range": "/topics/karabakh-conflict/timeline/?from=2000&to=1990",
        "place timeline": "/places/nagorno-karabakh/timeline/",
        "timeline embed": "/embed/timeline/peacekeeping-mission/?lang=ru",
        "source's archived copy": f"/sources/{source.pk}/archived/",
    }


def test_every_public_page_in_russian_has_no_english_left(client, demo, editor):
    # Give every part of a card something to show: a correction, a retraction, a check.
    card = FactCard.objects.published().filter(kind="figure").first()
    card.confirm(editor)
    retracted = FactCard.objects.published().filter(kind="quote").first()
    retracted.retract(editor, note="Withdrawn: the quote was misattributed.")
    keep_archived_copy()
    content = sourced_content() + ["Withdrawn: the quote was misattributed.", "zzzz"]
    phrases = english_phrases("ru")
    pages = public_pages() | {"retracted card": retracted.get_absolute_url()}
    for name, url in pages.items():
        response = client.get(url, headers={"Accept-Language": "ru"})
        assert response.status_code == 200, name
        html = response.content.decode()
        assert english_left(html, content) == [], name
        shown = ours(html, content)
        assert [p for p in phrases if p in shown] == [], name
        assert response["Content-Language"] == "ru"


def keep_archived_copy():
    from factcards.intake.fetch import Fetched
    from factcards.intake.work import keep_copy

    source = Source.objects.filter(citations__card__status="published").first()
    page = Fetched(
        url=source.url or "https://example.org/a",
        final_url=source.url or "https://example.org/a",
        status=200,
        reason="OK",
        headers=[("Content-Type", "text/html; charset=utf-8")],
        body=b"<p>Kept.</p>",
        fetched_at=timezone.now(),
    )
    keep_copy(source, page, "Kept.")


def test_the_same_page_in_english_and_in_russian_is_kept_apart(client, demo):
    url = FactCard.objects.published().first().get_absolute_url()
    english = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    russian = client.get(url, headers={"Accept-Language": "ru"}).content.decode()
    again = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert "Sources" in english and "Источники" in russian and "Источники" not in again
    assert '<html lang="ru">' in russian and '<html lang="en">' in again


# --- numbers, dates, plurals ----------------------------------------------------------------


@pytest.mark.parametrize(
    "language, number, day, month",
    [
        ("en", "1,960", "November 10, 2020", "September 2023"),
        ("ru", "1\xa0960", "10 ноября 2020 г.", "Сентябрь 2023 г."),
        ("fr", "1\u202f960", "10 novembre 2020", "septembre 2023"),
    ],
)
def test_numbers_and_dates_in_each_locales_form(language, number, day, month):
    with translation.override(language):
        assert reading.format_number(Decimal("1960.0000")) == number
        assert reading.format_date(datetime.date(2020, 11, 10), "day") == day
        assert reading.format_date(datetime.date(2023, 9, 1), "month") == month
        assert reading.format_date(datetime.date(2025, 1, 1), "year") == "2025"


@pytest.mark.parametrize(
    "language, one, two, five",
    [
        ("en", "1 source", "2 sources", "5 sources"),
        ("ru", "1 источник", "2 источника", "5 источников"),
        ("fr", "1 source", "2 sources", "5 sources"),
    ],
)
def test_plurals_are_right_in_each_language(db, language, one, two, five):
    summaries = []
    for count in (1, 2, 5):
        card = FactCardFactory(citations=0)
        for _ in range(count):
            CitationFactory(card=card, source=SourceFactory(outlet=""))
        with translation.override(language):
            summaries.append(reading.source_summary(card))
    assert [s.split(",")[0] for s in summaries] == [one, two, five]


def test_a_figure_reads_in_russian_with_its_hedge_and_grouping(client, db):
    card = publish(FactCardFactory(value=1960, unit="military personnel", qualifier="nearly"))
    page = client.get(card.get_absolute_url(), headers={"Accept-Language": "ru"})
    assert "почти 1\xa0960 military personnel" in page.content.decode()


# --- choosing the language ---------------------------------------------------------------------


def test_the_switcher_sets_the_language_and_stays_on_the_page(client, demo):
    url = FactCard.objects.published().first().get_absolute_url()
    page = client.get(url).content.decode()
    assert 'action="/i18n/setlang/"' in page and '<option value="ru" lang="ru">Русский' in page
    response = client.post("/i18n/setlang/", {"language": "ru", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert "Источники" in client.get(url).content.decode()  # the cookie beats Accept-Language
    away = client.post("/i18n/setlang/", {"language": "fr", "next": "https://evil.example/"})
    assert away["Location"] == "/"


def test_an_embed_speaks_the_language_its_url_asks_for(client, demo):
    card = FactCard.objects.published().first()
    english = client.get(f"/embed/{card.slug}/", headers={"Accept-Language": "ru"})
    russian = client.get(f"/embed/{card.slug}/?lang=ru")
    assert "Sources" in english.content.decode()  # the article's language, not the reader's
    assert "Источники" in russian.content.decode() and russian["Content-Language"] == "ru"
    assert "Accept-Language" not in russian.get("Vary", "")
    assert english["ETag"] != russian["ETag"]
    unknown = client.get(f"/embed/{card.slug}/?lang=xx")
    assert "Sources" in unknown.content.decode()


def test_the_desk_in_russian_shows_none_of_our_english(client, demo, editor):
    """The desk's own words (ours, not Django's admin, which Django translates)."""
    client.force_login(editor)
    card = FactCard.objects.published().filter(citations__relation="differs").first()
    source = card.citations.first().source
    content = sourced_content() + [editor.username, "demo-reporter", "demo-editor"]
    phrases = english_phrases("ru")
    pages = {
        "desk": "/admin/",
        "cards": "/admin/factcards/factcard/",
        "card": f"/admin/factcards/factcard/{card.pk}/change/",
        "publish step": f"/admin/factcards/factcard/{card.pk}/workflow/retract/",
        "sources": "/admin/factcards/source/",
        "source": f"/admin/factcards/source/{source.pk}/change/",
        "intake": "/admin/factcards/source/intake/",
        "translations": "/admin/factcards/cardtranslation/add/",
    }
    for name, url in pages.items():
        response = client.get(url, headers={"Accept-Language": "ru"})
        assert response.status_code == 200, name
        shown = ours(response.content.decode(), content)
        assert [p for p in phrases if p in shown] == [], name
        assert re.search("[а-я]{4}", shown), name  # and it is in Russian
    desk = client.get("/admin/", headers={"Accept-Language": "ru"}).content.decode()
    assert "Ждут вашей проверки" in desk and "Неработающие ссылки источников" in desk


def test_embed_codes_on_a_russian_page_embed_the_card_in_russian(client, demo):
    card = FactCard.objects.published().first()
    page = client.get(card.get_absolute_url(), headers={"Accept-Language": "ru"}).content.decode()
    assert f"/embed/{card.slug}/?lang=ru" in page  # the iframe code and the live preview
    assert "data-lang=&quot;ru&quot;" in page  # the blockquote, for the loader
    english = client.get(card.get_absolute_url()).content.decode()
    assert "lang=ru" not in english and "data-lang" not in english
    url = f"http://testserver{card.get_absolute_url()}"
    answer = client.get("/oembed/", {"url": url, "lang": "ru"}).json()
    assert f"/embed/{card.slug}/?lang=ru" in answer["html"]
    timeline = client.get(
        "/oembed/",
        {"url": "http://testserver/topics/karabakh-conflict/timeline/?from=abc&to=2029"},
    ).json()
    # A range the timeline page would refuse is not carried into the embed (all years).
    assert 'src="http://testserver/embed/timeline/karabakh-conflict/"' in timeline["html"]
