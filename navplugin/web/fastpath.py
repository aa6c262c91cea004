"""``GET /v1/stores/nearby`` answered without Flask's per-request machinery, by the same functions.

A navigation app asks for nearby shops far more often than for anything
else, and Flask's request context, routing and hooks cost as much as the
search itself. This layer, between the middleware and Flask, answers a
plain nearby request (a query string that needs no decoding, a GET) with
exactly what the Flask view answers, because it calls the same parser, use
case and response functions (``params.nearby``, ``query.nearby``,
``responses.list_answer``, ``errors.navplugin_problem``); anything else goes
on to Flask. ``tests/web/test_fastpath.py`` compares the two byte for byte,
and every other test of nearby runs through this layer. A plain ``q`` (ASCII
text, say ``q=pnb``) is parsed and matched here by those same functions; a
Korean one arrives percent-encoded and goes through Flask.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import query
from ..errors import NavpluginError
from . import params
from .errors import navplugin_problem, unexpected_problem
from .middleware import ROUTE_KEY
from .responses import Asked, list_answer

NEARBY = "/v1/stores/nearby"
ENDPOINT = "navigation.nearby"


class FastPath:
    def __init__(self, app: Callable[..., Iterable[bytes]], service: Any) -> None:
        self.app = app
        self.service = service
        self.settings = service.settings
        self.max_age = service.settings["CACHE_MAX_AGE"]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != NEARBY or environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        raw = environ.get("QUERY_STRING", "")
        args = params.plain_args(raw)
        if args is None:  # percent- or plus-encoded, or not ASCII: Werkzeug's parse, through Flask
            return self.app(environ, start_response)
        environ[ROUTE_KEY] = NEARBY
        try:
            found = query.nearby(self.service.index(), params.nearby(args, self.settings))
            response = list_answer(found, Asked.from_environ(environ, args, ENDPOINT), self.max_age)
        except NavpluginError as exc:
            response = navplugin_problem(exc)
        except Exception as exc:  # noqa: BLE001 - the same answer Flask's handler gives
            response = unexpected_problem(exc)
        return response(environ, start_response)
