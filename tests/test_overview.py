"""The admin overview's figures, each computed here again from the shops in the plainest way and compared."""
from __future__ import annotations

import csv
import math
import random
import statistics
from collections import Counter
from pathlib import Path

import pytest

from navplugin import overview
from navplugin.model import PRECISIONS, Store
from navplugin.spatial.index import StoreIndex

SIDO_CSV = Path(__file__).resolve().parent.parent / "geodata" / "sido_aliases.csv"
# The bins the overview documents: (low, high], the first from 0 inclusive, the last open.
EDGES = [50, 100, 250, 500, 1000, 2000, 5000, 10000, 20000]


def _sido_names() -> dict[str, tuple[str, str]]:
    """Every spelling of a 시도 -> (current name, current code), read from the reference file itself."""
    names = {}
    with open(SIDO_CSV, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for alias in (row["name"], row["boundary_name"], *row["aliases"].split(";")):
                names[alias] = (row["name"], row["code"])
    return names


SIDO = _sido_names()


def expected_sido(store: Store) -> tuple[str, str | None]:
    for text in (store.region, store.address, store.jibun_address):
        first = (text or "").split()
        if first and first[0] in SIDO:
            return SIDO[first[0]]
    return ("unknown", None)


def expected_bin(radius: float) -> int:
    if radius <= EDGES[0]:
        return 0
    for k in range(1, len(EDGES)):
        if EDGES[k - 1] < radius <= EDGES[k]:
            return k
    return len(EDGES)


def make_stores(count: int, seed: int) -> list[Store]:
    """Shops with every kind of 시도 spelling, missing addresses, precisions and radii on the bin edges."""
    rng = random.Random(seed)
    spellings = sorted(SIDO)
    radii = [1, 10, 50, 50.01, 100, 250, 250.5, 499, 1000, 20000, 20000.1, 160000] + [
        rng.uniform(1, 60000) for _ in range(40)]
    stores = []
    for number in range(count):
        place = rng.choice(["region", "address", "jibun", "sigungu-region", "none", "nonsense", "blank"])
        sido = rng.choice(spellings)
        fields = {
            "region": {"region": sido, "sigungu-region": f"{sido} 중구", "nonsense": "어딘가"}.get(place),
            "address": {"address": f"{sido} 종로구 종로 {number}", "region": f"  {sido}  중구 1",
                        "nonsense": "화성 우주기지 1", "blank": "   "}.get(place),
            "jibun_address": f"{sido} 어느동 {number}" if place == "jibun" else None,
        }
        stores.append(Store(id=f"S-{rng.randrange(10**6):06d}-{number}", name=f"가게 {number}", lon=127.0,
                            lat=37.5, provider="test", precision=rng.choice(PRECISIONS),
                            accuracy_m=rng.choice(radii), **fields))
    rng.shuffle(stores)
    return stores


@pytest.fixture(scope="module")
def stores() -> list[Store]:
    return make_stores(600, seed=12)


def test_total_and_counts_by_sido_equal_a_plain_count(stores) -> None:
    summary = overview.summarize(stores, 7).page()
    assert summary["dataset_version"] == 7 and summary["total"] == len(stores)
    counted = Counter(expected_sido(store) for store in stores)
    assert {(row["sido"], row["code"]): row["count"] for row in summary["by_sido"]} == counted
    assert sum(row["count"] for row in summary["by_sido"]) == len(stores)
    counts = [row["count"] for row in summary["by_sido"]]
    assert counts == sorted(counts, reverse=True)
    # the old names of 강원 and 전북 count under the current ones, and the unknown bucket is there
    names = {row["sido"] for row in summary["by_sido"]}
    assert {"강원특별자치도", "전북특별자치도", "unknown"} <= names
    assert not {"강원도", "전라북도", "서울", "서울시"} & names


def test_counts_by_precision_cover_every_precision_in_order(stores) -> None:
    summary = overview.summarize(stores).page()
    assert [row["precision"] for row in summary["by_precision"]] == list(PRECISIONS)
    counted = Counter(store.precision for store in stores)
    assert {row["precision"]: row["count"] for row in summary["by_precision"]} == {
        name: counted.get(name, 0) for name in PRECISIONS}


def test_accuracy_histogram_and_figures(stores) -> None:
    accuracy = overview.summarize(stores).page()["accuracy"]
    radii = [store.accuracy_m for store in stores]
    bins = Counter(expected_bin(radius) for radius in radii)
    assert [b["count"] for b in accuracy["bins"]] == [bins.get(k, 0) for k in range(len(EDGES) + 1)]
    assert [b["max_m"] for b in accuracy["bins"]] == [*EDGES, None]
    assert [b["min_m"] for b in accuracy["bins"]] == [0, *EDGES]
    assert accuracy["approximate_over_m"] == 250
    assert accuracy["approximate"] == sum(1 for radius in radii if radius > 250)
    assert accuracy["median_m"] == pytest.approx(statistics.median(radii))
    ordered = sorted(radii)
    assert accuracy["p90_m"] == ordered[math.ceil(0.9 * len(ordered)) - 1]
    assert sum(1 for radius in radii if radius <= accuracy["p90_m"]) >= 0.9 * len(radii)
    assert sum(1 for radius in radii if radius < accuracy["p90_m"]) < 0.9 * len(radii)


def test_radii_on_a_bin_edge_fall_in_the_bin_below() -> None:
    at = [Store(id=f"e{k}", name="x", lon=127.0, lat=37.5, provider="t", precision="supplied", accuracy_m=edge)
          for k, edge in enumerate([50, 250, 250.001, 20000, 20001])]
    bins = [b["count"] for b in overview.summarize(at).page()["accuracy"]["bins"]]
    assert bins == [1, 0, 1, 1, 0, 0, 0, 0, 1, 1]
    assert overview.summarize(at).page()["accuracy"]["approximate"] == 3  # 250 itself is not approximate


def test_to_pin_is_largest_radius_first_then_id_and_pages_cover_it_once(stores) -> None:
    summary = overview.summarize(stores)
    expected = [store.id for store in sorted(stores, key=lambda s: (-s.accuracy_m, s.id))]
    paged, offset = [], 0
    while True:
        page = summary.page(limit=37, offset=offset)["to_pin"]
        assert page["count"] == len(stores) and page["limit"] == 37 and page["offset"] == offset
        assert len(page["items"]) <= 37
        if not page["items"]:
            break
        paged += [item["id"] for item in page["items"]]
        offset += 37
    assert paged == expected
    first = summary.page()["to_pin"]["items"]
    assert len(first) == overview.TO_PIN_DEFAULT_LIMIT == 20
    radii = [item["accuracy_m"] for item in first]
    assert radii == sorted(radii, reverse=True) and radii[0] == round(max(s.accuracy_m for s in stores))
    assert {"lat", "lon", "name", "address", "region", "precision", "approximate"} <= set(first[0])


def test_an_empty_list() -> None:
    empty = overview.summarize([], None).page()
    assert (empty["total"], empty["by_sido"], empty["to_pin"]["items"]) == (0, [], [])
    assert empty["accuracy"]["median_m"] is None and empty["accuracy"]["p90_m"] is None
    assert sum(b["count"] for b in empty["accuracy"]["bins"]) == 0
    assert all(row["count"] == 0 for row in empty["by_precision"])


def test_an_index_is_summarised_once_and_a_new_index_afresh(stores, monkeypatch) -> None:
    calls = []
    real = overview.summarize
    monkeypatch.setattr(overview, "summarize", lambda *args: calls.append(args[1]) or real(*args))
    first = StoreIndex(stores[:300], 1)
    assert overview.overview(first, 5, 0)["total"] == 300
    assert [i["id"] for i in overview.overview(first, 5, 5)["to_pin"]["items"]] == \
        [s.id for s in sorted(stores[:300], key=lambda s: (-s.accuracy_m, s.id))][5:10]
    second = StoreIndex(stores, 2)
    assert overview.overview(second)["total"] == len(stores)
    assert calls == [1, 2]
