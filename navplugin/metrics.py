"""What an operator watches, for Prometheus: requests, latency, the live index, geocoder calls, job rows.

One set of metrics per process. Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR``
(set by ``gunicorn.conf.py``) makes prometheus-client keep them in files that
``/metrics`` of any worker adds up across processes; index gauges are then
reported per live process (``pid`` label).
"""
from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client import CONTENT_TYPE_LATEST  # noqa: F401 - the media type of ``exposition``

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("navplugin_http_requests_total", "HTTP requests answered, by route template, method and status.",
                   ["route", "method", "status"])
LATENCY = Histogram("navplugin_http_request_duration_seconds",
                    "Time to answer a request (to the first byte of a streamed answer), by route template.",
                    ["route", "method"], buckets=LATENCY_BUCKETS)
INDEX_VERSION = Gauge("navplugin_index_dataset_version", "The dataset version this process serves.",
                      multiprocess_mode="liveall")
INDEX_STORES = Gauge("navplugin_index_stores", "Shops in the index this process serves.",
                     multiprocess_mode="liveall")
INDEX_LOAD = Histogram("navplugin_index_load_seconds", "Time to load and build a new live index.",
                       buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60))
GEOCODER_CALLS = Counter("navplugin_geocoder_calls_total",
                         "Geocoder lookups by provider and outcome (found, not_found, cached, transient, refused, "
                         "failed).", ["provider", "outcome"])
RATELIMIT_STORAGE_ERRORS = Counter("navplugin_ratelimit_storage_errors_total",
                                  "Failures of the client quota storage (Redis); clients pass uncounted for a while "
                                  "after each.")
JOB_ROWS = Counter("navplugin_job_rows_total", "Upload rows placed by geocoding jobs, or failed.", ["outcome"])


def exposition() -> bytes:
    """The metrics text: this process's, or every process's when they share a multiprocess directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def index_loaded(version: int | None, stores: int, seconds: float) -> None:
    INDEX_VERSION.set(version or 0)
    INDEX_STORES.set(stores)
    INDEX_LOAD.observe(seconds)
