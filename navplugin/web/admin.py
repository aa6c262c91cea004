"""Token-protected admin endpoints under ``/admin/v1``."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, request, url_for

from .. import jobs, query
from ..errors import BadParameter, InvalidUpload, NavpluginError, NotFound, PayloadTooLarge, Unauthorized
from ..formats.common import store_detail_fields
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
    submission = svc.submit(
        data,
        uploaded.filename or None,
        dry_run=query.flag(options, "dry_run"),
        skip_invalid=query.flag(options, "skip_invalid"),
        uploaded_by="admin",
    )
    if submission.upload_id is None:
        return json_response({"dry_run": True, "would_accept": submission.accepted, "report": submission.report})
    upload_id = submission.upload_id
    svc.runner.start(upload_id)
    svc.runner.wait(upload_id, svc.settings["UPLOAD_WAIT_SECONDS"])
    status = jobs.job_status(svc.uploads.get(upload_id))
    status_url = url_for("admin.upload_status", upload_id=upload_id)
    if status["status"] == "done":
        body = {"version": status["version"], "live": True, "report": status["report"], "upload": status}
        return json_response(body, status=201, headers={"Location": status_url})
    if status["status"] == "failed" and (status["error"] or "").startswith(jobs.INTERNAL_ERROR):
        raise NavpluginError(f"upload {upload_id} stopped on an internal error; the live data is unchanged. "
                             f"{status['error']}", upload=status)
    if status["status"] == "failed":
        raise InvalidUpload(status["error"] or "the upload could not be geocoded; nothing was changed",
                            report=status["report"], upload=status)
    return json_response({"upload": status, "status_url": status_url}, status=202, headers={"Location": status_url})


@blueprint.get("/uploads/<int:upload_id>")
def upload_status(upload_id: int) -> Response:
    job_row = service().uploads.get(upload_id)
    if job_row is None:
        raise NotFound(f"no upload {upload_id}")
    return json_response(jobs.job_status(job_row))


@blueprint.get("/review")
def review() -> Response:
    """Shops whose point is outside the district their address names, and rows no geocoder placed."""
    svc = service()
    limit = query.integer(request.args, "limit", 1, 1000, 100)
    offset = query.integer(request.args, "offset", 0, 10_000_000, 0)
    index = svc.index()
    mismatches = [store for store in index.stores if store.district_check == "mismatch"]
    failed_upload = svc.uploads.latest_failed()
    failed = [] if failed_upload is None else [
        {"upload_id": failed_upload, "line": row.line, "name": row.name, "address": row.address,
         "reason": db_row.reason}
        for row, db_row in svc.uploads.rows(failed_upload, status="failed")
    ]
    page = mismatches[offset:offset + limit]
    return json_response({
        "dataset_version": index.version,
        "mismatches": {"count": len(mismatches), "items": [store_detail_fields(s) for s in page]},
        "failed": {"count": len(failed), "items": failed[offset:offset + limit]},
    })


@blueprint.get("/versions")
def versions() -> Response:
    return json_response({"items": [info.as_dict() for info in service().repository.versions()]})
