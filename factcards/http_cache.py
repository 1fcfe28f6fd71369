"""The HTTP caches in front of the site (Varnish, a CDN): what each response shows, and purging.

Every public response names the cards and sources it shows in a surrogate-key header
(`xkey` for Varnish's xkey module; `Surrogate-Key` for Fastly, `Cache-Tag` for Cloudflare:
FACTCARDS_SURROGATE_KEY_HEADERS). Every page listing cards also carries `cards-list`, since
any publication can change a list. When the publication counter moves (a publish,
correction, retraction, or a change to a cited source), the keys it names are purged from
each cache in FACTCARDS_PURGE_URLS once the transaction has committed: at once, and again a
few seconds later from the worker (a page another server rendered from the old version
while the first purge ran is gone then too; a cache that could not be reached gets it then,
and again with backoff until it answers).
"""

import logging
import urllib.error
import urllib.request
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

LIST_KEY = "cards-list"


def card_key(pk):
    return f"card-{pk}"


def source_key(pk):
    return f"source-{pk}"


def topic_key(pk):
    """Pages that show a topic's newest cards (a card page's related cards)."""
    return f"topic-{pk}"


def tag(response, keys):
    """Name what `response` shows in each surrogate-key header the caches read."""
    keys = sorted(set(keys))
    if keys:
        for header in settings.FACTCARDS_SURROGATE_KEY_HEADERS:
            # Cloudflare's Cache-Tag is comma-separated; Varnish and Fastly split on spaces.
            separator = "," if header.lower() == "cache-tag" else " "
            response[header] = separator.join(keys)
    return response


def shared_page(response, keys):
    """A public page that carries nothing personal: a shared cache may keep it (until a purge
    names one of `keys`), browsers ask again each time."""
    if response.status_code == 200:
        patch_cache_control(response, **settings.FACTCARDS_PAGE_CACHE)
        tag(response, keys)
    return response


class PurgeFailed(Exception):
    def __init__(self, failed, attempts):
        reasons = "; ".join(f"{url}: {reason}" for url, reason in sorted(failed.items()))
        super().__init__(f"Could not purge after {attempts} attempts: {reasons}")


def purge_on_commit(keys):
    """Once the current transaction commits, purge `keys` from every configured cache.
    A purge that fails never undoes or fails the change itself."""
    if settings.FACTCARDS_PURGE_URLS:
        transaction.on_commit(partial(purge_now, sorted(set(keys))), robust=True)


def purge_now(keys):
    """Purge at once, then hand the worker the repeat (and the retries, if any failed)."""
    from .tasks import purge_cache

    urls = list(settings.FACTCARDS_PURGE_URLS)
    failed = send_purges(keys, urls)
    run_after = timezone.now() + timedelta(seconds=settings.FACTCARDS_PURGE_REPEAT_AFTER)
    purge_cache.using(run_after=run_after).enqueue(keys, urls)
    return failed


def send_purges(keys, urls):
    """PURGE each cache with the keys in an `xkey-purge` header (see deploy/varnish.vcl);
    returns {url: why} for the caches that did not confirm."""
    failed = {}
    for url in urls:
        request = urllib.request.Request(
            url, method="PURGE", headers={"xkey-purge": " ".join(keys)}
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.FACTCARDS_PURGE_TIMEOUT):
                pass
        except urllib.error.HTTPError as error:
            failed[url] = f"HTTP {error.code} {error.reason}"
        except (OSError, ValueError) as error:  # refused, timed out, unresolvable, bad URL
            failed[url] = str(getattr(error, "reason", error))
    for url, reason in failed.items():
        logger.warning("Purging %s from %s failed: %s", " ".join(keys), url, reason)
    return failed
