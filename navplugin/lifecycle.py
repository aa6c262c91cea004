"""What a process does when it starts to serve, and when it stops: the operator's work, kept out of ``create_app``.

A serving process (``flask --app navplugin serve``, a gunicorn worker through
``gunicorn.conf.py``, or any WSGI server at its first request):

1. under the first-start lock, brings the database to this release's schema
   (when ``MIGRATE_ON_START``; otherwise it only checks it) and, on a database
   that holds no list and never queued the sample, queues the bundled sample
   list as an upload job: exactly once, however many processes start together;
2. finishes that job here, or waits while the process that claimed it does;
3. loads the live index in the background, follows the live version (PostgreSQL's
   notices, and polling), warms the district boundaries, then keeps sweeping for
   upload jobs that a stopped process left.

CLI commands that only read or write go through ``ensure_schema`` and start
nothing in the background.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from pathlib import Path

from .jobs import ACTIVE, JobStatus
from .service import Service
from .spatial.regions import default_region_lookup

LOGGER = logging.getLogger(__name__)

SAMPLE_SOURCE = "sample"
SAMPLE_WAIT_SECONDS = 600.0  # how long a starting process waits for another to finish the sample job
_WAIT_STEP = 0.2
_START_LOCK = threading.Lock()


def ensure_schema(service: Service) -> None:
    """The schema this release needs: migrated here when ``MIGRATE_ON_START``, else only checked."""
    repository = service.repository
    with repository.startup_lock():
        _migrate_or_check(service)


def _migrate_or_check(service: Service) -> None:
    if service.settings["MIGRATE_ON_START"]:
        service.repository.upgrade_schema()
    else:
        service.repository.require_schema()


def prepare_database(service: Service, *, load_sample: bool) -> JobStatus | None:
    """Schema, then the sample list on an empty database; the sample job's status when there is one."""
    repository = service.repository
    with repository.startup_lock():
        _migrate_or_check(service)
        if load_sample and not repository.has_any_version() and not service.uploads.any_from(SAMPLE_SOURCE):
            _queue_sample(service)
    return _finish_sample(service)


def _queue_sample(service: Service) -> int | None:
    sample = Path(service.settings["SAMPLE_FILE"])
    if not sample.is_file():
        LOGGER.warning("sample list %s not found; starting with no data", sample)
        return None
    submission = service.submit(sample.read_bytes(), sample.name, skip_invalid=True, source=SAMPLE_SOURCE)
    LOGGER.info("sample list %s queued as upload %s", sample.name, submission.upload_id)
    return submission.upload_id


def _finish_sample(service: Service) -> JobStatus | None:
    """Run the sample's job in this process, or wait while the one that holds it does (or dies)."""
    deadline = time.monotonic() + SAMPLE_WAIT_SECONDS
    status = None
    for upload_id in service.uploads.unfinished_from(SAMPLE_SOURCE):
        status = service.runner.run(upload_id)  # the status only, while another live process holds it
        while status in ACTIVE and time.monotonic() < deadline:
            time.sleep(_WAIT_STEP)
            status = service.runner.run(upload_id)  # claims it once its holder's heartbeat is stale
        job = service.uploads.get(upload_id)
        LOGGER.info("sample list: upload %s %s, version %s", upload_id, status, job.version if job else None)
    return status


def start_serving(service: Service) -> None:
    """Prepare the database, then follow the live version in the background; once per process."""
    with _START_LOCK:
        if service.serving:
            return
        service.serving = True
    prepare_database(service, load_sample=service.settings["LOAD_SAMPLE"])
    service.clients.refresh()
    loader = threading.Thread(target=_load_then_follow, args=(service,), name="navplugin-index", daemon=True)
    service.loader = loader
    loader.start()
    service.keeper = threading.Thread(target=_keep_clients, args=(service,), name="navplugin-clients", daemon=True)
    service.keeper.start()
    atexit.register(stop, service)


def _load_then_follow(service: Service) -> None:
    try:
        service.holder.refresh()
    except Exception:  # noqa: BLE001 - logged; readyz reports not ready, the poller retries
        LOGGER.exception("initial index load failed")
    else:
        service.ready.set()
    service.listener = service.repository.listen(live=service.holder.refresh, clients=service.clients.refresh)
    service.holder.start_polling(service.settings["INDEX_POLL_SECONDS"])  # the fallback, and SQLite's only way
    try:
        # The district polygons take a second or two to index; do it here, not in the first request.
        default_region_lookup().build()
    except Exception:  # noqa: BLE001 - region lookups will retry the build on first use
        LOGGER.exception("building the region lookup failed")
    service.warmed.set()
    # Jobs a stopped process left, now and from time to time: a process may die any time.
    every = max(1.0, service.runner.stale_after / 2)
    while True:
        try:
            service.queue.resume_all()
        except Exception:  # noqa: BLE001 - the database may be away; the next sweep tries again
            LOGGER.exception("resuming unfinished upload jobs failed")
        if service.stopping.wait(every):
            return


def _keep_clients(service: Service) -> None:
    """Client keys reloaded by polling (the fallback to notices) and usage counts added to the database."""
    refresh_every = service.settings["CLIENT_REFRESH_SECONDS"]
    flush_every = service.settings["USAGE_FLUSH_SECONDS"]
    step = max(0.2, min(refresh_every or flush_every, flush_every or refresh_every))
    refreshed = flushed = time.monotonic()
    while not service.stopping.wait(step):
        now = time.monotonic()
        try:
            if refresh_every and now - refreshed >= refresh_every:
                service.clients.refresh()
                refreshed = now
            if flush_every and now - flushed >= flush_every:
                service.clients.flush()
                flushed = now
        except Exception:  # noqa: BLE001 - the database may be away; the counts wait for the next try
            LOGGER.exception("keeping client keys and usage failed")


def stop(service: Service) -> None:
    """Stop the background threads before the interpreter goes away.

    A daemon thread still inside GEOS or numpy while Python finalises aborts
    the process, so ``start_serving`` registers this to run at exit too.
    """
    service.stopping.set()
    for thread in (service.loader, service.keeper):
        if thread is not None:
            thread.join(timeout=60)
    try:
        service.clients.flush()
    except Exception:  # noqa: BLE001 - the database is away: these counts are lost, the requests were served
        LOGGER.exception("adding the last client usage counts failed")
    service.close()
