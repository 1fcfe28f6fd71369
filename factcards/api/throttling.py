"""Per-client throttling of the API, counted in the Django cache."""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle


def counting_cache():
    """The shared cache (every server's requests count), or, while it is down, this
    process's memory: a limit per server beats none when the database takes every request."""
    shared = caches["default"]
    return caches["local"] if getattr(shared, "is_down", False) else shared


class ClientThrottle(AnonRateThrottle):
    """FACTCARDS_API_RATE requests per client address (DRF's NUM_PROXIES says which one)."""

    scope = "api"

    @property
    def cache(self):
        return counting_cache()

    def get_rate(self):
        return settings.FACTCARDS_API_RATE

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - a cache failing in an unforeseen way never stops the API
            return True
