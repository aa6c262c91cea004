"""A client's request costs one call to the quota storage (one Redis round trip): the window's end is
remembered by each process, and asked for only when another process opened the window."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from limits import parse
from limits.storage import storage_from_string

from navplugin.clients import ClientKeys, Key
from navplugin.store.clients import Client


class CountingStorage:
    """A real limits storage that counts the calls made to it."""

    def __init__(self, storage) -> None:
        self.storage = storage
        self.calls: list[str] = []

    def incr(self, key, expiry, *args, **kwargs):
        self.calls.append("incr")
        return self.storage.incr(key, expiry, *args, **kwargs)

    def get_expiry(self, key):
        self.calls.append("get_expiry")
        return self.storage.get_expiry(key)


def _key(rate: str = "5/minute") -> Key:
    client = Client(7, "원내비", "hash", "np_abc", rate, datetime.now(timezone.utc), "alice", None, None)
    item = parse(rate)
    return Key(client, item, item.key_for("client", "7"))


def _process(storage: CountingStorage) -> ClientKeys:
    keys = ClientKeys(repository=None)  # type: ignore[arg-type]  # admitting needs no database
    keys.storage = storage
    return keys


def test_each_request_is_one_storage_call_once_the_window_is_known():
    shared = storage_from_string("memory://")
    first, second = CountingStorage(shared), CountingStorage(shared)
    one, other = _process(first), _process(second)
    key = _key()

    opened = one.admit(key)
    assert first.calls == ["incr"] and (opened.remaining, opened.allowed) == (4, True)
    assert 59 <= opened.reset_seconds <= 60
    one.admit(key)
    assert first.calls == ["incr", "incr"]

    # another process joins a window it did not open: it asks for the end once, then remembers it
    joined = other.admit(key)
    assert second.calls == ["incr", "get_expiry"] and joined.remaining == 2
    assert abs(joined.reset_seconds - opened.reset_seconds) <= 1
    other.admit(key)
    other.admit(key)
    refused = other.admit(key)
    assert second.calls == ["incr", "get_expiry", "incr", "incr", "incr"]
    assert (refused.allowed, refused.remaining) == (False, 0)
    assert dict(refused.headers())["Retry-After"] == str(max(1, refused.reset_seconds))


def test_a_new_window_is_seen_as_new():
    shared = storage_from_string("memory://")
    calls = CountingStorage(shared)
    keys = _process(calls)
    key = _key("2/second")
    assert [keys.admit(key).allowed for _ in range(3)] == [True, True, False]
    time.sleep(1.1)  # the storage's window ends; the next request opens another
    again = keys.admit(key)
    assert (again.allowed, again.remaining) == (True, 1) and 0 <= again.reset_seconds <= 1
    assert "get_expiry" not in calls.calls
