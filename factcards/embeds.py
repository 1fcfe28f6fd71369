"""Cards in other people's pages: the framable card, its loader, oEmbed and the share image.

These responses are cached by CDNs and browsers: each carries an ETag and Last-Modified drawn
from the card's version (bumped by every publish, correction and retraction), answers a
conditional GET with 304 before rendering anything, and has no CSP nonce.
"""

import hashlib
import math
from functools import cache as memoize
from functools import wraps
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control
from django.utils.csp import CSP
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition, require_safe

from . import http_cache
from .models import FactCard
from .share_image import render_share_image

STATIC = Path(settings.BASE_DIR) / "static" / "factcards"
TEMPLATE = Path(settings.BASE_DIR) / "templates" / "factcards" / "embed.html"
THEMES = {"light", "dark"}
EMBED_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": settings.FACTCARDS_EMBED_FRAME_ANCESTORS,
}


@memoize
def render_key():
    """Changes whenever the embed's template, styles or script change (a new deploy)."""
    digest = hashlib.sha256()
    for path in [TEMPLATE, STATIC / "embed.css", STATIC / "embed-child.js"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def card_state(request, slug):
    """(pk, version, status, updated_at) of a card on record, read once per request."""
    cached = getattr(request, "_card_state", None)
    if cached is None or cached[0] != slug:
        state = (
            FactCard.objects.on_record()
            .filter(slug=slug)
            .values_list("pk", "version", "status", "updated_at")
            .first()
        )
        request._card_state = cached = (slug, state)
    return cached[1]


def card_etag(variant):
    """An ETag function for `condition`: the card's state plus what else shapes the response."""

    def etag(request, slug=None):
        slug = slug or slug_from_url(request)
        state = card_state(request, slug) if slug else None
        if state is None:
            return None
        pk, version, status, updated_at = state
        # The version alone would do within one database; the rest guards against a reset one.
        # Whole seconds: a backup (JSON keeps milliseconds) restores the same ETags.
        saved = int(updated_at.timestamp())
        material = f"{render_key()}:{slug}:{pk}:{version}:{status}:{saved}:{variant(request)}"
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
    return get_object_or_404(FactCard.objects.on_record().with_sources(), slug=slug)


def embed_theme(request):
    theme = request.GET.get("theme", "")
    return theme if theme in THEMES else "auto"


@require_safe
@gzip_page
@shared_cache
@xframe_options_exempt
@csp_override(EMBED_CSP)
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


def slug_from_url(request):
    """The slug of the card page or embed that ?url= names on this site, or None."""
    url = request.GET.get("url", "")
    try:
        parts = urlsplit(url)
        # A card's address pasted without its trailing slash is still that card.
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        match = resolve(path)
    except (ValueError, Resolver404):
        return None
    if parts.scheme not in ("http", "https") or parts.netloc != request.get_host():
        return None
    if match.url_name not in ("card_detail", "card_embed"):
        return None
    return match.kwargs["slug"]


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
    """Roughly how tall the embed is at this width: a starting size before it reports its own."""
    chars_per_line = max(20, (width - 34) // 8)

    def lines(text, scale=1.0):
        return max(1, math.ceil(len(text) * scale / chars_per_line))

    height = 60 + 24 * lines(card.statement, 1.25)
    if card.display_value():
        height += 32 * lines(card.display_value(), 1.5)
    citations = list(card.citations.all())
    if card.has_disagreement():
        height += 40 + 22 * sum(1 for c in citations if c.relation == "differs")
        height += 19 * lines(card.value_note, 0.9) if card.value_note else 0
    height += 30 + 22 * len(card.sources())
    height += sum(20 + 19 * lines(c.note, 0.9) for c in card.corrections.all())
    return height + 40


def blockquote_html(card, card_url):
    """The fallback every embed code carries: the fact and its link, readable without a frame;
    for a retracted card, the retraction first."""
    value = card.display_value()
    notice = retraction_notice(card)
    return (
        '<blockquote class="factcard">'
        + (f"<p><strong>Retracted:</strong> {escape(notice)}</p>" if notice is not None else "")
        + f'<p><a href="{escape(card_url)}">{escape(card.statement)}</a></p>'
        + (f"<p>{escape(value)}</p>" if value else "")
        + "</blockquote>"
    )


def retraction_notice(card):
    """The public retraction note of a retracted card ("" if none was kept), else None."""
    if card.status != card.Status.RETRACTED:
        return None
    notes = [c.note for c in card.corrections.all() if c.kind == "retraction"]
    return notes[0] if notes else ""


def iframe_html(card, embed_url, width, height, **attributes):
    attrs = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for name, value in attributes.items()
    )
    return (
        f'<iframe src="{escape(embed_url)}" title="Fact card: {escape(card.statement)}" '
        f'width="{width}" height="{height}"{attrs}></iframe>'
    )


def oembed_html(card, card_url, embed_url, width, height):
    # WordPress keeps a <blockquote> and an <iframe> (no script) from providers it does not know.
    return blockquote_html(card, card_url) + iframe_html(
        card, embed_url, width, height, class_="factcard-embed", frameborder="0", scrolling="no"
    )


def embed_codes(request, card):
    """The three ways to paste a card: the URL (oEmbed), an iframe, a blockquote + loader."""
    card_url = request.build_absolute_uri(card.get_absolute_url())
    embed_url = request.build_absolute_uri(reverse("card_embed", args=[card.slug]))
    loader = f'<script async src="{request.build_absolute_uri(reverse("embed_loader"))}"></script>'
    height = estimate_height(card, settings.FACTCARDS_EMBED_WIDTH)
    return {
        "url": card_url,
        "embed_url": embed_url,
        "height": height,
        "iframe": iframe_html(
            card,
            embed_url,
            "100%",
            height,
            data_factcard=card.slug,
            style="width:100%;border:0",
            scrolling="no",
            loading="lazy",
        )
        + "\n"
        + loader,
        "blockquote": blockquote_html(card, card_url) + "\n" + loader,
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
        raise Http404("That URL is not a fact card on this site.")
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
    embed_url = request.build_absolute_uri(reverse("card_embed", args=[slug]))
    thumb_w, thumb_h = 1200, 630
    if maxwidth and maxwidth < thumb_w:
        thumb_w, thumb_h = maxwidth, round(630 * maxwidth / 1200)
    data = {
        "version": "1.0",
        "type": "rich",
        "title": card.statement
        if retraction_notice(card) is None
        else f"Retracted: {card.statement}",
        "provider_name": settings.FACTCARDS_SITE_NAME,
        "provider_url": request.build_absolute_uri("/"),
        "cache_age": settings.FACTCARDS_OEMBED_CACHE_AGE,
        "html": oembed_html(card, card_url, embed_url, width, height),
        "width": width,
        "height": height,
    }
    if not maxheight or thumb_h <= maxheight:
        data |= {
            "thumbnail_url": request.build_absolute_uri(reverse("card_image", args=[slug])),
            "thumbnail_width": thumb_w,
            "thumbnail_height": thumb_h,
        }
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
