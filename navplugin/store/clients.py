"""Client keys and their usage, as stored: statements on a connection that ``store/`` holds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from . import schema
from .engine import as_utc


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    name: str
    key_hash: str
    key_prefix: str
    rate: str
    created_at: datetime
    created_by: str
    rotated_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def as_dict(self) -> dict[str, Any]:
        """As the admin API shows it: never the key, nor its hash."""
        return {
            "id": self.id, "name": self.name, "key_prefix": self.key_prefix, "rate": self.rate,
            "created_at": self.created_at.isoformat(), "created_by": self.created_by,
            "rotated_at": self.rotated_at.isoformat() if self.rotated_at else None,
            "revoked": self.revoked, "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _client(row: Any) -> Client:
    return Client(row.id, row.name, row.key_hash, row.key_prefix, row.rate, as_utc(row.created_at), row.created_by,
                  as_utc(row.rotated_at), as_utc(row.revoked_at))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def all_in(conn: Connection) -> list[Client]:
    return [_client(row) for row in conn.execute(select(schema.clients).order_by(schema.clients.c.id))]


def get(conn: Connection, client_id: int) -> Client | None:
    row = conn.execute(select(schema.clients).where(schema.clients.c.id == client_id)).first()
    return None if row is None else _client(row)


def create(conn: Connection, *, name: str, key_hash: str, key_prefix: str, rate: str, created_by: str) -> int:
    return conn.execute(schema.clients.insert().values(
        name=name, key_hash=key_hash, key_prefix=key_prefix, rate=rate, created_at=_now(), created_by=created_by,
    )).inserted_primary_key[0]


def update_client(conn: Connection, client_id: int, **values: Any) -> None:
    conn.execute(update(schema.clients).where(schema.clients.c.id == client_id).values(**values))


def add_usage(conn: Connection, counts: Iterable[tuple[int, str, int, int]]) -> None:
    """Add (client id, day, requests, limited) to what is stored, whichever process counted it."""
    rows = [{"client_id": client_id, "day": day, "requests": requests, "limited": limited}
            for client_id, day, requests, limited in counts]
    if not rows:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(schema.client_usage)
    usage = schema.client_usage.c
    conn.execute(statement.on_conflict_do_update(
        index_elements=["client_id", "day"],
        set_={"requests": usage.requests + statement.excluded.requests,
              "limited": usage.limited + statement.excluded.limited}), rows)


def usage(conn: Connection, client_id: int | None = None, since: str | None = None) -> list[dict[str, Any]]:
    """{client_id, day, requests, limited} rows, newest day first."""
    u = schema.client_usage.c
    query = select(schema.client_usage).order_by(u.day.desc(), u.client_id)
    if client_id is not None:
        query = query.where(u.client_id == client_id)
    if since is not None:
        query = query.where(u.day >= since)
    return [{"client_id": row.client_id, "day": row.day, "requests": row.requests, "limited": row.limited}
            for row in conn.execute(query)]
