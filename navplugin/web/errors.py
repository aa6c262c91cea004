"""One error shape for the whole API: ``application/problem+json`` (RFC 9457)."""
from __future__ import annotations

import json
import logging

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from ..errors import NavpluginError, Unavailable

LOGGER = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem_response(body: dict, status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)


def _http_problem(exc: HTTPException) -> Response:
    name = exc.name or "Error"
    code = name.lower().replace(" ", "-")
    body = {
        "type": f"https://navplugin.dev/problems/{code}",
        "title": name[:1] + name[1:].lower(),  # "Not found", as the service's own problems are titled
        "status": exc.code,
        "detail": exc.description,
    }
    response = problem_response(body, exc.code or 500)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(NavpluginError)
    def navplugin_error(exc: NavpluginError) -> Response:
        response = problem_response(exc.problem(), exc.status)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="navplugin-admin"'
        if isinstance(exc, Unavailable):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return _http_problem(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        LOGGER.exception("unhandled error")
        return problem_response(NavpluginError("an unexpected error occurred; it has been logged").problem(), 500)
