"""Cross-origin reads of the API: django-cors-headers asks this for every request."""

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver

READS = ("GET", "HEAD")


@receiver(check_request_enabled, dispatch_uid="factcards-api-cors")
def cors_for_reads(sender, request, **kwargs):
    """Under /api/ only, GET and HEAD, and the preflight asking for them: a page elsewhere may
    read the API, never write to it (there is nothing to write, and no CORS for trying)."""
    if not request.path_info.startswith("/api/"):
        return False
    if request.method in READS:
        return True
    asked = request.headers.get("Access-Control-Request-Method", "").upper()
    return request.method == "OPTIONS" and asked in READS
