"""The coordinate systems a navigation client may ask for with ``?crs=``.

Everything inside navplugin is WGS84 (lon, lat). Korean navigation engines
and public data often work in metres on a Korean grid instead, so a client
may ask for one of the systems registered in ``_DEFINITIONS``; this module
converts to and from it, and nothing else does.

The pyproj ``Transformer`` for each system is built on first use, once per
process (building one parses the definition and searches PROJ's database,
which is far slower than transforming a page of points) and then shared:
pyproj >= 3.1 transformers are safe to use from several threads.
"""
from __future__ import annotations

import threading
from typing import Any

import numpy as np
from pyproj import Transformer

__all__ = ["CRS_NAMES", "normalize_crs", "project", "unproject"]

WGS84 = "EPSG:4326"

# KATEC (also written KATECH or TM128): the grid of older Korean car navigation
# and some Korean APIs. It has no EPSG code; this is the definition the Korean
# navigation and map APIs document, Bessel 1841 shifted to WGS84 by a 7-parameter
# (position vector) Helmert transformation.
KATEC_PROJ = (
    "+proj=tmerc +lat_0=38 +lon_0=128 +k=0.9999 +x_0=400000 +y_0=600000 +ellps=bessel +units=m "
    "+towgs84=-115.80,474.99,674.11,1.16,-2.31,-1.63,6.43 +no_defs"
)

# Canonical name -> what pyproj builds the system from; None is WGS84 itself.
_DEFINITIONS: dict[str, str | None] = {
    "wgs84": None,
    "katec": KATEC_PROJ,
    "utmk": "EPSG:5179",  # Korea 2000 / Unified CS: Juso entrance points, national road-name data
    "epsg:5186": "EPSG:5186",  # Korea 2000 / Central Belt 2010
}

# Other spellings clients use for the same systems.
_ALIASES: dict[str, str] = {
    "epsg:4326": "wgs84",
    "epsg:5179": "utmk",
}

CRS_NAMES: tuple[str, ...] = tuple(_DEFINITIONS)

_transformers: dict[str, tuple[Transformer, Transformer]] = {}
_lock = threading.Lock()


def normalize_crs(name: str) -> str:
    """The canonical name of a coordinate system, whatever its case; ValueError if unknown."""
    key = name.strip().lower() if isinstance(name, str) else None
    if key is not None:
        key = _ALIASES.get(key, key)
        if key in _DEFINITIONS:
            return key
    raise ValueError(f"Unknown coordinate system {name!r}; known: {', '.join(CRS_NAMES)}")


def _transformer_pair(name: str) -> tuple[Transformer, Transformer]:
    """(WGS84 -> name, name -> WGS84), built on the first call for ``name``."""
    pair = _transformers.get(name)
    if pair is None:
        with _lock:
            pair = _transformers.get(name)
            if pair is None:
                target = _DEFINITIONS[name]
                pair = (
                    Transformer.from_crs(WGS84, target, always_xy=True),
                    Transformer.from_crs(target, WGS84, always_xy=True),
                )
                _transformers[name] = pair
    return pair


def _as_arrays(xs: Any, ys: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.broadcast_arrays(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    return x, y


def _transform(xs: Any, ys: Any, crs: str, direction: int) -> tuple[np.ndarray, np.ndarray]:
    name = normalize_crs(crs)
    x, y = _as_arrays(xs, ys)
    if _DEFINITIONS[name] is None:
        return x.copy(), y.copy()
    transformer = _transformer_pair(name)[direction]
    # pyproj wants at least one dimension to hand back arrays; restore the caller's shape after.
    out_x, out_y = transformer.transform(np.atleast_1d(x).ravel(), np.atleast_1d(y).ravel())
    return np.asarray(out_x, dtype=float).reshape(x.shape), np.asarray(out_y, dtype=float).reshape(y.shape)


def project(lons: Any, lats: Any, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitudes and latitudes to (x, y) in ``crs``, any shape (a scalar gives 0-d arrays).

    Points outside a projection's domain come back as ``inf``.
    """
    return _transform(lons, lats, crs, 0)


def unproject(xs: Any, ys: Any, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) in ``crs`` back to WGS84 (lon, lat), the inverse of ``project``."""
    return _transform(xs, ys, crs, 1)
