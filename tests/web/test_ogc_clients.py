"""/ogc read by the clients GIS users have: OWSLib and GDAL's OAPIF driver, over a real socket.

Each client fetches every shop and must get the set of ``/v1/stores/export``
(ids and coordinates). GDAL's tests are skipped with the reason when
``ogrinfo`` is not installed, unless NAVPLUGIN_TEST_REQUIRE_GDAL=1 (as in CI),
which turns the skip into a failure. GDAL 3.6's OAPIF driver implements Part
1 only (it always asks for CRS84), so there Part 2's axis order is checked
with GDAL's own reading of the CRS URIs (``gdalsrsinfo``) and GDAL's own
transformation (``gdaltransform``); a GDAL whose driver has the ``CRS`` open
option (3.7 and later) also reads the service in EPSG:5179 itself.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request

import pytest
from owslib.ogcapi import REQUEST_HEADERS as owslib_headers
from owslib.ogcapi.features import Features
from pyproj import Transformer

from navplugin import lifecycle
from navplugin.ogc import CRS84, EPSG_5179, EPSG_5186
from tests.web.live_server import LiveServer
from tests.web.test_ogc import ADMIN, ODD_IDS, serve_shops, shop_rows

SHOP_COUNT = len(shop_rows())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = serve_shops(tmp_path_factory.mktemp("ogc-clients"))
    with LiveServer(app) as live:
        with app.test_client() as client:
            body = client.get("/v1/stores/export?format=geojson").get_json(force=True)
        live.exported = {f["id"]: tuple(f["geometry"]["coordinates"]) for f in body["features"]}
        yield live
    lifecycle.stop(app.extensions["navplugin"])


def authority_order(uri: str, lon: float, lat: float) -> tuple[float, float]:
    return Transformer.from_crs("OGC:CRS84", uri).transform(lon, lat)


# -- OWSLib ------------------------------------------------------------------------------------------

def test_owslib_reads_the_service_description(server):
    service = Features(f"{server.url}/ogc")
    assert service.response["title"] == "navplugin"
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in service.conformance()["conformsTo"]
    assert service.feature_collections() == ["stores"]
    collection = service.collection("stores")
    west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
    assert all(west <= lon <= east and south <= lat <= north for lon, lat in server.exported.values())
    assert collection["crs"] == [CRS84, EPSG_5179, EPSG_5186]


def test_owslib_pages_through_every_shop(server):
    service = Features(f"{server.url}/ogc")
    found: dict[str, tuple[float, float]] = {}
    offset = 0
    while True:
        page = service.collection_items("stores", limit=4, offset=offset)
        assert page["numberMatched"] == SHOP_COUNT
        if not page["features"]:
            break
        found.update({f["id"]: tuple(f["geometry"]["coordinates"]) for f in page["features"]})
        offset += page["numberReturned"]
    assert found == server.exported
    assert service.response_headers["Content-Crs"] == f"<{CRS84}>"


@pytest.mark.parametrize("uri", [EPSG_5179, EPSG_5186])
def test_owslib_gets_northing_easting_in_a_korean_crs(server, uri):
    service = Features(f"{server.url}/ogc")
    page = service.collection_items("stores", limit=100, crs=uri)
    assert service.response_headers["Content-Crs"] == f"<{uri}>"
    assert len(page["features"]) == SHOP_COUNT
    for feature in page["features"]:
        expected = authority_order(uri, *server.exported[feature["id"]])
        assert feature["geometry"]["coordinates"] == pytest.approx(expected, abs=6e-4)
    # a box around one shop, in the same order, finds that shop
    northing, easting = authority_order(uri, *server.exported["B-1"])
    boxed = service.collection_items("stores", bbox=[northing - 10, easting - 10, northing + 10, easting + 10],
                                     **{"bbox-crs": uri})
    assert [f["id"] for f in boxed["features"]] == ["B-1"]


def test_owslib_reads_one_shop_and_reports_a_missing_one(server):
    service = Features(f"{server.url}/ogc")
    shop = service.collection_item("stores", "A/7")  # a "/" in an id: the path takes it
    assert shop["id"] == "A/7" and shop["properties"]["name"].startswith("<script>")
    with pytest.raises(RuntimeError) as missing:
        service.collection_item("stores", "nope")
    assert json.loads(str(missing.value))["status"] == 404


# -- GDAL ----------------------------------------------------------------------------------------------

@pytest.fixture
def gdal(ogrinfo) -> str:
    return ogrinfo


def _run(*command: str) -> str:
    completed = subprocess.run(command, capture_output=True, timeout=120, check=False,
                               env={**os.environ, "LC_ALL": "C.UTF-8"})
    errors = completed.stderr.decode("utf-8", "replace")
    assert completed.returncode == 0 and "ERROR" not in errors, errors
    return completed.stdout.decode("utf-8")


def _features(output: str) -> dict[str, tuple[float, float]]:
    """Each feature's id field and POINT (x y) from ogrinfo's listing."""
    found = {}
    for block in output.split("OGRFeature(")[1:]:
        shop_id = re.search(r"^\s+id \(String\) = (.*)$", block, re.MULTILINE).group(1)
        x, y = re.search(r"POINT \(([-\d.e+]+) ([-\d.e+]+)\)", block).groups()
        found[shop_id] = (float(x), float(y))
    return found


@pytest.mark.parametrize("page_size", [None, "1000"], ids=["pages-of-10", "one-page"])
def test_gdal_reads_every_shop(server, gdal, page_size):
    options = ["-oo", f"PAGE_SIZE={page_size}"] if page_size else []
    listing = _run(gdal, "-ro", "-al", *options, f"OAPIF:{server.url}/ogc")
    assert "using driver `OAPIF' successful" in listing
    found = _features(listing)
    assert set(found) == set(server.exported) and set(ODD_IDS) <= set(found)
    for shop_id, point in found.items():
        assert point == pytest.approx(server.exported[shop_id], abs=1e-9)  # x is longitude


def test_gdal_counts_the_shops_and_takes_the_extent(server, gdal):
    summary = _run(gdal, "-ro", "-so", "-al", f"OAPIF:{server.url}/ogc")
    assert re.findall(r"Feature Count: (\d+)", summary) == [str(SHOP_COUNT)]
    extent = [float(v) for v in re.search(r"Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)",
                                           summary).groups()]
    lons = [lon for lon, _ in server.exported.values()]
    lats = [lat for _, lat in server.exported.values()]
    assert extent == pytest.approx([min(lons), min(lats), max(lons), max(lats)], abs=1e-6)


def test_gdal_spatial_filter_asks_the_service_for_a_bbox(server, gdal):
    west, south, east, north = 126.96, 37.545, 126.986, 37.5565
    listing = _run(gdal, "-ro", "-al", "-spat", str(west), str(south), str(east), str(north),
                   f"OAPIF:{server.url}/ogc")
    inside = {i for i, (lon, lat) in server.exported.items() if west <= lon <= east and south <= lat <= north}
    assert set(_features(listing)) == inside and len(inside) == 8


@pytest.mark.parametrize("uri", [EPSG_5179, EPSG_5186])
def test_gdal_reads_each_crs_uri_northing_first_and_agrees_with_the_coordinates_served(server, gdal, uri):
    wkt = _run("gdalsrsinfo", "-o", "wkt2", uri)
    axes = re.findall(r'AXIS\["[^"]*",(\w+)', wkt)
    assert axes == ["north", "east"]
    crs84_axes = re.findall(r'AXIS\["[^"]*",(\w+)', _run("gdalsrsinfo", "-o", "wkt2", CRS84))
    assert crs84_axes == ["east", "north"]
    with urllib.request.urlopen(f"{server.url}/ogc/collections/stores/items?limit=100&crs={uri}", timeout=60) as answer:
        body = json.loads(answer.read())
    served = {f["id"]: f["geometry"]["coordinates"] for f in body["features"]}
    # gdaltransform writes x (easting) then y (northing); the service writes EPSG's order, northing first
    lines = "\n".join(f"{lon!r} {lat!r}" for lon, lat in server.exported.values()) + "\n"
    completed = subprocess.run(["gdaltransform", "-s_srs", CRS84, "-t_srs", uri], input=lines.encode(),
                               capture_output=True, check=True, timeout=60)
    transformed = [tuple(map(float, line.split()[:2])) for line in completed.stdout.decode().splitlines()]
    for shop_id, (easting, northing) in zip(server.exported, transformed):
        assert served[shop_id] == pytest.approx([northing, easting], abs=6e-4)


def _oapif_has_crs_option(ogrinfo: str) -> bool:
    return 'name="CRS"' in _run(ogrinfo, "--format", "OAPIF")


def test_gdal_with_part_2_reads_epsg_5179_by_its_content_crs(server, gdal):
    if not _oapif_has_crs_option(gdal):
        pytest.skip(f"{_run(gdal, '--version').strip()}: its OAPIF driver has no CRS open option (GDAL 3.7+)")
    listing = _run(gdal, "-ro", "-al", "-oo", "CRS=EPSG:5179", "-oo", "PAGE_SIZE=1000", f"OAPIF:{server.url}/ogc")
    found = _features(listing)
    assert set(found) == set(server.exported)
    to_5179 = Transformer.from_crs("OGC:CRS84", "EPSG:5179", always_xy=True)
    for shop_id, point in found.items():
        # GDAL gives x, y (easting, northing) whatever the order on the wire: it read the order from EPSG
        assert point == pytest.approx(to_5179.transform(*server.exported[shop_id]), abs=1e-3)


def test_with_client_keys_required_both_clients_get_in_with_the_header(tmp_path, gdal):
    app = serve_shops(tmp_path, REQUIRE_CLIENT_KEY=True)
    try:
        made = app.test_client().post("/admin/v1/clients", json={"name": "qgis", "rate": "1000/minute"},
                                      headers=ADMIN)
        assert made.status_code == 201, made.get_json()
        key = made.get_json()["key"]
        with LiveServer(app) as live:
            with pytest.raises(RuntimeError) as refused:
                Features(f"{live.url}/ogc").collection_items("stores", limit=1)
            assert json.loads(str(refused.value))["status"] == 401
            keyed = Features(f"{live.url}/ogc", headers={"X-API-Key": key})
            assert keyed.collection_items("stores", limit=1)["numberMatched"] == SHOP_COUNT
            summary = _run(gdal, "-ro", "-so", "-al", "--config", "GDAL_HTTP_HEADERS", f"X-API-Key: {key}",
                           f"OAPIF:{live.url}/ogc")
            assert re.findall(r"Feature Count: (\d+)", summary) == [str(SHOP_COUNT)]
    finally:
        # OWSLib adds a client's headers to its module-wide defaults: keep the key out of later clients
        owslib_headers.pop("X-API-Key", None)
        lifecycle.stop(app.extensions["navplugin"])
