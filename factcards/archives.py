"""Our archived copies of sources, for readers: a page that says what it is, framing the copy
as we fetched it. The copy is served sandboxed (no script runs, it loads nothing from anywhere)
and neither page is indexed: it is evidence, not a mirror."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from .intake.fetch import read_warc
from .models import ArchivedCopy, FactCard

NOINDEX = "noindex, nofollow, noarchive"
COPY_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["data:"],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}


def archived_copy_of(pk):
    """The newest copy of a source that a card on record cites (drafts' sources stay private)."""
    if not 0 < pk < 2**63:  # no row has it; the database would refuse the number itself
        raise Http404("No archived copy here.")
    cited = FactCard.objects.on_record().filter(citations__source=pk)
    if not cited.exists():
        raise Http404("No archived copy here.")
    copy = ArchivedCopy.objects.filter(source=pk).select_related("source").first()
    if copy is None:
        raise Http404("No archived copy here.")
    return copy


@require_safe
def archived_copy(request, pk):
    copy = archived_copy_of(pk)
    cards = FactCard.objects.on_record().filter(citations__source=pk).distinct()[:20]
    response = render(
        request,
        "factcards/archived_copy.html",
        {"copy": copy, "source": copy.source, "cards": cards},
    )
    response["X-Robots-Tag"] = NOINDEX
    return response


@require_safe
@xframe_options_sameorigin
@csp_override(COPY_CSP)
def archived_page(request, pk):
    copy = archived_copy_of(pk)
    page = read_warc(bytes(copy.warc))
    if page.content_type in ("text/html", "application/xhtml+xml"):
        charset = f"; charset={page.charset}" if page.charset else ""
        response = HttpResponse(page.body, content_type=f"text/html{charset}")
    else:
        response = HttpResponse(page.body, content_type="application/octet-stream")
        response["Content-Disposition"] = "attachment"
    response["X-Robots-Tag"] = NOINDEX
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "public, max-age=86400"
    return response
