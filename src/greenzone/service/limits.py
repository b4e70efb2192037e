"""Limits a request meets before any work is done: its size, its horizon and its token's request rate."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

__all__ = ["Limits", "RateLimiter"]


@dataclass(frozen=True)
class Limits:
    """What the service accepts.

    max_body_bytes : the largest request body [bytes] (a week's forecast of the Karabakh zone is ~60 kB).
    max_upload_bytes : the largest run folder archive uploaded to ``PUT /zones/{zone}/run`` [bytes].
    max_horizon_h : the most hours one schedule request may cover [h].
    sync_max_h : the most hours answered at once [h]; a longer request becomes a job (202, polled).
    rate_per_s, burst : each token's sustained request rate [1/s] and how many requests it may make at once
        above it; past them a request gets 429 with Retry-After.
    solver_time_limit_s : wall-clock limit of one schedule's solve [s]; past it, 503.
    """

    max_body_bytes: int = 2_000_000
    max_upload_bytes: int = 64 * 1024 * 1024
    max_horizon_h: int = 168
    sync_max_h: int = 48
    rate_per_s: float = 20.0
    burst: int = 40
    solver_time_limit_s: float = 30.0


@dataclass
class RateLimiter:
    """A token bucket per caller: ``burst`` requests at once, refilled at ``rate_per_s`` (in one process)."""

    rate_per_s: float
    burst: int
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: int) -> float:
        """Take one request from ``key``'s bucket: 0 when allowed, else the seconds until one is [s]."""
        now = time.monotonic()
        with self._lock:
            level, last = self._buckets.get(key, (float(self.burst), now))
            level = min(float(self.burst), level + (now - last) * self.rate_per_s)
            if level >= 1.0:
                self._buckets[key] = (level - 1.0, now)
                return 0.0
            self._buckets[key] = (level, now)
            return (1.0 - level) / self.rate_per_s
