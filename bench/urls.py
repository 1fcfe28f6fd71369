"""The site's URLs and /bench/bare: a view that does nothing, served through every middleware."""

from django.http import HttpResponse
from django.urls import path

from newsroom.urls import urlpatterns as site


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *site]
