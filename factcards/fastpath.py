"""Embeds answered from the cache before the rest of the middleware and the view run.

An embed sits in articles read by many: each warm request should cost what a static file
costs. The whole response the full stack produced (body and every header: ETag, Cache-Control,
the embed's CSP, surrogate keys) is kept per publication state, deploy, card and variant
(theme, gzip or not); a request for it is answered from that copy, as a 304 where the
reader's copy is current. Anything else (a miss, another path) goes through the stack.
"""

import re

from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from .embeds import THEMES, render_key
from .models.publication import cache_get, cache_set, publication_key
from .outage import SERVED_FROM

EMBED = re.compile(r"^/embed/(?P<slug>[-a-zA-Z0-9_]+)/$")
# What a 304 carries of the 200 it stands for (the rest describes a body it does not have).
NO_BODY = {"content-type", "content-length", "content-encoding", "content-language"}


class EmbedFastPathMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = EMBED.match(request.path_info)
        if match is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        key = publication_key(f"embed-response:{render_key()}:{variant(request, match)}", request)
        kept = cache_get(key)
        if kept is not None:
            return replay(request, *kept)
        response = self.get_response(request)
        # Not a copy served for an outage: it may have been made for an earlier state.
        if keepable(response):
            cache_set(key, (response.content, list(response.items())))
        return response


def keepable(response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and SERVED_FROM not in response
    )


def variant(request, match):
    """What shapes the embed's bytes: the card, the theme, whether it is gzip'd, and the day
    (past its check-by date a card says when it was last checked, with no publication).
    (Other query parameters, such as pym.js's childId, are read by the embed's script only.)"""
    theme = request.GET.get("theme", "")
    gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    day = timezone.localdate().isoformat()
    return f"{match['slug']}:{theme if theme in THEMES else 'auto'}:{'gz' if gzip else 'id'}:{day}"


def not_modified(request, headers):
    found = {name.lower(): value for name, value in headers}
    last_modified = parse_http_date_safe(found.get("last-modified", ""))
    return get_conditional_response(request, etag=found.get("etag"), last_modified=last_modified)


def replay(request, content, headers):
    """The kept response, or a 304 when the reader's copy is this one (Django's own rules
    for If-None-Match and If-Modified-Since)."""
    conditional = "if-none-match" in request.headers or "if-modified-since" in request.headers
    if conditional and isinstance(not_modified(request, headers), HttpResponseNotModified):
        # Vary stays, as RFC 9110 asks of a 304 (the view's own 304 leaves it out).
        response = HttpResponseNotModified()
        headers = [(name, value) for name, value in headers if name.lower() not in NO_BODY]
        headers.append(("Content-Length", "0"))  # as Django's CommonMiddleware sends it
    else:
        response = HttpResponse(content)
    for name, value in headers:
        response[name] = value  # each was checked when the view's response was made
    outage = getattr(request, "during_outage", False)
    response[SERVED_FROM] = "cache (the database is unavailable)" if outage else "cache"
    return response
