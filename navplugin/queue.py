"""Where an upload's geocoding job runs: on a thread of the web process, or on workers through a Redis queue.

Without ``QUEUE_URL`` a job runs in the process that took the upload
(``InProcess``). With ``QUEUE_URL=redis://…`` it is put on an RQ queue
(``RedisQueue``) and run by ``flask --app navplugin worker`` (or ``rq worker``
with ``navplugin.tasks`` importable): web processes then only accept uploads
and answer for their progress. Either way the job's state lives in the
database, so whichever process claims it runs it, and a job whose process
died is claimed again (``JobRunner``'s heartbeat).
"""
from __future__ import annotations

import logging
import time
from typing import Any, Mapping, Protocol

from .errors import Unavailable
from .jobs import ACTIVE, JobRunner, JobStatus
from .store.uploads import UploadStore

LOGGER = logging.getLogger(__name__)
QUEUE_NAME = "navplugin-uploads"
TASK = "navplugin.tasks.run_upload"
JOB_TIMEOUT = 6 * 3600  # seconds a job may run on a worker (a 200,000-row list at 20 calls/s takes ~3 h)
_WAIT_STEP = 0.1


class JobQueue(Protocol):
    def start(self, upload_id: int) -> bool: ...

    def wait(self, upload_id: int, timeout: float) -> JobStatus | None: ...

    def take_over_if_abandoned(self, upload_id: int) -> None: ...

    def resume_all(self) -> list[int]: ...

    def check(self) -> None: ...


class InProcess:
    """Jobs on threads of this process (the embedded default)."""

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    def start(self, upload_id: int) -> bool:
        self.runner.start(upload_id)
        return True

    def wait(self, upload_id: int, timeout: float) -> JobStatus | None:
        return self.runner.wait(upload_id, timeout)

    def take_over_if_abandoned(self, upload_id: int) -> None:
        self.runner.take_over_if_abandoned(upload_id)

    def resume_all(self) -> list[int]:
        return self.runner.resume_all()

    def check(self) -> None:
        """Nothing to reach: the queue is this process."""


class RedisQueue:
    """Jobs on an RQ queue in Redis, run by worker processes."""

    def __init__(self, url: str, uploads: UploadStore, stale_after: float, name: str = QUEUE_NAME) -> None:
        from redis import Redis
        from rq import Queue

        self.url = url
        self.uploads = uploads
        self.stale_after = stale_after
        self.connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(name, connection=self.connection)

    def check(self) -> None:
        """Refuse work up front, with 503, while Redis cannot be reached."""
        from redis.exceptions import RedisError

        try:
            self.connection.ping()
        except RedisError as exc:
            raise Unavailable(f"the job queue is unreachable ({type(exc).__name__}); nothing was changed, retry "
                              "shortly", retry_after=10) from None

    def start(self, upload_id: int) -> bool:
        """Put the job on the queue: False when Redis could not take it (it stays queued in the database,
        and a worker's sweep puts it on the queue once Redis is back).

        A job already waiting on the queue is left there. One the queue thinks started (its worker may
        have died: the caller knows from the database) is put on it again; should two workers get it,
        the database's claim lets one of them work on it.
        """
        from redis.exceptions import RedisError
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus as QueuedStatus

        job_id = f"upload-{upload_id}"
        try:
            try:
                if Job.fetch(job_id, connection=self.connection).get_status() == QueuedStatus.QUEUED:
                    return True
            except NoSuchJobError:
                pass
            self.queue.enqueue_call(TASK, args=(upload_id,), job_id=job_id, timeout=JOB_TIMEOUT,
                                    result_ttl=3600, failure_ttl=7 * 86400)
        except RedisError as exc:
            LOGGER.warning("upload %s could not be put on the queue (%s); it waits in the database", upload_id,
                           type(exc).__name__)
            return False
        return True

    def wait(self, upload_id: int, timeout: float) -> JobStatus | None:
        """Follow the job in the database until it ends or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.uploads.get(upload_id)
            if job is None or job.status not in ACTIVE or time.monotonic() >= deadline:
                return None if job is None else job.status
            time.sleep(_WAIT_STEP)

    def take_over_if_abandoned(self, upload_id: int) -> None:
        if upload_id in self.uploads.claimable(self.stale_after, waited=self.stale_after):
            self.start(upload_id)

    def resume_all(self) -> list[int]:
        """Jobs nobody is working on (a worker died, Redis lost them): back on the queue."""
        waiting = self.uploads.claimable(self.stale_after, waited=self.stale_after)
        for upload_id in waiting:
            LOGGER.info("upload job %s waits with nobody on it; putting it on the queue again", upload_id)
            self.start(upload_id)
        return waiting


def job_queue(settings: Mapping[str, Any], runner: JobRunner, uploads: UploadStore) -> JobQueue:
    url = settings.get("QUEUE_URL")
    if not url:
        return InProcess(runner)
    return RedisQueue(url, uploads, runner.stale_after)
