"""Versioned storage of certified-store lists: every change through ``change()``, and the reads.

The database is the truth; every process serves from an in-memory index
built from ``load_kept_stores(live_version())``. A version is written and made
live in one transaction, so readers see either the old list or the new one,
never a half-written mix. Each version is a whole snapshot: an admin's
correction is a new version copied from the live one in the database, so
rolling back, diffing and delta sync all compare snapshots.
"""
from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import Connection, Engine, func, select, text, update

from ..model import Store
from . import audit, clients, migrate, overrides, schema, versions
from .cache import GeocodeCache
from .change import Change
from .clients import Client
from .notify import CHANNEL, CLIENTS_CHANNEL, LiveListener
from .engine import as_utc
from .overrides import Override
from .uploads import UploadStore
from .versions import VersionInfo

LOGGER = logging.getLogger(__name__)
WRITE_LOCK_KEY = 0x6E6176706C7567  # "navplug": the advisory lock all writers of versions share
SYSTEM_ACTOR = "system"  # the audit log's name for what the service does by itself

__all__ = ["Repository", "VersionInfo", "SYSTEM_ACTOR"]


def take_write_turn(conn: Connection) -> None:
    """Wait for, then hold to the end of the transaction, the one writers' turn across processes.

    PostgreSQL's transaction-level advisory lock, or SQLite's write lock (any
    write statement takes it, even one that changes no row). A second writer, in
    any process, waits here and then reads the live version the first one left,
    so no change is built on a stale version, even on an empty database.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
    else:
        conn.execute(update(schema.live_dataset).where(schema.live_dataset.c.id == 1)
                     .values(id=schema.live_dataset.c.id))


class Repository:
    """Versions of the list, standing overrides and the audit log."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_lock = threading.Lock()

    def uploads(self) -> UploadStore:
        """The upload jobs' bookkeeping, on the same database."""
        return UploadStore(self.engine)

    def dispose(self) -> None:
        """Close the pool's connections (at exit, or in a process about to fork)."""
        self.engine.dispose()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- the schema -------------------------------------------------------------------------------

    def startup_lock(self) -> AbstractContextManager[None]:
        """One starting process at a time, across processes; see ``migrate.startup_lock``."""
        return migrate.startup_lock(self.engine)

    def upgrade_schema(self, revision: str = "head") -> None:
        """Apply the pending migrations (Alembic)."""
        migrate.upgrade(self.engine, revision)

    def require_schema(self) -> None:
        """Raise ``SchemaOutOfDate`` unless the database is at this release's schema."""
        migrate.require_current(self.engine)

    def schema_revision(self) -> str | None:
        return migrate.current(self.engine)

    def check_schema(self) -> None:
        """Raise when the declared tables and the migrations' result differ (``alembic check``)."""
        migrate.check(self.engine)

    def stamp_schema(self, revision: str) -> None:
        migrate.stamp(self.engine, revision)

    def listen(self, *, live: Callable[[], None], clients: Callable[[], None]) -> LiveListener | None:
        """Hear of each new live version and each change of client keys at once (PostgreSQL); None where
        the database cannot tell (SQLite)."""
        if self.engine.dialect.name != "postgresql":
            return None
        return LiveListener(self.engine, {CHANNEL: lambda _payload: live(),
                                          CLIENTS_CHANNEL: lambda _payload: clients()}).start()

    def geocode_cache(self) -> GeocodeCache:
        """A job's view of the persistent geocode cache."""
        return GeocodeCache(self.engine)

    # -- changing ---------------------------------------------------------------------------------

    @contextmanager
    def change(self, actor: str, action: str, target: str | None = None) -> Iterator[Change]:
        """One audited change: a transaction holding the writers' turn, its audit entry written last.

        An exception inside the block rolls the change back, audit entry and all.
        """
        if action not in audit.ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        with self._write_lock, self.engine.begin() as conn:
            take_write_turn(conn)
            change = Change(conn, actor=actor, action=action, target=target)
            yield change
            change._record()

    def add_version(self, stores: Iterable[Store], *, source: str, total_rows: int, report: dict[str, Any],
                    file_name: str | None = None, uploaded_by: str | None = None, activate: bool = True) -> int:
        """Write a whole list of placed shops as a new version and, by default, make it live (``version.import``)."""
        store_list = list(stores)
        with self.change(uploaded_by or source, "version.import") as change:
            version = change.write_version(None, store_list, source=source, total_rows=total_rows, report=report,
                                           file_name=file_name, uploaded_by=uploaded_by)
            if activate:
                change.set_live(version)
            change.audit(version=version, target=f"version:{version}", stores=len(store_list), live=activate,
                         file_name=file_name)
        LOGGER.info("dataset version %s written: %s stores (live=%s)", version, len(store_list), activate)
        return version

    def prune(self, keep: int) -> list[int]:
        """Drop all but the newest ``keep`` versions (never the live one); the versions dropped.

        Audited as ``version.prune`` by the service itself, when there is anything to drop.
        """
        if keep <= 0:
            return []
        with self.engine.connect() as conn:
            if not versions.beyond_kept(conn, keep):
                return []
        with self.change(SYSTEM_ACTOR, "version.prune") as change:
            dropped = change.drop_versions_beyond(keep)
            change.audit(dropped=dropped, keep=keep)
        if dropped:
            LOGGER.info("pruned dataset versions %s (keeping the newest %s)", dropped, keep)
        return dropped

    # -- reading ----------------------------------------------------------------------------------

    def live_version(self) -> int | None:
        with self.engine.connect() as conn:
            return versions.live_version(conn)

    def live_activated_at(self) -> datetime | None:
        """When the live version went live: the Last-Modified of a full export."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(schema.live_dataset.c.activated_at).where(schema.live_dataset.c.id == 1)
            ).scalar()
        return None if value is None else as_utc(value)

    def has_version(self, version: int) -> bool:
        with self.engine.connect() as conn:
            return versions.version_exists(conn, version)

    def has_any_version(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(schema.datasets)).scalar() > 0

    def newest_version(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(schema.datasets.c.version))).scalar()

    def store(self, version: int, store_id: str) -> Store | None:
        with self.engine.connect() as conn:
            return versions.store_in(conn, version, store_id)

    def latest_store(self, store_id: str) -> Store | None:
        """The shop as the newest version that holds it has it, live or not."""
        with self.engine.connect() as conn:
            return versions.latest_store(conn, store_id)

    def iter_stores(self, version: int) -> Iterator[Store]:
        query = select(schema.stores).where(schema.stores.c.version == version).order_by(schema.stores.c.id)
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
            for row in result:
                yield versions.store_from_row(row)

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
            VersionInfo(version=row.version, created_at=as_utc(row.created_at), source=row.source,
                        file_name=row.file_name, uploaded_by=row.uploaded_by, total_rows=row.total_rows,
                        store_count=row.store_count, live=row.version == live, base_version=row.base_version,
                        note=row.note)
            for row in rows
        ]

    def override(self, store_id: str) -> Override | None:
        with self.engine.connect() as conn:
            return overrides.get(conn, store_id)

    def standing_overrides(self) -> dict[str, Override]:
        with self.engine.connect() as conn:
            return overrides.all_in(conn)

    def clients(self) -> list[Client]:
        with self.engine.connect() as conn:
            return clients.all_in(conn)

    def client(self, client_id: int) -> Client | None:
        with self.engine.connect() as conn:
            return clients.get(conn, client_id)

    def client_usage(self, client_id: int | None = None, since: str | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return clients.usage(conn, client_id, since)

    def add_client_usage(self, counts: list[tuple[int, str, int, int]]) -> None:
        """What a process counted of its clients' requests (bookkeeping, not an audited change)."""
        with self.engine.begin() as conn:
            clients.add_usage(conn, counts)

    def audit_entries(self, **query: Any) -> list[dict[str, Any]]:
        """Newest first; see ``audit.entries``."""
        with self.engine.connect() as conn:
            return audit.entries(conn, **query)

    def stats(self) -> dict[str, Any]:
        live = self.live_version()
        s = schema.stores.c
        with self.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(schema.datasets)).scalar()
            by_precision: dict[str, int] = {}
            by_category: dict[str, int] = {}
            if live is not None:
                for precision, number in conn.execute(
                    select(s.precision, func.count()).where(s.version == live).group_by(s.precision)
                ):
                    by_precision[precision] = number
                for category, number in conn.execute(
                    select(s.category, func.count()).where(s.version == live).group_by(s.category)
                ):
                    by_category[category or ""] = number
        return {
            "versions": count,
            "live_version": live,
            "stores": sum(by_precision.values()),
            "by_precision": dict(sorted(by_precision.items())),
            "by_category": dict(sorted(by_category.items(), key=lambda kv: -kv[1])),
        }
