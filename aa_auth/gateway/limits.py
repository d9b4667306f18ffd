"""Token buckets: requests per client address and orders per signer (SPEC 14, rate limits)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["Buckets"]

_MAX_TRACKED = 100_000  # buckets kept; the least recently used are forgotten (a full bucket again)


class Buckets:
    """One token bucket per key: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: str, tokens: float = 1.0) -> float:
        """Take `tokens` from `key`'s bucket: 0.0 when granted, else the seconds until they would be."""
        now = self._clock()
        with self._lock:
            saved, then = self._buckets.pop(key, (float(self.burst), now))
            saved = min(float(self.burst), saved + (now - then) * self.rate)
            wait = 0.0 if saved >= tokens else (tokens - saved) / self.rate
            self._buckets[key] = (saved - tokens if wait == 0.0 else saved, now)
            if len(self._buckets) > _MAX_TRACKED:
                self._buckets.popitem(last=False)
            return wait
