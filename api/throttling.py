"""Rate limits per API key, counted atomically in the shared cache (Redis in production)."""

import logging
import math
import threading
import time

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey

log = logging.getLogger(__name__)
# While the shared cache cannot be reached, say so at most once per this many seconds.
WARN_EVERY_SECONDS = 60.0
# After a failure, requests skip the shared cache this long instead of each waiting for it to fail.
RETRY_CACHE_AFTER_SECONDS = 5.0


class LocalCounter:
    """Each process's own window counters, for while the shared cache is unreachable.

    Documents are stored in the database, not the cache, so a Redis outage must not stop the API:
    each process then counts on its own, and a key may get up to the rate once per process.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, tuple[float, int]] = {}
        self.warned_at = float("-inf")
        self.cache_down_until = float("-inf")

    def count(self, key: str, ttl: float, now: float) -> int:
        with self.lock:
            if len(self.counts) > 10_000:  # drop the windows that ended, so a long outage does not grow it
                self.counts = {k: v for k, v in self.counts.items() if v[0] > now}
            expires, n = self.counts.get(key, (0.0, 0))
            n = n + 1 if expires > now else 1
            self.counts[key] = (expires if n > 1 else now + ttl, n)
            return n

    def cache_failed(self, error: Exception) -> None:
        """Note a failure of the shared cache: it is left alone for a few seconds, and the log told
        at most once per ``WARN_EVERY_SECONDS``."""
        now = time.monotonic()
        with self.lock:
            self.cache_down_until = now + RETRY_CACHE_AFTER_SECONDS
            if now - self.warned_at < WARN_EVERY_SECONDS:
                return
            self.warned_at = now
        log.warning("rate limits: the shared cache is unreachable (%s); counting per process meanwhile", error)

    def cache_down(self) -> bool:
        return time.monotonic() < self.cache_down_until


local_counter = LocalCounter()


class ApiKeyRateThrottle(SimpleRateThrottle):
    """At most the rate's number of requests per key in each window of its period (a fixed window).

    DRF's own throttle reads a key's list of request times, appends to it and writes it back. Two
    workers serving one key at once both read the same list and one write is lost, so a client
    sending in parallel gets past its limit. Here a window is one counter, created with ``add``
    (SET NX in Redis) and raised with ``incr`` (INCRBY): every request is counted exactly once.
    As with any fixed window, a client may spend one window's allowance at its end and the next
    one's at the start of the next.
    """

    scope = "api_key"
    # Set by SimpleRateThrottle.__init__ from the rate (its stubs leave them out); read only when there is a rate.
    num_requests: int
    duration: int

    def timer(self) -> float:
        # DRF keeps ``time.time`` as a class attribute, captured once when the module is first imported;
        # read the clock at each call instead, so a frozen or patched clock in that moment is not kept.
        return time.time()

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        count = None
        if not local_counter.cache_down():
            try:
                count = self._count(f"{key}:{window}")
            except Exception as error:  # any cache failure (Redis down, timeouts): the API goes on
                local_counter.cache_failed(error)
        if count is None:
            count = local_counter.count(f"{key}:{window}", self.duration + 1, time.monotonic())
        # For the RateLimit-* headers (api.middleware): the limit, what is left of it, seconds to the next window.
        getattr(request, "_request", request).rate_limit = (
            self.num_requests,
            max(self.num_requests - count, 0),
            math.ceil(self.window_ends - self.now),
        )
        return count <= self.num_requests

    def _count(self, key: str) -> int:
        """This request's number in the window: 1 for the first, and so on."""
        for _ in range(3):
            if self.cache.add(key, 1, self.duration + 1):
                return 1
            try:
                return self.cache.incr(key)
            except ValueError:  # the window's counter expired between the two calls
                continue
        return 1  # the counter keeps vanishing (the cache is being flushed): serve rather than fail

    def wait(self) -> float:
        """Seconds until the window ends and the key may send again."""
        return max(self.window_ends - self.now, 1)
