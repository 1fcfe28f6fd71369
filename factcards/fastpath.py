"""Public pages answered from the cache before the rest of the middleware and the view run.

An embed sits in articles read by many (and oEmbed answers in the CMSes that paste it),
and the list and card pages are what readers browse: each warm request should cost what a
static file costs. The whole response the full stack produced (body and every header:
ETag, Cache-Control, the CSP, surrogate keys) is kept per publication state, deploy, site,
path and variant (the query string, htmx's headers, gzip or not, the day); a request for
it is answered from that copy, as a 304 where the reader's copy is current. Only responses
the view marked as shared (Cache-Control: public, no cookie) are kept: nothing personal.
Anything else goes through the stack.
"""

import hashlib
import re
import threading
from collections import OrderedDict

from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from .embeds import THEMES, render_key
from .models.publication import cache_get, cache_set, publication_key
from .outage import SERVED_FROM

EMBED = re.compile(r"^/embed/(?P<slug>[-a-zA-Z0-9_]+)/$")
CARD = re.compile(r"^/cards/(?P<slug>[-a-zA-Z0-9_]+)/$")
# What a 304 carries of the 200 it stands for (the rest describes a body it does not have).
NO_BODY = {"content-type", "content-length", "content-encoding", "content-language"}
# The list's own Vary (views.card_list): a fragment for htmx, a whole page otherwise.
HTMX_HEADERS = ("HX-Request", "HX-History-Restore-Request", "HX-Trigger")


class FastPathMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        page = variant(request)
        if page is None:
            return self.get_response(request)
        key = publication_key(f"fast:{render_key()}:{page}", request)
        kept = recent.get(key) or cache_get(key)
        if kept is not None:
            recent.put(key, kept)
            return replay(request, *kept)
        response = self.get_response(request)
        # Not a copy served for an outage: it may have been made for an earlier state.
        if keepable(response):
            kept = (response.content, list(response.items()))
            cache_set(key, kept)
            recent.put(key, kept)
        return response


class Recent:
    """The pages this process answered last, by their key (which names the publication
    state, so never stale): a hit then costs no cache round trip and no unpickling."""

    def __init__(self, size):
        self.size, self.kept, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            kept = self.kept.get(key)
            if kept is not None:
                self.kept.move_to_end(key)
            return kept

    def clear(self):
        with self.lock:
            self.kept.clear()

    def put(self, key, kept):
        with self.lock:
            self.kept[key] = kept
            self.kept.move_to_end(key)
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)


recent = Recent(size=500)


def variant(request):
    """What shapes a public page's bytes, as a short key; None for any other path. Always
    the site (links inside are absolute), gzip or not and the day (past its check-by date
    a card says when it was last checked, with no publication)."""
    path = request.path_info
    if match := EMBED.match(path):
        # Other query parameters, such as pym.js's childId, are read by the embed's script.
        theme = request.GET.get("theme", "")
        shape = ["embed", match["slug"], theme if theme in THEMES else "auto"]
    elif match := CARD.match(path):
        shape = ["card", match["slug"]]
    elif path == "/":
        query = sorted(request.GET.lists())
        shape = ["list", query, *(request.headers.get(name, "") for name in HTMX_HEADERS)]
    elif path == "/oembed/":
        shape = ["oembed", sorted(request.GET.lists())]
    else:
        return None
    gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    site = f"{request.scheme}://{request.get_host()}"
    day = timezone.localdate().isoformat()
    digest = hashlib.blake2b(repr([site, shape]).encode(), digest_size=12).hexdigest()
    return f"{shape[0]}:{digest}:{'gz' if gzip else 'id'}:{day}"


def keepable(response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and SERVED_FROM not in response
        and "public" in response.get("Cache-Control", "")
        and "cookie" not in response.get("Vary", "").lower()
    )


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
