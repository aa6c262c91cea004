"""GeoJSON, GPX and KML files opened by GDAL's ``ogrinfo``: the reader desktop GIS tools are built on.

Skipped with the reason when ``ogrinfo`` is not installed (Debian: ``apt-get
install gdal-bin``), unless NAVPLUGIN_TEST_REQUIRE_GDAL=1 (as in CI), which
turns the skip into a failure.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from navplugin.formats import FORMATS
from navplugin.model import QueryResult, Store


NAMES = ['Tom & Jerry <Café> "quoted" \'single\' 🍜', "=SUM(A1:A9) 떡집", "백년 국밥 & 냉면"]
POINTS = [(126.9780123, 37.5665321), (129.0756416, 35.1795543), (127.1234567, 36.7654321)]
STORES = [Store(f"S{i}", name, lon, lat, "juso", "building", category="한식", address="서울 중구 <세종대로> 110")
          for i, (name, (lon, lat)) in enumerate(zip(NAMES, POINTS))]
NEARBY = QueryResult(7, STORES, {"distance_m": [12.345, 1534.2, 88000.0], "bearing_deg": [0.0, 123.45, 359.9]})
PLAIN = QueryResult(None, STORES)

# The feature's name field as each driver calls it, and the layer to read (GPX also has empty track layers).
DRIVERS = {
    "geojson": ("GeoJSON", "name", None),
    "gpx": ("GPX", "name", "waypoints"),
    "kml": ("LIBKML|KML", "Name", None),
}


def _run(ogrinfo: str, *args: str) -> str:
    completed = subprocess.run([ogrinfo, "-ro", *args], capture_output=True, timeout=60, check=False,
                               env={**os.environ, "LC_ALL": "C.UTF-8"})
    output = completed.stdout.decode("utf-8")
    assert completed.returncode == 0, completed.stderr.decode("utf-8", "replace")
    assert "ERROR" not in completed.stderr.decode("utf-8", "replace")
    return output


@pytest.mark.parametrize("name", list(DRIVERS))
@pytest.mark.parametrize("result", [NEARBY, PLAIN], ids=["nearby", "plain"])
def test_ogrinfo_reads_features_names_and_lon_lat(ogrinfo, tmp_path: Path, name, result):
    driver, name_field, layer = DRIVERS[name]
    path = tmp_path / FORMATS[name].filename("shops")
    path.write_text(FORMATS[name].serialize(result, None), encoding="utf-8")
    layer_args = [layer] if layer else ["-al"]

    summary = _run(ogrinfo, "-so", str(path), *layer_args)
    assert re.search(rf"using driver `({driver})' successful", summary)
    assert re.findall(r"Feature Count: (\d+)", summary) == ["3"]

    features = _run(ogrinfo, str(path), *layer_args)
    assert re.findall(rf"^\s+{name_field} \(String\) = (.*)$", features, re.MULTILINE) == NAMES
    points = re.findall(r"POINT \(([-\d.]+) ([-\d.]+)\)", features)
    assert [(float(x), float(y)) for x, y in points] == POINTS  # x is longitude
    if name == "kml" and result.measures and "LIBKML" in summary:  # the old KML driver skips ExtendedData
        assert re.findall(r"^\s+distance_m \(String\) = (.*)$", features, re.MULTILINE) == ["12.35", "1534.20",
                                                                                         "88000.00"]
    if name == "geojson" and result.measures:
        assert re.findall(r"^\s+distance_m \(Real\) = (.*)$", features, re.MULTILINE) == ["12.35", "1534.2",
                                                                                       "88000"]
