"""Request and response handling around every view: NUL characters refused, pages compressed."""

from django.http import HttpResponseBadRequest
from django.middleware.gzip import GZipMiddleware
from django.urls import reverse

NUL_MESSAGE = (
    "The request contains a NUL character (\\0), which no field here accepts. Remove it and "
    "try again."
)


class RefuseNulCharactersMiddleware:
    """PostgreSQL can't store or compare text with a NUL in it, and the admin's search, list
    filters and autocomplete (and third-party admin views) pass parameters to queries
    unvalidated: on PostgreSQL one NUL made a 500. Browsers never send one from typing, so
    the request is refused with a 400 that says why. The public site's forms validate their
    input themselves and show the error in the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(reverse("admin:index")) and self.has_nul(request):
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def has_nul(request):
        params = [request.GET] + ([request.POST] if request.method == "POST" else [])
        texts = [request.path] + [
            text for query in params for key, values in query.lists() for text in [key, *values]
        ]
        return any("\x00" in text for text in texts)


class PublicGZipMiddleware(GZipMiddleware):
    """Compress public pages (the list shrinks about tenfold). Not the editorial desk: its
    pages carry session secrets, which compression could leak (BREACH)."""

    def process_response(self, request, response):
        if request.path.startswith(reverse("admin:index")):
            return response
        return super().process_response(request, response)
