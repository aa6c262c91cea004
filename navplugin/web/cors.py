"""CORS for browser map clients on another origin: the allowed origins are a setting, off by default.

Only the public API (``/v1``, ``/ogc``) is shared; the admin API, whose token
a page of another origin has no business holding, never is. A preflight is
answered here, before the client-key check (a browser sends no key with it).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .gate import gated, vary

METHODS = "GET, HEAD, POST, OPTIONS"
HEADERS = "X-API-Key, Content-Type, If-None-Match, If-Modified-Since, X-Request-ID, Accept"
EXPOSED = ("ETag, Last-Modified, Link, Content-Disposition, Retry-After, X-Request-ID, RateLimit-Limit, "
           "RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, Content-Crs")
MAX_AGE = "600"


def allowed_origins(setting: str | None) -> frozenset[str]:
    return frozenset(origin.strip().rstrip("/") for origin in (setting or "").split(",") if origin.strip())


class Cors:
    def __init__(self, app: Callable[..., Iterable[bytes]], origins: frozenset[str]) -> None:
        self.app = app
        self.origins = origins
        self.any = "*" in origins

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or not gated(environ.get("PATH_INFO", "")) \
                or not (self.any or origin.rstrip("/") in self.origins):
            return self.app(environ, start_response)
        allow = [("Access-Control-Allow-Origin", "*" if self.any else origin), ("Vary", "Origin")]
        if environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            start_response("204 No Content", [*allow, ("Access-Control-Allow-Methods", METHODS),
                                              ("Access-Control-Allow-Headers", HEADERS),
                                              ("Access-Control-Max-Age", MAX_AGE), ("Content-Length", "0")])
            return [b""]

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            vary(headers, "Origin")
            headers.extend([allow[0], ("Access-Control-Expose-Headers", EXPOSED)])
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
