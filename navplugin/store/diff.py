"""What changed between two versions of the list, shop by shop."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable

from ..model import Store

# Every field of a shop but its id, in the model's order.
COMPARED_FIELDS = tuple(f.name for f in dataclasses.fields(Store) if f.name != "id")


@dataclass(frozen=True, slots=True)
class StoreChange:
    before: Store
    after: Store
    fields: dict[str, tuple[Any, Any]]  # field -> (before, after)


@dataclass(frozen=True, slots=True)
class VersionDiff:
    added: list[Store]
    removed: list[Store]
    changed: list[StoreChange]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def changed_fields(before: Store, after: Store) -> dict[str, tuple[Any, Any]]:
    changes = {}
    for name in COMPARED_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if isinstance(old, dict) or isinstance(new, dict):
            old, new = dict(old), dict(new)
        if old != new:
            changes[name] = (old, new)
    return changes


def diff_stores(before: Iterable[Store], after: Iterable[Store]) -> VersionDiff:
    """Shops added, removed and changed from ``before`` to ``after``, each in id order."""
    old = {store.id: store for store in before}
    new = {store.id: store for store in after}
    added = [new[i] for i in sorted(new.keys() - old.keys())]
    removed = [old[i] for i in sorted(old.keys() - new.keys())]
    changed = []
    for store_id in sorted(old.keys() & new.keys()):
        if old[store_id] != new[store_id]:
            fields = changed_fields(old[store_id], new[store_id])
            if fields:
                changed.append(StoreChange(old[store_id], new[store_id], fields))
    return VersionDiff(added, removed, changed)
