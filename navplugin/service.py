"""The running service's parts, wired once per app: settings, repository, geocoders, live index.

Both the web layer and the CLI work through a ``Service``; neither builds
these parts itself.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Mapping

from . import jobs
from .errors import NotReady
from .geocode.chain import GeocoderChain
from .spatial.index import IndexHolder, StoreIndex
from .spatial.regions import default_region_lookup
from .store.engine import default_sqlite_url, make_engine
from .store.repository import Repository

LOGGER = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Mapping[str, Any], instance_dir: str | Path) -> None:
        self.settings = dict(settings)
        url = self.settings["DATABASE_URL"] or default_sqlite_url(instance_dir)
        self.repository = Repository(make_engine(url))
        self.repository.create_schema()
        self.chain = GeocoderChain.from_settings(self.settings)
        self.holder = IndexHolder(self.repository.live_version, self.repository.iter_stores)
        self._ready = threading.Event()
        self._loader: threading.Thread | None = None

    def load_sample_if_empty(self) -> int | None:
        """First start: serve the bundled sample list rather than nothing."""
        sample = Path(self.settings["SAMPLE_FILE"])
        if not self.settings["LOAD_SAMPLE"] or self.repository.has_any_version():
            return None
        if not sample.is_file():
            LOGGER.warning("sample list %s not found; starting with no data", sample)
            return None
        outcome = jobs.import_list(
            self.repository, self.chain, sample.read_bytes(), sample.name,
            skip_invalid=True, source="sample",
        )
        LOGGER.info("sample list %s loaded as version %s", sample.name, outcome.version)
        return outcome.version

    def start(self) -> None:
        """Load the live index in the background, then keep following the live version."""
        if self._loader is not None:
            return
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

    def index(self, timeout: float = 30.0) -> StoreIndex:
        index = self.holder.index
        if index is None:
            self._ready.wait(timeout)
            index = self.holder.index
        if index is None:
            raise NotReady("the store index is still loading; retry shortly")
        return index

    def import_list(self, data: bytes, file_name: str | None, **options: Any) -> jobs.ImportOutcome:
        outcome = jobs.import_list(
            self.repository, self.chain, data, file_name,
            max_rows=self.settings["MAX_UPLOAD_ROWS"], **options,
        )
        if outcome.version is not None:
            # This process answers from the new list as soon as the upload returns;
            # other processes follow within INDEX_POLL_SECONDS.
            self.holder.refresh()
            self._ready.set()
        return outcome

    def close(self) -> None:
        self.holder.stop_polling()
        self.repository.engine.dispose()
