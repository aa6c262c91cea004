"""The persistent geocode cache: one row per (provider, normalised address).

A job preloads the keys it needs in one query, so a list uploaded again is
answered from memory with no upstream calls; new answers are written by the
job's single writer together with the rows they placed.
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Engine, and_, select
from sqlalchemy.dialects import postgresql, sqlite

from ..model import GeocodeResult, Point
from . import schema

PRELOAD_BATCH = 500


def _result(provider: str, row: Any) -> GeocodeResult | None:
    if not row.found:
        return None
    entrance = None
    if row.entrance_lon is not None and row.entrance_lat is not None:
        entrance = Point(row.entrance_lon, row.entrance_lat)
    return GeocodeResult(point=Point(row.lon, row.lat), provider=provider, precision=row.precision,
                         matched=row.matched, entrance=entrance, accuracy_m=row.accuracy_m)


def cache_row(provider: str, key: str, result: GeocodeResult | None) -> dict[str, Any]:
    return {
        "provider": provider,
        "key": key,
        "found": int(result is not None),
        "lon": result.point.lon if result else None,
        "lat": result.point.lat if result else None,
        "precision": result.precision if result else None,
        "matched": result.matched if result else None,
        "entrance_lon": result.entrance.lon if result and result.entrance else None,
        "entrance_lat": result.entrance.lat if result and result.entrance else None,
        "accuracy_m": result.accuracy_m if result else None,
        "created_at": datetime.now(timezone.utc),
    }


class GeocodeCache:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._memory: dict[tuple[str, str], GeocodeResult | None] = {}
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def preload(self, providers: Iterable[str], keys: Iterable[str]) -> int:
        providers = list(providers)
        keys = sorted(set(keys))
        c = schema.geocode_cache.c
        loaded = 0
        with self.engine.connect() as conn:
            for start in range(0, len(keys), PRELOAD_BATCH):
                batch = keys[start:start + PRELOAD_BATCH]
                rows = conn.execute(select(schema.geocode_cache).where(
                    and_(c.provider.in_(providers), c.key.in_(batch))))
                with self._lock:
                    for row in rows:
                        self._memory[(row.provider, row.key)] = _result(row.provider, row)
                        loaded += 1
        return loaded

    def get(self, provider: str, key: str) -> tuple[bool, GeocodeResult | None]:
        """(whether the cache knows this address, its answer: None for a remembered "no result")."""
        entry = self._memory.get((provider, key), self)
        return (False, None) if entry is self else (True, entry)

    def put(self, provider: str, key: str, result: GeocodeResult | None) -> None:
        """Remember in memory now; written to the database by ``flush`` (the job's writer)."""
        with self._lock:
            self._memory[(provider, key)] = result
            self._pending.append(cache_row(provider, key, result))

    def take_pending(self) -> list[dict[str, Any]]:
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    @staticmethod
    def write(conn: Any, rows: list[dict[str, Any]]) -> None:
        """Insert or replace, safe against a concurrent job writing the same key."""
        if not rows:
            return
        unique = list({(r["provider"], r["key"]): r for r in rows}.values())
        dialect = conn.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(schema.geocode_cache)
        updates = {name: statement.excluded[name] for name in unique[0] if name not in ("provider", "key")}
        conn.execute(statement.on_conflict_do_update(index_elements=["provider", "key"], set_=updates), unique)
