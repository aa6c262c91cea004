"""Uploads being geocoded, persisted row by row so a job survives the process that ran it."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import Engine, and_, bindparam, func, or_, select, update

from ..model import Point, ShopRow
from . import schema
from .cache import GeocodeCache
from .engine import as_utc

ACTIVE = ("queued", "running")


class JobLost(Exception):
    """Another process took the job over (this one's heartbeat went stale): stop working on it."""


def _now() -> datetime:
    return datetime.now(timezone.utc)



def row_to_json(row: ShopRow) -> str:
    values = dataclasses.asdict(row)
    values["extra"] = dict(row.extra)
    return json.dumps(values, ensure_ascii=False)


def row_from_json(text: str) -> ShopRow:
    values = json.loads(text)
    point = values.pop("point")
    return ShopRow(point=Point(**point) if point else None, **values)


@dataclass(frozen=True, slots=True)
class RowResult:
    """What geocoding made of one row: placed (``done``) or not (``failed``, with the reason)."""

    line: int
    status: str
    lon: float | None = None
    lat: float | None = None
    provider: str | None = None
    precision: str | None = None
    entrance_lon: float | None = None
    entrance_lat: float | None = None
    district_check: str | None = None
    reason: str | None = None


class UploadStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, rows: Iterable[ShopRow], *, report: dict[str, Any], total_rows: int, source: str,
               file_name: str | None, uploaded_by: str | None, skip_invalid: bool,
               mode: str = "replace", conn: Any = None) -> int:
        """A queued job; rows that carry coordinates are placed already."""
        rows = list(rows)
        now = _now()
        if conn is None:
            with self.engine.begin() as own:
                return self.create(rows, report=report, total_rows=total_rows, source=source, file_name=file_name,
                                   uploaded_by=uploaded_by, skip_invalid=skip_invalid, mode=mode, conn=own)
        upload_id = conn.execute(schema.uploads.insert().values(
            created_at=now, status="queued", source=source, file_name=file_name, uploaded_by=uploaded_by,
            skip_invalid=int(skip_invalid), mode=mode, total_rows=total_rows, row_count=len(rows),
            done=sum(row.point is not None for row in rows), failed=0,
            report=json.dumps(report, ensure_ascii=False),
        )).inserted_primary_key[0]
        values = []
        for row in rows:
            placed = row.point is not None
            values.append({
                "upload_id": upload_id, "line": row.line, "row": row_to_json(row),
                "status": "done" if placed else "pending",
                "lon": row.point.lon if placed else None, "lat": row.point.lat if placed else None,
                "provider": "supplied" if placed else None, "precision": "supplied" if placed else None,
                "entrance_lon": None, "entrance_lat": None, "district_check": None, "reason": None,
            })
        for start in range(0, len(values), 2000):
            conn.execute(schema.upload_rows.insert(), values[start:start + 2000])
        return upload_id

    def claim(self, upload_id: int, owner: str, stale_after: float) -> bool:
        """Take the job unless another live process holds it (its heartbeat is recent)."""
        u = schema.uploads.c
        now = _now()
        stale = now - timedelta(seconds=stale_after)
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(schema.uploads)
                .where(and_(u.id == upload_id, u.status.in_(ACTIVE),
                            or_(u.owner.is_(None), u.owner == owner, u.heartbeat < stale)))
                .values(owner=owner, heartbeat=now, status="running", started_at=func.coalesce(u.started_at, now))
            ).rowcount
        return claimed == 1

    def claimable(self, stale_after: float, owner: str | None = None) -> list[int]:
        """Unfinished jobs no other live process is working on (``owner``'s own count as free)."""
        u = schema.uploads.c
        stale = _now() - timedelta(seconds=stale_after)
        free = or_(u.owner.is_(None), u.heartbeat < stale, u.owner == owner)
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(u.id).where(and_(u.status.in_(ACTIVE), free)).order_by(u.id)
            ).scalars())

    def rows(self, upload_id: int, status: str | None = None) -> list[tuple[ShopRow, Any]]:
        r = schema.upload_rows.c
        query = select(schema.upload_rows).where(r.upload_id == upload_id).order_by(r.line)
        if status is not None:
            query = query.where(r.status == status)
        with self.engine.connect() as conn:
            return [(row_from_json(db_row.row), db_row) for db_row in conn.execute(query)]

    def record(self, upload_id: int, owner: str, results: list[RowResult], cache_rows: list[dict]) -> None:
        """Row results, the cache entries that produced them and the progress, in one transaction."""
        r = schema.upload_rows.c
        with self.engine.begin() as conn:
            # First, so a process that lost the job writes nothing at all.
            self.assert_owner(conn, upload_id, owner, done=sum(x.status == "done" for x in results),
                              failed=sum(x.status == "failed" for x in results))
            GeocodeCache.write(conn, cache_rows)
            if results:
                fields = [f.name for f in dataclasses.fields(RowResult) if f.name != "line"]
                statement = (update(schema.upload_rows)
                             .where(and_(r.upload_id == upload_id, r.line == bindparam("row_line")))
                             .values({name: bindparam(f"new_{name}") for name in fields}))
                conn.execute(statement, [
                    {"row_line": result.line, **{f"new_{name}": getattr(result, name) for name in fields}}
                    for result in results
                ])

    def record_checks(self, upload_id: int, owner: str, checks: list[tuple[int, str, str | None]]) -> None:
        """District checks of rows placed already: (line, status, reason); counters unchanged."""
        r = schema.upload_rows.c
        with self.engine.begin() as conn:
            self.assert_owner(conn, upload_id, owner)
            conn.execute(
                update(schema.upload_rows)
                .where(and_(r.upload_id == upload_id, r.line == bindparam("row_line")))
                .values(district_check=bindparam("new_check"), reason=bindparam("new_reason")),
                [{"row_line": line, "new_check": status, "new_reason": reason} for line, status, reason in checks],
            )

    @staticmethod
    def assert_owner(conn: Any, upload_id: int, owner: str, done: int = 0, failed: int = 0) -> None:
        """Beat the job's heartbeat (and add to its counters) as its owner, or raise ``JobLost``."""
        u = schema.uploads.c
        updated = conn.execute(
            update(schema.uploads).where(and_(u.id == upload_id, u.owner == owner, u.status == "running"))
            .values(done=u.done + done, failed=u.failed + failed, heartbeat=_now())
        ).rowcount
        if updated != 1:
            raise JobLost(f"upload {upload_id} is no longer held by {owner}")

    def finish(self, upload_id: int, *, status: str, report: dict[str, Any], version: int | None = None,
               error: str | None = None, owner: str | None = None, conn: Any = None) -> None:
        """End the job; with ``owner``, only if this process still holds it (else ``JobLost``)."""
        u = schema.uploads.c
        condition = u.id == upload_id if owner is None else and_(u.id == upload_id, u.owner == owner)
        statement = update(schema.uploads).where(condition).values(
            status=status, version=version, error=error, finished_at=_now(), owner=None,
            report=json.dumps(report, ensure_ascii=False),
        )
        if conn is not None:
            updated = conn.execute(statement).rowcount
        else:
            with self.engine.begin() as own:
                updated = own.execute(statement).rowcount
        if owner is not None and updated != 1:
            raise JobLost(f"upload {upload_id} is no longer held by {owner}")

    def requeue_failed(self, upload_id: int) -> int:
        """Failed rows back to pending, and the job back to the queue (``geocode-pending --retry-failed``)."""
        r = schema.upload_rows.c
        u = schema.uploads.c
        with self.engine.begin() as conn:
            count = conn.execute(update(schema.upload_rows)
                                 .where(and_(r.upload_id == upload_id, r.status == "failed"))
                                 .values(status="pending", reason=None)).rowcount
            counts = dict(conn.execute(select(r.status, func.count()).where(r.upload_id == upload_id)
                                       .group_by(r.status)).all())
            if counts.get("pending"):
                conn.execute(update(schema.uploads).where(and_(u.id == upload_id, u.status == "failed")).values(
                    status="queued", done=counts.get("done", 0), failed=0, owner=None, finished_at=None,
                    error=None))
        return count

    def latest_finished(self) -> int | None:
        """The newest upload whose job has ended, placed or not: its unplaced rows are the ones to review."""
        u = schema.uploads.c
        with self.engine.connect() as conn:
            return conn.execute(select(u.id).where(u.status.in_(("done", "failed")))
                                .order_by(u.id.desc()).limit(1)).scalar()

    def latest_failed(self) -> int | None:
        u = schema.uploads.c
        with self.engine.connect() as conn:
            return conn.execute(select(u.id).where(u.status == "failed").order_by(u.id.desc()).limit(1)).scalar()

    def get(self, upload_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.uploads).where(schema.uploads.c.id == upload_id)).first()
        if row is None:
            return None
        values = dict(row._mapping)
        values["report"] = json.loads(values["report"])
        for name in ("created_at", "started_at", "finished_at", "heartbeat"):
            values[name] = as_utc(values[name])
        return values
