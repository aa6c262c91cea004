"""Mapbox Vector Tiles of the live shops: tile addressing, the size guarantee, the encoder and a tile cache.

One layer, ``stores``, of points: a shop shown on its own carries ``id`` and
``name``; a cluster carries ``point_count`` (its shops), as supercluster's
clusters do. Which points a tile holds is ``spatial.clusters``' work, done
once per index; this module turns them into tile bytes with the
``mapbox-vector-tile`` library and keeps the bytes of recent tiles per index.

The size guarantee is by construction, not by measuring: a tile holds at most
``MAX_FEATURES`` points (a denser tile is clustered, at any zoom), every
string it carries is cut to a byte limit, and the protobuf overhead of each
part is bounded below, so no tile can exceed ``TILE_MAX_BYTES``, which is
checked at import to be within ``TILE_BUDGET_BYTES``. A tile without shops is
empty bytes (a valid tile with no layers).
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING

import mapbox_vector_tile
import numpy as np
import shapely

from .spatial.clusters import MAX_CLUSTERS_PER_TILE, MAX_ZOOM, MIN_ZOOM, TilePoints

if TYPE_CHECKING:
    from .spatial.index import StoreIndex

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
LAYER = "stores"
EXTENT = 4096  # tile coordinates per side: 1/16 of a pixel on a 256 px tile
SCHEME = "mvt1"  # changes with anything that changes a tile's bytes for the same data: part of the ETag

TILE_BUDGET_BYTES = 256 * 1024  # the documented maximum size of one tile
MAX_FEATURES = 512  # points per tile; a tile with more shops is clustered, whatever the zoom
NAME_MAX_BYTES = 192  # UTF-8 bytes of a name (64 Korean syllables); a longer one is cut and ends in "…"
ID_MAX_BYTES = 256  # an id is at most 64 characters (the schema's column): 256 bytes of UTF-8 at most
ELLIPSIS = "…"

# Protobuf bytes around each part of a tile, at most (varints at their widest for the limits above):
# a feature: its message header (2), tags (2 + 1-byte keys and 2-byte value indices), type (2),
# geometry (2 + MoveTo 1 + two coordinate deltas of 2 bytes, as coordinates stay within 0..EXTENT-1).
SINGLE_FEATURE_BYTES = 2 + (2 + 2 * (1 + 2)) + 2 + (2 + 1 + 2 + 2)
CLUSTER_FEATURE_BYTES = 2 + (2 + (1 + 2)) + 2 + (2 + 1 + 2 + 2)
STRING_VALUE_OVERHEAD = 1 + 2 + 1 + 2  # Value message: tag, length, string field tag, string length
INT_VALUE_BYTES = 1 + 1 + 1 + 10  # Value message: tag, length, int field tag, a varint of up to 10 bytes
KEYS = ("id", "name", "point_count")
# The layer: its header in the tile (1 + 3-byte length), version (2), name, extent (1 + 2), the keys.
LAYER_BYTES = 4 + 2 + (2 + len(LAYER)) + 3 + sum(2 + len(key) for key in KEYS)
SINGLE_MAX_BYTES = (SINGLE_FEATURE_BYTES + STRING_VALUE_OVERHEAD + ID_MAX_BYTES
                    + STRING_VALUE_OVERHEAD + NAME_MAX_BYTES)
CLUSTER_MAX_BYTES = CLUSTER_FEATURE_BYTES + INT_VALUE_BYTES
TILE_MAX_BYTES = LAYER_BYTES + MAX_FEATURES * max(SINGLE_MAX_BYTES, CLUSTER_MAX_BYTES)
# The varint widths above hold while value indices (two per feature) fit 2 bytes and a layer's length 3 bytes.
if (TILE_MAX_BYTES > TILE_BUDGET_BYTES or MAX_FEATURES < MAX_CLUSTERS_PER_TILE or 2 * MAX_FEATURES >= 1 << 14
        or TILE_BUDGET_BYTES >= 1 << 21 or max(ID_MAX_BYTES, NAME_MAX_BYTES) >= 1 << 14):
    raise AssertionError(f"tile limits inconsistent: {TILE_MAX_BYTES} bytes at most, {TILE_BUDGET_BYTES} allowed")

CACHE_MAX_BYTES = 64 * 1024 * 1024  # encoded tiles kept per index
CACHE_ENTRY_OVERHEAD = 200  # what an entry costs besides its bytes (key, links), so empty tiles count too


def check_tile(z: int, x: int, y: int) -> str | None:
    """The name of the coordinate that is out of the pyramid (z, then x, then y), or None."""
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        return "z"
    side = 1 << z
    if not 0 <= x < side:
        return "x"
    if not 0 <= y < side:
        return "y"
    return None


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile in WGS84 degrees."""
    side = 1 << z

    def latitude(row: float) -> float:
        return float(np.degrees(np.arctan(np.sinh(np.pi * (1.0 - 2.0 * row / side)))))

    return x / side * 360.0 - 180.0, latitude(y + 1), (x + 1) / side * 360.0 - 180.0, latitude(y)


def clip_utf8(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` bytes of UTF-8, cut at a character and marked with an ellipsis."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit - len(ELLIPSIS.encode())].decode("utf-8", errors="ignore") + ELLIPSIS


def features(index: StoreIndex, points: TilePoints, z: int, x: int, y: int) -> list[dict]:
    """The tile's points as features for the encoder, in tile coordinates (y down, 0..EXTENT-1)."""
    side = 1 << z
    columns = np.clip(np.floor((points.x * side - x) * EXTENT), 0, EXTENT - 1)
    rows = np.clip(np.floor((points.y * side - y) * EXTENT), 0, EXTENT - 1)
    geometries = shapely.points(np.column_stack((columns, rows)))
    stores = index.stores
    out = []
    for geometry, count, position in zip(geometries.tolist(), points.count.tolist(), points.position.tolist()):
        if count == 1:
            store = stores[position]
            properties = {"id": clip_utf8(store.id, ID_MAX_BYTES), "name": clip_utf8(store.name, NAME_MAX_BYTES)}
        else:
            properties = {"point_count": count}
        out.append({"geometry": geometry, "properties": properties})
    return out


def encode(index: StoreIndex, z: int, x: int, y: int) -> bytes:
    """Tile (z, x, y) of the index's shops; empty bytes where there are none."""
    points = index.clusters.tile(z, x, y, MAX_FEATURES)
    if not len(points):
        return b""
    layer = {"name": LAYER, "features": features(index, points, z, x, y)}
    return mapbox_vector_tile.encode(layer, default_options={"y_coord_down": True, "extents": EXTENT})


def etag(version: int | None, z: int, x: int, y: int) -> str:
    """A tile is fixed by the dataset version and its address: the ETag needs no tile built."""
    return f"v{version}-{SCHEME}-{z}-{x}-{y}"


class TileCache:
    """Encoded tiles, least recently used dropped first, within ``max_bytes``."""

    def __init__(self, max_bytes: int = CACHE_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._tiles: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tiles)

    def get(self, key: tuple[int, int, int]) -> bytes | None:
        with self._lock:
            body = self._tiles.get(key)
            if body is not None:
                self._tiles.move_to_end(key)
            return body

    def put(self, key: tuple[int, int, int], body: bytes) -> None:
        cost = len(body) + CACHE_ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        with self._lock:
            if key in self._tiles:
                return
            self._tiles[key] = body
            self.bytes += cost
            while self.bytes > self.max_bytes:
                _, dropped = self._tiles.popitem(last=False)
                self.bytes -= len(dropped) + CACHE_ENTRY_OVERHEAD


# One cache per index: it goes with its index, so a new live version starts with an empty one.
_CACHES: weakref.WeakKeyDictionary[StoreIndex, TileCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_of(index: StoreIndex) -> TileCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(index)
        if cache is None:
            cache = _CACHES[index] = TileCache()
        return cache


def tile(index: StoreIndex, z: int, x: int, y: int) -> bytes:
    """Tile (z, x, y) of the index, from its cache or encoded now (and kept)."""
    cache = cache_of(index)
    key = (z, x, y)
    body = cache.get(key)
    if body is None:
        body = encode(index, z, x, y)
        cache.put(key, body)
    return body
