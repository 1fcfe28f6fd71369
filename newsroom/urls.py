from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from factcards import archives, embeds, registry, views
from factcards.feeds import CardFeed
from factcards.sitemaps import CardSitemap
from factcards.views import per_publication

SITEMAPS = {"sitemaps": {"cards": CardSitemap}}
# A database outage met outside a view is a 503 too (factcards.outage).
handler500 = "factcards.outage.server_error"
# The API answers JSON, its 404s too.
handler404 = "factcards.api.views.not_found"

urlpatterns = [
    path("", views.card_list, name="card_list"),
    path("cards/<slug:slug>/", views.card_detail, name="card_detail"),
    path("cards/<slug:slug>.png", embeds.card_image, name="card_image"),
    path("embed/<slug:slug>/", embeds.card_embed, name="card_embed"),
    path("embed.js", embeds.embed_loader, name="embed_loader"),
    path(
        "topics/<slug:slug>/timeline/",
        views.timeline,
        {"kind": "topic"},
        name="topic_timeline",
    ),
    path(
        "places/<slug:slug>/timeline/",
        views.timeline,
        {"kind": "place"},
        name="place_timeline",
    ),
    path("embed/timeline/<slug:slug>/", embeds.timeline_embed, name="timeline_embed"),
    path("oembed/", embeds.oembed, name="oembed"),
    path("feed/", per_publication(CardFeed()), name="feed"),
    path(
        "sitemap.xml",
        per_publication(sitemaps.index),
        {**SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        per_publication(sitemaps.sitemap),
        SITEMAPS,
        name="sitemap_section",
    ),
    path("sources/<int:pk>/archived/", archives.archived_copy, name="archived_copy"),
    path("sources/<int:pk>/archived/page", archives.archived_page, name="archived_page"),
    path("healthz", views.healthz, name="healthz"),
    # The language switcher on public pages, which carry no CSRF token (shared caches keep
    # them): choosing a language is all it can do, and the redirect stays on this site.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    # The read-only JSON API (issue 10): factcards/api/.
    path("api/", include("factcards.api.urls")),
    # Where cards live (issue 11): embeds report their articles, CMSs register them.
    path("registry/seen", registry.report_seen, name="registry_seen"),
    path("registry/articles", registry.register_article, name="registry_articles"),
]
