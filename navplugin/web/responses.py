"""Turning results into HTTP responses: format choice, caching headers, conditional requests."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Response, current_app, request

from .. import query
from ..formats import DEFAULT_FORMAT, FORMATS, Format, by_media_type
from ..model import QueryResult
from ..service import Service


def service() -> Service:
    return current_app.extensions["navplugin"]


def chosen_format() -> Format:
    name = query.choice(request.args, "format", tuple(FORMATS), None)
    if name is not None:
        return FORMATS[name]
    accepted = [media for media, _quality in request.accept_mimetypes]
    return by_media_type(accepted) or FORMATS[DEFAULT_FORMAT]


def cacheable(body: str, media_type: str, dataset_version: int | None, status: int = 200) -> Response:
    """A read response with ETag and Cache-Control; If-None-Match gets 304."""
    digest = hashlib.blake2b(body.encode("utf-8"), digest_size=12).hexdigest()
    etag = f"v{dataset_version}-{digest}"
    response = Response(body, status=status, mimetype=media_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={service().settings['CACHE_MAX_AGE']}"
    response.vary.add("Accept")
    return response.make_conditional(request)


def json_response(body: Any, dataset_version: int | None = None, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if dataset_version is None:
        return Response(text, status=status, mimetype="application/json")
    return cacheable(text, "application/json", dataset_version, status)


def list_response(result: QueryResult) -> Response:
    fmt = chosen_format()
    return cacheable(fmt.serialize(result, None), fmt.media_type, result.dataset_version)
