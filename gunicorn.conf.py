"""gunicorn settings for navplugin in production: ``gunicorn -c gunicorn.conf.py``.

The master prepares the database once, before any worker starts: pending
migrations (unless ``NAVPLUGIN_MIGRATE_ON_START=false``, where the release
step runs ``flask --app navplugin db upgrade``) and, on an empty database, the
sample list. Each worker then starts serving after it has loaded the app: it
loads the live index, follows the live version and takes over upload jobs a
stopped process left. Several gunicorn instances, on one machine or many,
may start at once: the first-start lock in the database lets one migrate.

Every value here can be overridden on the command line (``--bind``,
``--workers``) or through gunicorn's own environment variables.
"""
from __future__ import annotations

import multiprocessing
import os
import tempfile
from pathlib import Path

# Metrics of every worker, added up by /metrics (prometheus-client's multiprocess mode). Set before the
# app, and so prometheus-client, is imported anywhere.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="navplugin-metrics-"))

wsgi_app = "wsgi:app"
bind = os.environ.get("NAVPLUGIN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# Threads keep connections alive cheaply; the work of a request is numpy/scipy, which releases the GIL.
worker_class = "gthread"
threads = int(os.environ.get("NAVPLUGIN_THREADS", "4"))
keepalive = 5
timeout = 60  # a worker silent this long is killed and replaced; requests are bounded far below it
graceful_timeout = 30  # a stopping worker finishes its requests; its upload jobs resume elsewhere


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """In the master, before workers fork: the schema and the first-start sample, once."""
    from navplugin import create_app, lifecycle
    from navplugin.logs import configure_logging

    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):  # an earlier run's figures
        stale.unlink()
    app = create_app()
    service = app.extensions["navplugin"]
    configure_logging(service.settings["LOG_LEVEL"], service.settings["LOG_FORMAT"])
    try:
        lifecycle.prepare_database(service, load_sample=service.settings["LOAD_SAMPLE"])
    finally:
        service.close()  # no connection of the master's may be shared by forked workers


def post_worker_init(worker) -> None:  # noqa: ANN001
    """In each worker, once it has loaded ``wsgi:app``: start serving (index, poller, job takeover)."""
    from navplugin import lifecycle

    lifecycle.start_serving(worker.wsgi.extensions["navplugin"])


def worker_exit(server, worker) -> None:  # noqa: ANN001
    from navplugin import lifecycle

    app = getattr(worker, "wsgi", None)
    if app is not None:
        lifecycle.stop(app.extensions["navplugin"])


def child_exit(server, worker) -> None:  # noqa: ANN001
    """A worker gone: its live gauges leave the sums (its counters stay, as Prometheus expects)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
