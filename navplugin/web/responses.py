"""Turning results into HTTP responses: format choice, caching headers, conditional requests."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from flask import Response, current_app, request, stream_with_context
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import http_date, parse_accept_header, parse_etags

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


@dataclass(frozen=True, slots=True)
class Asked:
    """What a read answer depends on in its request: the query, Accept, If-None-Match and the endpoint.

    Taken from Flask's request, or straight from the WSGI environ by the fast path (``fastpath``),
    so both make their answers with the same functions below.
    """

    args: Mapping[str, str]
    query_string: bytes
    accept: str | None
    if_none_match: str | None
    endpoint: str | None

    @classmethod
    def from_request(cls, args: Mapping[str, str] | None = None) -> "Asked":
        environ = request.environ
        return cls(request.args if args is None else args, request.query_string, environ.get("HTTP_ACCEPT"),
                   environ.get("HTTP_IF_NONE_MATCH"), request.endpoint)

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any], args: Mapping[str, str], endpoint: str) -> "Asked":
        return cls(args, environ.get("QUERY_STRING", "").encode("latin-1"), environ.get("HTTP_ACCEPT"),
                   environ.get("HTTP_IF_NONE_MATCH"), endpoint)

    def matches(self, etag: str) -> bool:
        """Does the client's copy carry this ETag (``If-None-Match``)?"""
        return self.if_none_match is not None and parse_etags(self.if_none_match).contains(etag)


def chosen_format(asked: Asked | None = None) -> Format:
    asked = asked or Asked.from_request()
    name = params.choice(asked.args, "format", FORMAT_NAMES, None)
    if name is not None:
        return FORMATS[name]
    accept = asked.accept
    if not accept or accept == "*/*":
        return FORMATS[DEFAULT_FORMAT]
    accepted = [media for media, _quality in parse_accept_header(accept, MIMEAccept)]
    return by_media_type(accepted) or FORMATS[DEFAULT_FORMAT]


def _max_age() -> int:
    return service().settings["CACHE_MAX_AGE"]


def _read_response(body: str | bytes, media_type: str, etag: str, status: int = 200, *,
                   asked: Asked | None = None, max_age: int | None = None) -> Response:
    """A read response with cache headers; a matching If-None-Match turns it into 304."""
    asked = asked or Asked.from_request()
    headers = [
        ("ETag", f'"{etag}"'),
        ("Cache-Control", f"public, max-age={_max_age() if max_age is None else max_age}"),
        ("Vary", "Accept"),
    ]
    if asked.matches(etag):
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


def _request_etag(dataset_version: int | None, fmt: Format, asked: Asked) -> str:
    """A list answer is fixed by the dataset version, the query and the format: that is its ETag."""
    key = f"{dataset_version}|{fmt.name}|{asked.query_string.decode('latin-1')}"
    return f"v{dataset_version}-{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"


def _file_name(fmt: Format, dataset_version: int | None, asked: Asked) -> str:
    endpoint = (asked.endpoint or "stores").rpartition(".")[2].replace("_", "-")
    return f"navplugin-{endpoint}-v{dataset_version}.{fmt.extension}"


def list_response(result: QueryResult, *, next_url: str | None = None, cacheable_answer: bool = True,
                  args: Mapping[str, str] | None = None) -> Response:
    """Any list in the chosen format, with x/y in the requested coordinate system.

    ``args``: the request's query parameters when the caller has them already (``params.query_args``).
    """
    return list_answer(result, Asked.from_request(args), _max_age(), next_url=next_url,
                       cacheable_answer=cacheable_answer)


def list_answer(result: QueryResult, asked: Asked, max_age: int, *, next_url: str | None = None,
                cacheable_answer: bool = True) -> Response:
    """``list_response`` from what was asked, with no request context: the fast path's way too."""
    fmt = chosen_format(asked)
    result = query.with_coordinates(result, params.crs(asked.args))
    serialize = UTF8_SERIALIZERS.get(fmt.name, fmt.serialize)
    body = serialize(result, {"next": next_url} if next_url else None)
    if cacheable_answer:
        etag = _request_etag(result.dataset_version, fmt, asked)
        response = _read_response(body, fmt.media_type, etag, asked=asked, max_age=max_age)
    else:
        response = Response(body, content_type=fmt.media_type, headers={"Cache-Control": "no-store"})
    if fmt.attachment:
        name = _file_name(fmt, result.dataset_version, asked)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def export_response(result: QueryResult, activated_at: datetime | None) -> Response:
    """The whole list streamed in the chosen format; unchanged since the client's copy -> 304."""
    asked = Asked.from_request()
    fmt = chosen_format(asked)
    etag = _request_etag(result.dataset_version, fmt, asked)
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": f"public, max-age={_max_age()}",
        "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="{_file_name(fmt, result.dataset_version, asked)}"',
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
