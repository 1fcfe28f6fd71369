"""When the database is down: a 503 that says "back shortly", embeds from the cache.

Nothing here needs the database or the template engine: the page is a string, in the
reader's language, so it can be sent whatever else is broken.
"""

import logging
import sys
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults

from .models.publication import publication_key

logger = logging.getLogger(__name__)

SERVED_FROM = "X-Factcards-Served-From"

# A database that cannot be reached, or went away mid-request. Other database errors
# (integrity, programming) are bugs, and stay 500s.
UNREACHABLE = (OperationalError, InterfaceError)

BACK_SHORTLY = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{title}</title>
</head>
<body>
<h1>{title}</h1>
<p>{text}</p>
</body>
</html>
"""


def back_shortly_page():
    """The page in the reader's language: gettext reads the catalogues in memory."""
    return BACK_SHORTLY.format(
        lang=translation.get_language() or settings.LANGUAGE_CODE,
        title=escape(_("Back shortly")),
        text=escape(
            _(
                "The fact cards are unavailable for a moment while we fix a problem on our "
                "side. Nothing is lost. Please try again in a minute."
            )
        ),
    ).encode()


def back_shortly(request=None):
    """503 with Retry-After; never kept by a browser or a CDN. In JSON for the API, whose
    clients read its errors as JSON."""
    if request is not None and request.path_info.startswith("/api/"):
        response = HttpResponse(API_BACK_SHORTLY, status=503, content_type="application/json")
    else:
        response = HttpResponse(
            back_shortly_page(), status=503, content_type="text/html; charset=utf-8"
        )
    response["Retry-After"] = str(settings.FACTCARDS_RETRY_AFTER)
    patch_cache_control(response, no_store=True)
    return response


API_BACK_SHORTLY = (
    b'{"detail": "The fact cards are unavailable for a moment while we fix a problem on '
    b'our side. Nothing is lost. Please try again in a minute."}'
)


class DatabaseUnavailableMiddleware:
    """A view (or its template) that finds the database unreachable answers 503, not 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNREACHABLE):
            logger.warning(
                "Database unreachable, answering 503 for %s: %s", request.path, exception
            )
            return back_shortly(request)
        return None


def server_error(request):
    """handler500: a database outage met outside a view (a middleware saving the session,
    say) is still a 503; anything else is the usual 500."""
    if isinstance(sys.exc_info()[1], UNREACHABLE):
        return back_shortly(request)
    return defaults.server_error(request)


def kept_for_outages(variant):
    """Keep the last rendered response of a view in the cache, per publication state, URL
    argument and `variant(request)`; when the database is unreachable, serve that copy, its
    headers included, and say so in X-Factcards-Served-From. Only a copy made since the
    last publication is served: a card corrected or retracted since is "back shortly",
    never its earlier claim."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            key = publication_key(
                "outage-copy:"
                + ":".join(
                    [view.__name__, *map(str, args), *map(str, kwargs.values()), variant(request)]
                ),
                request,
            )
            try:
                response = view(request, *args, **kwargs)
            except UNREACHABLE as error:
                kept = cache.get(key)
                if kept is None:
                    # Answered here, inside the view's own decorators, so that an embed's
                    # "back shortly" can show in the frame (its CSP, no X-Frame-Options).
                    logger.warning("Database unreachable, nothing kept for %s: %s", key, error)
                    return back_shortly(request)
                logger.warning("Database unreachable, %s served from the cache: %s", key, error)
                return restored(request, kept)
            if response.status_code == 200 and not response.streaming:
                copy = (response.content, list(response.items()))
                cache.set(key, copy, timeout=settings.FACTCARDS_OUTAGE_COPY_SECONDS)
            return response

        return wrapped

    return decorator


def restored(request, kept):
    content, headers = kept
    etag = dict((name.lower(), value) for name, value in headers).get("etag")
    if etag and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
        headers = [(n, v) for n, v in headers if n.lower() in ("etag", "last-modified", "vary")]
    else:
        response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    response[SERVED_FROM] = "cache (the database is unavailable)"
    return response
