"""What the worker does with sources: take a link in, keep an archived copy, check links, and
spot the cards a new source disagrees with. Every fetch goes through intake.fetch (SSRF rules,
size and time limits); nothing here runs inside a transaction while it waits on the network."""

import hashlib
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.tasks import task
from django.utils import timezone

from ..models import (
    ArchivedCopy,
    FactCard,
    Intake,
    LinkCheck,
    Place,
    Publication,
    Source,
    SuggestedDifference,
    Topic,
)
from ..models.fields import link_key
from . import candidates as found
from .extract import as_text, extract_html
from .fetch import FetchError, FetchFailed, fetch, warc_record

logger = logging.getLogger(__name__)

HTML_TYPES = {"text/html", "application/xhtml+xml"}


# --- a link in --------------------------------------------------------------------------------


def intake_link(url, user):
    """Record a link to take in and have the worker fetch it once this commits."""
    intake = Intake.objects.create(url=url, created_by=user)
    transaction.on_commit(lambda: take_in.enqueue(intake.pk))
    return intake


@task()
def take_in(intake_pk):
    """Fetch the link, extract its article, store it as a source with our archived copy."""
    intake = Intake.objects.filter(pk=intake_pk, status=Intake.Status.WAITING).first()
    if intake is None:
        return "Nothing to do: already taken in."
    try:
        page = fetch(intake.url)
        problem = page_problem(page)
        if problem:
            return fail(intake, problem)
        article = extract_html(markup(page), url=page.final_url)
    except (FetchError, ValueError) as error:
        return fail(intake, str(error))
    with transaction.atomic():
        # Taken in by another run of this task while this one fetched: nothing more to do.
        intake = Intake.objects.select_for_update().get(pk=intake.pk)
        if intake.status != Intake.Status.WAITING:
            return "Nothing to do: already taken in."
        existing = same_link(intake.url, page.final_url)
        if existing:
            source, intake.existing = existing, True
        else:
            source = Source(
                title=article.title[:300],
                outlet=article.outlet[:200],
                byline=article.byline[:200],
                url=intake.url,
                published_on=article.published_on,
                retrieved_on=timezone.localdate(),
                language=article.language[:12],
                full_text=article.text,
            )
            source.save(by=intake.created_by)
            keep_copy(source, page, article.text)
        intake.source, intake.status = source, Intake.Status.DONE
        intake.finished_at = timezone.now()
        intake.save()
    if not intake.existing:
        suggest_differences(source)
        ask_public_archive(source)
    return f"Taken in as source {source.pk}."


def page_problem(page):
    """Why a fetched page can't become a source (None when it can)."""
    if page.status != 200:
        return (
            f"The page answered {page.status} {page.reason}: nothing was stored. Check the "
            "link, or save the page from your browser and upload it as a file."
        )
    if page.content_type not in HTML_TYPES:
        kind = page.content_type or "an unnamed type"
        return (
            f"This link gives {kind}, not a web page: factcards reads HTML pages. Paste the "
            "text instead."
        )
    return None


def fail(intake, message):
    intake.status, intake.error, intake.finished_at = Intake.Status.FAILED, message, timezone.now()
    intake.save(update_fields=["status", "error", "finished_at"])
    return message


def same_link(*urls):
    keys = {link_key(url) for url in urls} - {""}
    return Source.objects.filter(link_key__in=keys).order_by("pk").first()


def keep_copy(source, page, text=""):
    """Our archived copy of a page as fetched: a WARC record, with the extracted text."""
    return ArchivedCopy.objects.create(
        source=source,
        url=page.url,
        final_url=page.final_url,
        status=page.status,
        fetched_at=timezone.now(),
        warc=warc_record(page),
        size=len(page.body),
        sha256=hashlib.sha256(page.body).hexdigest(),
        text=text,
    )


def source_added(source):
    """A source was stored by hand, from a file or a text: the worker archives its page (when
    it has a link) and looks for the cards its figures disagree with (when it has a text)."""
    if source.url and not source.archived_copies.exists():
        transaction.on_commit(lambda: archive_source.enqueue(source.pk))
    if source.full_text:
        transaction.on_commit(lambda: look_for_differences.enqueue(source.pk))


@task()
def archive_source(source_pk):
    source = Source.objects.filter(pk=source_pk).exclude(url="").first()
    if source is None or source.archived_copies.exists():
        return "Nothing to archive."
    try:
        page = fetch(source.url)
    except FetchError as error:
        return f"Not archived: {error}"
    if page.status != 200:
        return f"Not archived: the page answered {page.status}."
    text = ""
    if page.content_type in HTML_TYPES:
        try:
            text = extract_html(markup(page), url=page.final_url).text
        except ValueError:
            pass  # a copy of a page without article text is still a copy
    keep_copy(source, page, text)
    ask_public_archive(source)
    return "Archived."


def ask_public_archive(source):
    """When FACTCARDS_PUBLIC_ARCHIVE names a "save page now" address (e.g.
    https://web.archive.org/save/), ask it to keep the page too and note where its copy is."""
    prefix = settings.FACTCARDS_PUBLIC_ARCHIVE
    copy = source.archived_copies.first()
    if not prefix or not source.url or copy is None:
        return None
    try:
        answer = fetch(prefix + source.url)
    except FetchError as error:
        logger.warning("The public archive did not answer for %s: %s", source.url, error)
        return None
    location = dict((k.lower(), v) for k, v in answer.headers).get("content-location", "")
    if answer.status == 200:
        copy.public_copy = (
            answer.final_url if not location else urlsplit(prefix)._replace(path=location).geturl()
        )[:500]
        copy.save(update_fields=["public_copy"])
    return copy.public_copy


def markup(page):
    """A fetched page's HTML: as text when its Content-Type names the charset, else its bytes
    (read by their own <meta charset>, or as UTF-8)."""
    return page.text() if page.charset else page.body


# --- link health -------------------------------------------------------------------------------

# A heading that says only "not found" (once the site's name after " | " is dropped): an
# article that merely mentions one ("Hikers could not be found, police say") is no such page.
HEADING_PARTS = re.compile(r"\s+(?:[|\u2013\u2014:-]|::)\s+")
LEADING_WORDS = re.compile(r"^(?:(?:error|oops|whoops|sorry|were|we|that|this|the)\s+)*")
NOT_FOUND = re.compile(
    r"(?:(?:error\s+)?(?:404|410)(?:\s+error)?\s*)?"
    r"(?:(?:page|article|story|content|file)\s+)?"
    r"(?:not found|(?:can ?not|cant|could not|couldnt) be found|"
    r"(?:does not|doesnt|no longer) exists?|(?:is\s+)?no longer available|unavailable)"
    r"|(?:error\s+)?(?:404|410)(?:\s+error)?|410 gone"
)


def says_not_found(heading):
    for part in HEADING_PARTS.split(heading):
        words = re.sub(r"[^\w\s]", "", part.lower()).split()
        if NOT_FOUND.fullmatch(LEADING_WORDS.sub("", " ".join(words))):
            return True
    return False


def looks_not_found(page, asked):
    """A 200 that is really a 'not found' page: sent to the home page, or titled just so."""
    asked_path, final_path = urlsplit(asked).path.strip("/"), urlsplit(page.final_url).path
    if asked_path and final_path.strip("/") == "":
        return True
    if page.content_type not in HTML_TYPES:
        return False
    import lxml.html

    try:
        tree = lxml.html.fromstring(as_text(markup(page)))
    except (ValueError, lxml.etree.ParserError):
        return False
    headings = [element.text_content() for element in tree.xpath("//title | //h1")]
    return any(says_not_found(" ".join(heading.split())) for heading in headings)


def check_link(source):
    """Check the link once and record what it does; the card pages citing it change when it
    breaks or comes back (they then offer, or stop offering, our archived copy)."""
    started = timezone.now()
    status, final_url, redirects, message = None, "", [], ""
    try:
        page = fetch(source.url)
    except FetchFailed as error:
        outcome, message = OUTCOME_OF_FAILURE.get(error.code, LinkCheck.Outcome.FAILING), str(error)
    except FetchError as error:
        # Refused by our own rules: a page too big to read still exists; anything else
        # (an address now private, a redirect to another scheme) fails.
        message = str(error)
        outcome = LinkCheck.Outcome.OK if error.code == "too_big" else LinkCheck.Outcome.FAILING
    else:
        status, final_url = page.status, page.final_url
        redirects = [[code, url] for code, url in page.redirects]
        if status in (404, 410):
            outcome = LinkCheck.Outcome.MISSING
        elif status >= 400:
            outcome = LinkCheck.Outcome.FAILING
        elif looks_not_found(page, source.url):
            outcome = LinkCheck.Outcome.SOFT_404
        elif redirects:
            outcome = LinkCheck.Outcome.REDIRECTED
        else:
            outcome = LinkCheck.Outcome.OK
    previous = source.link_checks.first()
    elapsed = timezone.now() - started
    with transaction.atomic():
        check = LinkCheck.objects.create(
            source=source,
            url=source.url,
            checked_at=timezone.now(),
            outcome=outcome,
            status=status,
            final_url=final_url[:500],
            redirects=redirects,
            message=message,
            elapsed_ms=int(elapsed.total_seconds() * 1000),
        )
        was_broken = previous is not None and previous.is_broken
        if check.is_broken != was_broken:
            cards = FactCard.objects.on_record().filter(citations__source=source)
            Publication.bump(cards=list(cards.values_list("pk", flat=True)), sources=[source.pk])
    return check


OUTCOME_OF_FAILURE = {
    "dns": LinkCheck.Outcome.DOMAIN_GONE,
    "timeout": LinkCheck.Outcome.TIMEOUT,
}


@task()
def check_source_link(source_pk):
    recent = timezone.now() - timedelta(hours=1)
    source = Source.objects.filter(pk=source_pk).exclude(url="").first()
    if source is None or source.link_checks.filter(checked_at__gte=recent).exists():
        return "Nothing to check."
    return str(check_link(source))


def links_due(now=None):
    """Sources whose link was never checked, or not for FACTCARDS_LINK_CHECK_DAYS: the oldest
    first, at most FACTCARDS_LINK_CHECK_BATCH of them."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.FACTCARDS_LINK_CHECK_DAYS)
    sources = Source.objects.exclude(url="").annotate(last=Max("link_checks__checked_at"))
    sources = sources.filter(Q(last__isnull=True) | Q(last__lt=cutoff))
    sources = sources.order_by(F("last").asc(nulls_first=True), "pk")
    return sources.values_list("pk", flat=True)[: settings.FACTCARDS_LINK_CHECK_BATCH]


def schedule_link_checks():
    """The periodic job: one task per link due for a check (the network waits happen there,
    not in this job's transaction)."""
    due = list(links_due())
    for pk in due:
        check_source_link.enqueue(pk)
    return f"Links to check: {len(due)}."


def broken_links():
    """Sources whose newest check found the link broken, the most recently checked first."""
    sources = Source.objects.exclude(url="").with_link_state()
    return sources.filter(link_outcome__in=LinkCheck.BROKEN).order_by("-link_checked_at")


# --- disagreements spotted on intake -----------------------------------------------------------


@task()
def look_for_differences(source_pk):
    source = Source.objects.filter(pk=source_pk).first()
    made = suggest_differences(source) if source else []
    return f"Differences suggested: {len(made)}."


WORD = re.compile(r"[^\W\d_]+")
UNIT_STOPWORDS = {"of", "the", "a", "an", "and", "in", "with", "to", "for", "on"}


def unit_words(unit):
    """The words naming what a figure counts, lower-cased and singular enough to compare:
    "ethnic Armenians" and "Armenian ethnic" give the same set."""
    words = set()
    for word in WORD.findall(unit.lower()):
        if word in UNIT_STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


def named_in(text, tags):
    folded = text.casefold()
    return [tag.pk for tag in tags if tag.name.casefold() in folded]


def stated(figure):
    """The number as the source gives it, hedge and all ("around 100,000"), without the unit."""
    surface = figure.surface
    if figure.unit and surface.endswith(figure.unit):
        surface = surface[: -len(figure.unit)]
    return surface.strip(" ,;:")


def suggest_differences(source):
    """For every figure the source states, the cards counting the same thing (same unit words,
    a topic or place the source names) with another number: suggest citing the source there as
    giving a different value. Returns the suggestions made."""
    stated_in = found.candidates(source.full_text, published=source.published_on)
    figures = [c for c in stated_in if c.kind == "figure" and c.unit]
    if not figures:
        return []
    topics = named_in(source.full_text, Topic.objects.all())
    places = named_in(source.full_text, Place.objects.all())
    if not topics and not places:
        return []
    cards = (
        FactCard.objects.filter(kind=FactCard.Kind.FIGURE, value__isnull=False)
        .filter(Q(topics__in=topics) | Q(places__in=places))
        .exclude(status=FactCard.Status.RETRACTED)
        .exclude(revision_of__isnull=False)
        .exclude(citations__source=source)
        .distinct()
    )
    by_words = {}
    for card in cards.only("pk", "unit", "value"):
        by_words.setdefault(unit_words(card.unit), []).append(card)
    made = []
    for figure in figures:
        words = unit_words(figure.unit)
        for card_words, same in by_words.items():
            if not card_words or not (card_words <= words or words <= card_words):
                continue
            for card in same:
                if card.value == figure.value:
                    continue
                suggestion, created = SuggestedDifference.objects.get_or_create(
                    card=card,
                    source=source,
                    stated_value=stated(figure)[:200],
                    defaults={
                        "excerpt": source.full_text[figure.sentence_start : figure.sentence_end]
                    },
                )
                if created:
                    made.append(suggestion)
    return made
