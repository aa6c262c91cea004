"""What every answer gets, whichever route made it: a request id, security headers, a deadline, metrics, a log line.

A WSGI middleware around the Flask app rather than request hooks: it sees
every answer, Flask's own 404s and 405s and answers to errors included, and
costs a few microseconds.
"""
from __future__ import annotations

import itertools
import logging
import os
import re
import time
import uuid
from typing import Any, Callable, Iterable, Mapping

from flask import request

from .. import deadline, metrics
from ..logs import REQUEST_ID

ACCESS_LOG = logging.getLogger("navplugin.access")
# A client's request id is kept when it looks like one: ASCII letters, digits and ._:- only, at most 128.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# On every answer. An HTML page that needs more sets its own Content-Security-Policy (the admin page does).
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Resource-Policy", "same-site"),
)
API_POLICY = ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
_ID_PREFIX = [os.getpid(), uuid.uuid4().hex[:16]]
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    """32 hex digits, unique across processes and restarts: a random prefix per process and a counter.

    Cheaper than ``uuid4`` (no system call per request); ids need to be unique, not unguessable.
    """
    if _ID_PREFIX[0] != os.getpid():  # a forked child: a prefix of its own
        _ID_PREFIX[:] = [os.getpid(), uuid.uuid4().hex[:16]]
    return f"{_ID_PREFIX[1]}{next(_ID_COUNTER):016x}"


UNMATCHED = "(unmatched)"  # the route label of a request no route matched: one label, not one per path
ROUTE_KEY = "navplugin.route"  # where the app leaves the matched route's template for the middleware


def note_route() -> None:
    """Flask ``before_request``: the route template the metrics count this request under."""
    rule = request.url_rule
    if rule is not None:
        request.environ[ROUTE_KEY] = rule.rule


class Middleware:
    def __init__(self, app: Callable[..., Iterable[bytes]], settings: Mapping[str, Any]) -> None:
        self.app = app
        self.deadline_seconds = settings["REQUEST_DEADLINE_SECONDS"] or None
        self.access_log = settings["ACCESS_LOG"]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        given = environ.get("HTTP_X_REQUEST_ID")
        request_id = given if given and _REQUEST_ID.fullmatch(given) else new_request_id()
        environ["navplugin.request_id"] = request_id
        answered: list[str] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered.append(status)
            present = {name.lower() for name, _ in headers}
            headers.append(("X-Request-ID", request_id))
            headers.extend(header for header in SECURITY_HEADERS if header[0].lower() not in present)
            if "content-security-policy" not in present:
                headers.append(API_POLICY)
            if environ.get("wsgi.url_scheme") == "https" and "strict-transport-security" not in present:
                headers.append(("Strict-Transport-Security", "max-age=31536000"))
            return start_response(status, headers, exc_info)

        id_token = REQUEST_ID.set(request_id)
        deadline_token = deadline.start(self.deadline_seconds)
        try:
            return self.app(environ, start)
        finally:
            deadline.end(deadline_token)
            self._record(environ, answered[0] if answered else "500", time.perf_counter() - started, request_id)
            REQUEST_ID.reset(id_token)

    def _record(self, environ: dict[str, Any], status: str, seconds: float, request_id: str) -> None:
        route = environ.get(ROUTE_KEY, UNMATCHED)
        method = environ.get("REQUEST_METHOD", "GET")
        code = status[:3]
        metrics.REQUESTS.labels(route, method, code).inc()
        metrics.LATENCY.labels(route, method).observe(seconds)
        if self.access_log:
            ACCESS_LOG.info("%s %s %s %.1f ms", method, _path(environ), code, seconds * 1000,
                            extra={"request_id": request_id, "status": int(code), "method": method, "route": route,
                                   "duration_ms": round(seconds * 1000, 2)})


# A client key sent in the URL (which ``gate`` refuses): its value never reaches the log.
KEY_IN_QUERY = re.compile(r"((?:^|&)(?:x[-_]?)?(?:api[-_]?)?key=)[^&]*", re.IGNORECASE)
_REDACTED = r"\1[redacted]"


def _path(environ: dict[str, Any]) -> str:
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING")
    if not query:
        return path
    return path + "?" + KEY_IN_QUERY.sub(_REDACTED, query)
