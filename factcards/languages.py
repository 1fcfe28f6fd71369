"""Which language a request is answered in.

Pages: the reader's choice (the cookie Django's set_language view sets), else the first
language of their browser's Accept-Language that the site speaks, else English; responses
say `Vary: Accept-Language` (deploy/varnish.vcl turns the cookie into that header, so a shared
cache keeps one copy per language). Embeds, oEmbed, the embed loader and the API: `?lang=`
only, so that an embed speaks the language of the article it is in, whoever reads it, and a
CDN keeps one copy per URL.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

BY_QUERY = ("/embed/", "/oembed/", "/embed.js", "/api/")
SPOKEN = {code for code, _ in settings.LANGUAGES}


def chosen(request):
    if request.path_info.startswith(BY_QUERY):
        asked = request.GET.get("lang", "")
        return asked if asked in SPOKEN else settings.LANGUAGE_CODE
    return translation.get_language_from_request(request)


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        if not request.path_info.startswith(BY_QUERY):
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response
