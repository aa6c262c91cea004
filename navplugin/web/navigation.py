"""Read-only endpoints for navigation apps under ``/v1``."""
from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from .. import query
from ..errors import BadParameter
from ..spatial import route
from ..formats.common import store_detail_fields
from ..spatial.regions import default_region_lookup
from .responses import export_response, json_body, json_response, list_response, request_args, service

blueprint = Blueprint("navigation", __name__, url_prefix="/v1")

ROUTE_MAX_BODY_BYTES = 4 * 1024 * 1024  # a 20,000-vertex route as coordinates is about 0.8 MB


@blueprint.get("/stores/nearby")
def nearby() -> Response:
    svc = service()
    args = request_args()
    parsed = query.parse_nearby(args, svc.settings)
    return list_response(query.nearby(svc.index(), parsed), args=args)


@blueprint.get("/stores")
def viewport() -> Response:
    svc = service()
    parsed = query.parse_viewport(request.args, svc.settings)
    result = query.viewport(svc.index(), parsed)
    next_url = None
    if result.next_cursor is not None:
        next_url = url_for(".viewport", _external=True, **{**request.args.to_dict(), "cursor": result.next_cursor})
    return list_response(result, next_url=next_url)


@blueprint.post("/stores/along-route")
def along_route() -> Response:
    svc = service()
    body = json_body(ROUTE_MAX_BODY_BYTES)
    if not isinstance(body, dict):
        raise BadParameter("body", "The request body must be a JSON object: {\"polyline\": ...} or {\"geojson\": ...} "
                                   "or {\"coordinates\": [[lon, lat], ...]}, with width, limit, category")
    width, limit, category = query.parse_along_route(body, svc.settings)
    result = route.along_route(svc.index(), query.route_lonlat(body), width_m=width, limit=limit, category=category)
    return list_response(result, cacheable_answer=False)


@blueprint.get("/stores/export")
def export() -> Response:
    svc = service()
    result = query.export(svc.index(), query.parse_export(request.args))
    return export_response(result, svc.repository.live_activated_at())


@blueprint.get("/stores/<path:store_id>")
def store_detail(store_id: str) -> Response:
    index = service().index()
    store = query.store_detail(index, store_id)
    return json_response({"dataset_version": index.version, "item": store_detail_fields(store)},
                         dataset_version=index.version)


@blueprint.get("/regions/lookup")
def region_lookup() -> Response:
    lat, lon = query.parse_position(request.args)
    region = query.region_at(default_region_lookup(), lon, lat)
    return json_response({"lat": lat, "lon": lon, **region.as_dict()}, dataset_version=0)
