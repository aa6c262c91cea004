"""Token-protected admin endpoints under ``/admin/v1``: uploads, review, versions, corrections, audit."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request, url_for

from .. import jobs, query
from ..auth import Admin
from ..curation import Outcome, json_value, parse_fields, reason_of
from ..errors import (BadParameter, Forbidden, InvalidUpload, NavpluginError, NotFound, PayloadTooLarge,
                      Unauthorized)
from ..formats.common import store_detail_fields
from ..store import audit, overrides
from ..store.diff import diff_stores
from .responses import json_body, json_response, service

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


def _body() -> dict[str, Any]:
    body = json_body(ADMIN_MAX_BODY_BYTES)
    if not isinstance(body, dict):
        raise BadParameter("body", "The request body must be a JSON object")
    return body


def _version_changed(outcome: Outcome) -> Response:
    service().version_committed(outcome.version)
    return json_response({
        "version": outcome.version,
        "item": None if outcome.store is None else store_detail_fields(outcome.store),
        "changes": {name: {"from": a, "to": b} for name, (a, b) in outcome.changes.items()},
    })


@blueprint.get("/whoami")
def whoami() -> Response:
    admin = current_admin()
    return json_response({"name": admin.name, "role": admin.role})


# -- uploads -----------------------------------------------------------------------------------

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
    max_wait = svc.settings["UPLOAD_WAIT_SECONDS"]
    wait = query.number(options, "wait", 0, max_wait, max_wait)
    submission = svc.submit(
        data,
        uploaded.filename or None,
        dry_run=query.flag(options, "dry_run"),
        skip_invalid=query.flag(options, "skip_invalid"),
        mode=query.choice(options, "mode", jobs.UPLOAD_MODES, "replace"),
        uploaded_by=current_admin().name,
    )
    if submission.upload_id is None:
        return json_response({"dry_run": True, "would_accept": submission.accepted, "report": submission.report})
    upload_id = submission.upload_id
    svc.runner.start(upload_id)
    if wait > 0:
        svc.runner.wait(upload_id, wait)
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
    """A job's progress; a job whose process stopped is taken over here, so a watched job always ends."""
    svc = service()
    job_row = svc.uploads.get(upload_id)
    if job_row is None:
        raise NotFound(f"no upload {upload_id}")
    if job_row["status"] in ("queued", "running") and \
            upload_id in svc.uploads.claimable(svc.runner.stale_after, svc.runner.owner):
        svc.runner.start(upload_id)
    return json_response(jobs.job_status(job_row))


@blueprint.get("/review")
def review() -> Response:
    """Shops whose point is outside the district their address names, and rows no geocoder placed.

    The unplaced rows are those of the newest finished upload: a list that failed for
    them, or one that went live without them (``skip_invalid``).
    """
    svc = service()
    limit = query.integer(request.args, "limit", 1, 1000, 100)
    offset = query.integer(request.args, "offset", 0, 10_000_000, 0)
    index = svc.index()
    mismatches = [store for store in index.stores if store.district_check == "mismatch"]
    failed_upload = svc.uploads.latest_finished()
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


# -- versions ----------------------------------------------------------------------------------

@blueprint.get("/versions")
def versions() -> Response:
    return json_response({"items": [info.as_dict() for info in service().repository.versions()]})


@blueprint.get("/versions/<int:a>/diff/<int:b>")
def version_diff(a: int, b: int) -> Response:
    """Shops added, removed and changed from version ``a`` to ``b``, with the overrides behind changes."""
    repository = service().repository
    for version in (a, b):
        if not repository.has_version(version):
            raise NotFound(f"no dataset version {version}")
    limit = query.integer(request.args, "limit", 1, MAX_DIFF_ITEMS, 1000)
    diff = diff_stores(repository.iter_stores(a), repository.iter_stores(b))
    standing = overrides.load_all(repository.engine)

    def override_of(store_id: str) -> dict[str, Any] | None:
        override = standing.get(store_id)
        return None if override is None else override.as_dict()

    return json_response({
        "from_version": a,
        "to_version": b,
        "counts": {"added": len(diff.added), "removed": len(diff.removed), "changed": len(diff.changed)},
        "added": [store_detail_fields(s) for s in diff.added[:limit]],
        "removed": [{**store_detail_fields(s), "override": override_of(s.id)} for s in diff.removed[:limit]],
        "changed": [
            {"id": change.after.id, "name": change.after.name,
             "fields": {name: {"from": json_value(old), "to": json_value(new)}
                        for name, (old, new) in change.fields.items()},
             "override": override_of(change.after.id)}
            for change in diff.changed[:limit]
        ],
    })


@blueprint.post("/versions/<int:version>/activate")
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
    index = svc.index()
    live = index.get(store_id)
    with svc.repository.engine.connect() as conn:
        override = overrides.get(conn, store_id)
        last_seen = svc.repository.latest_store_in(conn, store_id)
    shown = live or last_seen  # the live shop, or as the newest version that held it had it
    if shown is None and override is None:
        raise NotFound(f"no shop {store_id!r} in any version")
    return json_response({
        "id": store_id,
        "live": live is not None,
        "dataset_version": index.version,
        "item": None if shown is None else store_detail_fields(shown),
        "overridden": {} if shown is None else dict(shown.overridden),
        "override": None if override is None else override.as_dict(),
        "history": audit.entries(svc.repository.engine, target=f"store:{store_id}", limit=50),
    })


@blueprint.patch("/stores/<path:store_id>")
def correct_store(store_id: str) -> Response:
    body = _body()
    reason = reason_of(body)
    outcome = service().curator.override(store_id, parse_fields(body), reason, current_admin().name)
    return _version_changed(outcome)


@blueprint.delete("/stores/<path:store_id>/override")
def clear_override(store_id: str) -> Response:
    body = json_body(ADMIN_MAX_BODY_BYTES)
    reason = reason_of(body if isinstance(body, dict) else request.args)
    return _version_changed(service().curator.clear_override(store_id, reason, current_admin().name))


@blueprint.post("/stores/<path:store_id>/revoke")
def revoke(store_id: str) -> Response:
    reason = reason_of(_body())
    return _version_changed(service().curator.revoke(store_id, reason, current_admin().name))


@blueprint.post("/stores/<path:store_id>/restore")
def restore(store_id: str) -> Response:
    reason = reason_of(_body())
    return _version_changed(service().curator.restore(store_id, reason, current_admin().name))


@blueprint.get("/overrides")
def standing_overrides() -> Response:
    """Every standing correction and revocation, with the shop's name as the newest version has it."""
    repository = service().repository
    with repository.engine.connect() as conn:
        standing = overrides.all_in(conn)
        names = {store_id: getattr(repository.latest_store_in(conn, store_id), "name", None)
                 for store_id in standing}
    items = [{**o.as_dict(), "name": names[store_id]} for store_id, o in standing.items()]
    return json_response({"count": len(items), "items": items})


# -- audit -------------------------------------------------------------------------------------

@blueprint.get("/audit")
def audit_log() -> Response:
    limit = query.integer(request.args, "limit", 1, 500, 50)
    before = query.integer(request.args, "before", 1, 2**62, 0) or None
    items = audit.entries(service().repository.engine, limit=limit, before=before,
                          action=query.choice(request.args, "action", audit.ACTIONS, None),
                          target=request.args.get("target") or None)
    next_url = None
    if len(items) == limit:
        kept = {name: request.args[name] for name in ("limit", "action", "target") if name in request.args}
        next_url = url_for(".audit_log", _external=True) + "?" + urlencode({**kept, "before": items[-1]["id"]})
    return json_response({"items": items, "next": next_url})
