"""The coordinate reference systems the OGC service offers, named by URI, and their axis order.

OGC API - Features Part 2 names a CRS by URI and writes coordinates in the
order its authority defines: CRS84 is longitude, latitude; EPSG:5179 and
EPSG:5186 are northing, easting (EPSG's axis X points north). That order is
read from pyproj's definition of each CRS, never assumed, and applies both
to the coordinates served and to a ``bbox`` given with ``bbox-crs``. The
conversion itself is ``navplugin.spatial.crs``'s; this module only names the
systems, orders the axes and selects shops by a box in any of them.
"""
from __future__ import annotations

import functools
import threading
import weakref

import numpy as np
from pyproj import CRS

from ..spatial.crs import normalize_crs, project
from ..spatial.index import StoreIndex

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_5179 = "http://www.opengis.net/def/crs/EPSG/0/5179"
EPSG_5186 = "http://www.opengis.net/def/crs/EPSG/0/5186"

# URI -> the same system's name in navplugin.spatial.crs (which converts to and from it).
_SYSTEMS: dict[str, str] = {
    CRS84: normalize_crs("wgs84"),
    EPSG_5179: normalize_crs("epsg:5179"),
    EPSG_5186: normalize_crs("epsg:5186"),
}
OFFERED: tuple[str, ...] = tuple(_SYSTEMS)
STORAGE_CRS = CRS84  # shops are kept as WGS84 longitude, latitude

# Decimals written: 7 for degrees (about 1 cm, as every other answer), 3 for metres (1 mm).
DEGREE_DECIMALS = 7
METRE_DECIMALS = 3


def system(uri: str) -> str:
    """The ``navplugin.spatial.crs`` name of an offered CRS URI; KeyError for any other."""
    return _SYSTEMS[uri]


@functools.cache
def northing_first(uri: str) -> bool:
    """Does the CRS's authority put the north-pointing axis first (EPSG:5179, 5186: yes; CRS84: no)?"""
    first_axis = CRS.from_user_input(uri).axis_info[0]
    return first_axis.direction.lower() in ("north", "south")


@functools.cache
def axis_names(uri: str) -> tuple[str, str]:
    """The CRS's axis names in its own order, as a page shows them: ('Northing', 'Easting') for EPSG:5179."""
    first, second = CRS.from_user_input(uri).axis_info[:2]
    return first.name, second.name


def decimals(uri: str) -> int:
    return DEGREE_DECIMALS if uri == CRS84 else METRE_DECIMALS


def coordinates(index: StoreIndex, positions: np.ndarray, uri: str) -> tuple[np.ndarray, np.ndarray]:
    """The shops' coordinates in ``uri`` as (first axis, second axis) in its authority's order, rounded."""
    lon, lat = index.lon[positions], index.lat[positions]
    if uri == CRS84:
        east, north = lon, lat
    else:
        east, north = project(lon, lat, system(uri))
    first, second = (north, east) if northing_first(uri) else (east, north)
    places = decimals(uri)
    return np.round(first, places), np.round(second, places)


# Easting and northing of every shop of an index in a projected CRS, built on the first box in it.
_PROJECTED: "weakref.WeakKeyDictionary[StoreIndex, dict[str, tuple[np.ndarray, np.ndarray]]]" = \
    weakref.WeakKeyDictionary()
_PROJECTED_LOCK = threading.Lock()


def _projected(index: StoreIndex, uri: str) -> tuple[np.ndarray, np.ndarray]:
    """(easting, northing) arrays of all shops in ``uri``; EPSG:5179 is the index's own metric copy."""
    if system(uri) == normalize_crs("epsg:5179"):
        xy = index.xy_5179
        return xy[:, 0], xy[:, 1]
    with _PROJECTED_LOCK:
        cached = _PROJECTED.setdefault(index, {})
        pair = cached.get(uri)
        if pair is None:
            pair = project(index.lon, index.lat, system(uri))
            cached[uri] = pair
    return pair


def in_bbox(index: StoreIndex, bbox: tuple[float, float, float, float], uri: str) -> np.ndarray:
    """Positions (in id order) of the shops inside ``bbox``: lower corner, upper corner, in ``uri``'s axis order.

    In CRS84 a box whose lower longitude is above its upper one crosses the
    antimeridian, as Part 1 allows; in a projected CRS the box is exact in
    that CRS's metres, not an approximation in degrees.
    """
    low_1, low_2, high_1, high_2 = bbox
    if uri == CRS84:
        if low_1 <= high_1:
            return index.in_bbox(low_1, low_2, high_1, high_2)
        east_of = index.in_bbox(low_1, low_2, 180.0, high_2)
        west_of = index.in_bbox(-180.0, low_2, high_1, high_2)
        return np.union1d(east_of, west_of)
    if northing_first(uri):
        min_north, min_east, max_north, max_east = bbox
    else:
        min_east, min_north, max_east, max_north = bbox
    if not len(index):
        return np.empty(0, dtype=np.int64)
    east, north = _projected(index, uri)
    inside = (east >= min_east) & (east <= max_east) & (north >= min_north) & (north <= max_north)
    return np.flatnonzero(inside)


def extent(index: StoreIndex) -> list[float] | None:
    """[min lon, min lat, max lon, max lat] of the live shops, widened to whole 1e-7 degrees; None when empty."""
    if not len(index):
        return None
    scale = 10 ** DEGREE_DECIMALS
    lows = (float(index.lon.min()), float(index.lat.min()))
    highs = (float(index.lon.max()), float(index.lat.max()))
    return [*(float(np.floor(v * scale) / scale) for v in lows), *(float(np.ceil(v * scale) / scale) for v in highs)]
