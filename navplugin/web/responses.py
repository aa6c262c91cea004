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
    accept = request.headers.get("Accept")
    if not accept or accept == "*/*":
        return FORMATS[DEFAULT_FORMAT]
    accepted = [media for media, _quality in request.accept_mimetypes]
    return by_media_type(accepted) or FORMATS[DEFAULT_FORMAT]


def _read_response(body: str, media_type: str, etag: str, status: int = 200) -> Response:
    """A read response with cache headers; a matching If-None-Match turns it into 304."""
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": f"public, max-age={service().settings['CACHE_MAX_AGE']}",
        "Vary": "Accept",
    }
    if "If-None-Match" in request.headers and request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    return Response(body, status=status, mimetype=media_type, headers=headers)


def cacheable(body: str, media_type: str, dataset_version: int | None, status: int = 200) -> Response:
    """A read response whose ETag is a digest of its body."""
    digest = hashlib.blake2b(body.encode("utf-8"), digest_size=12).hexdigest()
    return _read_response(body, media_type, f"v{dataset_version}-{digest}", status)


def json_response(body: Any, dataset_version: int | None = None, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if dataset_version is None:
        return Response(text, status=status, mimetype="application/json", headers=headers)
    return cacheable(text, "application/json", dataset_version, status)


def list_response(result: QueryResult) -> Response:
    """A list answer is fixed by the dataset version, the query and the format: that is its ETag."""
    fmt = chosen_format()
    key = f"{result.dataset_version}|{fmt.name}|{request.query_string.decode('latin-1')}"
    etag = f"v{result.dataset_version}-{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"
    return _read_response(fmt.serialize(result, None), fmt.media_type, etag)
