"""Along-route (corridor) search: the shops within ``width`` metres of a route, in driving order.

Owns the checks a route must pass (``checked_route``: finite, in range, not
too many vertices; ``web.params`` reads the route out of a request and
hands it here) and the corridor search over a ``StoreIndex``. Geometry is
planar in EPSG:5179 (Korea 2000 / Unified CS), whose scale error is under 0.1 % on the mainland (0.15 % at Dokdo), so metres
are metres to within about one part in a thousand.

How the search stays fast on a 400 km, 10,000-vertex route over a million
shops (one STRtree ``dwithin`` of the whole line takes over a second):

1. Sample the route every ``spacing`` metres of its length (spacing ≈ width).
2. One ``cKDTree.query_ball_point`` of all samples, radius ``width + spacing/2``,
   over the index's metric tree gives candidate (sample, shop) pairs. Complete:
   a shop within ``width`` of its closest route point Q is within
   ``width + spacing/2`` of the sample nearest Q along the route
   (triangle inequality; a chord is never longer than its arc).
3. Each pair is measured exactly, in numpy, against the segments lying within
   ``spacing/2`` of its sample along the route, which include the one holding Q.
   A route that doubles back gives a shop pairs on several passes; the smallest
   offset wins (on an exact tie, the earlier pass).
4. Keep offset ≤ width, order by distance along, then offset, then position.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ..errors import BadParameter
from ..model import QueryResult
from .index import StoreIndex, project_5179

__all__ = ["MAX_ROUTE_VERTICES", "SERVICE_AREA", "checked_route", "along_route"]

# Most distinct vertices a route may have. A Seoul→Busan route from a navigation engine at
# full detail has ~10,000; twice that covers the longest drives in Korea. Bounds the work
# (and request size: ~200 KB as a polyline) of one request.
MAX_ROUTE_VERTICES = 20_000
# (min lon, min lat, max lon, max lat) a route must lie in for along_route: EPSG:5179's area of
# use (122.71-134.28 E, 28.6-40.27 N) with a margin. Farther out its distances stop being metres.
SERVICE_AREA = (120.0, 28.0, 136.0, 44.0)
# Sample spacing never falls below this or total length / MAX_SAMPLES, so a tiny width on a
# long route cannot make hundreds of thousands of samples; a wider spacing is still exact.
MIN_SPACING_M = 1.0
MAX_SAMPLES = 50_000
_SLACK_M = 0.01  # widens the candidate radius and the segment windows against rounding
_TIE_M = 1e-8  # offsets this close (rounding noise) count as equal: the earlier pass wins


def checked_route(points: np.ndarray) -> np.ndarray:
    """``points`` validated (finite, lon/lat ranges, vertex limit) with consecutive duplicates dropped."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise BadParameter("route", f"A route must be an (n, 2) array of (lon, lat), got shape {points.shape}")
    lon, lat = points[:, 0], points[:, 1]
    wrong = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if wrong.any():
        i = int(np.argmax(wrong))
        raise BadParameter("route", f"Route point {i} must have lon between -180 and 180 and lat between "
                                    f"-90 and 90 (order [lon, lat]), got [{lon[i]!r}, {lat[i]!r}]")
    if len(points) > 1:
        points = points[np.concatenate(([True], np.any(points[1:] != points[:-1], axis=1)))]
    if len(points) < 2:
        raise BadParameter("route", "A route needs at least two distinct points, "
                                    f"got {len(points)}")
    if len(points) > MAX_ROUTE_VERTICES:
        raise BadParameter("route", f"A route may have at most {MAX_ROUTE_VERTICES:,} distinct points, "
                                    f"got {len(points):,}; simplify it")
    return points


def along_route(index: StoreIndex, route_lonlat: np.ndarray, *, width_m: float, limit: int,
                category: str | None = None) -> QueryResult:
    """Up to ``limit`` stores within ``width_m`` of the route, ordered by distance along it.

    ``measures``: ``distance_along_m`` (from the route's start to the route point closest to
    the shop) and ``offset_m`` (shop to that point), both in EPSG:5179 metres.
    """
    if not (isinstance(width_m, (int, float)) and math.isfinite(width_m) and width_m >= 0):
        raise BadParameter("width", f"Parameter 'width' must be a number of metres ≥ 0, got {width_m!r}")
    if limit < 0:
        raise BadParameter("limit", f"Parameter 'limit' must be a whole number ≥ 0, got {limit!r}")
    route = checked_route(route_lonlat)
    x0, y0, x1, y1 = SERVICE_AREA
    lon, lat = route[:, 0], route[:, 1]
    if lon.min() < x0 or lon.max() > x1 or lat.min() < y0 or lat.max() > y1:
        raise BadParameter("route", f"The route must lie within lon {x0:g} to {x1:g} and lat {y0:g} to {y1:g} "
                                    "(the area served)")
    empty = QueryResult(index.version, (), {"distance_along_m": [], "offset_m": []})
    mask = index.category_mask(category) if category is not None else None
    if limit == 0 or len(index) == 0 or (mask is not None and not mask.any()):
        return empty
    positions, along, offset = _corridor(index, np.column_stack(project_5179(lon, lat)), float(width_m), mask)
    if positions.size == 0:
        return empty
    order = np.lexsort((positions, offset, along))[:limit]
    stores = index.stores
    return QueryResult(index.version, [stores[p] for p in positions[order].tolist()],
                       {"distance_along_m": along[order].tolist(), "offset_m": offset[order].tolist()})


def _corridor(index: StoreIndex, xy: np.ndarray, width: float,
              mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions, distances along and offsets of every store within ``width`` of the route ``xy``."""
    start = xy[:-1]
    step = xy[1:] - start
    length = np.hypot(step[:, 0], step[:, 1])
    if not (length > 0).all():  # distinct degrees that coincide in metres: drop the empty segments
        keep = length > 0
        if not keep.any():
            raise BadParameter("route", "A route needs at least two distinct points")
        start, step, length = start[keep], step[keep], length[keep]
    n_seg = len(length)
    # one contiguous array per quantity: 1-D gathers below are much cheaper than row gathers
    sx, sy = start[:, 0].copy(), start[:, 1].copy()
    dx, dy = step[:, 0].copy(), step[:, 1].copy()
    inv_len2 = 1.0 / (length * length)
    cum = np.concatenate(([0.0], np.cumsum(length)))  # distance along at each segment's start
    total = float(cum[-1])

    # 1. samples every `spacing` metres along the route, both ends included
    spacing = max(width, MIN_SPACING_M, total / MAX_SAMPLES)
    n_samples = max(2, math.ceil(total / spacing) + 1)
    spacing = total / (n_samples - 1)
    s_along = np.linspace(0.0, total, n_samples)
    s_seg = np.clip(np.searchsorted(cum, s_along, side="right") - 1, 0, n_seg - 1)
    s_xy = start[s_seg] + step[s_seg] * ((s_along - cum[s_seg]) / length[s_seg])[:, None]

    # 2. candidate (sample, shop) pairs
    found = index.tree_5179.query_ball_point(s_xy, width + spacing / 2 + _SLACK_M, return_sorted=False)
    counts = np.fromiter(map(len, found), dtype=np.intp, count=n_samples)
    shops = np.fromiter(itertools.chain.from_iterable(found), dtype=np.intp, count=int(counts.sum()))
    sample = np.repeat(np.arange(n_samples), counts)
    if mask is not None:
        wanted = mask[shops]
        shops, sample = shops[wanted], sample[wanted]
    if shops.size == 0:
        return shops, np.empty(0), np.empty(0)

    # 3. exact distance from each pair's shop to each segment in its sample's window; evaluations
    # of one pair are contiguous, so per-pair minima need no sort
    half = spacing / 2 + _SLACK_M
    lo = np.clip(np.searchsorted(cum, s_along - half, side="left") - 1, 0, n_seg - 1)
    hi = np.clip(np.searchsorted(cum, s_along + half, side="right"), 1, n_seg)
    n_win = (hi - lo)[sample]
    first = np.cumsum(n_win) - n_win
    seg = np.repeat(lo[sample] - first, n_win) + np.arange(int(n_win.sum()))
    xy = index.xy_5179
    rx = np.repeat(xy[shops, 0], n_win) - sx[seg]
    ry = np.repeat(xy[shops, 1], n_win) - sy[seg]
    ex, ey = dx[seg], dy[seg]
    t = np.clip((rx * ex + ry * ey) * inv_len2[seg], 0.0, 1.0)
    offset = np.hypot(rx - t * ex, ry - t * ey)
    along = cum[seg] + t * length[seg]
    pair_offset = np.minimum.reduceat(offset, first)
    tied = offset <= np.repeat(pair_offset + _TIE_M, n_win)
    pair_along = np.minimum.reduceat(np.where(tied, along, np.inf), first)

    # 4. per shop, over its pairs: the smallest offset; on a tie, the earliest point along
    keep = pair_offset <= width
    shops, pair_offset, pair_along = shops[keep], pair_offset[keep], pair_along[keep]
    if shops.size == 0:
        return shops, pair_along, pair_offset
    unique, inverse = np.unique(shops, return_inverse=True)
    best = np.full(unique.size, np.inf)
    np.minimum.at(best, inverse, pair_offset)
    tied = pair_offset <= best[inverse] + _TIE_M
    earliest = np.full(unique.size, np.inf)
    np.minimum.at(earliest, inverse[tied], pair_along[tied])
    return unique, earliest, best
