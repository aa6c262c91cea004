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


def _conditional(response: Response, etag: str) -> Response:
    """Cache headers on a read response; a matching If-None-Match turns it into 304."""
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = f"public, max-age={service().settings['CACHE_MAX_AGE']}"
    response.headers["Vary"] = "Accept"
    if "If-None-Match" in request.headers and request.if_none_match.contains(etag):
        response.status_code = 304
        response.set_data(b"")
    return response


def cacheable(body: str, media_type: str, dataset_version: int | None, status: int = 200) -> Response:
    """A read response whose ETag is a digest of its body."""
    digest = hashlib.blake2b(body.encode("utf-8"), digest_size=12).hexdigest()
    return _conditional(Response(body, status=status, mimetype=media_type), f"v{dataset_version}-{digest}")


def json_response(body: Any, dataset_version: int | None = None, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if dataset_version is None:
        return Response(text, status=status, mimetype="application/json")
    return cacheable(text, "application/json", dataset_version, status)


def list_response(result: QueryResult) -> Response:
    """A list answer is fixed by the dataset version, the query and the format: that is its ETag."""
    fmt = chosen_format()
    key = f"{result.dataset_version}|{fmt.name}|{request.query_string.decode('latin-1')}"
    etag = f"v{result.dataset_version}-{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"
    response = Response(fmt.serialize(result, None), mimetype=fmt.media_type)
    return _conditional(response, etag)
