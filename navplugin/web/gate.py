"""Client keys at the door of every public read: who is asking, and whether their quota allows it.

A WSGI layer inside the middleware (so refusals carry request ids, security
headers and metrics) and in front of the fast path and Flask, so nearby's
fast path is covered like every other route. It covers ``/v1/*`` but the
OpenAPI document, and ``/ogc``. With ``REQUIRE_CLIENT_KEY`` a request without
a valid ``X-API-Key`` is ``401``; without it, a request without a key passes as
anonymous and one with a key is counted and limited like any. A key in the
query string is refused either way: URLs end up in logs.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..errors import BadParameter, ClientKeyRequired, TooManyRequests
from .errors import navplugin_problem
from .middleware import KEY_IN_QUERY, ROUTE_KEY

OPEN = {"/v1/openapi.json"}
REFUSED_ROUTE = "(client key)"  # the metrics label of a request refused at the door


def vary(headers: list[tuple[str, str]], name: str) -> None:
    """Add ``name`` to the answer's one ``Vary`` header."""
    varies = [value for header, value in headers if header.lower() == "vary"]
    headers[:] = [(header, value) for header, value in headers if header.lower() != "vary"]
    headers.append(("Vary", ", ".join([*varies, name])))


def gated(path: str) -> bool:
    return (path.startswith("/v1/") and path not in OPEN) or path == "/ogc" or path.startswith("/ogc/")


class ClientGate:
    def __init__(self, app: Callable[..., Iterable[bytes]], service: Any) -> None:
        self.app = app
        self.keys = service.clients
        self.require = service.settings["REQUIRE_CLIENT_KEY"]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not gated(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        if KEY_IN_QUERY.search(environ.get("QUERY_STRING", "")):
            return self._refuse(BadParameter("api_key", "Parameter 'api_key' is refused: send the client key in "
                                                        "the 'X-API-Key' header, never in the URL (URLs are logged)"), environ, start_response)
        key = environ.get("HTTP_X_API_KEY")
        if key is None:
            if self.require:
                return self._refuse(ClientKeyRequired("send your client key as 'X-API-Key: <key>'"), environ,
                                    start_response)
            return self.app(environ, start_response)
        found = self.keys.authenticate(key)
        if found is None:
            return self._refuse(ClientKeyRequired("the client key is not valid (unknown, revoked or rotated)"),
                                environ, start_response)
        admission = self.keys.admit(found)
        environ["navplugin.client"] = admission.client.id
        if not admission.allowed:
            refused = TooManyRequests(f"client {admission.client.name!r} is over its quota of "
                                      f"{admission.client.rate}; retry after {admission.reset_seconds} s")
            return self._refuse(refused, environ, start_response, admission.headers())
        headers = admission.headers()

        def start(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # Answers differ by key (quota headers; a missing key is refused): shared caches keep them apart.
            vary(response_headers, "X-API-Key")
            response_headers.extend(headers)
            return start_response(status, response_headers, exc_info)

        return self.app(environ, start)

    @staticmethod
    def _refuse(problem: Exception, environ: dict[str, Any], start_response: Callable[..., Any],
                headers: list[tuple[str, str]] = ()) -> Iterable[bytes]:
        environ.setdefault(ROUTE_KEY, REFUSED_ROUTE)
        response = navplugin_problem(problem)
        for name, value in headers:
            response.headers[name] = value
        return response(environ, start_response)
