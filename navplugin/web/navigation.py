"""Read-only endpoints for navigation apps under ``/v1``."""
from __future__ import annotations

from flask import Blueprint, Response, request

from .. import query
from ..formats.common import store_detail_fields
from ..spatial.regions import default_region_lookup
from .responses import json_response, list_response, service

blueprint = Blueprint("navigation", __name__, url_prefix="/v1")


@blueprint.get("/stores/nearby")
def nearby() -> Response:
    svc = service()
    parsed = query.parse_nearby(request.args, svc.settings)
    return list_response(query.nearby(svc.index(), parsed))


@blueprint.get("/stores/<store_id>")
def store_detail(store_id: str) -> Response:
    index = service().index()
    store = query.store_detail(index, store_id)
    return json_response({"dataset_version": index.version, "item": store_detail_fields(store)},
                         dataset_version=index.version)


@blueprint.get("/regions/lookup")
def region_lookup() -> Response:
    lon, lat = query.parse_point(request.args)
    region = query.region_at(default_region_lookup(), lon, lat)
    return json_response({"lat": lat, "lon": lon, **region.as_dict()}, dataset_version=0)
