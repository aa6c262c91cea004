"""Vector tiles: decoded back (by mapbox-vector-tile and by a protobuf reader written here) and compared with
the live list; cluster counts; headers; and the size guarantee on the densest tiles anyone can make."""
from __future__ import annotations

import math
import os
import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import mapbox_vector_tile
import numpy as np
import pytest

from navplugin import tiles
from navplugin.model import Store
from navplugin.spatial.clusters import (
    CELL_BITS,
    CODE_LEVEL,
    INDIVIDUAL_ZOOM,
    MAX_CLUSTERS_PER_TILE,
    MAX_ZOOM,
    MIN_ZOOM,
    ClusterPyramid,
)
from navplugin.spatial.index import StoreIndex
from tests.helpers import GOOD_CSV, NEW_CSV, assert_problem, upload

EXTENT = 4096
HALF_WORLD_M = 20037508.342789244  # EPSG:3857's half width, as GDAL georeferences a tile


@pytest.fixture
def database_url(tmp_path) -> str:
    """SQLite is enough: tiles are made from the in-memory index, the same on either database."""
    return f"sqlite:///{tmp_path / 'navplugin.sqlite3'}"


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory):
    """The bundled sample list (905 shops), loaded as on a first start; shared by this module's reads."""
    from navplugin import create_app, lifecycle

    path = tmp_path_factory.mktemp("sample") / "navplugin.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "ADMIN_TOKEN": "t", "LOAD_SAMPLE": True,
                      "INDEX_POLL_SECONDS": 0})
    lifecycle.start_serving(app.extensions["navplugin"])
    app.extensions["navplugin"].wait_warm()
    yield app
    lifecycle.stop(app.extensions["navplugin"])


# -- an independent reader: the protobuf wire format of vector_tile.proto, read by hand ---------------

def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7


def _fields(data: bytes):
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            length, at = _varint(data, at)
            value, at = data[at:at + length], at + length
        else:
            raise AssertionError(f"wire type {wire} is not used by a vector tile")
        yield number, value


def _packed(data: bytes) -> list[int]:
    values, at = [], 0
    while at < len(data):
        value, at = _varint(data, at)
        values.append(value)
    return values


def read_tile(data: bytes) -> dict[str, Any]:
    """{layer name: {"extent", "version", "features": [{"type", "x", "y", "properties"}]}}."""
    layers = {}
    for number, layer_bytes in _fields(data):
        assert number == 3, "a tile holds only layers"
        layer: dict[str, Any] = {"keys": [], "values": [], "raw": [], "extent": 4096}
        for field, value in _fields(layer_bytes):
            if field == 1:
                layer["name"] = value.decode("utf-8")
            elif field == 2:
                layer["raw"].append(value)
            elif field == 3:
                layer["keys"].append(value.decode("utf-8"))
            elif field == 4:
                (kind, inner), = _fields(value)
                layer["values"].append(inner.decode("utf-8") if kind == 1 else inner)
            elif field == 5:
                layer["extent"] = value
            elif field == 15:
                layer["version"] = value
        features = []
        for raw in layer.pop("raw"):
            feature = dict(_fields(raw))
            tags = _packed(feature.get(2, b""))
            geometry = _packed(feature[4])
            assert geometry[0] == (1 << 3) | 1, "one MoveTo of one point"
            zigzag = [(n >> 1) ^ -(n & 1) for n in geometry[1:]]
            features.append({"type": feature[3], "x": zigzag[0], "y": zigzag[1],
                             "properties": {layer["keys"][k]: layer["values"][v] for k, v in zip(tags[::2], tags[1::2])}})
        layer["features"] = features
        layers[layer.pop("name")] = layer
    return layers


# -- helpers ---------------------------------------------------------------------------------------

def tile_of(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Fractional tile coordinates of a point at zoom z (Web Mercator, XYZ)."""
    side = 1 << z
    x = (lon + 180.0) / 360.0 * side
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * side
    return x, y


def live_shops(client) -> list[dict]:
    response = client.get("/v1/stores/export?format=json")
    assert response.status_code == 200
    return response.get_json()["items"]


def decode(body: bytes) -> list[dict]:
    """The ``stores`` layer's features by mapbox-vector-tile, checked against the hand reader."""
    if not body:
        return []
    library = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    mine = read_tile(body)
    assert set(library) == set(mine) == {"stores"}
    layer = mine["stores"]
    assert layer["extent"] == EXTENT and layer["version"] == 2
    theirs = [(f["geometry"]["coordinates"][0], f["geometry"]["coordinates"][1], f["properties"])
              for f in library["stores"]["features"]]
    assert theirs == [(f["x"], f["y"], f["properties"]) for f in layer["features"]]
    assert all(f["type"] == 1 for f in layer["features"])  # points
    return layer["features"]


def count_of(feature: dict) -> int:
    return feature["properties"].get("point_count", 1)


# -- the live list, tile by tile ---------------------------------------------------------------------

@pytest.mark.parametrize("z", [MAX_ZOOM, 16, INDIVIDUAL_ZOOM])
def test_every_live_shop_is_in_the_tiles_exactly_once_with_its_id_name_and_place(sample_app, z):
    client = sample_app.test_client()
    shops = live_shops(client)
    assert len(shops) >= 290
    by_id = {shop["id"]: shop for shop in shops}
    wanted = {tuple(int(c) for c in tile_of(shop["lon"], shop["lat"], z)) for shop in shops}
    seen: Counter[str] = Counter()
    for x, y in sorted(wanted):
        response = client.get(f"/v1/tiles/{z}/{x}/{y}.mvt")
        assert response.status_code == 200
        assert response.mimetype == tiles.MEDIA_TYPE
        for feature in decode(response.get_data()):
            properties = feature["properties"]
            assert set(properties) == {"id", "name"}, "the sample never needs a cluster at this zoom"
            shop = by_id[properties["id"]]
            seen[properties["id"]] += 1
            assert properties["name"] == shop["name"]
            fx, fy = tile_of(shop["lon"], shop["lat"], z)
            # within a pixel of a 256 px tile (one pixel is 16 tile units)
            assert abs((fx - x) * EXTENT - feature["x"]) < EXTENT / 256
            assert abs((fy - y) * EXTENT - feature["y"]) < EXTENT / 256
    assert seen == Counter({shop_id: 1 for shop_id in by_id})


def test_cluster_counts_at_low_zoom_add_up_to_the_live_list(sample_app):
    client = sample_app.test_client()
    live = len(live_shops(client))
    total, clusters, nonempty = 0, 0, []
    for x in range(1 << MIN_ZOOM):  # the whole world at z 5: 1,024 tiles, all but Korea's empty
        for y in range(1 << MIN_ZOOM):
            response = client.get(f"/v1/tiles/{MIN_ZOOM}/{x}/{y}.mvt")
            assert response.status_code == 200
            features = decode(response.get_data())
            if features:
                nonempty.append((x, y))
            assert len(features) <= MAX_CLUSTERS_PER_TILE
            total += sum(count_of(f) for f in features)
            clusters += sum(1 for f in features if "point_count" in f["properties"])
    assert total == live
    assert clusters > 0 and set(nonempty) <= {(27, 12), (27, 13), (28, 12), (28, 13)}
    for z in (8, 11, 14):  # every tile over the sample's extent: the counts add up at each zoom
        shops = live_shops(client)
        corners = [tile_of(shop["lon"], shop["lat"], z) for shop in shops]
        xs = range(int(min(c[0] for c in corners)), int(max(c[0] for c in corners)) + 1)
        ys = range(int(min(c[1] for c in corners)), int(max(c[1] for c in corners)) + 1)
        if len(xs) * len(ys) > 5000:
            tiles_with_shops = {(int(c[0]), int(c[1])) for c in corners}
        else:
            tiles_with_shops = {(x, y) for x in xs for y in ys}
        counted = sum(count_of(f) for x, y in tiles_with_shops
                      for f in decode(client.get(f"/v1/tiles/{z}/{x}/{y}.mvt").get_data()))
        assert counted == live, z


def test_gdal_reads_the_tiles_as_the_live_list(sample_app, tmp_path, ogrinfo):
    """GDAL's MVT driver (C++, the reader GIS tools use) opens the served tiles as a z/x/y tree."""
    client = sample_app.test_client()
    shops = {shop["id"]: shop for shop in live_shops(client)}
    for z in (MIN_ZOOM, MAX_ZOOM):
        for x, y in {tuple(int(c) for c in tile_of(s["lon"], s["lat"], z)) for s in shops.values()}:
            (tmp_path / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
            (tmp_path / str(z) / str(x) / f"{y}.pbf").write_bytes(client.get(f"/v1/tiles/{z}/{x}/{y}.mvt").get_data())

    def features(z: int) -> list[dict]:
        completed = subprocess.run([ogrinfo, "-ro", "-al", "-q", "-oo", "CLIP=NO", str(tmp_path / str(z))],
                                   capture_output=True, timeout=120, check=False, env={**os.environ, "LC_ALL": "C.UTF-8"})
        assert completed.returncode == 0, completed.stderr.decode("utf-8", "replace")
        found = []
        for block in completed.stdout.decode("utf-8").split("OGRFeature(stores):")[1:]:
            fields = dict(re.findall(r"^  (\w+) \(\w+\) = (.*)$", block, re.MULTILINE))
            x, y = (float(v) for v in re.search(r"POINT \(([-\d.e]+) ([-\d.e]+)\)", block).groups())
            found.append({**fields, "x": x, "y": y})
        return found

    deepest = features(MAX_ZOOM)
    assert sorted(f["id"] for f in deepest) == sorted(shops)
    metres_per_pixel = 2 * HALF_WORLD_M / (1 << MAX_ZOOM) / 256
    for feature in deepest:
        shop = shops[feature["id"]]
        assert feature["name"] == shop["name"] and "point_count" not in feature
        fx, fy = tile_of(shop["lon"], shop["lat"], 0)  # the whole world as one tile: the unit square
        assert abs(feature["x"] - (fx * 2 - 1) * HALF_WORLD_M) < metres_per_pixel
        assert abs(feature["y"] - (1 - fy * 2) * HALF_WORLD_M) < metres_per_pixel
    assert sum(int(f.get("point_count", 1)) for f in features(MIN_ZOOM)) == len(shops)


# -- HTTP: caching, versions, errors -----------------------------------------------------------------

def test_etag_and_cache_headers_and_a_new_version_starts_afresh(client, admin_headers):
    empty = client.get("/v1/tiles/10/872/396.mvt")  # no list yet: an empty tile, still cacheable
    assert empty.status_code == 200 and empty.get_data() == b""
    assert upload(client, admin_headers, GOOD_CSV).status_code == 201
    url = "/v1/tiles/12/3492/1586.mvt"  # 을지로/종로 at z 12
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    assert etag.startswith('"') and "12-3492-1586" in etag
    assert sum(count_of(f) for f in decode(first.get_data())) == 3  # the three 종로/중구 shops
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert client.get("/v1/tiles/12/3492/1587.mvt").headers["ETag"] != etag  # per tile

    assert upload(client, admin_headers, NEW_CSV, mode="merge").status_code == 201  # a fourth shop nearby
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert sum(count_of(f) for f in decode(fresh.get_data())) == 4  # not the cached tile of the last version


def test_the_cache_goes_with_its_index():
    stores = [Store(id="a", name="가", lon=126.98, lat=37.57, provider="supplied", precision="supplied")]
    old, new = StoreIndex(stores, 1), StoreIndex(stores, 2)
    body = tiles.tile(old, 14, 13970, 6344)
    assert len(tiles.cache_of(old)) == 1 and tiles.cache_of(old).get((14, 13970, 6344)) == body
    assert len(tiles.cache_of(new)) == 0


def test_the_tile_cache_keeps_to_its_byte_budget():
    cache = tiles.TileCache(max_bytes=10_000)
    for n in range(100):
        cache.put((14, n, 0), bytes(1000))
    assert cache.bytes <= 10_000 and len(cache) == 10_000 // (1000 + tiles.CACHE_ENTRY_OVERHEAD)
    assert cache.get((14, 99, 0)) is not None and cache.get((14, 0, 0)) is None  # the oldest went first
    cache.put((14, 500, 0), bytes(20_000))  # larger than the whole cache: not kept
    assert cache.get((14, 500, 0)) is None


@pytest.mark.parametrize(("url", "status", "parameter"), [
    ("/v1/tiles/abc/0/0.mvt", 400, "z"),
    ("/v1/tiles/5/1.5/0.mvt", 400, "x"),
    ("/v1/tiles/5/0/-1.mvt", 400, "y"),
    ("/v1/tiles/5/０/0.mvt", 400, "x"),  # a full-width digit is no tile coordinate
    ("/v1/tiles/5/0/99999999999.mvt", 400, "y"),
    ("/v1/tiles/4/0/0.mvt", 404, "z"),
    ("/v1/tiles/19/0/0.mvt", 404, "z"),
    ("/v1/tiles/5/32/0.mvt", 404, "x"),
    ("/v1/tiles/18/0/262144.mvt", 404, "y"),
])
def test_a_bad_tile_address_names_the_parameter(client, url, status, parameter):
    assert_problem(client.get(url), status, parameter)


def test_the_highest_tile_of_the_pyramid_is_served(client):
    assert client.get("/v1/tiles/18/262143/262143.mvt").status_code == 200


# -- the size guarantee --------------------------------------------------------------------------------

FILLER = "𝕊"  # 4 bytes in UTF-8
ID_CHARACTERS = 64  # the schema's limit for an id
LONGEST_NAME_CHARACTERS = 5000  # names have no limit: the tile cuts them


def longest_text(position: int, characters: int) -> str:
    """A text of 4-byte characters only, different for every position (so the tile cannot share it)."""
    digits = "".join(chr(0x1D7CE + int(d)) for d in str(position))  # 𝟎..𝟗, 4 bytes each
    return digits + FILLER * (characters - len(digits))


class WorstStores(Sequence[Store]):
    """``n`` shops, each with its own longest id and name: the worst case for a tile's bytes."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, position):  # type: ignore[override]
        return Store(id=longest_text(position, ID_CHARACTERS), name=longest_text(position, LONGEST_NAME_CHARACTERS),
                     lon=0.0, lat=0.0, provider="supplied", precision="supplied")


def worst_index(lon: np.ndarray, lat: np.ndarray) -> Any:
    """What ``tiles.encode`` reads of an index, with the longest strings at every position."""
    return SimpleNamespace(clusters=ClusterPyramid(lon, lat), stores=WorstStores(len(lon)))


def test_the_constructed_bound_is_within_the_budget():
    assert tiles.TILE_MAX_BYTES <= tiles.TILE_BUDGET_BYTES == 256 * 1024
    assert tiles.MAX_FEATURES >= MAX_CLUSTERS_PER_TILE


def test_a_full_tile_of_the_longest_ids_and_names_stays_within_the_bound():
    # MAX_FEATURES shops on distinct spots of one z 18 tile, each a single feature
    n = tiles.MAX_FEATURES
    west, south, east, north = tiles.tile_bounds(MAX_ZOOM, 223_550, 101_480)
    grid = math.ceil(math.sqrt(n))
    lon = np.array([west + (east - west) * (0.5 + i % grid) / grid for i in range(n)])
    lat = np.array([south + (north - south) * (0.5 + i // grid) / grid for i in range(n)])
    index = worst_index(lon, lat)
    body = tiles.encode(index, MAX_ZOOM, 223_550, 101_480)
    features = decode(body)
    assert len(features) == n and all(set(f["properties"]) == {"id", "name"} for f in features)
    full_names = {longest_text(p, ID_CHARACTERS): longest_text(p, LONGEST_NAME_CHARACTERS) for p in range(n)}
    assert sorted(f["properties"]["id"] for f in features) == sorted(full_names)  # ids are never cut
    for feature in features:  # names are, at a character, with an ellipsis
        name = feature["properties"]["name"]
        assert name.endswith("…") and len(name.encode()) <= tiles.NAME_MAX_BYTES
        assert full_names[feature["properties"]["id"]].startswith(name[:-1])
    assert len(body) <= tiles.TILE_MAX_BYTES
    assert len(body) > 0.9 * tiles.TILE_MAX_BYTES  # the bound is close: this is the worst case it covers
    # one shop more and the tile is clustered instead, far below the bound
    lon, lat = np.append(lon, lon[0]), np.append(lat, lat[0])
    body = tiles.encode(worst_index(lon, lat), MAX_ZOOM, 223_550, 101_480)
    features = decode(body)
    assert len(features) <= MAX_CLUSTERS_PER_TILE and sum(count_of(f) for f in features) == n + 1
    assert len(body) <= tiles.TILE_MAX_BYTES


def test_a_million_shops_on_one_spot_with_the_longest_names_fit_at_every_zoom():
    n = 1_000_000
    lon, lat = np.full(n, 126.9780), np.full(n, 37.5665)
    index = worst_index(lon, lat)
    for z in range(MIN_ZOOM, MAX_ZOOM + 1):
        x, y = (int(c) for c in tile_of(126.9780, 37.5665, z))
        body = tiles.encode(index, z, x, y)
        assert len(body) <= tiles.TILE_MAX_BYTES
        features = decode(body)
        assert [count_of(f) for f in features] == [n]


def test_the_densest_tiles_of_a_million_synthetic_shops_stay_within_the_budget():
    """bench/synthetic.py's clustered million, the longest strings at every position: the fullest tiles
    of every zoom (most clusters, most single shops, most shops) stay within the bound."""
    from bench.synthetic import points

    lon, lat = points("clustered", 1_000_000, np.random.default_rng(20260101))
    index = worst_index(lon, lat)
    pyramid = index.clusters
    largest = 0
    for z in range(MIN_ZOOM, MAX_ZOOM + 1):
        if z < INDIVIDUAL_ZOOM:
            cells = pyramid.levels()[z].cells
            keys, features_per_tile = np.unique(cells >> np.uint64(2 * CELL_BITS), return_counts=True)
            candidates = keys[np.argsort(features_per_tile)[-3:]]
        else:
            keys, shops_per_tile = np.unique(pyramid.codes >> np.uint64(2 * (CODE_LEVEL - z)),
                                               return_counts=True)
            fitting = np.flatnonzero(shops_per_tile <= tiles.MAX_FEATURES)
            candidates = np.concatenate((keys[np.argsort(shops_per_tile)[-2:]],  # the most shops: clustered
                                         keys[fitting[np.argsort(shops_per_tile[fitting])[-2:]]]))  # most singles
        for key in candidates.tolist():
            x = sum(((key >> (2 * i)) & 1) << i for i in range(z))
            y = sum(((key >> (2 * i + 1)) & 1) << i for i in range(z))
            body = tiles.encode(index, z, x, y)
            assert len(body) <= tiles.TILE_MAX_BYTES <= tiles.TILE_BUDGET_BYTES, (z, x, y)
            assert len(decode(body)) <= tiles.MAX_FEATURES
            largest = max(largest, len(body))
    assert largest > tiles.TILE_MAX_BYTES / 2  # some tile came near the budget: the search found full tiles
