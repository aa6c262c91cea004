"""Versioned storage of certified-store lists: write a version, activate it, read it back.

The database is the truth; every process serves from an in-memory index
built from ``load_stores(live_version())``. A version is written and made
live in one transaction, so readers see either the old list or the new
one, never a half-written mix. Each version is a whole snapshot: an admin's
correction is a new version copied from the live one in the database, so
rolling back, diffing and delta sync all compare snapshots.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import Connection, Engine, and_, delete, func, literal, select, text, update

from ..model import Store
from . import migrate, schema
from .engine import as_utc

LOGGER = logging.getLogger(__name__)
INSERT_BATCH = 2000
WRITE_LOCK_KEY = 0x6E6176706C7567  # "navplug": the advisory lock all writers of versions share
DELETE_BATCH = 500  # ids per IN (...) list, well under any driver's parameter limit


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


_STORE_COLUMNS = tuple(field.name for field in dataclasses.fields(Store))


def _store_row(version: int, store: Store) -> dict[str, Any]:
    row = {name: getattr(store, name) for name in _STORE_COLUMNS}
    row["extra"] = json.dumps(dict(store.extra), ensure_ascii=False)
    row["overridden"] = json.dumps(dict(store.overridden), ensure_ascii=False)
    row["version"] = version
    return row


def _store_from_row(row: Any) -> Store:
    values = {name: getattr(row, name) for name in _STORE_COLUMNS}
    values["extra"] = json.loads(row.extra) if row.extra else {}
    values["overridden"] = json.loads(row.overridden) if row.overridden else {}
    return Store(**values)



class Repository:
    """Versions of the list. Writers go through ``writing()``: one at a time, across processes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_lock = threading.Lock()

    def create_schema(self) -> None:
        migrate.upgrade(self.engine)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction that holds the write turn until it commits.

        Its first statement takes a lock held to the end of the transaction:
        PostgreSQL's transaction-level advisory lock, or SQLite's write lock (any
        write statement takes it, even one that changes no row). A second writer, in
        any process, waits there and then reads the live version the first one left,
        so no change is built on a stale version, even on an empty database.
        """
        with self._write_lock, self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
            else:
                conn.execute(update(schema.live_dataset).where(schema.live_dataset.c.id == 1)
                             .values(id=schema.live_dataset.c.id))
            yield conn

    def add_version(
        self,
        stores: Iterable[Store],
        *,
        source: str,
        total_rows: int,
        report: dict[str, Any],
        file_name: str | None = None,
        uploaded_by: str | None = None,
        activate: bool = True,
    ) -> int:
        """Write a whole list as a new version and, by default, make it live, in one transaction."""
        store_list = list(stores)
        with self.writing() as conn:
            version = self.write_version(conn, None, store_list, source=source, total_rows=total_rows,
                                         report=report, file_name=file_name, uploaded_by=uploaded_by)
            if activate:
                self.set_live(conn, version)
        LOGGER.info("dataset version %s written: %s stores (live=%s)", version, len(store_list), activate)
        return version

    # -- writing, inside ``writing()`` ----------------------------------------------------------

    def write_version(self, conn: Connection, base: int | None, stores: Sequence[Store], *,
                      leave_out: Iterable[str] = (), source: str, total_rows: int = 0,
                      report: dict[str, Any] | None = None, file_name: str | None = None,
                      uploaded_by: str | None = None, note: str | None = None) -> int:
        """A new version, not yet live: ``stores``, plus every shop of ``base`` but those left out.

        With no ``base`` the stores are the whole list (an upload); with one, the
        base is copied in the database and ``stores`` replace or add to it (a merge,
        a correction, a version with the standing corrections applied).
        """
        version = self._insert_version(conn, source=source, total_rows=total_rows, report=report or {},
                                      file_name=file_name, uploaded_by=uploaded_by, base_version=base, note=note)
        if base is not None:
            self._copy_stores(conn, base, version, leave_out=[*leave_out, *(s.id for s in stores)])
        self._insert_stores(conn, version, stores)
        self._count_stores(conn, version)
        return version

    @staticmethod
    def _insert_version(conn: Connection, *, source: str, total_rows: int, report: dict[str, Any],
                       file_name: str | None = None, uploaded_by: str | None = None,
                       base_version: int | None = None, note: str | None = None) -> int:
        return conn.execute(
            schema.datasets.insert().values(
                created_at=datetime.now(timezone.utc), source=source, file_name=file_name,
                uploaded_by=uploaded_by, total_rows=total_rows, store_count=0,
                report=json.dumps(report, ensure_ascii=False), base_version=base_version, note=note,
            )
        ).inserted_primary_key[0]

    @staticmethod
    def _insert_stores(conn: Connection, version: int, stores: Sequence[Store]) -> None:
        for start in range(0, len(stores), INSERT_BATCH):
            batch = stores[start:start + INSERT_BATCH]
            conn.execute(schema.stores.insert(), [_store_row(version, s) for s in batch])

    @staticmethod
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

    @staticmethod
    def _count_stores(conn: Connection, version: int) -> int:
        count = conn.execute(select(func.count()).select_from(schema.stores)
                             .where(schema.stores.c.version == version)).scalar()
        conn.execute(update(schema.datasets).where(schema.datasets.c.version == version).values(store_count=count))
        return count

    @staticmethod
    def store_count_in(conn: Connection, version: int) -> int:
        return conn.execute(select(schema.datasets.c.store_count)
                            .where(schema.datasets.c.version == version)).scalar()

    @staticmethod
    def set_live(conn: Connection, version: int) -> None:
        now = datetime.now(timezone.utc)
        updated = conn.execute(
            schema.live_dataset.update()
            .where(schema.live_dataset.c.id == 1)
            .values(version=version, activated_at=now)
        ).rowcount
        if not updated:
            conn.execute(schema.live_dataset.insert().values(id=1, version=version, activated_at=now))

    @staticmethod
    def live_version_in(conn: Connection) -> int | None:
        return conn.execute(select(schema.live_dataset.c.version).where(schema.live_dataset.c.id == 1)).scalar()

    @staticmethod
    def version_exists(conn: Connection, version: int) -> bool:
        return conn.execute(select(schema.datasets.c.version)
                            .where(schema.datasets.c.version == version)).first() is not None

    @staticmethod
    def store_in(conn: Connection, version: int, store_id: str) -> Store | None:
        s = schema.stores.c
        row = conn.execute(select(schema.stores).where(and_(s.version == version, s.id == store_id))).first()
        return None if row is None else _store_from_row(row)

    @staticmethod
    def latest_store_in(conn: Connection, store_id: str) -> Store | None:
        """The shop as the newest version that holds it has it (to bring a revoked shop back)."""
        s = schema.stores.c
        row = conn.execute(select(schema.stores).where(s.id == store_id)
                           .order_by(s.version.desc()).limit(1)).first()
        return None if row is None else _store_from_row(row)

    # -- reading ----------------------------------------------------------------------------------

    def activate(self, version: int) -> int | None:
        """Make a kept version live (roll back or forward); the version that was live."""
        with self.writing() as conn:
            if not self.version_exists(conn, version):
                raise KeyError(version)
            previous = self.live_version_in(conn)
            self.set_live(conn, version)
        return previous

    def store(self, version: int, store_id: str) -> Store | None:
        with self.engine.connect() as conn:
            return self.store_in(conn, version, store_id)

    def has_version(self, version: int) -> bool:
        with self.engine.connect() as conn:
            return self.version_exists(conn, version)

    def newest_version(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(schema.datasets.c.version))).scalar()

    def prune(self, keep: int) -> list[int]:
        """Drop all but the newest ``keep`` versions (never the live one); the versions dropped."""
        if keep <= 0:
            return []
        d = schema.datasets.c
        with self.writing() as conn:
            live = self.live_version_in(conn)
            newest = conn.execute(select(d.version).order_by(d.version.desc()).limit(keep)).scalars().all()
            dropped = conn.execute(select(d.version).where(d.version.not_in([*newest, live or 0]))
                                   .order_by(d.version)).scalars().all()
            for version in dropped:
                conn.execute(delete(schema.stores).where(schema.stores.c.version == version))
                conn.execute(delete(schema.datasets).where(d.version == version))
        if dropped:
            LOGGER.info("pruned dataset versions %s (keeping the newest %s)", dropped, keep)
        return list(dropped)

    def live_version(self) -> int | None:
        with self.engine.connect() as conn:
            return self.live_version_in(conn)

    def live_activated_at(self) -> datetime | None:
        """When the live version went live: the Last-Modified of a full export."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(schema.live_dataset.c.activated_at).where(schema.live_dataset.c.id == 1)
            ).scalar()
        return None if value is None else as_utc(value)

    def has_any_version(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(schema.datasets)).scalar() > 0

    def iter_stores(self, version: int) -> Iterator[Store]:
        query = (
            select(schema.stores)
            .where(schema.stores.c.version == version)
            .order_by(schema.stores.c.id)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
            for row in result:
                yield _store_from_row(row)

    def load_stores(self, version: int) -> list[Store]:
        return list(self.iter_stores(version))

    def load_kept_stores(self, version: int) -> list[Store] | None:
        """A version's shops, or None when the version is not kept (any more).

        Dropping a version deletes its shops and its row in one transaction, and
        one query reads the shops from one snapshot: so the shops read are the whole
        version unless the drop came first, and then the version's row is gone too.
        An empty list read from a version that was just dropped is never taken for
        an empty version.
        """
        stores = self.load_stores(version)
        return stores if self.has_version(version) else None

    def versions(self) -> list[VersionInfo]:
        live = self.live_version()
        d = schema.datasets.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(d.version, d.created_at, d.source, d.file_name, d.uploaded_by,
                       d.total_rows, d.store_count, d.base_version, d.note).order_by(d.version.desc())
            ).all()
        return [
            VersionInfo(
                version=row.version,
                created_at=as_utc(row.created_at),
                source=row.source,
                file_name=row.file_name,
                uploaded_by=row.uploaded_by,
                total_rows=row.total_rows,
                store_count=row.store_count,
                live=row.version == live,
                base_version=row.base_version,
                note=row.note,
            )
            for row in rows
        ]

    def stats(self) -> dict[str, Any]:
        live = self.live_version()
        s = schema.stores.c
        with self.engine.connect() as conn:
            versions = conn.execute(select(func.count()).select_from(schema.datasets)).scalar()
            by_precision: dict[str, int] = {}
            by_category: dict[str, int] = {}
            if live is not None:
                for precision, count in conn.execute(
                    select(s.precision, func.count()).where(s.version == live).group_by(s.precision)
                ):
                    by_precision[precision] = count
                for category, count in conn.execute(
                    select(s.category, func.count()).where(s.version == live).group_by(s.category)
                ):
                    by_category[category or ""] = count
        return {
            "versions": versions,
            "live_version": live,
            "stores": sum(by_precision.values()),
            "by_precision": dict(sorted(by_precision.items())),
            "by_category": dict(sorted(by_category.items(), key=lambda kv: -kv[1])),
        }
