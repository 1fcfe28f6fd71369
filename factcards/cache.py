"""The shared cache (Redis), for which an outage is a miss, never an error.

Why a thin subclass of Django's own RedisCache and not django-redis's IGNORE_EXCEPTIONS: the
project already runs on Django's backend (its client, key format and pickling, which every
app server and test shares), and an outage needs one thing django-redis does not do: stop
trying for a few seconds. With Redis unreachable on another machine each attempt waits for
its timeout, and a page makes several; here the first failure makes the next ones misses
straight away, and Redis is tried again after RETRY_AFTER seconds.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER = 5.0  # seconds without trying Redis after it failed


class ResilientRedisCacheClient(RedisCacheClient):
    """Each operation returns what a miss returns when Redis fails, and logs why."""

    down_until = 0.0  # per process: the time before which Redis is not tried

    def _guarded(self, operation, fallback, *args):
        if time.monotonic() < self.down_until:
            return fallback
        try:
            result = getattr(super(), operation)(*args)
        except RedisError as error:
            if not self.down_until:
                logger.warning("The cache (Redis) is unreachable, serving without it: %s", error)
            self.down_until = time.monotonic() + RETRY_AFTER
            return fallback
        if self.down_until:
            logger.info("The cache (Redis) answers again.")
            self.down_until = 0.0
        return result

    def add(self, key, value, timeout):
        return self._guarded("add", False, key, value, timeout)

    def get(self, key, default):
        return self._guarded("get", default, key, default)

    def get_now(self, key, default):
        """Ask Redis even during the pause after a failure (what nothing else can say)."""
        self.down_until = 0.0
        return self.get(key, default)

    def set(self, key, value, timeout):
        return self._guarded("set", None, key, value, timeout)

    def touch(self, key, timeout):
        return self._guarded("touch", False, key, timeout)

    def delete(self, key):
        return self._guarded("delete", False, key)

    def get_many(self, keys):
        return self._guarded("get_many", {}, keys)

    def has_key(self, key):
        return self._guarded("has_key", False, key)

    def set_many(self, data, timeout):
        return self._guarded("set_many", None, data, timeout)

    def delete_many(self, keys):
        return self._guarded("delete_many", None, keys)

    # incr and clear still raise: a counter or a flush that silently did nothing would be
    # wrong, not just slower.

    def ping(self):
        """True if Redis answers now (health checks: bypasses the pause after a failure)."""
        try:
            answered = bool(self.get_client(write=True).ping())
        except RedisError:
            return False
        if answered and self.down_until:
            logger.info("The cache (Redis) answers again.")
            self.down_until = 0.0
        return answered


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient

    def ping(self):
        return self._cache.ping()

    def get_now(self, key, default=None):
        key = self.make_and_validate_key(key)
        return self._cache.get_now(key, default)

    @property
    def is_down(self):
        """Whether Redis failed lately: it is not tried again for RETRY_AFTER seconds."""
        return time.monotonic() < self._cache.down_until
