"""A request's deadline: long work checks it between steps and gives up with 503 rather than hold a worker.

The web layer opens a deadline per request (``within``); the core's loops call
``check()`` between bounded steps (a chunk of a corridor search, a block of
rows). Without an open deadline (the CLI, jobs, tests) ``check`` does nothing.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from .errors import DeadlineExceeded

_ENDS_AT: ContextVar[float | None] = ContextVar("navplugin_deadline", default=None)


@contextmanager
def within(seconds: float | None) -> Iterator[None]:
    """Work in this block must be done ``seconds`` from now (None or 0: no deadline)."""
    token = _ENDS_AT.set(time.monotonic() + seconds if seconds else None)
    try:
        yield
    finally:
        _ENDS_AT.reset(token)


def start(seconds: float | None) -> object:
    """Open a deadline and return the token ``end`` closes it with (for request hooks)."""
    return _ENDS_AT.set(time.monotonic() + seconds if seconds else None)


def end(token: object) -> None:
    _ENDS_AT.reset(token)  # type: ignore[arg-type]


def check() -> None:
    ends_at = _ENDS_AT.get()
    if ends_at is not None and time.monotonic() > ends_at:
        raise DeadlineExceeded("the request took longer than the service allows one request; "
                               "ask for less (a shorter route, a smaller limit) or retry later", retry_after=1)


def remaining() -> float | None:
    ends_at = _ENDS_AT.get()
    return None if ends_at is None else max(0.0, ends_at - time.monotonic())
