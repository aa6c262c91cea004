"""One error shape for the whole API: ``application/problem+json`` (RFC 9457)."""
from __future__ import annotations

import json
import logging

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from ..errors import NavpluginError, Unauthorized, Unavailable

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


def navplugin_problem(exc: NavpluginError) -> Response:
    response = problem_response(exc.problem(), exc.status)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = exc.challenge
    if isinstance(exc, Unavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def unexpected_problem(exc: Exception) -> Response:
    LOGGER.exception("unhandled error", exc_info=exc)
    return problem_response(NavpluginError("an unexpected error occurred; it has been logged").problem(), 500)


def init_app(app: Flask) -> None:
    app.register_error_handler(NavpluginError, navplugin_problem)
    app.register_error_handler(HTTPException, _http_problem)
    app.register_error_handler(Exception, unexpected_problem)
