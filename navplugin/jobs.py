"""An uploaded list becomes a new live dataset version: ingest, geocode (as a job), store.

Validation happens at once: a list with bad rows is rejected whole (or its
bad rows left out) before anything is stored. Geocoding then runs as a job
whose every row result is committed as it comes, with the cache entries that
produced it, so a process killed mid-job loses nothing: any process resumes
the job and only asks about rows that were not finished. The live version is
replaced only when a complete new version is committed, in the same audited
change that ends the job.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from .curation import apply_overrides
from .errors import BadParameter, InvalidUpload
from .geocode.chain import GeocoderChain
from .geocode.district import check_district, district_checker
from .ingest import ingest
from .metrics import JOB_ROWS
from .model import Problem, ShopRow, Store
from .store.repository import Repository
from .store.uploads import ACTIVE, Failure, Job, JobLost, JobStatus, RowResult, RowStatus, UploadStore

LOGGER = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows placed or failed, rows in all)
FLUSH_ROWS = 50
FLUSH_SECONDS = 0.25
STALE_SECONDS = 30.0  # a job whose process has not reported for this long is taken over
# replace: the file is the whole list. merge: the file adds and updates shops; none is removed.
UPLOAD_MODES = ("replace", "merge")
MAX_FILE_NAME = 255  # the stored file name's size
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # never kept in a stored file name
__all__ = ["ACTIVE", "Failure", "Job", "JobRunner", "JobStatus", "Submission", "UPLOAD_MODES", "job_status", "submit"]


@dataclass(frozen=True)
class Submission:
    upload_id: int | None  # None for a dry run
    report: dict[str, Any]
    accepted: bool


def submit(repository: Repository, data: bytes, file_name: str | None, *, dry_run: bool = False,
           skip_invalid: bool = False, mode: str = "replace", source: str = "upload",
           uploaded_by: str | None = None, max_rows: int = 200_000) -> Submission:
    """Validate a list and queue its geocoding job; a dry run only reports. Each outcome is audited."""
    if mode not in UPLOAD_MODES:
        raise BadParameter("mode", f"Parameter 'mode' must be one of {', '.join(UPLOAD_MODES)}, got {mode!r}")
    result = ingest(data, file_name, max_rows=max_rows)
    file_name = _CONTROL.sub("", file_name) if file_name else file_name
    if file_name and len(file_name) > MAX_FILE_NAME:
        file_name = "…" + file_name[-(MAX_FILE_NAME - 1):]  # the end keeps the extension
    report = result.report()
    report["rows_to_geocode"] = sum(row.point is None for row in result.rows)
    report["mode"] = mode
    accepted = bool(result.rows) and (skip_invalid or not result.has_errors)
    actor = uploaded_by or source
    summary = {"file_name": file_name, "mode": mode, "total_rows": report["total_rows"],
               "invalid_rows": report["invalid_rows"], "skip_invalid": skip_invalid}
    if dry_run:
        with repository.change(actor, "upload.dry_run") as change:
            change.audit(would_accept=accepted, **summary)
        return Submission(None, report, accepted)
    if accepted:
        with repository.change(actor, "upload") as change:
            upload_id = change.create_upload(result.rows, report=report, total_rows=result.total_rows,
                                             source=source, file_name=file_name, uploaded_by=uploaded_by,
                                             skip_invalid=skip_invalid, mode=mode)
            change.audit(target=f"upload:{upload_id}", **summary)
        return Submission(upload_id, report, True)
    with repository.change(actor, "upload.rejected") as change:
        change.audit(**summary)
    if result.rows:
        raise InvalidUpload(
            f"{report['invalid_rows']} of {report['total_rows']} rows have errors; nothing was changed. "
            "Fix them, or upload with skip_invalid=true to leave them out.",
            report=report,
        )
    raise InvalidUpload("the file holds no valid rows; nothing was changed.", report=report)


class JobRunner:
    """Runs upload jobs: in the caller's thread (CLI, first start) or in the background (web)."""

    def __init__(self, repository: Repository, uploads: UploadStore, chain: GeocoderChain,
                 settings: Mapping[str, Any], on_version: Callable[[int], None]) -> None:
        self.repository = repository
        self.uploads = uploads
        self.chain = chain
        self.settings = settings
        self.on_version = on_version
        self.owner = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stale_after = float(settings.get("JOB_STALE_SECONDS", STALE_SECONDS))
        self.tolerance_m = settings["DISTRICT_TOLERANCE_M"]
        self.district_check = district_checker(self.tolerance_m)
        self._threads: dict[int, threading.Thread] = {}
        self._job_locks: dict[int, threading.Lock] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    # -- running -------------------------------------------------------------------------------

    def start(self, upload_id: int) -> None:
        with self._lock:
            thread = self._threads.get(upload_id)
            if thread is not None and thread.is_alive():
                return
            thread = threading.Thread(target=self._run_logged, args=(upload_id,),
                                      name=f"navplugin-upload-{upload_id}", daemon=True)
            self._threads[upload_id] = thread
            thread.start()

    def stop(self, timeout: float) -> None:
        """Stop starting rows and wait a little; an unfinished job is resumed by the next process."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))

    def status(self, upload_id: int) -> JobStatus | None:
        job = self.uploads.get(upload_id)
        return None if job is None else job.status

    def wait(self, upload_id: int, timeout: float) -> JobStatus | None:
        thread = self._threads.get(upload_id)
        if thread is not None:
            thread.join(timeout)
        return self.status(upload_id)

    def resume_all(self) -> list[int]:
        """Jobs left unfinished by a process that stopped: take them over in the background."""
        upload_ids = self.uploads.claimable(self.stale_after)
        for upload_id in upload_ids:
            LOGGER.info("resuming upload job %s", upload_id)
            self.start(upload_id)
        return upload_ids

    def take_over_if_abandoned(self, upload_id: int) -> None:
        """A watched job whose process stopped is started here, so the watcher sees it end."""
        if upload_id in self.uploads.claimable(self.stale_after, self.owner):
            self.start(upload_id)

    def _run_logged(self, upload_id: int) -> None:
        try:
            self.run(upload_id)
        except Exception:  # noqa: BLE001 - a job's failure is recorded, never kills the process
            LOGGER.exception("upload job %s failed", upload_id)

    def run(self, upload_id: int, progress: Progress | None = None) -> JobStatus | None:
        """Geocode the job's unfinished rows, then make it a version (or record why not).

        One thread of one process works on a job at a time: other processes are
        kept out by the claim, other threads of this one by the job's lock.
        """
        with self._lock:
            job_lock = self._job_locks.setdefault(upload_id, threading.Lock())
        with job_lock:
            if not self.uploads.claim(upload_id, self.owner, self.stale_after):
                return self.status(upload_id)
            try:
                self._check_supplied_points(upload_id)
                refused = self._geocode_pending(upload_id, progress)
                if refused is None:
                    return JobStatus.RUNNING  # stopping: the next process resumes the job
                return self._finish(upload_id, refused)
            except JobLost:
                LOGGER.warning("upload job %s was taken over by another process; this one stops", upload_id)
                return JobStatus.RUNNING
            except Exception as exc:
                self._fail_internally(upload_id, exc)
                raise

    def _fail_internally(self, upload_id: int, exc: Exception) -> None:
        job = self.uploads.get(upload_id)
        if job is None:
            return
        try:
            with self.repository.change(job.actor, "upload.failed", f"upload:{upload_id}") as change:
                # The kind of fault only: its message may quote SQL or row values; the log has it whole.
                error = f"internal error ({type(exc).__name__})"
                change.finish_upload(upload_id, status=JobStatus.FAILED, report=job.report, owner=self.owner,
                                     error=error, failure=Failure.INTERNAL)
                change.audit(file_name=job.file_name, error=error, failure=Failure.INTERNAL.value)
        except JobLost:
            pass

    def _check_supplied_points(self, upload_id: int) -> None:
        """Coordinates a list brings are checked against the district its address names, like geocoded ones.

        A list's own coordinates are wrong often enough (another branch's point, a
        typo in a digit) that they deserve the same check before drivers meet them.
        """
        checks = []
        for row, result in self.uploads.rows(upload_id, status=RowStatus.DONE):
            placement = result.placement
            if placement is None or placement.district_check is not None or placement.provider != "supplied":
                continue
            check = check_district(row.address or row.jibun_address, placement.point.lon, placement.point.lat,
                                   tolerance_m=self.tolerance_m)
            checks.append((row.line, check.status, check.reason))
        if checks:
            self.uploads.record_checks(upload_id, self.owner, checks)

    def _place(self, geocoding: Any, row: ShopRow) -> RowResult:
        answer = geocoding.geocode(row.address, row.jibun_address)
        found = answer.result
        if found is None:
            return RowResult(row.line, RowStatus.FAILED, reason=answer.reason)
        check = check_district(row.address or row.jibun_address, found.point.lon, found.point.lat,
                               tolerance_m=self.tolerance_m)
        # Why better providers did not answer, and what the district check found.
        reason = "; ".join(filter(None, [answer.reason, check.reason])) or None
        return RowResult(row.line, RowStatus.DONE, found.placement(check.status), reason)

    def _geocode_pending(self, upload_id: int, progress: Progress | None) -> dict[str, str] | None:
        """Place every pending row: the providers refused during the job, or None when stopping early."""
        job = self.uploads.get(upload_id)
        total = job.row_count
        finished = job.done + job.failed
        pending = [row for row, _ in self.uploads.rows(upload_id, status=RowStatus.PENDING)]
        cache = self.repository.geocode_cache()
        geocoding = self.chain.start_job(cache)
        keys = [key for row in pending for key in geocoding.cache_keys(row.address, row.jibun_address)]
        cache.preload(self.chain.names, keys)
        if progress:
            progress(finished, total)

        def place(row: ShopRow) -> RowResult:
            try:
                return self._place(geocoding, row)
            except Exception as exc:  # noqa: BLE001 - one bad row must not sink the job
                LOGGER.exception("upload %s line %s could not be geocoded", upload_id, row.line)
                return RowResult(row.line, RowStatus.FAILED, reason=f"internal error: {type(exc).__name__}")

        batch: list[RowResult] = []
        last_write = time.monotonic()
        # Beat well within the stale period even when no row finishes (slow providers, long
        # Retry-After), so no other process takes over a job that is alive.
        beat_every = min(FLUSH_SECONDS * 4, self.stale_after / 3)
        pool = ThreadPoolExecutor(max_workers=max(1, self.settings["GEOCODE_WORKERS"]),
                                  thread_name_prefix=f"geocode-{upload_id}")
        try:
            running = {pool.submit(place, row) for row in pending}
            while running and not self._stopping.is_set():
                done, running = wait(running, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
                placed = [future.result() for future in done]
                batch.extend(placed)
                finished += len(done)
                _count_rows(placed)
                since = time.monotonic() - last_write
                if (batch and (len(batch) >= FLUSH_ROWS or since >= FLUSH_SECONDS or not running)) \
                        or since >= beat_every:
                    self.uploads.record(upload_id, self.owner, batch, cache.take_pending())
                    batch, last_write = [], time.monotonic()
                if progress:
                    progress(finished, total)
            self.uploads.record(upload_id, self.owner, batch, cache.take_pending())
        finally:
            # Rows not started yet are left pending (and not asked about) if the job stops early.
            pool.shutdown(wait=False, cancel_futures=True)
        if self._stopping.is_set():
            return None
        return dict(geocoding.refused)

    def _finish(self, upload_id: int, refused: dict[str, str]) -> JobStatus:
        job = self.uploads.get(upload_id)
        rows = self.uploads.rows(upload_id)
        report = completed_report(job.report, rows, refused)
        placed = [Store.placed(row, result.placement) for row, result in rows if result.status is RowStatus.DONE]
        failed = [row for row, result in rows if result.status is RowStatus.FAILED]
        if (failed and not job.skip_invalid) or not placed:
            error = f"{len(failed)} rows could not be placed; nothing was changed"
            with self.repository.change(job.actor, "upload.failed", f"upload:{upload_id}") as change:
                change.finish_upload(upload_id, status=JobStatus.FAILED, report=report, owner=self.owner,
                                     error=error, failure=Failure.ROWS)
                change.audit(file_name=job.file_name, error=error)
            return JobStatus.FAILED
        version = self._write_version(job, report, placed)
        try:
            self.on_version(version)
        except Exception:  # noqa: BLE001 - the version is live; other processes will pick it up
            LOGGER.exception("version %s is live but this process could not load it yet", version)
        return JobStatus.DONE

    def _write_version(self, job: Job, report: dict[str, Any], placed: list[Store]) -> int:
        """The job's shops, with the standing overrides, as the new live version (merged or whole).

        Overrides are read in the writing transaction, so a correction made while
        the job ran is in the version too.
        """
        with self.repository.change(job.actor, "upload.done", f"upload:{job.id}") as change:
            standing = change.overrides()
            stores, applied, revoked = apply_overrides(placed, standing, self.district_check)
            live = change.live_version()
            merge = job.mode == "merge" and live is not None
            report = {**report, "overrides_applied": applied, "revoked_left_out": revoked}
            # Merging, the live list stays, but for the shops this file updates and those revoked since.
            all_revoked = [store_id for store_id, o in standing.items() if o.revoked]
            version = change.write_version(live if merge else None, stores, leave_out=all_revoked,
                                           source=job.source, total_rows=job.total_rows, report=report,
                                           file_name=job.file_name, uploaded_by=job.uploaded_by)
            count = change.store_count(version)
            change.finish_upload(job.id, status=JobStatus.DONE, report=report, version=version, owner=self.owner)
            change.set_live(version)
            change.audit(version=version, file_name=job.file_name, mode=job.mode, stores=count,
                         overrides_applied=applied, revoked_left_out=len(revoked))
        LOGGER.info("upload %s became live version %s: %s shops (%s)", job.id, version, count, job.mode)
        return version


def _count_rows(results: list[RowResult]) -> None:
    placed = sum(result.status is RowStatus.DONE for result in results)
    if placed:
        JOB_ROWS.labels("done").inc(placed)
    if len(results) > placed:
        JOB_ROWS.labels("failed").inc(len(results) - placed)


def completed_report(report: dict[str, Any], rows: list[tuple[ShopRow, RowResult]],
                     refused: dict[str, str]) -> dict[str, Any]:
    """The ingest report with what geocoding found added: failed rows, mismatches, refused providers."""
    headers = {field: header for header, field in reversed(list(report.get("columns", {}).items()))}
    problems = [Problem(**p) for p in report.get("problems", [])]
    for row, result in rows:
        # Name the column the address came from: road address if the row has one, else 지번.
        address = row.address or row.jibun_address
        column = headers.get("address") if row.address else headers.get("jibun_address")
        if result.status is RowStatus.FAILED:
            problems.append(Problem(row.line, column, address, f"address could not be placed: {result.reason}"))
        elif result.placement is not None and result.placement.district_check == "mismatch":
            problems.append(Problem(row.line, column, address, f"district mismatch: {result.reason}", "warning"))
    problems.sort(key=lambda p: (p.line, p.column or ""))
    invalid = {p.line for p in problems if p.severity == "error"}
    placed = [result.placement for _, result in rows if result.status is RowStatus.DONE and result.placement]
    return {
        **report,
        "valid_rows": report["total_rows"] - len(invalid),
        "invalid_rows": len(invalid),
        "errors": sum(p.severity == "error" for p in problems),
        "warnings": sum(p.severity == "warning" for p in problems),
        "problems": [p.as_dict() for p in problems],
        "precision": dict(Counter(p.precision for p in placed)),
        "providers": dict(Counter(p.provider for p in placed)),
        "district_check": dict(Counter(p.district_check or "unchecked" for p in placed)),
        "geocoders_skipped": refused,
    }


def job_status(job: Job, *, with_report: bool = True) -> dict[str, Any]:
    """A job's progress as admins see it: counts, rate, ETA, and the report once it has ended."""
    done, failed, total = job.done, job.failed, job.row_count
    started, finished = job.started_at, job.finished_at
    rate = eta = None
    if started is not None:
        end = finished or datetime.now(timezone.utc)
        elapsed = max((end - started).total_seconds(), 1e-6)
        rate = round((done + failed) / elapsed, 2)
        if finished is None and rate > 0:
            eta = round((total - done - failed) / rate, 1)
    status = {
        "id": job.id,
        "status": job.status.value,
        "file_name": job.file_name,
        "uploaded_by": job.uploaded_by,
        "created_at": job.created_at.isoformat(),
        "started_at": started.isoformat() if started else None,
        "finished_at": finished.isoformat() if finished else None,
        "progress": {"total": total, "done": done, "failed": failed,
                     "percent": round(100 * (done + failed) / total, 1) if total else 100.0,
                     "rows_per_second": rate, "eta_seconds": eta},
        "version": job.version,
        "error": job.error,
        "failure": job.failure.value if job.failure else None,
    }
    if with_report and job.status in (JobStatus.DONE, JobStatus.FAILED):
        status["report"] = job.report
    return status
