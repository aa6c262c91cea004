"""The admin's standing corrections of shops, kept apart from any one dataset version.

An override replaces fields of a shop (its pin, its entrance, its name...)
or revokes it (지정 취소). Every version written while it stands carries it,
whichever list the version came from.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import Connection, delete, select, update

from . import schema
from .engine import as_utc


@dataclass(frozen=True, slots=True)
class Override:
    store_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    revoked: bool = False
    reason: str = ""
    updated_by: str = ""
    updated_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "fields": dict(self.fields),
            "revoked": self.revoked,
            "reason": self.reason,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


def _from_row(row: Any) -> Override:
    return Override(store_id=row.store_id, fields=json.loads(row.fields), revoked=bool(row.revoked),
                    reason=row.reason, updated_by=row.updated_by, updated_at=as_utc(row.updated_at))


def get(conn: Connection, store_id: str) -> Override | None:
    row = conn.execute(select(schema.store_overrides)
                       .where(schema.store_overrides.c.store_id == store_id)).first()
    return None if row is None else _from_row(row)


def all_in(conn: Connection) -> dict[str, Override]:
    rows = conn.execute(select(schema.store_overrides).order_by(schema.store_overrides.c.store_id))
    return {row.store_id: _from_row(row) for row in rows}


def put(conn: Connection, override: Override) -> None:
    """Insert or replace a shop's override."""
    o = schema.store_overrides.c
    values = {
        "fields": json.dumps(dict(override.fields), ensure_ascii=False, sort_keys=True),
        "revoked": int(override.revoked),
        "reason": override.reason,
        "updated_by": override.updated_by,
        "updated_at": override.updated_at or datetime.now(timezone.utc),
    }
    if not conn.execute(update(schema.store_overrides).where(o.store_id == override.store_id)
                        .values(**values)).rowcount:
        conn.execute(schema.store_overrides.insert().values(store_id=override.store_id, **values))


def remove(conn: Connection, store_id: str) -> None:
    conn.execute(delete(schema.store_overrides).where(schema.store_overrides.c.store_id == store_id))
