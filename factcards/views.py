"""Public pages: everything here reads through FactCard.objects.published() or on_record()."""

from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import FactCard


def with_sources(queryset):
    return queryset.prefetch_related("citations__source", "corrections", "topics", "places")


@require_GET
def card_list(request):
    cards = with_sources(FactCard.objects.published())
    page = Paginator(cards, 20).get_page(request.GET.get("page"))
    return render(request, "factcards/card_list.html", {"page": page})


@require_GET
def card_detail(request, slug):
    card = get_object_or_404(with_sources(FactCard.objects.on_record()), slug=slug)
    return render(request, "factcards/card_detail.html", {"card": card})


@require_GET
@never_cache
def healthz(request):
    """Liveness plus a round trip to the database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": str(error)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
