"""Turning results into HTTP responses: format choice, caching headers, conditional requests."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Mapping

from flask import Response, current_app, request, stream_with_context
from werkzeug.http import http_date

from .. import query
from ..formats import DEFAULT_FORMAT, FORMATS, Format, by_media_type
from ..formats import json as json_format
from ..model import QueryResult
from ..service import Service
from . import params


def service() -> Service:
    return current_app.extensions["navplugin"]


FORMAT_NAMES = tuple(FORMATS)
# Formats that give their answer as ready UTF-8 bytes too (``serialize(...).encode()``, without the encoding).
UTF8_SERIALIZERS = {"json": json_format.serialize_utf8}


def chosen_format(args: Mapping[str, str] | None = None) -> Format:
    name = params.choice(request.args if args is None else args, "format", FORMAT_NAMES, None)
    if name is not None:
        return FORMATS[name]
    accept = request.environ.get("HTTP_ACCEPT")  # request.headers.get("Accept"), without building the view
    if not accept or accept == "*/*":
        return FORMATS[DEFAULT_FORMAT]
    accepted = [media for media, _quality in request.accept_mimetypes]
    return by_media_type(accepted) or FORMATS[DEFAULT_FORMAT]


def _read_response(body: str | bytes, media_type: str, etag: str, status: int = 200) -> Response:
    """A read response with cache headers; a matching If-None-Match turns it into 304."""
    headers = [
        ("ETag", f'"{etag}"'),
        ("Cache-Control", f"public, max-age={service().settings['CACHE_MAX_AGE']}"),
        ("Vary", "Accept"),
    ]
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    headers.append(("Content-Type", media_type))
    return Response(body, status=status, headers=headers)


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


def _request_etag(dataset_version: int | None, fmt: Format) -> str:
    """A list answer is fixed by the dataset version, the query and the format: that is its ETag."""
    key = f"{dataset_version}|{fmt.name}|{request.query_string.decode('latin-1')}"
    return f"v{dataset_version}-{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"


def _file_name(fmt: Format, dataset_version: int | None) -> str:
    endpoint = (request.endpoint or "stores").rpartition(".")[2].replace("_", "-")
    return f"navplugin-{endpoint}-v{dataset_version}.{fmt.extension}"


def list_response(result: QueryResult, *, next_url: str | None = None, cacheable_answer: bool = True,
                  args: Mapping[str, str] | None = None) -> Response:
    """Any list in the chosen format, with x/y in the requested coordinate system.

    ``args``: the request's query parameters when the caller has them already (``params.query_args``).
    """
    if args is None:
        args = request.args
    fmt = chosen_format(args)
    result = query.with_coordinates(result, params.crs(args))
    serialize = UTF8_SERIALIZERS.get(fmt.name, fmt.serialize)
    body = serialize(result, {"next": next_url} if next_url else None)
    if cacheable_answer:
        response = _read_response(body, fmt.media_type, _request_etag(result.dataset_version, fmt))
    else:
        response = Response(body, content_type=fmt.media_type, headers={"Cache-Control": "no-store"})
    if fmt.attachment:
        response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(fmt, result.dataset_version)}"'
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def export_response(result: QueryResult, activated_at: datetime | None) -> Response:
    """The whole list streamed in the chosen format; unchanged since the client's copy -> 304."""
    fmt = chosen_format()
    etag = _request_etag(result.dataset_version, fmt)
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": f"public, max-age={service().settings['CACHE_MAX_AGE']}",
        "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="{_file_name(fmt, result.dataset_version)}"',
    }
    if activated_at is not None:
        headers["Last-Modified"] = http_date(activated_at)
    if "If-None-Match" in request.headers:
        if request.if_none_match.contains(etag):
            return Response(status=304, headers=headers)
    elif activated_at is not None and request.if_modified_since is not None \
            and activated_at.replace(microsecond=0) <= request.if_modified_since:
        return Response(status=304, headers=headers)
    result = query.with_coordinates(result, params.crs(request.args))
    return Response(stream_with_context(fmt.stream(result, None)), content_type=fmt.media_type, headers=headers)
