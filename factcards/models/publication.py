"""The publication counter: what readers can see changes only when it moves.

Every app server reads it for each public request. With a per-process cache that is one
indexed read of the database; with a cache every server shares (Redis), it is read from
there: a publication clears it in its transaction and sets it once committed, and a copy
is kept a second at most, so a reader that raced the commit sees the new state within that
second. When the database cannot be reached, nothing can be published either: the last
state seen still holds, so what the caches keep for it is still current and is served;
only what needs the database answers 503.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.db.models import F
from django.utils import translation

from .. import http_cache


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
        """The counter as committed now: one read by primary key (in SQL as written: every
        public request asks, and building the query would cost more than running it)."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT version FROM {table} WHERE id = 1")
            row = cursor.fetchone()
        return row[0] if row else 0

    @classmethod
    def bump(cls, cards=(), sources=(), topics=()):
        """Readers may now see something new: `cards` (ids) are the cards that changed, whose
        facets are brought up to date in the same transaction; `sources` and `topics` (ids)
        changed with them. Once it commits, the HTTP caches in front drop every page showing
        any of them, and every list."""
        from . import facets

        if not cls.objects.filter(pk=1).update(version=F("version") + 1):
            with transaction.atomic():
                cls.objects.get_or_create(pk=1, defaults={"version": 1})
        facets.refresh(cards)
        forget_state()
        transaction.on_commit(remember_state)
        http_cache.purge_on_commit(
            [
                http_cache.LIST_KEY,
                *map(http_cache.card_key, cards),
                *map(http_cache.source_key, sources),
                *map(http_cache.topic_key, topics),
            ]
        )


STATE_KEY = "factcards:publication-state"
LAST_STATE_KEY = "factcards:publication-state:last"
STATE_SECONDS = 1
last_seen = {}  # this process's last reading, for an outage when there is no shared cache


def publication_state(request=None):
    """The counter as readers should see it now (see the module's docstring); a request it
    was read for during an outage is marked `during_outage`."""
    state = cache_get(STATE_KEY) if settings.FACTCARDS_SHARED_CACHE else None
    if state is None:
        try:
            state = Publication.current()
        except (OperationalError, InterfaceError):
            state = last_state()
            if state is None:
                raise
            if request is not None:
                request.during_outage = True
            return state
        if settings.FACTCARDS_SHARED_CACHE:
            cache_set(STATE_KEY, state, timeout=STATE_SECONDS)
            # Kept without expiry, and written again at each reading (a second at most),
            # however long since the last publication: an outage's only source.
            cache_set(LAST_STATE_KEY, state, timeout=None)
    last_seen["state"] = state
    return state


def last_state():
    """The newest state any server saw, for an outage of the database. With a shared cache,
    only what it says (asked even while paused after a failure): this process's own last
    reading may be older than a publication another server made, and serving for it would
    bring back a card as it was before a correction. Without one (a single server), this
    process's last reading."""
    if not settings.FACTCARDS_SHARED_CACHE:
        return last_seen.get("state")
    try:
        ask = getattr(cache, "get_now", cache.get)
        return ask(LAST_STATE_KEY)
    except Exception:  # noqa: BLE001 - a cache that can't answer says nothing
        return None


def forget_state():
    if settings.FACTCARDS_SHARED_CACHE:
        try:
            cache.delete(STATE_KEY)
        except Exception:  # noqa: BLE001 - a cache that is down has nothing to forget
            pass


def remember_state():
    if settings.FACTCARDS_SHARED_CACHE:
        state = Publication.current()
        cache_set(STATE_KEY, state, timeout=STATE_SECONDS)
        cache_set(LAST_STATE_KEY, state, timeout=None)


def publication_key(key, request=None):
    """`key` in the namespace of the current publication; with a request, the counter is read
    once for all of that request's lookups."""
    language = translation.get_language() or settings.LANGUAGE_CODE  # pages differ by it
    if request is None:
        return f"factcards:{publication_state()}:{language}:{key}"
    if not hasattr(request, "publication_state"):
        request.publication_state = publication_state(request)
    return f"factcards:{request.publication_state}:{language}:{key}"


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
