"""Token-protected admin endpoints under ``/admin/v1``: overview, uploads, review, versions, corrections, audit."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request, url_for

from .. import jobs, overview, review
from ..auth import Admin
from ..curation import Correction
from ..errors import BadParameter, Forbidden, InvalidUpload, NavpluginError, NotFound, PayloadTooLarge, Unauthorized
from ..formats.common import store_detail_fields
from . import params
from .responses import json_response, service

blueprint = Blueprint("admin", __name__, url_prefix="/admin/v1")

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_DIFF_ITEMS = 10_000
ADMIN_MAX_BODY_BYTES = 64 * 1024  # a correction or a reason


@blueprint.before_request
def require_token() -> None:
    tokens = service().tokens
    if not tokens:
        raise Unauthorized("admin endpoints are disabled: set NAVPLUGIN_ADMIN_TOKENS")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <admin token>'")
    admin = tokens.authenticate(token.strip())
    if admin is None:
        raise Unauthorized("the admin token is not valid")
    if request.method not in READ_METHODS and not admin.can_write:
        raise Forbidden(f"the token {admin.name!r} is read-only; this action needs an admin token")
    g.admin = admin


@blueprint.after_request
def revalidate(response: Response) -> Response:
    """Admin reads carry an ETag too, but every use revalidates: an admin must see the latest state."""
    if request.method == "GET" and response.status_code == 200:
        response.headers["Cache-Control"] = "private, no-cache"
        response.add_etag()
        response.make_conditional(request)
    return response


def current_admin() -> Admin:
    return g.admin


def json_body_object() -> dict[str, Any]:
    body = params.json_body(ADMIN_MAX_BODY_BYTES)
    if not isinstance(body, dict):
        raise BadParameter("body", "The request body must be a JSON object")
    return body


def _version_changed(correction: Correction) -> Response:
    service().version_committed(correction.version)
    return json_response({
        "version": correction.version,
        "item": None if correction.store is None else store_detail_fields(correction.store),
        "changes": {name: {"from": a, "to": b} for name, (a, b) in correction.changes.items()},
    })


@blueprint.get("/whoami")
def whoami() -> Response:
    admin = current_admin()
    return json_response({"name": admin.name, "role": admin.role})


# -- overview ----------------------------------------------------------------------------------

@blueprint.get("/overview")
def shops_overview() -> Response:
    """Live shops by 시도 and precision, how far their points may be off, and the shops to pin first."""
    limit = params.integer(request.args, "limit", 1, overview.TO_PIN_MAX_LIMIT, overview.TO_PIN_DEFAULT_LIMIT)
    offset = params.integer(request.args, "offset", 0, 10_000_000, 0)
    body = overview.overview(service().index(), limit, offset)
    to_pin = body["to_pin"]
    to_pin["next"] = None
    if offset + limit < to_pin["count"]:
        to_pin["next"] = url_for(".shops_overview", _external=True) + "?" + urlencode(
            {"limit": limit, "offset": offset + limit})
    return json_response(body)


# -- uploads -----------------------------------------------------------------------------------

@blueprint.post("/uploads")
def upload() -> Response:
    svc = service()
    limit = svc.settings["MAX_UPLOAD_BYTES"]
    if request.content_length is not None and request.content_length > current_app.config["MAX_CONTENT_LENGTH"]:
        raise PayloadTooLarge(f"uploads are limited to {limit} bytes")
    uploaded = request.files.get("file")
    if uploaded is None:
        raise BadParameter("file", "Parameter 'file' must be a CSV or XLSX file sent as multipart/form-data")
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"uploads are limited to {limit} bytes")
    options = {**request.args, **request.form}
    max_wait = svc.settings["UPLOAD_WAIT_SECONDS"]
    wait = params.number(options, "wait", 0, max_wait, max_wait)
    dry_run = params.flag(options, "dry_run")
    if not dry_run:
        svc.queue.check()  # a queue that cannot take the job: 503 before anything is stored
    submission = svc.submit(
        data,
        uploaded.filename or None,
        dry_run=dry_run,
        skip_invalid=params.flag(options, "skip_invalid"),
        mode=params.choice(options, "mode", jobs.UPLOAD_MODES, "replace"),
        uploaded_by=current_admin().name,
    )
    if submission.upload_id is None:
        return json_response({"dry_run": True, "would_accept": submission.accepted, "report": submission.report})
    upload_id = submission.upload_id
    svc.queue.start(upload_id)  # when the queue fails it now, the job waits in the database for a sweep
    if wait > 0:
        svc.queue.wait(upload_id, wait)
    job = svc.uploads.get(upload_id)
    status = jobs.job_status(job)
    status_url = url_for("admin.upload_status", upload_id=upload_id)
    if job.status is jobs.JobStatus.DONE:
        body = {"version": job.version, "live": True, "report": status["report"], "upload": status}
        return json_response(body, status=201, headers={"Location": status_url})
    if job.failure is jobs.Failure.INTERNAL:
        raise NavpluginError(f"upload {upload_id} stopped on an internal error; the live data is unchanged. "
                             f"{job.error}", upload=status)
    if job.status is jobs.JobStatus.FAILED:
        raise InvalidUpload(job.error or "the upload could not be geocoded; nothing was changed",
                            report=status["report"], upload=status)
    return json_response({"upload": status, "status_url": status_url}, status=202, headers={"Location": status_url})


@blueprint.get("/uploads/<id:upload_id>")
def upload_status(upload_id: int) -> Response:
    """A job's progress; a job whose process stopped is taken over here, so a watched job always ends."""
    svc = service()
    job = svc.uploads.get(upload_id)
    if job is None:
        raise NotFound(f"no upload {upload_id}")
    if job.status in jobs.ACTIVE:
        svc.queue.take_over_if_abandoned(upload_id)
    return json_response(jobs.job_status(job))


@blueprint.get("/review")
def review_list() -> Response:
    """Shops whose point is outside the district their address names, and rows no geocoder placed."""
    svc = service()
    limit = params.integer(request.args, "limit", 1, 1000, 100)
    offset = params.integer(request.args, "offset", 0, 10_000_000, 0)
    return json_response(review.to_check(svc.index(), svc.uploads, limit, offset))


# -- versions ----------------------------------------------------------------------------------

@blueprint.get("/versions")
def versions() -> Response:
    return json_response({"items": [info.as_dict() for info in service().repository.versions()]})


@blueprint.get("/versions/<id:a>/diff/<id:b>")
def version_diff(a: int, b: int) -> Response:
    """Shops added, removed and changed from version ``a`` to ``b``, with the overrides behind changes."""
    limit = params.integer(request.args, "limit", 1, MAX_DIFF_ITEMS, 1000)
    return json_response(review.version_diff(service().repository, a, b, limit))


@blueprint.post("/versions/<id:version>/activate")
def activate(version: int) -> Response:
    svc = service()
    activation = svc.curator.activate(version, current_admin().name)
    svc.version_committed(activation.version)
    return json_response(activation.as_dict())


# -- corrections -------------------------------------------------------------------------------

@blueprint.get("/stores/<path:store_id>")
def store_status(store_id: str) -> Response:
    """A shop as admins see it: live or not, its standing override, and its audit trail."""
    svc = service()
    return json_response(review.shop_history(svc.repository, svc.index(), params.store_id(store_id)))


@blueprint.patch("/stores/<path:store_id>")
def correct_store(store_id: str) -> Response:
    body = json_body_object()
    reason = params.reason(body)
    return _version_changed(service().curator.override(params.store_id(store_id), params.correction(body), reason,
                                                       current_admin().name))


@blueprint.delete("/stores/<path:store_id>/override")
def clear_override(store_id: str) -> Response:
    body = params.json_body(ADMIN_MAX_BODY_BYTES)
    reason = params.reason(body if isinstance(body, dict) else request.args)
    return _version_changed(service().curator.clear_override(params.store_id(store_id), reason,
                                                             current_admin().name))


@blueprint.post("/stores/<path:store_id>/revoke")
def revoke(store_id: str) -> Response:
    reason = params.reason(json_body_object())
    return _version_changed(service().curator.revoke(params.store_id(store_id), reason, current_admin().name))


@blueprint.post("/stores/<path:store_id>/restore")
def restore(store_id: str) -> Response:
    reason = params.reason(json_body_object())
    return _version_changed(service().curator.restore(params.store_id(store_id), reason, current_admin().name))


@blueprint.get("/overrides")
def standing_overrides() -> Response:
    """Every standing correction and revocation, with the shop's name as the newest version has it."""
    items = review.standing_overrides(service().repository)
    return json_response({"count": len(items), "items": items})


# -- audit -------------------------------------------------------------------------------------

@blueprint.get("/audit")
def audit_log() -> Response:
    limit = params.integer(request.args, "limit", 1, 500, 50)
    before = params.integer(request.args, "before", 1, params.DB_INT_MAX, 0) or None
    items = service().repository.audit_entries(
        limit=limit, before=before, action=params.choice(request.args, "action", review.AUDIT_ACTIONS, None),
        target=params.text(request.args, "target"))
    next_url = None
    if len(items) == limit:
        kept = {name: request.args[name] for name in ("limit", "action", "target") if name in request.args}
        next_url = url_for(".audit_log", _external=True) + "?" + urlencode({**kept, "before": items[-1]["id"]})
    return json_response({"items": items, "next": next_url})
