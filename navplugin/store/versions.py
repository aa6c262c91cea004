"""Statements on dataset versions and their shops, run on a connection that a caller in ``store/`` holds.

A version is a whole snapshot. Writing one inserts its row, copies a base
version's shops in the database where there is a base, inserts the shops
given and counts them; ``Change.write_version`` and ``Repository`` are the
only callers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, and_, delete, func, literal, select, update

from ..model import LISTED_NAMES, PLACEMENT_NAMES, Store
from . import schema
from .notify import announce

INSERT_BATCH = 2000
DELETE_BATCH = 500  # ids per IN (...) list, well under any driver's parameter limit
_SHOP_COLUMNS = (*LISTED_NAMES, *PLACEMENT_NAMES)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    created_at: datetime
    source: str
    file_name: str | None
    uploaded_by: str | None
    total_rows: int
    store_count: int
    live: bool
    base_version: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "live": self.live,
            "created_at": self.created_at.isoformat(),
            "source": self.source,
            "file_name": self.file_name,
            "uploaded_by": self.uploaded_by,
            "base_version": self.base_version,
            "note": self.note,
            "counts": {"rows": self.total_rows, "stores": self.store_count},
        }


def store_row(version: int, store: Store) -> dict[str, Any]:
    row = {name: getattr(store, name) for name in _SHOP_COLUMNS}
    row["extra"] = json.dumps(dict(store.extra), ensure_ascii=False)
    row["overridden"] = json.dumps(dict(store.overridden), ensure_ascii=False)
    row["version"] = version
    return row


def store_from_row(row: Any) -> Store:
    values = {name: getattr(row, name) for name in _SHOP_COLUMNS}
    values["extra"] = json.loads(row.extra) if row.extra else {}
    values["overridden"] = json.loads(row.overridden) if row.overridden else {}
    return Store(**values)


def write_version(conn: Connection, base: int | None, stores: Sequence[Store], *, leave_out: Iterable[str] = (),
                  source: str, total_rows: int = 0, report: dict[str, Any] | None = None,
                  file_name: str | None = None, uploaded_by: str | None = None, note: str | None = None) -> int:
    """A new version, not yet live: ``stores``, plus every shop of ``base`` but those left out.

    With no ``base`` the stores are the whole list (an upload); with one, the
    base is copied in the database and ``stores`` replace or add to it (a merge,
    a correction, a version with the standing corrections applied).
    """
    version = conn.execute(
        schema.datasets.insert().values(
            created_at=datetime.now(timezone.utc), source=source, file_name=file_name,
            uploaded_by=uploaded_by, total_rows=total_rows, store_count=0,
            report=json.dumps(report or {}, ensure_ascii=False), base_version=base, note=note,
        )
    ).inserted_primary_key[0]
    if base is not None:
        _copy_stores(conn, base, version, leave_out=[*leave_out, *(s.id for s in stores)])
    for start in range(0, len(stores), INSERT_BATCH):
        conn.execute(schema.stores.insert(), [store_row(version, s) for s in stores[start:start + INSERT_BATCH]])
    count = conn.execute(select(func.count()).select_from(schema.stores)
                         .where(schema.stores.c.version == version)).scalar()
    conn.execute(update(schema.datasets).where(schema.datasets.c.version == version).values(store_count=count))
    return version


def _copy_stores(conn: Connection, from_version: int, to_version: int, leave_out: Iterable[str] = ()) -> None:
    """Every shop of one version into another, in the database, but those left out."""
    s = schema.stores.c
    columns = [column.name for column in schema.stores.columns]
    copied = select(*[literal(to_version).label("version") if name == "version" else s[name]
                      for name in columns]).where(s.version == from_version)
    conn.execute(schema.stores.insert().from_select(columns, copied))
    leave_out = sorted(set(leave_out))
    for start in range(0, len(leave_out), DELETE_BATCH):
        conn.execute(delete(schema.stores).where(
            and_(s.version == to_version, s.id.in_(leave_out[start:start + DELETE_BATCH]))))


def store_count(conn: Connection, version: int) -> int:
    return conn.execute(select(schema.datasets.c.store_count).where(schema.datasets.c.version == version)).scalar()


def set_live(conn: Connection, version: int) -> None:
    """Make ``version`` live; every listening process hears of it when the transaction commits."""
    now = datetime.now(timezone.utc)
    updated = conn.execute(
        schema.live_dataset.update().where(schema.live_dataset.c.id == 1).values(version=version, activated_at=now)
    ).rowcount
    if not updated:
        conn.execute(schema.live_dataset.insert().values(id=1, version=version, activated_at=now))
    announce(conn, version)


def live_version(conn: Connection) -> int | None:
    return conn.execute(select(schema.live_dataset.c.version).where(schema.live_dataset.c.id == 1)).scalar()


def version_exists(conn: Connection, version: int) -> bool:
    return conn.execute(select(schema.datasets.c.version)
                        .where(schema.datasets.c.version == version)).first() is not None


def store_in(conn: Connection, version: int, store_id: str) -> Store | None:
    s = schema.stores.c
    row = conn.execute(select(schema.stores).where(and_(s.version == version, s.id == store_id))).first()
    return None if row is None else store_from_row(row)


def latest_store(conn: Connection, store_id: str) -> Store | None:
    """The shop as the newest version that holds it has it (to bring a revoked shop back)."""
    s = schema.stores.c
    row = conn.execute(select(schema.stores).where(s.id == store_id).order_by(s.version.desc()).limit(1)).first()
    return None if row is None else store_from_row(row)


def beyond_kept(conn: Connection, keep: int) -> list[int]:
    """Versions older than the newest ``keep``, but the live one, oldest first."""
    d = schema.datasets.c
    live = live_version(conn)
    newest = conn.execute(select(d.version).order_by(d.version.desc()).limit(keep)).scalars().all()
    return list(conn.execute(select(d.version).where(d.version.not_in([*newest, live or 0]))
                             .order_by(d.version)).scalars().all())


def drop_versions(conn: Connection, dropped: Iterable[int]) -> None:
    for version in dropped:
        conn.execute(delete(schema.stores).where(schema.stores.c.version == version))
        conn.execute(delete(schema.datasets).where(schema.datasets.c.version == version))
