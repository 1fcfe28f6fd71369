"""Public pages: everything here reads through FactCard.objects.published() or on_record()."""

import hashlib
import json
import logging
from functools import cache, wraps

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.paginator import Page, Paginator
from django.db import DatabaseError, connection
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from . import embeds, http_cache, reading, timelines
from .embeds import embed_codes
from .filters import FACETS, FactCardFilter
from .models import Citation, FactCard, cached_by_publication
from .models.publication import cache_get, cache_set, publication_key

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
TOP_OPTIONS = 8  # per facet; "More…" shows the rest


@require_safe
# A shared cache keeps each variant apart: page or fragment, Back-button restore, and the
# pager's focus move (HX-Trigger) render differently.
@vary_on_headers("HX-Request", "HX-History-Restore-Request", "HX-Trigger")
def card_list(request):
    filterset = FactCardFilter(request.GET, queryset=FactCard.objects.published(), request=request)
    # Invalid input shows the form's errors and no results, never a guess at what was meant.
    valid = filterset.is_valid()
    query = filtered_by(filterset)
    if valid:
        count, number, ids = cached_by_publication(
            f"list:{query}:{filtered_by(request.GET.get('page', ''))}",
            lambda: page_of(filterset, request.GET.get("page")),
            request,
        )
    else:
        count, number, ids = 0, 1, []
    expanded = request.GET.get("more") if request.GET.get("more") in FACETS else ""
    focus_results = bool(request.htmx and (request.htmx.trigger or "").startswith("page"))

    @cache
    def context():
        """What the fragments show: read only when a fragment is not in the cache yet."""
        counts = (
            cached_by_publication(f"facets:{query}", filterset.facets, request)
            if valid
            else {name: {} for name in FACETS}
        )
        return {
            "filter": filterset,
            "page": Page(cards_in_order(ids), number, Paginator(range(count), PAGE_SIZE)),
            "count": count,
            "facets": {
                name: facet_options(filterset.form[name], counts[name], name == expanded)
                for name in FACETS
            },
            "expanded": expanded,
            "focus_results": focus_results,
        }

    # The fragments carry nothing personal (no nonce, no token): kept as HTML per
    # publication and query string, so a warm list renders almost nothing.
    known = {"q", "page", "more", "date_from", "date_to", "disagree", "sort", *FACETS}
    asked = sorted((name, values) for name, values in request.GET.lists() if name in known)
    variant = filtered_by([asked, bool(request.htmx), focus_results])

    def fragment(name):
        return cached_by_publication(
            f"html:{name}:{variant}",
            lambda: render_to_string(f"factcards/card_list.html#{name}", context(), request),
            request,
        )

    keys = [http_cache.LIST_KEY, *map(http_cache.card_key, ids)]
    if request.htmx and not request.htmx.history_restore_request:
        return http_cache.shared_page(HttpResponse(fragment("results")), keys)
    page_context = {
        "filter": filterset,
        "count": count,
        "expanded": expanded,
        "refining": any(request.GET.get(name) for name in [*FACETS, "date_from", "date_to"]),
        "facets_html": fragment("facets"),
        "results_html": fragment("results"),
        # For whoever inspects the response (tests): computed only if asked.
        "page": SimpleLazyObject(lambda: context()["page"]),
        "facets": SimpleLazyObject(lambda: context()["facets"]),
    }
    return http_cache.shared_page(render(request, "factcards/card_list.html", page_context), keys)


def filtered_by(filterset_or_text):
    """A short cache key for the filters (the same cards, the same key, however they are
    spelled) or for any other text a URL carries."""
    chosen = filterset_or_text
    if hasattr(chosen, "form"):
        chosen = sorted((k, str(v)) for k, v in chosen.form.cleaned_data.items() if v)
    return hashlib.blake2b(repr(chosen).encode(), digest_size=12).hexdigest()


def page_of(filterset, number):
    """(how many cards, which page, the ids on it): what the list remembers per publication."""
    paginator = Paginator(filterset.qs, PAGE_SIZE)
    total = filterset.matching_total()
    if total is not None:
        paginator.count = total  # from the kept facets: no COUNT(*) over the cards
    page = paginator.get_page(number)
    return page.paginator.count, page.number, [card.pk for card in page.object_list]


def cards_in_order(ids):
    cited = Prefetch("citations", queryset=Citation.objects.select_related("source"))
    cards = FactCard.objects.filter(pk__in=ids).prefetch_related(cited).in_bulk()
    return reading.in_readers_language([cards[pk] for pk in ids if pk in cards])


def facet_options(bound_field, counts, expanded):
    """The facet's radios with their counts: "All", the chosen one, and the options with the
    most cards (all of them when expanded). Also says whether some were left out."""
    chosen = bound_field.value() or ""
    rows = [(radio, counts.get(radio.data["value"], 0)) for radio in bound_field]
    everything, options = rows[0], rows[1:]
    if not expanded:
        top = {
            radio.data["value"]
            for radio, count in sorted(options, key=lambda row: -row[1])[:TOP_OPTIONS]
            if count
        }
        shown = [row for row in options if row[0].data["value"] in top | {chosen}]
    else:
        shown = options
    return {"rows": [everything, *shown], "all": rows, "more": len(shown) < len(options)}


@require_safe
def card_detail(request, slug):
    site = request.build_absolute_uri("/")  # the links inside are absolute
    # "card-page": the parts now carry their surrogate keys; older entries are not read.
    # The day too: past its check-by date a card says when it was last checked.
    day = timezone.localdate().isoformat()
    parts = cached_by_publication(
        f"card-page:{filtered_by([slug, site, day])}",
        lambda: card_page_parts(request, slug),
        request,
    )
    if not parts:
        raise Http404("No card on record at this address.")
    response = render(request, "factcards/card_detail.html", {"parts": parts})
    return http_cache.shared_page(response, parts["keys"])


def card_page_parts(request, slug):
    """The card page's pieces as HTML, kept until the next publication; {} when there is no
    card on record at this slug (kept too, so a missing card costs no query either)."""
    queryset = FactCard.objects.on_record().with_sources().prefetch_related("topics", "places")
    card = queryset.filter(slug=slug).first()
    if card is None:
        return {}
    reading.in_readers_language([card])
    url = request.build_absolute_uri(card.get_absolute_url())
    context = {
        "card": card,
        "related": reading.in_readers_language(FactCard.objects.related_to(card)),
        "embed": embed_codes(request, card),
    }
    parts = {
        name: render_to_string(f"factcards/card_detail.html#{name}", context, request)
        for name in ("title", "description", "meta", "content")
    }
    # What the page shows: the card, its sources, and its topics' newest cards (related).
    keys = [
        http_cache.card_key(card.pk),
        *(http_cache.source_key(source.pk) for source in card.sources()),
        *(http_cache.topic_key(topic.pk) for topic in card.topics.all()),
        *(http_cache.card_key(other.pk) for other in context["related"]),
    ]
    return {**parts, "json_ld": json_for_script(reading.json_ld(card, url)), "keys": keys}


def per_publication(view):
    """Serve a public page that carries nothing personal (feeds, sitemaps) from the cache
    until the next publication: never stale, computed once per publication."""

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        # Host and scheme shape the links inside; other query parameters don't matter.
        url = request.build_absolute_uri(request.path)
        key = publication_key(f"page:{filtered_by([url, request.GET.get('p')])}", request)
        response = cache_get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            if response.status_code == 200:
                cache_set(key, response)
        # A feed or sitemap lists cards: any publication may change it.
        return http_cache.shared_page(response, [http_cache.LIST_KEY])

    return cached_view


def json_for_script(data):
    """JSON safe inside a <script> element (as json_script escapes it)."""
    text = json.dumps(data, ensure_ascii=False)
    return mark_safe(
        text.translate({ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"})
    )


@require_safe
@never_cache
def healthz(request):
    """Liveness, plus a round trip to the database and to the cache. Says only ok or down:
    hosts, ports and error messages go to the log, not to whoever asks."""
    database = "ok" if database_answers() else "down"
    cache_state = "ok" if cache_answers() else "down"
    if database == "down":
        status = "unavailable"
    else:
        status = "ok" if cache_state == "ok" else "degraded"  # serving, from the database
    response = JsonResponse(
        {"status": status, "database": database, "cache": cache_state},
        status=503 if database == "down" else 200,
    )
    if database == "down":
        response["Retry-After"] = str(settings.FACTCARDS_RETRY_AFTER)
    return response


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Health check: the database does not answer: %s", error)
        return False
    return True


def cache_answers():
    if hasattr(django_cache, "ping"):  # Redis (factcards.cache): asked directly
        return django_cache.ping()
    try:
        django_cache.set("factcards:healthz", "ok", 10)
        return django_cache.get("factcards:healthz") == "ok"
    except Exception:  # noqa: BLE001 - any cache failure means "down"
        return False


@require_safe
# A shared cache keeps the page and the fragment htmx asks for (a zoom) apart.
@vary_on_headers("HX-Request", "HX-History-Restore-Request")
def timeline(request, kind, slug):
    """A topic's or a place's dated cards in time; ?from=&to= zooms to those years."""
    asked = timelines.asked_range(request.GET)
    site = request.build_absolute_uri("/")  # the embed codes inside are absolute
    parts = cached_by_publication(
        f"timeline:{kind}:{filtered_by([slug, site, sorted(asked.items())])}",
        lambda: timeline_parts(request, kind, slug, asked),
        request,
    )
    if not parts:
        raise Http404(f"No published cards carry this {kind}.")
    keys = [http_cache.LIST_KEY]  # any publication may change a timeline
    if request.htmx and not request.htmx.history_restore_request:
        return http_cache.shared_page(HttpResponse(parts["timeline"]), keys)
    return http_cache.shared_page(render(request, "factcards/timeline.html", parts), keys)


def timeline_parts(request, kind, slug, asked):
    """The timeline page's pieces, kept until the next publication; {} when no published card
    carries the tag (a tag only drafts carry is not public yet)."""
    tag = timelines.TAGS[kind].objects.filter(slug=slug).first()
    if tag is None or not tag.cards.published().exists():
        return {}
    form = timelines.RangeForm(asked)
    line = timelines.timeline(kind, tag, *form.years())
    path = request.path
    context = {"line": line, "form": form, "asked": asked, "path": path}
    page_url = request.build_absolute_uri(path)
    embed = None
    if kind == "topic":
        embed = embeds.timeline_embed_codes(request, line, asked)
    return {
        "timeline": render_to_string("factcards/timeline.html#timeline", context, request),
        "line": {"kind": kind, "name": tag.name, "slug": tag.slug, "years": line.years},
        "embed": embed,
        "page_url": page_url,
    }
