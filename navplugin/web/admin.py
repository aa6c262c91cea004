"""Token-protected admin endpoints under ``/admin/v1``."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, request

from .. import query
from ..errors import BadParameter, PayloadTooLarge, Unauthorized
from .responses import json_response, service

blueprint = Blueprint("admin", __name__, url_prefix="/admin/v1")


@blueprint.before_request
def require_token() -> None:
    expected = service().settings["ADMIN_TOKEN"]
    if not expected:
        raise Unauthorized("admin endpoints are disabled: set NAVPLUGIN_ADMIN_TOKEN")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send 'Authorization: Bearer <admin token>'")
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise Unauthorized("the admin token is not valid")


@blueprint.post("/uploads")
def upload() -> Response:
    svc = service()
    limit = svc.settings["MAX_UPLOAD_BYTES"]
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise PayloadTooLarge(f"uploads are limited to {limit} bytes")
    uploaded = request.files.get("file")
    if uploaded is None:
        raise BadParameter("file", "Parameter 'file' must be a CSV or XLSX file sent as multipart/form-data")
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"uploads are limited to {limit} bytes")
    options = {**request.args, **request.form}
    outcome = svc.import_list(
        data,
        uploaded.filename or None,
        dry_run=query.flag(options, "dry_run"),
        skip_invalid=query.flag(options, "skip_invalid"),
        uploaded_by="admin",
    )
    if outcome.dry_run:
        return json_response({"dry_run": True, "would_accept": outcome.accepted, "report": outcome.report})
    return json_response({"version": outcome.version, "live": True, "report": outcome.report}, status=201)


@blueprint.get("/versions")
def versions() -> Response:
    return json_response({"items": [info.as_dict() for info in service().repository.versions()]})
