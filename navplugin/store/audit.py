"""The audit log: who did what to the data, when, and what it changed.

Entries are written in the same transaction as the change they describe,
so the log never claims a change that was rolled back, nor misses one.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, select

from . import schema
from .engine import as_utc

ACTIONS = ("upload", "upload.dry_run", "upload.rejected", "upload.done", "upload.failed", "version.activate",
           "version.import", "version.prune", "store.override", "store.override.clear", "store.revoke",
           "store.restore", "client.create", "client.rotate", "client.rate", "client.revoke")


def record(conn: Connection, *, actor: str, action: str, target: str | None = None,
           version: int | None = None, **details: Any) -> int:
    return conn.execute(schema.audit_log.insert().values(
        at=datetime.now(timezone.utc), actor=actor, action=action, target=target, version=version,
        details=json.dumps(details, ensure_ascii=False, default=str),
    )).inserted_primary_key[0]


def entries(conn: Connection, *, limit: int = 50, before: int | None = None, action: str | None = None,
           target: str | None = None) -> list[dict[str, Any]]:
    """Newest first; ``before`` (an entry id) pages back through older entries."""
    a = schema.audit_log.c
    query = select(schema.audit_log).order_by(a.id.desc()).limit(limit)
    if before is not None:
        query = query.where(a.id < before)
    if action is not None:
        query = query.where(a.action == action)
    if target is not None:
        query = query.where(a.target == target)
    rows = conn.execute(query).all()
    return [
        {"id": row.id, "at": as_utc(row.at).isoformat(), "actor": row.actor, "action": row.action,
         "target": row.target, "version": row.version, "details": json.loads(row.details)}
        for row in rows
    ]
