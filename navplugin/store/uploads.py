"""Uploads being geocoded, persisted row by row so a job survives the process that ran it.

A job is created and ended inside an audited ``Change`` (``create``,
``finish``); its progress in between (claims, heartbeats, row results) is
bookkeeping that ``UploadStore`` writes in transactions of its own.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select, update

from ..model import PLACEMENT_NAMES, Placement, Point, ShopRow
from . import schema
from .cache import GeocodeCache
from .engine import as_utc

INSERT_BATCH = 2000


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
ENDED = (JobStatus.DONE, JobStatus.FAILED)


class Failure(StrEnum):
    """Why a job failed: its list (rows no geocoder could place) or a fault of the service."""

    ROWS = "rows"
    INTERNAL = "internal"


class RowStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class JobLost(Exception):
    """Another process took the job over (this one's heartbeat went stale): stop working on it."""


@dataclass(frozen=True, slots=True)
class Job:
    """An upload's geocoding job as stored."""

    id: int
    created_at: datetime
    status: JobStatus
    source: str
    file_name: str | None
    uploaded_by: str | None
    skip_invalid: bool
    mode: str
    total_rows: int  # data rows in the file
    row_count: int  # valid rows to place
    done: int
    failed: int
    started_at: datetime | None
    finished_at: datetime | None
    owner: str | None  # the process working on it
    heartbeat: datetime | None
    version: int | None  # the dataset version it became
    error: str | None
    failure: Failure | None
    report: dict[str, Any]

    @property
    def actor(self) -> str:
        """Who the audit log names for the job's outcome."""
        return self.uploaded_by or self.source


@dataclass(frozen=True, slots=True)
class RowResult:
    """What geocoding made of one row: placed (``done``, with its placement) or not (``failed``, why)."""

    line: int
    status: RowStatus
    placement: Placement | None = None
    reason: str | None = None  # why a row failed, or what the district check found


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


def _result_columns(result: RowResult) -> dict[str, Any]:
    placement = result.placement.columns() if result.placement else dict.fromkeys(PLACEMENT_NAMES)
    return {"status": result.status.value, **placement, "reason": result.reason}


def _result_from_row(db_row: Any) -> RowResult:
    placement = Placement.from_columns(db_row) if db_row.lon is not None else None
    return RowResult(db_row.line, RowStatus(db_row.status), placement, db_row.reason)


def _job(row: Any) -> Job:
    values = dict(row._mapping)
    values["report"] = json.loads(values["report"])
    values["status"] = JobStatus(values["status"])
    values["failure"] = Failure(values["failure"]) if values["failure"] else None
    values["skip_invalid"] = bool(values["skip_invalid"])
    for name in ("created_at", "started_at", "finished_at", "heartbeat"):
        values[name] = as_utc(values[name])
    return Job(**values)


# -- inside a Change ----------------------------------------------------------------------------

def create(conn: Connection, rows: Iterable[ShopRow], *, report: dict[str, Any], total_rows: int, source: str,
           file_name: str | None, uploaded_by: str | None, skip_invalid: bool, mode: str = "replace") -> int:
    """A queued job; rows that carry coordinates are placed already (their district is checked by the job)."""
    rows = list(rows)
    upload_id = conn.execute(schema.uploads.insert().values(
        created_at=_now(), status=JobStatus.QUEUED.value, source=source, file_name=file_name,
        uploaded_by=uploaded_by, skip_invalid=int(skip_invalid), mode=mode, total_rows=total_rows,
        row_count=len(rows), done=sum(row.point is not None for row in rows), failed=0,
        report=json.dumps(report, ensure_ascii=False),
    )).inserted_primary_key[0]
    values = []
    for row in rows:
        if row.point is not None:
            # Placed by the list itself; its district is checked by the job (None until then).
            placement = Placement(row.point, "supplied", "supplied", district_check=None, accuracy_m=row.accuracy_m)
            columns = _result_columns(RowResult(row.line, RowStatus.DONE, placement))
        else:
            columns = _result_columns(RowResult(row.line, RowStatus.PENDING))
        values.append({"upload_id": upload_id, "line": row.line, "row": row_to_json(row), **columns})
    for start in range(0, len(values), INSERT_BATCH):
        conn.execute(schema.upload_rows.insert(), values[start:start + INSERT_BATCH])
    return upload_id


def finish(conn: Connection, upload_id: int, *, status: JobStatus, report: dict[str, Any],
           version: int | None = None, error: str | None = None, failure: Failure | None = None,
           owner: str | None = None) -> None:
    """End the job; with ``owner``, only if this process still holds it (else ``JobLost``)."""
    u = schema.uploads.c
    condition = u.id == upload_id if owner is None else and_(u.id == upload_id, u.owner == owner)
    updated = conn.execute(update(schema.uploads).where(condition).values(
        status=status.value, version=version, error=error, failure=failure.value if failure else None,
        finished_at=_now(), owner=None, report=json.dumps(report, ensure_ascii=False),
    )).rowcount
    if owner is not None and updated != 1:
        raise JobLost(f"upload {upload_id} is no longer held by {owner}")


def _beat(conn: Connection, upload_id: int, owner: str, done: int = 0, failed: int = 0) -> None:
    """Beat the job's heartbeat (and add to its counters) as its owner, or raise ``JobLost``."""
    u = schema.uploads.c
    updated = conn.execute(
        update(schema.uploads).where(and_(u.id == upload_id, u.owner == owner, u.status == JobStatus.RUNNING.value))
        .values(done=u.done + done, failed=u.failed + failed, heartbeat=_now())
    ).rowcount
    if updated != 1:
        raise JobLost(f"upload {upload_id} is no longer held by {owner}")


class UploadStore:
    """Jobs' progress between their creation and their end, and reads of jobs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, upload_id: int, owner: str, stale_after: float) -> bool:
        """Take the job unless another live process holds it (its heartbeat is recent)."""
        u = schema.uploads.c
        now = _now()
        stale = now - timedelta(seconds=stale_after)
        with self._engine.begin() as conn:
            claimed = conn.execute(
                update(schema.uploads)
                .where(and_(u.id == upload_id, u.status.in_([s.value for s in ACTIVE]),
                            or_(u.owner.is_(None), u.owner == owner, u.heartbeat < stale)))
                .values(owner=owner, heartbeat=now, status=JobStatus.RUNNING.value,
                        started_at=func.coalesce(u.started_at, now))
            ).rowcount
        return claimed == 1

    def claimable(self, stale_after: float, owner: str | None = None, waited: float = 0.0) -> list[int]:
        """Unfinished jobs no other live process is working on (``owner``'s own count as free).

        ``waited``: a job no process ever started counts only once it has waited that long
        (on a queue it is normally on its way to a worker).
        """
        u = schema.uploads.c
        now = _now()
        stale = now - timedelta(seconds=stale_after)
        never_started = u.owner.is_(None)
        if waited > 0:
            never_started = and_(never_started, u.created_at < now - timedelta(seconds=waited))
        free = or_(never_started, u.heartbeat < stale, u.owner == owner)
        with self._engine.connect() as conn:
            return list(conn.execute(
                select(u.id).where(and_(u.status.in_([s.value for s in ACTIVE]), free)).order_by(u.id)
            ).scalars())

    def rows(self, upload_id: int, status: RowStatus | None = None) -> list[tuple[ShopRow, RowResult]]:
        r = schema.upload_rows.c
        query = select(schema.upload_rows).where(r.upload_id == upload_id).order_by(r.line)
        if status is not None:
            query = query.where(r.status == status.value)
        with self._engine.connect() as conn:
            return [(row_from_json(db_row.row), _result_from_row(db_row)) for db_row in conn.execute(query)]

    def record(self, upload_id: int, owner: str, results: list[RowResult], cache_rows: list[dict]) -> None:
        """Row results, the cache entries that produced them and the progress, in one transaction."""
        r = schema.upload_rows.c
        with self._engine.begin() as conn:
            # First, so a process that lost the job writes nothing at all.
            _beat(conn, upload_id, owner, done=sum(x.status is RowStatus.DONE for x in results),
                  failed=sum(x.status is RowStatus.FAILED for x in results))
            GeocodeCache.write(conn, cache_rows)
            if results:
                names = ["status", *PLACEMENT_NAMES, "reason"]
                statement = (update(schema.upload_rows)
                             .where(and_(r.upload_id == upload_id, r.line == bindparam("row_line")))
                             .values({name: bindparam(f"new_{name}") for name in names}))
                conn.execute(statement, [
                    {"row_line": result.line, **{f"new_{k}": v for k, v in _result_columns(result).items()}}
                    for result in results
                ])

    def record_checks(self, upload_id: int, owner: str, checks: list[tuple[int, str, str | None]]) -> None:
        """District checks of rows placed already: (line, status, reason); counters unchanged."""
        r = schema.upload_rows.c
        with self._engine.begin() as conn:
            _beat(conn, upload_id, owner)
            conn.execute(
                update(schema.upload_rows)
                .where(and_(r.upload_id == upload_id, r.line == bindparam("row_line")))
                .values(district_check=bindparam("new_check"), reason=bindparam("new_reason")),
                [{"row_line": line, "new_check": status, "new_reason": reason} for line, status, reason in checks],
            )

    def requeue_failed(self, upload_id: int) -> int:
        """Failed rows back to pending, and the job back to the queue (``geocode-pending --retry-failed``)."""
        r = schema.upload_rows.c
        u = schema.uploads.c
        with self._engine.begin() as conn:
            count = conn.execute(update(schema.upload_rows)
                                 .where(and_(r.upload_id == upload_id, r.status == RowStatus.FAILED.value))
                                 .values(status=RowStatus.PENDING.value, reason=None)).rowcount
            counts = dict(conn.execute(select(r.status, func.count()).where(r.upload_id == upload_id)
                                       .group_by(r.status)).all())
            if counts.get(RowStatus.PENDING.value):
                conn.execute(update(schema.uploads)
                             .where(and_(u.id == upload_id, u.status == JobStatus.FAILED.value))
                             .values(status=JobStatus.QUEUED.value, done=counts.get(RowStatus.DONE.value, 0),
                                     failed=0, owner=None, finished_at=None, error=None, failure=None))
        return count

    def latest_finished(self) -> int | None:
        """The newest upload whose job has ended, placed or not: its unplaced rows are the ones to review."""
        u = schema.uploads.c
        with self._engine.connect() as conn:
            return conn.execute(select(u.id).where(u.status.in_([s.value for s in ENDED]))
                                .order_by(u.id.desc()).limit(1)).scalar()

    def latest_failed(self) -> int | None:
        u = schema.uploads.c
        with self._engine.connect() as conn:
            return conn.execute(select(u.id).where(u.status == JobStatus.FAILED.value)
                                .order_by(u.id.desc()).limit(1)).scalar()

    def unfinished_from(self, source: str) -> list[int]:
        """Jobs of one source (``sample``) not ended yet, oldest first."""
        u = schema.uploads.c
        with self._engine.connect() as conn:
            return list(conn.execute(select(u.id).where(and_(u.source == source,
                                                             u.status.in_([s.value for s in ACTIVE])))
                                     .order_by(u.id)).scalars())

    def any_from(self, source: str) -> bool:
        u = schema.uploads.c
        with self._engine.connect() as conn:
            return conn.execute(select(u.id).where(u.source == source).limit(1)).first() is not None

    def get(self, upload_id: int) -> Job | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(schema.uploads).where(schema.uploads.c.id == upload_id)).first()
        return None if row is None else _job(row)
