"""What a queue worker runs: ``run_upload``, found by RQ by its name ``navplugin.tasks.run_upload``.

``flask --app navplugin worker`` hands its own service to ``use``; under a plain
``rq worker`` each process builds one from the environment (``NAVPLUGIN_*``)
the first time it runs a job.
"""
from __future__ import annotations

import os
import threading
from typing import Any

_SERVICE: dict[int, Any] = {}  # process id -> the service jobs in that process use
_LOCK = threading.Lock()


def use(service: Any) -> None:
    _SERVICE[os.getpid()] = service


def _service() -> Any:
    with _LOCK:
        service = _SERVICE.get(os.getpid())
        if service is None:
            from . import create_app, lifecycle

            service = create_app().extensions["navplugin"]
            lifecycle.ensure_schema(service)
            _SERVICE[os.getpid()] = service
        return service


def run_upload(upload_id: int) -> str:
    """Geocode an upload's rows and make it the live version; a job another process holds is left to it."""
    status = _service().runner.run(upload_id)
    return str(status)
