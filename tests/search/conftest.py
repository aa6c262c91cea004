"""The real sample list (303 shops) as the app serves it: read by the ingest code, placed by the
offline geocoder (the point of the 읍면동 or 시군구 each address names), in one ``StoreIndex``."""
from __future__ import annotations

import csv

import pytest

from navplugin.config import REPO_DIR
from navplugin.geocode.offline import OfflineGeocoder
from navplugin.ingest.pipeline import ingest
from navplugin.model import Placement, Point, Store
from navplugin.spatial.index import StoreIndex

SAMPLE = REPO_DIR / "geodata" / "sample" / "certified_stores_2026.csv"


@pytest.fixture(scope="session")
def sample_rows() -> list[dict[str, str]]:
    """The sample list as plain CSV rows (접수번호, 업체명, 업종, 주소, ...): the expectations' source."""
    with open(SAMPLE, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def sample_stores() -> list[Store]:
    geocoder = OfflineGeocoder()
    stores = []
    for row in ingest(SAMPLE.read_bytes(), SAMPLE.name).rows:
        found = geocoder.geocode(row.address)
        placement = Placement(Point(found.longitude, found.latitude), "offline", found.raw["precision"])
        stores.append(Store.placed(row, placement))
    return stores


@pytest.fixture(scope="session")
def sample_index(sample_stores) -> StoreIndex:
    return StoreIndex(sample_stores, version=1)
