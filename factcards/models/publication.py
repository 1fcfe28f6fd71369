"""The publication counter: what readers can see changes only when it moves."""

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F


class Publication(models.Model):
    """One row. Every publish, correction, retraction and change to a cited source bumps it
    in the same transaction, so a cache keyed by it is never stale, on any server."""

    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "publication state"

    def __str__(self):
        return f"publication {self.version}"

    @classmethod
    def current(cls):
        """The counter as committed now: one indexed read."""
        return cls.objects.filter(pk=1).values_list("version", flat=True).first() or 0

    @classmethod
    def bump(cls, cards=()):
        """Readers may now see something new: `cards` (ids) are the cards that changed, whose
        facets are brought up to date in the same transaction."""
        from . import facets

        if not cls.objects.filter(pk=1).update(version=F("version") + 1):
            with transaction.atomic():
                cls.objects.get_or_create(pk=1, defaults={"version": 1})
        facets.refresh(cards)


def publication_key(key, request=None):
    """`key` in the namespace of the current publication; with a request, the counter is read
    once for all of that request's lookups."""
    if request is None:
        return f"factcards:{Publication.current()}:{key}"
    if not hasattr(request, "publication_state"):
        request.publication_state = Publication.current()
    return f"factcards:{request.publication_state}:{key}"


def cache_get(key):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - a cache that is down is a miss, never an error
        return None


def cache_set(key, value, timeout=24 * 3600):
    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001
        pass


def cached_by_publication(key, compute, request=None):
    """`compute()`, remembered until the next publication (a cache outage just computes)."""
    full_key = publication_key(key, request)
    value = cache_get(full_key)
    if value is None:
        value = compute()
        cache_set(full_key, value)
    return value
