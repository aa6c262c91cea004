"""Pacing calls to one provider: a rate (calls per second) and a number of calls in flight.

geopy's RateLimiter spaces calls but retries every error alike and ignores
``Retry-After``; the chain needs the two concerns apart, so pacing is here
and the retry policy is in ``chain.py``.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator


class RateLimit:
    def __init__(self, rate_per_second: float, concurrency: int,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._lock = threading.Lock()
        self._next = 0.0
        self._clock = clock
        self._sleep = sleep

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a free slot and for the call's turn, then hold the slot for the call."""
        with self._slots:
            with self._lock:
                now = self._clock()
                start = max(now, self._next)
                self._next = start + self.interval
            if start > now:
                self._sleep(start - now)
            yield


def parse_rates(text: str) -> dict[str, float]:
    """``"kakao:50,juso:20"`` -> {"kakao": 50.0, "juso": 20.0}."""
    rates: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, _, value = part.partition(":")
        try:
            rates[name.strip().lower()] = float(value)
        except ValueError:
            raise ValueError(f"bad rate {part!r}; expected name:calls-per-second") from None
    return rates
