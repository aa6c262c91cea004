"""The running service's parts, wired once per app: settings, repository, geocoders, live index.

Both the web layer and the CLI work through a ``Service``; neither builds
these parts itself. Building one opens no connection and starts no thread:
what a serving process does on start (migrations, the sample list, the index
poller, taking over jobs) is ``lifecycle``'s.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Mapping

from . import formats, jobs, metrics
from .auth import AdminTokens
from .clients import ClientKeys
from .curation import Curator
from .errors import NotReady
from .memory import release_memory
from .queue import job_queue
from .geocode.chain import GeocoderChain
from .geocode.district import district_checker
from .spatial.index import IndexHolder, StoreIndex
from .store.engine import default_sqlite_url, make_engine
from .store.repository import Repository
from .sync import ChangesCache

LOGGER = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Mapping[str, Any], instance_dir: str | Path) -> None:
        self.settings = dict(settings)
        url = self.settings["DATABASE_URL"] or default_sqlite_url(instance_dir)
        self.repository = Repository(make_engine(url))
        self.uploads = self.repository.uploads()
        self.tokens = AdminTokens.from_settings(self.settings["ADMIN_TOKENS"], self.settings["ADMIN_TOKEN"])
        self.chain = GeocoderChain.from_settings(self.settings)
        self.holder = IndexHolder(self.repository.live_version, self.repository.load_kept_stores,
                                  prepare=lambda index: formats.warm(index.stores),
                                  swapped=self._swapped,
                                  activated_at=self.repository.live_activated_at)
        self.runner = jobs.JobRunner(self.repository, self.uploads, self.chain, self.settings,
                                     on_version=self.version_committed)
        self.queue = job_queue(self.settings, self.runner, self.uploads)
        self.curator = Curator(self.repository, district_checker(self.settings["DISTRICT_TOLERANCE_M"]))
        self.clients = ClientKeys(self.repository, self.settings["RATELIMIT_STORAGE"])
        self.changes = ChangesCache(self.repository)
        self.ready = threading.Event()  # the first index is loaded
        self.warmed = threading.Event()  # no start-up work left to compete with requests
        self.serving = False  # lifecycle.start_serving has run in this process
        self.stopping = threading.Event()  # the process is going away: background loops end
        self.loader: threading.Thread | None = None  # loads the first index, then follows the live version
        self.listener: Any = None  # hears of new live versions at once, where the database can tell
        self.keeper: threading.Thread | None = None  # reloads client keys, adds their usage to the database
        self.closed = False

    @staticmethod
    def _swapped(index: StoreIndex, seconds: float) -> None:
        metrics.index_loaded(index.version, len(index), seconds)
        release_memory()  # the version before is garbage now: give its pages back rather than keep them

    @property
    def warm(self) -> bool:
        return self.warmed.is_set()

    def wait_warm(self, timeout: float = 60.0) -> bool:
        return self.warmed.wait(timeout)

    def index(self, timeout: float = 30.0) -> StoreIndex:
        index = self.holder.index
        if index is None:
            self.ready.wait(timeout)
            index = self.holder.index
        if index is None:
            raise NotReady("the store index is still loading; retry shortly")
        return index

    def submit(self, data: bytes, file_name: str | None, **options: Any) -> jobs.Submission:
        return jobs.submit(self.repository, data, file_name, max_rows=self.settings["MAX_UPLOAD_ROWS"], **options)

    def import_list(self, data: bytes, file_name: str | None, *, progress: jobs.Progress | None = None,
                    **options: Any) -> tuple[jobs.Submission, jobs.JobStatus | None]:
        """Validate, then geocode in this thread (CLI, first start): (submission, job status)."""
        submission = self.submit(data, file_name, **options)
        if submission.upload_id is None:
            return submission, None
        return submission, self.runner.run(submission.upload_id, progress)

    def version_committed(self, _version: int | None = None) -> None:
        """A new version is live: a serving process answers from it at once; versions no longer kept go.

        Other processes follow at once on PostgreSQL (its notices), within INDEX_POLL_SECONDS anyway.
        """
        if self.serving:
            self.holder.refresh()
            self.ready.set()
        try:
            self.repository.prune(self.settings["KEEP_VERSIONS"])
        except Exception:  # noqa: BLE001 - pruning is housekeeping; the next version retries it
            LOGGER.exception("dropping old dataset versions failed")

    def close(self) -> None:
        """Stop the background work and close the database pool; see ``lifecycle.stop``."""
        if self.closed:
            return
        self.closed = True
        self.stopping.set()
        if self.listener is not None:
            self.listener.stop()
        self.holder.stop_polling()
        self.runner.stop(timeout=10)
        self.repository.dispose()
