"""Partner apps' client keys: who is asking, within what quota, and how much they asked.

A key travels in the ``X-API-Key`` header and is shown once, when it is made
or rotated; only its SHA-256 is stored. Every process keeps the keys in memory
(hash -> client), so checking one costs a hash and a lookup, and reloads them
when any process changes one: at once on PostgreSQL (its notices), within
``CLIENT_REFRESH_SECONDS`` by polling, which is SQLite's only way. So a key is
revoked or rotated without restarting anything.

Quotas are the ``limits`` library's, in its notation (``600/minute``), counted
in fixed windows in its storage: memory (one process's own count) or Redis
(``RATELIMIT_STORAGE=redis://…``: one count across every process and machine).
Usage (requests and refusals per client and day) is counted in each process
and added to the database every ``USAGE_FLUSH_SECONDS``.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import storage_from_string

from . import metrics
from .errors import BadParameter, Conflict, NotFound
from .store.clients import Client
from .store.repository import Repository

LOGGER = logging.getLogger(__name__)
KEY_PREFIX = "np_"
MAX_NAME = 64
USAGE_DAYS = 30  # days of usage an admin sees by default
STORAGE_TIMEOUT_SECONDS = 0.25
STORAGE_RETRY_SECONDS = 5.0  # after the quota storage failed, requests pass uncounted this long


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def parse_rate(rate: Any) -> RateLimitItem:
    """A quota in the limits library's notation, or ``BadParameter`` naming ``rate``."""
    try:
        if not isinstance(rate, str) or len(rate) > 64:
            raise ValueError(rate)
        return parse(rate)
    except ValueError:
        raise BadParameter("rate", "Field 'rate' must be a quota such as '600/minute', '10/second' or "
                                   "'10000/day'") from None


@dataclass(frozen=True, slots=True)
class Admission:
    """The answer to one request of a client: let through or not, and what the RateLimit headers say."""

    client: Client
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int

    def headers(self) -> list[tuple[str, str]]:
        """The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), and Retry-After on a refusal.

        None while the quota storage is away (``remaining`` -1): nothing was counted.
        """
        if self.remaining < 0:
            return []
        headers = [("RateLimit-Limit", str(self.limit)), ("RateLimit-Remaining", str(self.remaining)),
                   ("RateLimit-Reset", str(self.reset_seconds)),
                   ("RateLimit-Policy", f"{self.limit};w={self.window_seconds}")]
        if not self.allowed:
            headers.append(("Retry-After", str(max(1, self.reset_seconds))))
        return headers


@dataclass(frozen=True, slots=True)
class Key:
    """A live key as each process holds it: its client, quota, and the quota's counter in the storage."""

    client: Client
    item: RateLimitItem
    storage_key: str


class Usage:
    """Requests and refusals per (client, day), counted in this process until they are added to the database."""

    def __init__(self) -> None:
        self._counts: defaultdict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
        self._lock = threading.Lock()
        self._day = ""
        self._day_ends = 0.0  # the UTC day's string is made once a day, not once a request

    def today(self) -> str:
        now = time.time()
        if now >= self._day_ends:
            self._day = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d")
            self._day_ends = (now // 86400 + 1) * 86400
        return self._day

    def count(self, client_id: int, limited: bool) -> None:
        day = self.today()
        with self._lock:
            counts = self._counts[(client_id, day)]
            counts[0] += 1
            counts[1] += limited

    def take(self) -> list[tuple[int, str, int, int]]:
        with self._lock:
            counts, self._counts = self._counts, defaultdict(lambda: [0, 0])
        return [(client_id, day, requests, limited) for (client_id, day), (requests, limited) in counts.items()]

    def give_back(self, counts: list[tuple[int, str, int, int]]) -> None:
        """Counts a failed write could not store: kept for the next one."""
        with self._lock:
            for client_id, day, requests, limited in counts:
                mine = self._counts[(client_id, day)]
                mine[0] += requests
                mine[1] += limited


class ClientKeys:
    def __init__(self, repository: Repository, storage_url: str | None = None) -> None:
        self.repository = repository
        # A Redis that does not answer costs each request at most its timeout, then is left alone a while.
        options = {"socket_timeout": STORAGE_TIMEOUT_SECONDS, "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS}
        self.storage = storage_from_string(storage_url, **options) if storage_url else storage_from_string("memory://")
        self._storage_down_until = 0.0
        self._window_ends: dict[str, float] = {}  # storage key -> when its current window ends (epoch s)
        self.usage = Usage()
        self._by_hash: dict[str, Key] = {}
        self._lock = threading.Lock()
        self.loaded = False

    # -- answering requests ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Every key that is not revoked, from the database."""
        found = {}
        for client in self.repository.clients():
            if not client.revoked:
                item = parse(client.rate)
                found[client.key_hash] = Key(client, item, item.key_for("client", str(client.id)))
        self._by_hash = found  # one reference: readers see the old table or the new one
        self.loaded = True

    def authenticate(self, key: str) -> Key | None:
        return self._by_hash.get(key_hash(key))

    def admit(self, key: Key) -> Admission:
        """Count the request against the client's quota (and its usage); allowed or not.

        The fixed-window strategy's counting (``FixedWindowRateLimiter.hit`` is this
        ``incr``): one storage call, a round trip to Redis. The window's end is
        remembered by each process: a count of 1 opened the window, which then ends
        one window length later; a window another process opened is asked for once
        (``get_expiry``). ``hit`` and ``get_window_stats`` would take three calls.
        """
        item = key.item
        if time.monotonic() < self._storage_down_until:
            return self._uncounted(key)
        try:
            count = self.storage.incr(key.storage_key, item.get_expiry())
            reset_at = self._window_end(key.storage_key, count, item.get_expiry())
        except Exception as exc:  # noqa: BLE001 - the quota's storage is away: let clients through, not fail all
            self._storage_down_until = time.monotonic() + STORAGE_RETRY_SECONDS
            metrics.RATELIMIT_STORAGE_ERRORS.inc()
            LOGGER.warning("the rate limit storage failed (%s: %s); clients pass uncounted for %s s",
                           exc.__class__.__name__, exc, STORAGE_RETRY_SECONDS)
            return self._uncounted(key)
        allowed = count <= item.amount
        self.usage.count(key.client.id, not allowed)
        return Admission(key.client, allowed, item.amount, max(0, item.amount - count),
                         max(0, int(reset_at - time.time() + 0.999)), item.get_expiry())

    def _window_end(self, storage_key: str, count: int, window_seconds: int) -> float:
        now = time.time()
        if count == 1:  # this request opened the window
            reset_at = self._window_ends[storage_key] = now + window_seconds
            return reset_at
        reset_at = self._window_ends.get(storage_key, 0.0)
        if reset_at <= now:  # opened by another process, or before this one started
            reset_at = self._window_ends[storage_key] = self.storage.get_expiry(storage_key)
        return reset_at

    def _uncounted(self, key: Key) -> Admission:
        self.usage.count(key.client.id, False)
        return Admission(key.client, True, key.item.amount, -1, 0, key.item.get_expiry())

    def flush(self) -> int:
        """Add this process's counts to the database; how many (client, day) rows it added to."""
        counts = self.usage.take()
        if not counts:
            return 0
        try:
            self.repository.add_client_usage(counts)
        except Exception:
            self.usage.give_back(counts)
            raise
        return len(counts)

    # -- what admins do ------------------------------------------------------------------------------

    def create(self, name: Any, rate: Any, actor: str) -> tuple[Client, str]:
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
            raise BadParameter("name", f"Field 'name' must be the app's name, 1 to {MAX_NAME} characters")
        parse_rate(rate)
        key = new_key()
        with self.repository.change(actor, "client.create") as change:
            client_id = change.create_client(name=name.strip(), key_hash=key_hash(key), key_prefix=key[:10],
                                             rate=rate, created_by=actor)
            change.audit(target=f"client:{client_id}", name=name.strip(), rate=rate)
            client = change.client(client_id)
        self.refresh()
        return client, key

    def rotate(self, client_id: int, actor: str) -> tuple[Client, str]:
        """A new key for the client; the old one stops working at once."""
        key = new_key()
        with self.repository.change(actor, "client.rotate", f"client:{client_id}") as change:
            self._live(change, client_id)
            change.update_client(client_id, key_hash=key_hash(key), key_prefix=key[:10],
                                 rotated_at=datetime.now(timezone.utc))
            change.audit(key_prefix=key[:10])
            client = change.client(client_id)
        self.refresh()
        return client, key

    def set_rate(self, client_id: int, rate: Any, actor: str) -> Client:
        parse_rate(rate)
        with self.repository.change(actor, "client.rate", f"client:{client_id}") as change:
            before = self._live(change, client_id)
            change.update_client(client_id, rate=rate)
            change.audit(rate={"from": before.rate, "to": rate})
            client = change.client(client_id)
        self.refresh()
        return client

    def revoke(self, client_id: int, actor: str) -> Client:
        with self.repository.change(actor, "client.revoke", f"client:{client_id}") as change:
            self._live(change, client_id)
            change.update_client(client_id, revoked_at=datetime.now(timezone.utc))
            client = change.client(client_id)
            change.audit(name=client.name)
        self.refresh()
        return client

    @staticmethod
    def _live(change: Any, client_id: int) -> Client:
        client = change.client(client_id)
        if client is None:
            raise NotFound(f"no client {client_id}")
        if client.revoked:
            raise Conflict(f"client {client_id} is revoked")
        return client

    def report(self, client: Client, days: int = USAGE_DAYS) -> dict[str, Any]:
        """A client as admins see it, with its requests and refusals per day (newest first)."""
        since = datetime.fromtimestamp(time.time() - days * 86400, timezone.utc).strftime("%Y-%m-%d")
        rows = self.repository.client_usage(client.id, since)
        today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        usage = [{"day": row["day"], "requests": row["requests"], "limited": row["limited"]} for row in rows]
        first = usage[0] if usage and usage[0]["day"] == today else {"requests": 0, "limited": 0}
        return {**client.as_dict(), "usage": {"today": {"requests": first["requests"], "limited": first["limited"]},
                                              "days": usage}}
