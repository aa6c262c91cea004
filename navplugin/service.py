"""The running service's parts, wired once per app: settings, repository, geocoders, live index.

Both the web layer and the CLI work through a ``Service``; neither builds
these parts itself.
"""
from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path
from typing import Any, Mapping

from . import formats, jobs
from .auth import AdminTokens
from .curation import Curator, district_checker
from .errors import NotReady
from .geocode.chain import GeocoderChain
from .spatial.index import IndexHolder, StoreIndex
from .spatial.regions import default_region_lookup
from .store.engine import default_sqlite_url, make_engine
from .store.repository import Repository
from .store.uploads import UploadStore
from .sync import ChangesCache

LOGGER = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Mapping[str, Any], instance_dir: str | Path) -> None:
        self.settings = dict(settings)
        url = self.settings["DATABASE_URL"] or default_sqlite_url(instance_dir)
        self.repository = Repository(make_engine(url))
        self.repository.create_schema()
        self.tokens = AdminTokens.from_settings(self.settings["ADMIN_TOKENS"], self.settings["ADMIN_TOKEN"])
        self.chain = GeocoderChain.from_settings(self.settings)
        self.holder = IndexHolder(self.repository.live_version, self.repository.load_kept_stores,
                                  prepare=lambda index: formats.warm(index.stores))
        self.uploads = UploadStore(self.repository.engine)
        self.runner = jobs.JobRunner(self.repository, self.uploads, self.chain, self.settings,
                                     on_version=self.version_committed)
        self.curator = Curator(self.repository, district_checker(self.settings["DISTRICT_TOLERANCE_M"]))
        self.changes = ChangesCache(self.repository)
        self._ready = threading.Event()
        self._warm = threading.Event()
        self._loader: threading.Thread | None = None
        self._closed = False

    def load_sample_if_empty(self) -> int | None:
        """First start: serve the bundled sample list rather than nothing."""
        sample = Path(self.settings["SAMPLE_FILE"])
        if not self.settings["LOAD_SAMPLE"] or self.repository.has_any_version():
            return None
        if not sample.is_file():
            LOGGER.warning("sample list %s not found; starting with no data", sample)
            return None
        submission, status = self.import_list(sample.read_bytes(), sample.name, skip_invalid=True, source="sample")
        job = self.uploads.get(submission.upload_id) or {}
        LOGGER.info("sample list %s: job %s %s, version %s", sample.name, submission.upload_id, status,
                    job.get("version"))
        return job.get("version")

    def start(self) -> None:
        """Load the live index in the background, then keep following the live version."""
        if self._loader is not None:
            return
        atexit.register(self.close)
        self._loader = threading.Thread(target=self._load_then_poll, name="navplugin-index", daemon=True)
        self._loader.start()

    def _load_then_poll(self) -> None:
        try:
            self.holder.refresh()
        except Exception:  # noqa: BLE001 - logged; readyz reports not ready, the poller retries
            LOGGER.exception("initial index load failed")
        else:
            self._ready.set()
        self.holder.start_polling(self.settings["INDEX_POLL_SECONDS"])
        try:
            # The district polygons take a second or two to index; do it here, not in the first request.
            default_region_lookup().build()
        except Exception:  # noqa: BLE001 - region lookups will retry the build on first use
            LOGGER.exception("building the region lookup failed")
        self._warm.set()  # readyz: no start-up work left to compete with requests
        try:
            self.runner.resume_all()
        except Exception:  # noqa: BLE001 - logged; `flask geocode-pending` resumes them too
            LOGGER.exception("resuming unfinished upload jobs failed")

    @property
    def warm(self) -> bool:
        return self._warm.is_set()

    def wait_warm(self, timeout: float = 60.0) -> bool:
        return self._warm.wait(timeout)

    def index(self, timeout: float = 30.0) -> StoreIndex:
        index = self.holder.index
        if index is None:
            self._ready.wait(timeout)
            index = self.holder.index
        if index is None:
            raise NotReady("the store index is still loading; retry shortly")
        return index

    def submit(self, data: bytes, file_name: str | None, **options: Any) -> jobs.Submission:
        return jobs.submit(self.uploads, data, file_name, max_rows=self.settings["MAX_UPLOAD_ROWS"], **options)

    def import_list(self, data: bytes, file_name: str | None, *, progress: jobs.Progress | None = None,
                    **options: Any) -> tuple[jobs.Submission, str | None]:
        """Validate, then geocode in this thread (CLI, first start): (submission, job status)."""
        submission = self.submit(data, file_name, **options)
        if submission.upload_id is None:
            return submission, None
        return submission, self.runner.run(submission.upload_id, progress)

    def version_committed(self, _version: int | None = None) -> None:
        """A new version is live: answer from it here at once, and drop versions no longer kept.

        Other processes follow within INDEX_POLL_SECONDS.
        """
        self.holder.refresh()
        self._ready.set()
        try:
            self.repository.prune(self.settings["KEEP_VERSIONS"])
        except Exception:  # noqa: BLE001 - pruning is housekeeping; the next version retries it
            LOGGER.exception("dropping old dataset versions failed")

    def close(self) -> None:
        """Stop the background threads before the interpreter goes away.

        A daemon thread still inside GEOS or numpy while Python finalises
        aborts the process, so ``start`` registers this to run at exit too.
        """
        if self._closed:
            return
        self._closed = True
        if self._loader is not None:
            self._loader.join(timeout=60)
        self.holder.stop_polling()
        self.runner.stop(timeout=10)
        self.repository.engine.dispose()
