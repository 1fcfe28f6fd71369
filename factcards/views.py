"""Public pages: everything here reads through FactCard.objects.published() or on_record()."""

import json

from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe
from django.views.decorators.vary import vary_on_headers

from .embeds import embed_codes
from .filters import FactCardFilter
from .models import FactCard

PAGE_SIZE = 20
FACETS = ["kind", "topic", "place", "outlet"]


def facet_rows(filterset, total):
    """Each facet's radio buttons paired with how many of the results fall under them."""
    counts = filterset.facets() if filterset.is_valid() else {name: {} for name in FACETS}
    return {
        name: [
            (radio, total if not radio.data["value"] else counts[name].get(radio.data["value"], 0))
            for radio in filterset.form[name]
        ]
        for name in FACETS
    }


@require_GET
@vary_on_headers("HX-Request")
def card_list(request):
    filterset = FactCardFilter(request.GET, queryset=FactCard.objects.published())
    # Invalid input shows the form's errors and no results, never a guess at what was meant.
    cards = filterset.qs if filterset.is_valid() else FactCard.objects.none()
    page = Paginator(cards.prefetch_related("citations__source"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    template = "factcards/card_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    context = {
        "filter": filterset,
        "page": page,
        "facets": facet_rows(filterset, page.paginator.count),
        "refining": any(request.GET.get(name) for name in [*FACETS, "date_from", "date_to"]),
        "focus_results": bool(request.htmx and (request.htmx.trigger or "").startswith("page")),
    }
    return render(request, template, context)


@require_GET
def card_detail(request, slug):
    queryset = FactCard.objects.on_record().with_sources().prefetch_related("topics", "places")
    card = get_object_or_404(queryset, slug=slug)
    related = (
        FactCard.objects.published()
        .filter(topics__in=card.topics.all())
        .exclude(pk=card.pk)
        .distinct()[:4]
    )
    url = request.build_absolute_uri(card.get_absolute_url())
    context = {
        "card": card,
        "related": related,
        "card_url": url,
        "json_ld": json_for_script(card.json_ld(url)),
        "embed": embed_codes(request, card),
    }
    return render(request, "factcards/card_detail.html", context)


def json_for_script(data):
    """JSON safe inside a <script> element (as json_script escapes it)."""
    text = json.dumps(data, ensure_ascii=False)
    return mark_safe(
        text.translate({ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"})
    )


@require_safe
@never_cache
def healthz(request):
    """Liveness plus a round trip to the database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": str(error)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
