"""The embed registry: which articles show each card, learnt without a database write per view.

An embedded card reports the article around it (embed-child.js: the address the loader gives
it, else the Referer's origin) to /registry/seen. That request only checks the address and
counts it in the registry's cache (Redis when REDIS_URL is set, else files beside the
project), in windows of FACTCARDS_REGISTRY_WINDOW seconds; `flush_registry`, in the worker,
adds each closed window to the database. Garbage (not http(s), an IP address or a private
host name, too long, an origin not listed, a slug that is not a card on record) is never
stored. A CMS registers articles itself at /registry/articles with its token.
"""

import fcntl
import hashlib
import ipaddress
import json
import logging
import os
import re
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.http import HttpResponse, JsonResponse
from django.tasks import task
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.throttling import SimpleRateThrottle

from .models import ArticleUse, CmsClient, FactCard
from .models.fields import untracked

logger = logging.getLogger(__name__)

URL_MAX = 2000  # characters: longer is no article's address
REPORT_MAX_BYTES = 4096
CMS_MAX_BYTES = 16384
KEEP = 24 * 3600  # seconds the cache keeps a window that no flush took
GRACE = 5  # seconds after a window closes before it is flushed: servers' clocks differ a little
clock = time.time
ticks = time.monotonic  # how long repeat views wait in memory (see Repeats)
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")
# Host names that only mean something inside one network: never an article's address.
PRIVATE_SUFFIXES = (
    "localhost",
    "localdomain",
    "local",
    "internal",
    "intranet",
    "lan",
    "home",
    "corp",
    "home.arpa",
    "invalid",
)
DEFAULT_PORTS = {"http": 80, "https": 443}


class RejectedURL(ValueError):
    """An address the registry does not record, and why (for the person who sent it)."""


def is_ip_address(host):
    """Whether a host is an IP address, in any of the forms browsers read as one (1.2.3.4,
    ::1, and the numeric or hex forms such as 2130706433 or 0x7f.1)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    last = host.rsplit(".", 1)[-1]
    return last.isdigit() or last.startswith("0x")


def article_url(raw):
    """The article's address as the registry keeps it (scheme and host in lower case, no
    default port, no tracking parameters, no fragment), or RejectedURL saying why not."""
    if not isinstance(raw, str) or not raw.strip():
        raise RejectedURL("No article address was given.")
    raw = raw.strip()
    if len(raw) > URL_MAX:
        raise RejectedURL(f"An article's address is at most {URL_MAX} characters.")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in raw):
        raise RejectedURL("An article's address has no spaces or control characters.")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, as JSON's \ud800 can send
        raise RejectedURL("This is not a web address.") from None
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as error:
        raise RejectedURL("This is not a web address.") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise RejectedURL("Only http:// and https:// articles are recorded.")
    if parts.username is not None or parts.password is not None:
        raise RejectedURL("An article's address carries no user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise RejectedURL("This address names no site.")
    if "%" in host:
        raise RejectedURL("This address's site name is not valid.")
    if is_ip_address(host):
        raise RejectedURL("Sites are recorded by name, not by IP address.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise RejectedURL("This address's site name is not valid.") from error
    if "." not in host or host.endswith(tuple(f".{s}" for s in PRIVATE_SUFFIXES)):
        raise RejectedURL("Private and local sites are not recorded: only public ones.")
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    url = urlunsplit((scheme, netloc, parts.path or "/", urlencode(untracked(parts.query)), ""))
    if len(url) > URL_MAX:
        raise RejectedURL(f"An article's address is at most {URL_MAX} characters.")
    return url


def origin_allowed(url):
    """Whether FACTCARDS_EMBED_REPORT_ORIGINS (when set) lists the article's site: exact
    origins, or https://*.example.org for a domain and its subdomains."""
    allowed = settings.FACTCARDS_EMBED_REPORT_ORIGINS
    if not allowed:
        return True
    parts = urlsplit(url)
    for origin in allowed:
        listed = urlsplit(origin.rstrip("/"))
        if listed.scheme != parts.scheme:
            continue
        if listed.netloc == parts.netloc:
            return True
        if listed.netloc.startswith("*."):
            domain = listed.netloc[2:]
            if parts.netloc == domain or parts.netloc.endswith("." + domain):
                return True
    return False


# --- the buffer: counts in the cache, by window -------------------------------------------


def buffer():
    return caches[settings.FACTCARDS_REGISTRY_CACHE]


@contextmanager
def buffer_lock():
    """Redis's add and incr are atomic; the file cache's are a read then a write, and two
    reports at once (threads, or a server's worker processes) lost one another's counts and
    slots. Over files, the buffer's changes take turns under a lock file beside them."""
    store = buffer()
    if not isinstance(store, FileBasedCache):
        yield
        return
    os.makedirs(store._dir, exist_ok=True)
    with open(os.path.join(store._dir, "registry.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def window_of(moment):
    return int(moment // settings.FACTCARDS_REGISTRY_WINDOW)


def pair_key(window, slug, url):
    digest = hashlib.sha256(f"{slug} {url}".encode()).hexdigest()[:32]
    return f"seen:{window}:{digest}"


class Repeats:
    """This process's repeat views: a pair it already counted in the cache this window is
    counted here, and the sum added to the cache about once every DRAIN_SECONDS (at the next
    report, when the window changes, at a flush by this process, or by a timer when no report
    comes). A first view always goes straight to the cache, so no article is learnt late."""

    def __init__(self):
        self.lock = threading.Lock()
        self.window, self.known, self.counts, self.drained_at = None, set(), Counter(), 0.0
        self.timer = None

    def take(self, key, window, now):
        """Count a view of `key`: (whether it is a repeat, counted here; what this process
        holds that is due to be added to the cache now)."""
        with self.lock:
            due = {}
            if window != self.window or now - self.drained_at >= DRAIN_SECONDS:
                due, self.counts, self.drained_at = dict(self.counts), Counter(), now
            if window != self.window:
                self.window, self.known = window, set()
            if key in self.known:
                self.counts[key] += 1
                if self.timer is None or not self.timer.is_alive():
                    # Held views reach the cache a second later, even with no next report.
                    self.timer = threading.Timer(DRAIN_SECONDS, drain_repeats, [self])
                    self.timer.daemon = True
                    self.timer.start()
                return True, due
            if len(self.known) < settings.FACTCARDS_REGISTRY_MAX_ARTICLES:
                self.known.add(key)
            return False, due

    def knows(self, slug, url, moment):
        """Whether this process counted the pair in the current window already."""
        return pair_key(window_of(moment), slug, url) in self.known

    def drain(self):
        with self.lock:
            due, self.counts = dict(self.counts), Counter()
        return due


repeats = Repeats()
DRAIN_SECONDS = 1.0


def add_counts(store, due):
    """Add repeat views to their pairs' counts in the cache."""
    for key, views in due.items():
        try:
            store.incr(key, views)
        except ValueError:  # the pair's count is gone (flushed, evicted): only these remain
            store.add(key, views, KEEP)


def note(slug, url, moment=None):
    """Count one view of card `slug` in article `url` (already checked): cache only, and
    for a pair this process has seen this window, its memory (see Repeats)."""
    moment = clock() if moment is None else moment
    window = window_of(moment)
    store = buffer()
    key = pair_key(window, slug, url)
    repeat, due = repeats.take(key, window, ticks())
    if repeat and not due:
        return
    try:
        with buffer_lock():
            add_counts(store, due)
            if repeat:
                return
            if not store.add(key, 1, KEEP):
                store.incr(key)
                return
            # A new pair this window: give it a numbered slot, so that the flush finds it.
            store.add(f"seen:{window}:n", 0, KEEP)
            slot = store.incr(f"seen:{window}:n")
            if slot <= settings.FACTCARDS_REGISTRY_MAX_ARTICLES:
                store.set(f"seen:{window}:{slot}", (slug, url, int(moment)), KEEP)
    except Exception:  # noqa: BLE001 - a cache that is down loses a count, never a page
        logger.warning("The registry's cache is unavailable: a view went uncounted.")


class NewArticles(SimpleRateThrottle):
    """How many articles new to this server one address may report a minute: a reader's
    browser reports the few it reads, a script filling the registry thousands (counted in
    this process's memory, by the address DRF's NUM_PROXIES picks, as the API's throttle)."""

    scope = "registry"

    @property
    def cache(self):
        return caches["local"]

    def get_rate(self):
        return settings.FACTCARDS_REGISTRY_NEW_PER_CLIENT

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def too_many_new(request):
    return not NewArticles().allow_request(request, None)


def drain_repeats(holder=None):
    """Add what this process holds to the cache (the timer Repeats sets, a flush)."""
    due = (holder or repeats).drain()
    if due:
        try:
            with buffer_lock():
                add_counts(buffer(), due)
        except Exception:  # noqa: BLE001
            logger.warning("The registry's cache is unavailable: views went uncounted.")


def flush(up_to=None):
    """Add every window that closed (GRACE seconds) before `up_to` (now) to the database;
    returns how many articles were counted. Two flushes at once take each window once."""
    up_to = clock() if up_to is None else up_to
    current = window_of(up_to - GRACE)
    store = buffer()
    drain_repeats()  # this process's own repeats (the worker has none)
    oldest = current - KEEP // settings.FACTCARDS_REGISTRY_WINDOW
    done = store.get("seen:flushed")
    seen = defaultdict(lambda: [0, None, None])  # (slug, url) → [views, first, last]
    spent, claimed = [], []
    for window in range(max(oldest, -1 if done is None else done + 1), current):
        slots = store.get(f"seen:{window}:n")
        if not slots or not store.add(f"seen:{window}:claimed", 1, KEEP):
            continue
        slots = min(slots, settings.FACTCARDS_REGISTRY_MAX_ARTICLES)
        names = [f"seen:{window}:{n}" for n in range(1, slots + 1)]
        pairs = [pair for pair in store.get_many(names).values() if pair]
        keys = {pair_key(window, slug, url): (slug, url, at) for slug, url, at in pairs}
        counts = store.get_many(list(keys))
        end = (window + 1) * settings.FACTCARDS_REGISTRY_WINDOW
        for key, (slug, url, at) in keys.items():
            entry = seen[(slug, url)]
            entry[0] += counts.get(key) or 1
            entry[1] = min(at, entry[1] or at)
            entry[2] = max(min(end, up_to), entry[2] or 0)
        spent += [*names, *keys, f"seen:{window}:n"]
        claimed.append(f"seen:{window}:claimed")
    try:
        stored = save_views(seen)
    except Exception:
        store.delete_many(claimed)  # the next flush takes these windows again
        raise
    store.set("seen:flushed", current - 1, KEEP)
    store.delete_many(spent)
    return stored


def moment_of(timestamp):
    return datetime.fromtimestamp(timestamp, tz=UTC)


def save_views(seen):
    """Add the counted views to the registry: cards on record only, everything else dropped."""
    # A slug is the same whatever its case (the cards' constraint): reports are kept in
    # lower case, and matched so.
    slugs = {slug.lower() for slug, _ in seen}
    cards = dict(
        FactCard.objects.on_record()
        .annotate(lower=Lower("slug"))
        .filter(lower__in=slugs)
        .values_list("lower", "pk")
    )
    stored = 0
    with transaction.atomic():
        for (slug, url), (views, first, last) in seen.items():
            if slug.lower() not in cards:
                continue
            use, created = ArticleUse.objects.get_or_create(
                card_id=cards[slug.lower()],
                key=ArticleUse.key_for(url),
                defaults={
                    "url": url,
                    "how": ArticleUse.How.EMBED,
                    "views": views,
                    "first_seen": moment_of(first),
                    "last_seen": moment_of(last),
                },
            )
            if not created:
                ArticleUse.objects.filter(pk=use.pk).update(
                    views=F("views") + views,
                    first_seen=min(filter(None, [use.first_seen, moment_of(first)])),
                    last_seen=max(filter(None, [use.last_seen, moment_of(last)])),
                )
            stored += 1
    return stored


@task
def flush_registry(up_to=None, again=True):
    """The periodic flush: counts from the cache into the registry, then, unless `again` is
    false, the same task for the next window (a chain that `manage.py db_worker` keeps going;
    `manage.py flush_registry --schedule` starts it)."""
    stored = flush(up_to)
    if again:
        schedule_flush()
    return {"articles": stored}


def schedule_flush():
    """Enqueue the next flush for just after the current window closes (once per window)."""
    window = settings.FACTCARDS_REGISTRY_WINDOW
    now = clock()
    next_window = window_of(now) + 1
    if not buffer().add(f"seen:{next_window}:scheduled", 1, KEEP):
        return None
    run_after = timezone.now() + timedelta(seconds=next_window * window - now + GRACE + 1)
    return flush_registry.using(run_after=run_after).enqueue()


# --- the report endpoints ---------------------------------------------------------------------


def ignored(reason):
    response = HttpResponse(status=204)
    response["Factcards-Report"] = f"ignored: {reason}"
    return response


@csrf_exempt  # anonymous reports that read no cookie and change no one's data
@require_POST
@never_cache
def report_seen(request):
    """/registry/seen: an embedded card says which article shows it. 204 whatever it said
    (a beacon reads no answer); no database query."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = REPORT_MAX_BYTES + 1
    if length > REPORT_MAX_BYTES:
        return ignored("too large")
    slug = request.POST.get("card", "")
    if not SLUG.fullmatch(slug):
        return ignored("no card")
    slug = slug.lower()  # the same card whatever the case
    try:
        url = article_url(request.POST.get("url", ""))
    except RejectedURL as error:
        return ignored(str(error))
    if urlsplit(url).netloc == request.get_host():
        return ignored("a page of this site")
    if not origin_allowed(url):
        return ignored("site not listed in FACTCARDS_EMBED_REPORT_ORIGINS")
    if not repeats.knows(slug, url, clock()) and too_many_new(request):
        return ignored("too many new articles from this address")
    note(slug, url)
    return HttpResponse(status=204)


def error(message, status, **headers):
    return JsonResponse({"error": message}, status=status, headers=headers)


@csrf_exempt  # authenticated by the client's token, not a cookie
@never_cache
def register_article(request):
    """/registry/articles: a CMS says one of its articles uses a card. POST JSON {card, url}
    with `Authorization: Bearer <token>`; 201 when new, 200 when already known."""
    if request.method != "POST":
        return error("POST JSON {“card”: slug, “url”: article address}.", 405, Allow="POST")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client = CmsClient.for_token(token.strip()) if scheme.lower() == "bearer" else None
    if client is None:
        return error(
            "Send your CMS client's token: Authorization: Bearer <token> (tokens are made "
            "under “CMS clients” in the admin).",
            401,
            **{"WWW-Authenticate": 'Bearer realm="factcards"'},
        )
    if len(request.body) > CMS_MAX_BYTES:
        return error(f"The request is larger than {CMS_MAX_BYTES} bytes.", 413)
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return error("The body is not JSON: send {“card”: slug, “url”: address}.", 400)
    if not isinstance(data, dict) or not isinstance(data.get("card"), str):
        return error("Name the card by its slug: {“card”: slug, “url”: address}.", 400)
    card = FactCard.objects.on_record().filter(slug__iexact=data["card"]).first()
    if card is None:
        return error(f"No published card has the slug “{data['card'][:100]}”.", 404)
    try:
        url = article_url(data.get("url"))
    except RejectedURL as problem:
        return error(str(problem), 400)
    use, created = ArticleUse.objects.get_or_create(
        card=card,
        key=ArticleUse.key_for(url),
        defaults={"url": url, "how": ArticleUse.How.CMS, "cms": client},
    )
    CmsClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return JsonResponse(
        {"card": card.slug, "url": use.url, "created": created}, status=201 if created else 200
    )
