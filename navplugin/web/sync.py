"""Delta sync for navigation apps' offline copies: ``GET /v1/changes?since=VERSION``."""
from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import BadParameter
from ..formats.json import item_fields
from . import params
from .responses import json_response, service

blueprint = Blueprint("sync", __name__, url_prefix="/v1")


@blueprint.get("/changes")
def changes() -> Response:
    svc = service()
    since = params.integer(request.args, "since", 0, params.DB_INT_MAX, -1)
    if since < 0:
        raise BadParameter("since", "Parameter 'since' is required: the dataset version of your copy "
                                    "(0 for none)")
    index = svc.index()
    found = svc.changes.get(index, since)
    return json_response({
        "from_version": found.from_version,
        "to_version": found.to_version,
        "counts": {"upserts": len(found.upserts), "deletions": len(found.deletions)},
        "upserts": [item_fields(store) for store in found.upserts],
        "deletions": found.deletions,
    }, dataset_version=index.version)
