"""Versioned storage of certified-store lists: add a version, activate it, read it back.

The database is the truth; every process serves from an in-memory index
built from ``load_stores(live_version())``. A version is written and made
live in one transaction, so readers see either the old list or the new
one, never a half-written mix.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import Engine, func, select, text

from ..model import Store
from . import migrate, schema
from .engine import as_utc

LOGGER = logging.getLogger(__name__)
INSERT_BATCH = 2000


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "live": self.live,
            "created_at": self.created_at.isoformat(),
            "source": self.source,
            "file_name": self.file_name,
            "uploaded_by": self.uploaded_by,
            "counts": {"rows": self.total_rows, "stores": self.store_count},
        }


_STORE_COLUMNS = tuple(field.name for field in dataclasses.fields(Store))


def _store_row(version: int, store: Store) -> dict[str, Any]:
    row = {name: getattr(store, name) for name in _STORE_COLUMNS}
    row["extra"] = json.dumps(dict(store.extra), ensure_ascii=False)
    row["version"] = version
    return row


def _store_from_row(row: Any) -> Store:
    values = {name: getattr(row, name) for name in _STORE_COLUMNS}
    values["extra"] = json.loads(row.extra) if row.extra else {}
    return Store(**values)



class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        migrate.upgrade(self.engine)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

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
        in_transaction: Callable[[Any, int], None] | None = None,
    ) -> int:
        """Write a whole list as a new version and, by default, make it live, in one transaction.

        ``in_transaction(conn, version)`` runs inside that transaction (a job marks
        itself done there), so the version and its record commit or vanish together.
        """
        now = datetime.now(timezone.utc)
        store_list = list(stores)
        with self.engine.begin() as conn:
            version = conn.execute(
                schema.datasets.insert().values(
                    created_at=now,
                    source=source,
                    file_name=file_name,
                    uploaded_by=uploaded_by,
                    total_rows=total_rows,
                    store_count=len(store_list),
                    report=json.dumps(report, ensure_ascii=False),
                )
            ).inserted_primary_key[0]
            for start in range(0, len(store_list), INSERT_BATCH):
                batch = store_list[start:start + INSERT_BATCH]
                conn.execute(schema.stores.insert(), [_store_row(version, s) for s in batch])
            if in_transaction is not None:
                in_transaction(conn, version)
            if activate:
                self._set_live(conn, version, now)
        LOGGER.info("dataset version %s written: %s stores (live=%s)", version, len(store_list), activate)
        return version

    def activate(self, version: int) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(schema.datasets.c.version).where(schema.datasets.c.version == version)
            ).first()
            if exists is None:
                raise KeyError(version)
            self._set_live(conn, version, datetime.now(timezone.utc))

    @staticmethod
    def _set_live(conn: Any, version: int, now: datetime) -> None:
        updated = conn.execute(
            schema.live_dataset.update()
            .where(schema.live_dataset.c.id == 1)
            .values(version=version, activated_at=now)
        ).rowcount
        if not updated:
            conn.execute(schema.live_dataset.insert().values(id=1, version=version, activated_at=now))

    def live_version(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.live_dataset.c.version).where(schema.live_dataset.c.id == 1)
            ).scalar()

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

    def versions(self) -> list[VersionInfo]:
        live = self.live_version()
        d = schema.datasets.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(d.version, d.created_at, d.source, d.file_name, d.uploaded_by,
                       d.total_rows, d.store_count).order_by(d.version.desc())
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
