"""Delta sync: what turns a navigation app's offline copy of one version into the live version.

An app that downloaded the POI pack at version ``since`` asks for the shops
to upsert and the ids to delete; applying them gives exactly the live list.
Revoked shops are deletions. Versions are whole snapshots, so any kept
version (older or, after a rollback, newer than the live one) can be
diffed; ``since=0`` means an empty copy. A version no longer kept answers
410: the app downloads the pack again.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from .errors import BadParameter, Gone
from .model import Store
from .spatial.index import StoreIndex
from .store.diff import diff_stores
from .store.repository import Repository

EXPORT_PATH = "/v1/stores/export"


@dataclass(frozen=True, slots=True)
class Changes:
    from_version: int
    to_version: int | None
    upserts: list[Store]  # added or changed, in id order
    deletions: list[str]  # ids removed or revoked, in id order


def changes_since(repository: Repository, index: StoreIndex, since: int) -> Changes:
    live = index.version
    if since == live:
        return Changes(since, live, [], [])
    before: list[Store] | None = [] if since == 0 else repository.load_kept_stores(since)
    if before is None:
        newest = repository.newest_version() or 0
        if since < newest:
            raise Gone(f"dataset version {since} is no longer kept, so there is nothing to diff it against; "
                       f"download the whole list again from {EXPORT_PATH}", since=since, live_version=live,
                       export=EXPORT_PATH)
        raise BadParameter("since", f"Parameter 'since' must be a dataset version up to {newest}, got {since}")
    diff = diff_stores(before, index.stores)
    upserts = sorted([*diff.added, *(change.after for change in diff.changed)], key=lambda s: s.id)
    return Changes(since, live, upserts, [store.id for store in diff.removed])


class ChangesCache:
    """Recent answers by (since, live version): apps at the same version ask the same question."""

    def __init__(self, repository: Repository, max_entries: int = 32) -> None:
        self.repository = repository
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, int | None], Changes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, index: StoreIndex, since: int) -> Changes:
        key = (since, index.version)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        changes = changes_since(self.repository, index, since)
        with self._lock:
            self._entries[key] = changes
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return changes
