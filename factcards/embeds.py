"""Cards in other people's pages: the framable card, its loader, oEmbed and the share image.

These responses are cached by CDNs and browsers: each carries an ETag and Last-Modified drawn
from the card's version (bumped by every publish, correction and retraction), answers a
conditional GET with 304 before rendering anything, and has no CSP nonce.
"""

import datetime
import hashlib
import math
from functools import cache as memoize
from functools import wraps
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.csp import CSP
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition, require_safe

from . import http_cache, reading, timelines
from .models import FactCard, Topic
from .models.publication import publication_key
from .outage import kept_for_outages
from .share_image import render_share_image

STATIC = Path(settings.BASE_DIR) / "static" / "factcards"
TEMPLATE = Path(settings.BASE_DIR) / "templates" / "factcards" / "embed.html"
THEMES = {"light", "dark"}
EMBED_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],  # the beacon to the embed registry, /registry/seen
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": settings.FACTCARDS_EMBED_FRAME_ANCESTORS,
}


def catalogues():
    """The compiled translations: the embeds' words change with them."""
    return sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.mo"))


@memoize
def render_key():
    """Changes whenever the embed's template, styles or script change (a new deploy)."""
    digest = hashlib.sha256()
    for path in [TEMPLATE, STATIC / "embed.css", STATIC / "embed-child.js", *catalogues()]:
        digest.update(path.read_bytes())
    digest.update(reading.site_name().encode())  # the embed, oEmbed and image name the site
    return digest.hexdigest()[:12]


def card_state(request, slug):
    """(pk, version, status, updated_at, check_by) of a card on record, read once per
    request. `updated_at` is also the moment a card fell due for a check, if later: from then
    on it says when it was last checked, with no write to the card."""
    cached = getattr(request, "_card_state", None)
    if cached is None or cached[0] != slug:
        state = (
            FactCard.objects.on_record()
            .filter(slug=slug)
            .values_list("pk", "version", "status", "updated_at", "check_by")
            .first()
        )
        if state and state[2] == FactCard.Status.PUBLISHED and FactCard.check_is_due(state[4]):
            fell_due = datetime.datetime.combine(
                state[4] + datetime.timedelta(days=1),
                datetime.time(),
                timezone.get_current_timezone(),
            )
            state = (*state[:3], max(state[3], fell_due), state[4])
        request._card_state = cached = (slug, state)
    return cached[1]


def card_etag(variant):
    """An ETag function for `condition`: the card's state plus what else shapes the response."""

    def etag(request, slug=None):
        slug = slug or slug_from_url(request)
        state = card_state(request, slug) if slug else None
        if state is None:
            return None
        pk, version, status, updated_at, _ = state
        # The version alone would do within one database; the rest guards against a reset one.
        # Whole seconds: a backup (JSON keeps milliseconds) restores the same ETags.
        saved = int(updated_at.timestamp())
        language = translation.get_language()
        material = f"{render_key()}:{slug}:{pk}:{version}:{status}:{saved}:{language}:"
        material += variant(request)
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    return etag


def card_modified(request, slug=None):
    slug = slug or slug_from_url(request)
    state = card_state(request, slug) if slug else None
    return state[3] if state else None


def shared_cache(view):
    """Cache-Control and surrogate keys for responses that browsers and CDNs may keep, 304s
    included."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            patch_cache_control(response, **settings.FACTCARDS_EMBED_CACHE)
            # The card it shows (read by the ETag check); a 304 names it too, since a cache
            # takes a revalidated copy's headers from the 304. A change to a source purges
            # the cards citing it.
            state = getattr(request, "_card_state", (None, None))[1]
            if state is not None:
                http_cache.tag(response, [http_cache.card_key(state[0])])
        return response

    return wrapped


def public_card(slug):
    """The card on record at `slug`, in the reader's language where a translation is
    published; 404 for anything else."""
    card = get_object_or_404(FactCard.objects.on_record().with_sources(), slug=slug)
    return reading.in_readers_language([card])[0]


def embed_theme(request):
    theme = request.GET.get("theme", "")
    return theme if theme in THEMES else "auto"


@require_safe
@gzip_page
@shared_cache
@xframe_options_exempt
@csp_override(EMBED_CSP)
@kept_for_outages(embed_theme)
@condition(etag_func=card_etag(embed_theme), last_modified_func=card_modified)
def card_embed(request, slug):
    """The framable card: tiny, self-contained, reporting its height to the parent page."""
    card = public_card(slug)
    context = {
        "card": card,
        "theme": embed_theme(request),
        "card_url": request.build_absolute_uri(card.get_absolute_url()),
    }
    return render(request, "factcards/embed.html", context)


@require_safe
@shared_cache
@condition(etag_func=lambda request: render_key() + loader_key())
def embed_loader(request):
    """/embed.js: the script producers paste once to turn blockquotes into live cards."""
    response = HttpResponse(loader_source(), content_type="text/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@memoize
def loader_source():
    return (STATIC / "embed-loader.js").read_bytes()


@memoize
def loader_key():
    return hashlib.sha256(loader_source()).hexdigest()[:12]


# --- oEmbed -------------------------------------------------------------------------------


def named_by_url(request, *url_names):
    """(URL match, URL parts) of the page of this site that ?url= names, if it is one of
    `url_names`; else None."""
    url = request.GET.get("url", "")
    try:
        parts = urlsplit(url)
        # An address pasted without its trailing slash is still that page.
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        match = resolve(path)
    except (ValueError, Resolver404):
        return None
    if parts.scheme not in ("http", "https") or parts.netloc != request.get_host():
        return None
    return (match, parts) if match.url_name in url_names else None


def slug_from_url(request):
    """The slug of the card page or embed that ?url= names on this site, or None."""
    named = named_by_url(request, "card_detail", "card_embed")
    return named[0].kwargs["slug"] if named else None


def oembed_variant(request):
    return urlencode(sorted(request.GET.items()))


def dimension(request, name):
    """A positive whole number from the query string, None when absent; ValueError if bad."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    value = int(raw)  # raises ValueError for "abc", "1.5", ""
    if value <= 0:
        raise ValueError(name)
    return value


def estimate_height(card, width):
    """How tall the embed is at this width, from embed.css's sizes: the frame's height before
    the card reports its own, erring on the tall side (a frame cut short hides the card's end).
    """
    inner = width - 34  # .fc's padding and border

    def block(text, font_px, line_height, em=0.55):
        """Pixels for text at this size wrapped to the frame (em: the mean glyph width)."""
        per_line = max(8, int(0.92 * inner / (font_px * em)))  # words wrap before the edge
        return math.ceil(len(text) / per_line) * font_px * line_height if text else 0

    height = 30 + 18  # the frame of the card, its kind
    notice = reading.retraction_notice(card)
    if notice is not None:
        height += 28 + block(f"Retracted September 00, 0000: {notice}", 13, 1.45)
    height += 6 + block(card.statement, 18, 1.3, em=0.58)
    note = reading.translated_note(card)
    if note:
        height += 6 + block(note, 13, 1.45)
    value = reading.display_value(card)
    if value:
        height += 6 + block(value, 22, 1.2, em=0.64)
    if card.differing_citations:
        credits = ", ".join(reading.credits(card.supporting_citations))
        height += 54 + block(f"{value or card.statement} {credits} (this card)", 15, 1.45) + 4
        for citation in card.differing_citations:
            height += 4 + block(
                f"{citation.stated_value} {reading.credit(citation.source)}", 15, 1.45
            )
        if card.value_note:
            height += 8 + block(card.value_note, 13, 1.45)
    height += 32  # "Sources"
    for source in reading.sources(card):
        height += 4 + block(f"{reading.credit(source)} (no link), September 00, 0000", 15, 1.45)
    for correction in card.correction_notes:
        height += 10 + block(f"Corrected September 00, 0000: {correction.note}", 13, 1.45)
    height += 12 + block(f"See the card and its quoted sources · {reading.site_name()}", 12, 1.45)
    return math.ceil(height) + 8


def in_language(url):
    """An embed's address in the language of the moment: `?lang=` unless it is the site's."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={language}"


def language_attribute():
    """The blockquote's data-lang, for the loader to build the embed in that language."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return "" if language == settings.LANGUAGE_CODE else format_html(' data-lang="{}"', language)


def blockquote_html(card, card_url):
    """The fallback every embed code carries: the fact and its link, readable without a frame;
    for a retracted card, the retraction first."""
    notice = reading.retraction_notice(card)
    value = reading.display_value(card)
    return format_html(
        '<blockquote class="factcard"{}>{}<p><a href="{}">{}</a></p>{}</blockquote>',
        language_attribute(),
        format_html("<p><strong>{}</strong> {}</p>", _("Retracted:"), notice)
        if notice is not None
        else "",
        card_url,
        card.statement,
        format_html("<p>{}</p>", value) if value else "",
    )


def iframe_html(card, embed_url, width, height, **attributes):
    """An iframe of the card; attribute names as keywords (class_ for class, data_x for data-x;
    True for a bare attribute)."""
    attrs = format_html_join(
        "",
        ' {}="{}"',
        (
            (name.rstrip("_").replace("_", "-"), value)
            for name, value in attributes.items()
            if value is not True
        ),
    )
    bare = "".join(f" {name}" for name, value in attributes.items() if value is True)
    return format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}"{}{}></iframe>',
        embed_url,
        _("Fact card: %(statement)s") % {"statement": card.statement},
        width,
        height,
        attrs,
        mark_safe(bare),
    )


def loader_html(request):
    loader = request.build_absolute_uri(reverse("embed_loader"))
    return format_html('<script async src="{}"></script>', loader)


def oembed_html(request, card, card_url, embed_url, width, height):
    """The fact once, whoever shows it: the blockquote; the iframe, hidden until the loader
    (or WordPress's own embed script, which keeps the pair and strips the rest) swaps the
    quote for the live card; the loader, as Twitter's oEmbed answer carries its own."""
    return (
        blockquote_html(card, card_url)
        + iframe_html(
            card,
            embed_url,
            width,
            height,
            class_="factcard-embed",
            data_factcard=card.slug,
            frameborder="0",
            scrolling="no",
            hidden=True,
        )
        + loader_html(request)
    )


def embed_codes(request, card):
    """The three ways to paste a card: the URL (oEmbed), an iframe, a blockquote + loader."""
    card_url = request.build_absolute_uri(card.get_absolute_url())
    embed_url = in_language(request.build_absolute_uri(reverse("card_embed", args=[card.slug])))
    height = estimate_height(card, settings.FACTCARDS_EMBED_WIDTH)
    iframe = iframe_html(
        card,
        embed_url,
        "100%",
        height,
        data_factcard=card.slug,
        style="width:100%;border:0",
        scrolling="no",
        loading="lazy",
    )
    return {
        "url": card_url,
        "embed_url": embed_url,
        "height": height,
        "iframe": iframe + "\n" + loader_html(request),
        "blockquote": blockquote_html(card, card_url) + "\n" + loader_html(request),
    }


@require_safe
@shared_cache
@condition(etag_func=card_etag(oembed_variant), last_modified_func=card_modified)
def oembed(request):
    """oEmbed provider (https://oembed.com/): type rich, JSON or XML."""
    fmt = request.GET.get("format", "json")
    if fmt not in ("json", "xml"):
        return HttpResponse(
            "Unknown format: ask for format=json or format=xml.",
            status=501,
            content_type="text/plain; charset=utf-8",
        )
    slug = slug_from_url(request)
    if slug is None:
        timeline = timeline_from_url(request)
        if timeline is not None:
            return timeline_oembed(request, *timeline, fmt)
        raise Http404("That URL is not a fact card or a timeline on this site.")
    try:
        maxwidth, maxheight = dimension(request, "maxwidth"), dimension(request, "maxheight")
    except ValueError:
        return HttpResponseBadRequest(
            "maxwidth and maxheight must be whole numbers of pixels, greater than 0.",
            content_type="text/plain; charset=utf-8",
        )
    card = public_card(slug)
    width = min(settings.FACTCARDS_EMBED_WIDTH, maxwidth or settings.FACTCARDS_EMBED_WIDTH)
    height = estimate_height(card, width)
    if maxheight:
        height = min(height, maxheight)
    card_url = request.build_absolute_uri(card.get_absolute_url())
    embed_url = in_language(request.build_absolute_uri(reverse("card_embed", args=[slug])))
    thumb_w, thumb_h = reading.SHARE_IMAGE_SIZE
    if maxwidth and maxwidth < thumb_w:
        thumb_w, thumb_h = maxwidth, round(thumb_h * maxwidth / thumb_w)
    data = {
        "version": "1.0",
        "type": "rich",
        "title": reading.headline(card),
        "provider_name": reading.site_name(),
        "provider_url": request.build_absolute_uri("/"),
        "cache_age": settings.FACTCARDS_OEMBED_CACHE_AGE,
        "html": oembed_html(request, card, card_url, embed_url, width, height),
        "width": width,
        "height": height,
    }
    if not maxheight or thumb_h <= maxheight:
        data |= {
            "thumbnail_url": request.build_absolute_uri(reverse("card_image", args=[slug])),
            "thumbnail_width": thumb_w,
            "thumbnail_height": thumb_h,
        }
    return oembed_response(data, fmt)


def oembed_response(data, fmt):
    if fmt == "xml":
        root = ElementTree.Element("oembed")
        for key, value in data.items():
            ElementTree.SubElement(root, key).text = str(value)
        body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
        return HttpResponse(body, content_type="text/xml; charset=utf-8")
    return JsonResponse(data)


# --- the share image ------------------------------------------------------------------------


def image_variant(request):
    return "png"


@require_safe
@shared_cache
@condition(etag_func=card_etag(image_variant), last_modified_func=card_modified)
def card_image(request, slug):
    """/cards/<slug>.png: 1200×630 for social cards and oEmbed thumbnails."""
    # Drawing takes tens of milliseconds: keep each version's image in the shared cache.
    key = f"factcards:card-png:{card_etag(image_variant)(request, slug)}"
    png = cache.get(key)
    if png is None:
        png = render_share_image(public_card(slug))
        cache.set(key, png, timeout=7 * 24 * 3600)
    return HttpResponse(png, content_type="image/png")


# --- timelines ------------------------------------------------------------------------------

TIMELINE_FILES = [
    Path(settings.BASE_DIR) / "templates" / "factcards" / name
    for name in ("embed_timeline.html", "_timeline.html")
] + [STATIC / "embed.css", STATIC / "timeline.css", STATIC / "embed-child.js"]


@memoize
def timeline_render_key():
    """Changes whenever the timeline embed's templates, styles or script change."""
    digest = hashlib.sha256(reading.site_name().encode())
    for path in [*TIMELINE_FILES, *catalogues()]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def timeline_variant(request):
    return f"{embed_theme(request)}:{timelines.asked_range(request.GET).urlencode()}"


def timeline_etag(request, slug):
    """A timeline changes with any publication: the publication state names its version."""
    state = publication_key("timeline", request)  # the state, in the language asked for
    material = f"{timeline_render_key()}:{state}:{slug}:{timeline_variant(request)}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def listing_cache(view):
    """Cache-Control for browsers and CDNs, and the surrogate key of every listing: any
    publication purges it."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            patch_cache_control(response, **settings.FACTCARDS_EMBED_CACHE)
            http_cache.tag(response, [http_cache.LIST_KEY])
        return response

    return wrapped


def public_timeline(slug, asked):
    """The timeline of a topic that published cards carry, or 404."""
    topic = get_object_or_404(Topic, slug=slug)
    if not topic.cards.published().exists():
        raise Http404("No published cards carry this topic.")
    years = timelines.RangeForm(asked).years()
    return timelines.timeline("topic", topic, *years, width=timelines.EMBED_WIDTH)


@require_safe
@gzip_page
@listing_cache
@xframe_options_exempt
@csp_override(EMBED_CSP)
@kept_for_outages(timeline_variant)
@condition(etag_func=timeline_etag)
def timeline_embed(request, slug):
    """The framable timeline of a topic (?from=&to= for some years): resizes like a card."""
    asked = timelines.asked_range(request.GET)
    line = public_timeline(slug, asked)
    page_url = request.build_absolute_uri(reverse("topic_timeline", args=[slug]))
    context = {
        "line": line,
        "theme": embed_theme(request),
        "page_url": page_url + (f"?{asked.urlencode()}" if asked else ""),
    }
    return render(request, "factcards/embed_timeline.html", context)


def timeline_height(line, width):
    """About how tall the timeline embed is at this width (it reports its own once shown)."""
    height = 30 + 28 + 24  # the frame, the heading, the legend
    if line.picture:
        height += math.ceil(line.picture.height * (width - 34) / line.picture.width)
    per_line = max(8, int((width - 60) / 8))
    for event in line.events:
        text = f"{event.dated.when} {event.card.statement}"
        height += 6 + 21 * math.ceil(len(text) / per_line) + 20 * len(event.others)
    return height + 40


def timeline_iframe(line, embed_url, width, height, **attributes):
    return format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}" data-factcard="{}"{}></iframe>',
        embed_url,
        _("Timeline: %(name)s") % {"name": line.tag.name},
        width,
        height,
        f"timeline-{line.tag.slug}",
        format_html_join("", ' {}="{}"', attributes.items()),
    )


def timeline_embed_codes(request, line, asked):
    """How to paste a topic's timeline: its URL (oEmbed) or an iframe with the loader."""
    query = f"?{asked.urlencode()}" if asked else ""
    url = request.build_absolute_uri(reverse("topic_timeline", args=[line.tag.slug])) + query
    embed_url = request.build_absolute_uri(reverse("timeline_embed", args=[line.tag.slug]))
    embed_url = in_language(embed_url + query)
    height = timeline_height(line, settings.FACTCARDS_EMBED_WIDTH)
    iframe = timeline_iframe(
        line, embed_url, "100%", height, style="width:100%;border:0", scrolling="no"
    )
    return {"url": url, "embed_url": embed_url, "iframe": iframe + "\n" + loader_html(request)}


def timeline_from_url(request):
    """(topic slug, asked range) of the timeline page or embed that ?url= names, or None."""
    named = named_by_url(request, "topic_timeline", "timeline_embed")
    if named is None:
        return None
    match, parts = named
    # Only years that are years go on into the embed's address.
    first, last = timelines.RangeForm(timelines.asked_range(QueryDict(parts.query))).years()
    asked = QueryDict(mutable=True)
    for name, year in (("from", first), ("to", last)):
        if year:
            asked[name] = str(year)
    return match.kwargs["slug"], asked


def timeline_oembed(request, slug, asked, fmt):
    try:
        maxwidth, maxheight = dimension(request, "maxwidth"), dimension(request, "maxheight")
    except ValueError:
        return HttpResponseBadRequest(
            "maxwidth and maxheight must be whole numbers of pixels, greater than 0.",
            content_type="text/plain; charset=utf-8",
        )
    line = public_timeline(slug, asked)
    width = min(settings.FACTCARDS_EMBED_WIDTH, maxwidth or settings.FACTCARDS_EMBED_WIDTH)
    height = timeline_height(line, width)
    if maxheight:
        height = min(height, maxheight)
    query = f"?{asked.urlencode()}" if asked else ""
    embed_url = request.build_absolute_uri(reverse("timeline_embed", args=[slug])) + query
    embed_url = in_language(embed_url)
    iframe = timeline_iframe(line, embed_url, width, height, frameborder="0", scrolling="no")
    data = {
        "version": "1.0",
        "type": "rich",
        "title": _("Timeline: %(name)s") % {"name": line.tag.name},
        "provider_name": reading.site_name(),
        "provider_url": request.build_absolute_uri("/"),
        "cache_age": settings.FACTCARDS_OEMBED_CACHE_AGE,
        "html": iframe + loader_html(request),
        "width": width,
        "height": height,
    }
    return http_cache.tag(oembed_response(data, fmt), [http_cache.LIST_KEY])
