"""Mapbox Vector Tiles of the live shops under ``/v1/tiles``: ``GET /v1/tiles/{z}/{x}/{y}.mvt``.

Only the request's parsing and the HTTP answer are here; which shops a tile
shows and its bytes are ``navplugin.tiles``'. A tile is fixed by the dataset
version and its address, so its ETag is known before it is built and a
client's current copy costs a ``304`` and nothing else.
"""
from __future__ import annotations

from flask import Blueprint, Response

from .. import tiles
from ..errors import BadParameter, NotFound
from ..spatial.clusters import MAX_ZOOM, MIN_ZOOM
from .responses import Asked, service

blueprint = Blueprint("tiles", __name__, url_prefix="/v1/tiles")

COORDINATE_DIGITS = 7  # 2^18 - 1 = 262143 is the largest x or y; longer text is not a tile coordinate


def _coordinate(name: str, raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > COORDINATE_DIGITS:
        raise BadParameter(name, f"Parameter '{name}' must be a whole number (a tile coordinate); got {raw[:20]!r}")
    return int(raw)


def tile_address(raw_z: str, raw_x: str, raw_y: str) -> tuple[int, int, int]:
    """(z, x, y) from the path: 400 for text that is no number, 404 for a tile outside the pyramid."""
    z, x, y = _coordinate("z", raw_z), _coordinate("x", raw_x), _coordinate("y", raw_y)
    bad = tiles.check_tile(z, x, y)
    if bad == "z":
        raise NotFound(f"Parameter 'z' must be a zoom from {MIN_ZOOM} to {MAX_ZOOM}; got {z}", parameter="z")
    if bad is not None:
        value = x if bad == "x" else y
        raise NotFound(f"Parameter '{bad}' must be from 0 to {(1 << z) - 1} at zoom {z}; got {value}",
                       parameter=bad)
    return z, x, y


@blueprint.get("/<z>/<x>/<y>.mvt")
def tile(z: str, x: str, y: str) -> Response:
    zoom, column, row = tile_address(z, x, y)
    svc = service()
    index = svc.index()
    etag = tiles.etag(index.version, zoom, column, row)
    headers = {"ETag": f'"{etag}"', "Cache-Control": f"public, max-age={svc.settings['CACHE_MAX_AGE']}"}
    if Asked.from_request().matches(etag):
        return Response(status=304, headers=headers)
    return Response(tiles.tile(index, zoom, column, row), status=200, headers=headers,
                    content_type=tiles.MEDIA_TYPE)
