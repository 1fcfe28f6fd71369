from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from . import views

app_name = "api"


class Schema(views.StrictParameters, SpectacularAPIView):
    """The OpenAPI document. Its one version is the API's: a `version` asked for in the
    query string (drf-spectacular would echo it into a header) is an unknown parameter."""

    def known_parameters(self):
        return {"format", "lang"}

    def handle_exception(self, exc):
        # Its errors in JSON, as every other endpoint's, not as an OpenAPI document.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class NoSuchEndpoint(APIView):
    """Anything else under /api/: a JSON 404, as a client of the API expects."""

    schema = None  # not an endpoint to document

    def get(self, request, *args, **kwargs):
        raise NotFound("No such endpoint. See /api/docs/ for the API's endpoints.")


urlpatterns = [
    path("cards/", views.CardList.as_view(), name="card_list"),
    path("cards/<slug:slug>/", views.CardDetail.as_view(), name="card_detail"),
    path("sources/", views.SourceList.as_view(), name="source_list"),
    path("schema/", Schema.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="factcards/api_docs.html"
        ),
        name="docs",
    ),
    re_path(r"^.*$", NoSuchEndpoint.as_view()),
]
