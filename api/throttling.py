"""Rate limits per API key, counted atomically in the shared cache (Redis in production)."""

import math

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey


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
        count = self._count(f"{key}:{window}")
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
