"""Read-only endpoints for navigation apps under ``/v1``."""
from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from .. import query
from ..formats.common import store_detail_fields
from ..spatial.regions import default_region_lookup
from . import params
from .responses import export_response, json_response, list_response, service

blueprint = Blueprint("navigation", __name__, url_prefix="/v1")

ROUTE_MAX_BODY_BYTES = 4 * 1024 * 1024  # a 20,000-vertex route as coordinates is about 0.8 MB


@blueprint.get("/stores/nearby")
def nearby() -> Response:
    svc = service()
    args = params.query_args()
    return list_response(query.nearby(svc.index(), params.nearby(args, svc.settings)), args=args)


@blueprint.get("/stores/search")
def search() -> Response:
    """Shops by name, 업종 or address (``q``), best match first; pages follow ``next``."""
    svc = service()
    args = params.query_args()
    result = query.search(svc.index(), params.search(args, svc.settings))
    next_url = None
    if result.next_cursor is not None:
        next_url = url_for(".search", _external=True, **{**request.args.to_dict(), "cursor": result.next_cursor})
    return list_response(result, next_url=next_url, args=args)


@blueprint.get("/stores")
def viewport() -> Response:
    svc = service()
    result = query.viewport(svc.index(), params.viewport(request.args, svc.settings))
    next_url = None
    if result.next_cursor is not None:
        next_url = url_for(".viewport", _external=True, **{**request.args.to_dict(), "cursor": result.next_cursor})
    return list_response(result, next_url=next_url)


@blueprint.post("/stores/along-route")
def along_route() -> Response:
    svc = service()
    params.body_only_in_query_string(request.args)
    route = params.route_query(params.json_body(ROUTE_MAX_BODY_BYTES), svc.settings)
    return list_response(query.along_route(svc.index(), route), cacheable_answer=False)


@blueprint.get("/stores/export")
def export() -> Response:
    index = service().index()
    result = query.export(index, params.export(request.args))
    return export_response(result, index.activated_at)  # from memory: exports go on while the database is away


@blueprint.get("/stores/<path:store_id>")
def store_detail(store_id: str) -> Response:
    index = service().index()
    store = query.store_detail(index, store_id)
    return json_response({"dataset_version": index.version, "item": store_detail_fields(store)},
                         dataset_version=index.version)


@blueprint.get("/regions/lookup")
def region_lookup() -> Response:
    lat, lon = params.position(request.args)
    region = query.region_at(default_region_lookup(), lon, lat)
    return json_response({"lat": lat, "lon": lon, **region.as_dict()}, dataset_version=0)
