"""What admins read before they correct anything: shops to check, versions' differences, a shop's history.

Read-only use cases of the admin API, shaped as JSON-ready values; the
corrections themselves are ``curation``'s.
"""
from __future__ import annotations

from typing import Any

from .curation import json_value
from .errors import NotFound
from .formats.common import store_detail_fields
from .spatial.index import StoreIndex
from .store.audit import ACTIONS as AUDIT_ACTIONS
from .store.diff import diff_stores
from .store.repository import Repository
from .store.uploads import RowStatus, UploadStore

HISTORY_ENTRIES = 50  # audit entries shown with a shop
__all__ = ["AUDIT_ACTIONS", "to_check", "version_diff", "standing_overrides", "shop_history"]


def to_check(index: StoreIndex, uploads: UploadStore, limit: int, offset: int) -> dict[str, Any]:
    """Shops whose point is outside the district their address names, and rows no geocoder placed.

    The unplaced rows are those of the newest finished upload: a list that failed for
    them, or one that went live without them (``skip_invalid``).
    """
    mismatches = [store for store in index.stores if store.district_check == "mismatch"]
    failed_upload = uploads.latest_finished()
    failed = [] if failed_upload is None else [
        {"upload_id": failed_upload, "line": row.line, "name": row.name, "address": row.address,
         "reason": result.reason}
        for row, result in uploads.rows(failed_upload, status=RowStatus.FAILED)
    ]
    page = mismatches[offset:offset + limit]
    return {
        "dataset_version": index.version,
        "mismatches": {"count": len(mismatches), "items": [store_detail_fields(s) for s in page]},
        "failed": {"count": len(failed), "items": failed[offset:offset + limit]},
    }


def version_diff(repository: Repository, a: int, b: int, limit: int) -> dict[str, Any]:
    """Shops added, removed and changed from version ``a`` to ``b``, with the overrides behind changes."""
    for version in (a, b):
        if not repository.has_version(version):
            raise NotFound(f"no dataset version {version}")
    diff = diff_stores(repository.iter_stores(a), repository.iter_stores(b))
    standing = repository.standing_overrides()

    def override_of(store_id: str) -> dict[str, Any] | None:
        override = standing.get(store_id)
        return None if override is None else override.as_dict()

    return {
        "from_version": a,
        "to_version": b,
        "counts": {"added": len(diff.added), "removed": len(diff.removed), "changed": len(diff.changed)},
        "added": [store_detail_fields(s) for s in diff.added[:limit]],
        "removed": [{**store_detail_fields(s), "override": override_of(s.id)} for s in diff.removed[:limit]],
        "changed": [
            {"id": change.after.id, "name": change.after.name,
             "fields": {name: {"from": json_value(old), "to": json_value(new)}
                        for name, (old, new) in change.fields.items()},
             "override": override_of(change.after.id)}
            for change in diff.changed[:limit]
        ],
    }


def standing_overrides(repository: Repository) -> list[dict[str, Any]]:
    """Every standing correction and revocation, with the shop's name as the newest version has it."""
    items = []
    for store_id, override in repository.standing_overrides().items():
        last_seen = repository.latest_store(store_id)
        items.append({**override.as_dict(), "name": last_seen.name if last_seen else None})
    return items


def shop_history(repository: Repository, index: StoreIndex, store_id: str) -> dict[str, Any]:
    """A shop as admins see it: live or not, its standing override, and its audit trail."""
    live = index.get(store_id)
    override = repository.override(store_id)
    shown = live or repository.latest_store(store_id)  # the live shop, or as the newest version had it
    if shown is None and override is None:
        raise NotFound(f"no shop {store_id!r} in any version")
    return {
        "id": store_id,
        "live": live is not None,
        "dataset_version": index.version,
        "item": None if shown is None else store_detail_fields(shown),
        "overridden": {} if shown is None else dict(shown.overridden),
        "override": None if override is None else override.as_dict(),
        "history": repository.audit_entries(target=f"store:{store_id}", limit=HISTORY_ENTRIES),
    }
