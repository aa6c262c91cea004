"""Along-route (corridor) search: the shops within ``width`` metres of a route, in driving order.

Owns the checks a route must pass (``checked_route``: finite, in range, not
too many vertices; ``web.params`` reads the route out of a request and
hands it here), the cost bound of a search, and the corridor search over a
``StoreIndex``. Geometry is planar in EPSG:5179 (Korea 2000 / Unified CS),
whose scale error is under 0.1 % on the mainland (0.15 % at Dokdo), so metres
are metres to within about one part in a thousand.

Cost, bounded before the work starts and while it runs:

* the route is simplified (Douglas-Peucker) to ``simplify_tolerance(width)``,
  2 % of the width (at most 100 m): offsets and distances along are measured
  to the simplified route, within that tolerance of the route as sent;
* its corridor, 2 × width × length, may cover at most ``MAX_CORRIDOR_KM2``,
  and its vertices × corridor at most ``MAX_VERTEX_KM2`` (the work grows with
  both: shops in the corridor, segments near each shop);
* the search runs in chunks along the route, each in bounded memory; before a
  chunk's work starts its candidate pairs and distances are counted against
  ``MAX_PAIRS`` and ``MAX_EVALUATIONS`` for the whole search (over them: 400);
  it checks the request's deadline between chunks and batches, and stops once
  the first ``limit`` shops in driving order are certain (no later part of the
  route comes closer to them).

How one chunk stays fast on a 400 km, 10,000-vertex route over a million
shops (one STRtree ``dwithin`` of the whole line takes over a second):

1. Sample the route every ``spacing`` metres of its length (spacing ≈ width).
2. One ``cKDTree.query_ball_point`` of the chunk's samples, radius ``width +
   spacing/2``, over the index's metric tree gives candidate (sample, shop) pairs.
   Complete: a shop within ``width`` of its closest route point Q is within
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
from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely

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
SIMPLIFY_SHARE = 0.02  # of the width: how far the simplified route may stray from the route sent
MAX_SIMPLIFY_M = 100.0  # 2 % of the widest corridor
# Corridor (2 x width x length): Seoul to Haenam, ~500 km, at the widest corridor (5 km) is 5,000 km².
MAX_CORRIDOR_KM2 = 5_000.0
# Vertices x corridor: a 400 km route at 500 m width with 20,000 vertices is 8e6; at 5 km width a
# route must be simplified to 2,000 vertices first (which the tolerance above mostly does by itself).
MAX_VERTEX_KM2 = 1e7
FIRST_CHUNK_SAMPLES = 32  # samples in the first chunk; each next chunk has twice as many, up to:
MAX_CHUNK_SAMPLES = 4096
BATCH_EVALUATIONS = 1_000_000  # (shop, segment) distances measured at once: ~100 MB of temporaries
# The most work one search may do, counted before each chunk's work starts: (sample, shop) candidate
# pairs, and (shop, segment) distances measured. ~2 s and ~150 MB at most on one core.
MAX_PAIRS = 3_000_000
MAX_EVALUATIONS = 30_000_000


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


def simplify_tolerance(width_m: float) -> float:
    """How far the route searched may stray from the route sent: 2 % of the width (at most 100 m)."""
    return min(width_m * SIMPLIFY_SHARE, MAX_SIMPLIFY_M)


SIMPLIFY_PIECE = 1_000  # vertices simplified at once: Douglas-Peucker is quadratic on a zigzag


def simplified(xy: np.ndarray, tolerance_m: float) -> np.ndarray:
    """The route (metres) with vertices that change its course by less than ``tolerance_m`` dropped.

    Douglas-Peucker, a piece of ``SIMPLIFY_PIECE`` vertices at a time (the pieces share their ends,
    which are kept): at most ~n x 1,000 steps, where one pass over a 20,000-vertex zigzag takes 20 times
    that.
    """
    if len(xy) <= 2 or tolerance_m <= 0:
        return xy
    # ragged pieces: one flat coordinate array with an index saying which piece each vertex is of
    starts = np.arange(0, len(xy) - 1, SIMPLIFY_PIECE)
    ends = np.minimum(starts + SIMPLIFY_PIECE + 1, len(xy))
    rows = np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), ends.tolist())])
    pieces = shapely.linestrings(xy[rows], indices=np.repeat(np.arange(len(starts)), ends - starts))
    kept = [shapely.get_coordinates(piece) for piece in shapely.simplify(pieces, tolerance_m,
                                                                          preserve_topology=False)]
    return np.vstack([kept[0], *(piece[1:] for piece in kept[1:])])


@dataclass(frozen=True)
class Corridor:
    """A route ready to search: simplified, in metres, with its cost."""

    xy: np.ndarray  # (n, 2) EPSG:5179 metres, simplified
    width_m: float
    length_m: float

    @property
    def area_km2(self) -> float:
        return 2 * self.width_m * self.length_m / 1e6

    @property
    def vertex_km2(self) -> float:
        return len(self.xy) * self.area_km2


def corridor(route_lonlat: np.ndarray, width_m: float) -> Corridor:
    """The route checked, simplified and its cost refused when over the bounds: before any search work."""
    if not (isinstance(width_m, (int, float)) and math.isfinite(width_m) and width_m >= 0):
        raise BadParameter("width", f"Parameter 'width' must be a number of metres ≥ 0, got {width_m!r}")
    route = checked_route(route_lonlat)
    x0, y0, x1, y1 = SERVICE_AREA
    lon, lat = route[:, 0], route[:, 1]
    if lon.min() < x0 or lon.max() > x1 or lat.min() < y0 or lat.max() > y1:
        raise BadParameter("route", f"The route must lie within lon {x0:g} to {x1:g} and lat {y0:g} to {y1:g} "
                                    "(the area served)")
    xy = simplified(np.column_stack(project_5179(lon, lat)), simplify_tolerance(float(width_m)))
    steps = np.hypot(*np.diff(xy, axis=0).T)
    found = Corridor(xy, float(width_m), float(steps.sum()))
    if found.area_km2 > MAX_CORRIDOR_KM2:
        raise BadParameter("route", f"The route's corridor (2 x width x length) is {found.area_km2:,.0f} km²; "
                                    f"at most {MAX_CORRIDOR_KM2:,.0f} km² is searched at once: shorten the route "
                                    "or narrow the width")
    if found.vertex_km2 > MAX_VERTEX_KM2:
        raise BadParameter("route", f"The route has {len(xy):,} vertices (simplified) over a {found.area_km2:,.0f} "
                                    f"km² corridor; vertices x corridor may be at most {MAX_VERTEX_KM2:,.0f}: "
                                    "simplify the route, shorten it or narrow the width")
    return found


@dataclass
class Work:
    """What one search did: the figures its cost bound is stated in."""

    samples: int = 0
    chunks: int = 0
    pairs: int = 0  # (sample, shop) candidates, counted before they are fetched
    evaluations: int = 0  # (shop, segment) distances, counted before they are measured
    certified: bool = False  # stopped early: the first `limit` shops were certain


def along_route(index: StoreIndex, route_lonlat: np.ndarray, *, width_m: float, limit: int,
                category: str | None = None, max_accuracy_m: float | None = None,
                check: Callable[[], None] | None = None, work: Work | None = None) -> QueryResult:
    """Up to ``limit`` stores within ``width_m`` of the route, ordered by distance along it.

    ``measures``: ``distance_along_m`` (from the route's start to the route point closest to
    the shop) and ``offset_m`` (shop to that point), both in EPSG:5179 metres, measured to the
    route simplified to ``simplify_tolerance(width_m)``. ``check`` is called between chunks
    (the request's deadline); ``work``, when given, is filled with what the search did.
    """
    if limit < 0:
        raise BadParameter("limit", f"Parameter 'limit' must be a whole number ≥ 0, got {limit!r}")
    found = corridor(route_lonlat, width_m)
    empty = QueryResult(index.version, (), {"distance_along_m": [], "offset_m": []})
    mask = index.filter_mask(category, max_accuracy_m)
    if limit == 0 or len(index) == 0 or (mask is not None and not mask.any()):
        return empty
    positions, along, offset = _Search(index, found, mask, check or (lambda: None), work or Work()).first(limit)
    if positions.size == 0:
        return empty
    order = np.lexsort((positions, offset, along))[:limit]
    stores = index.stores
    return QueryResult(index.version, [stores[p] for p in positions[order].tolist()],
                       {"distance_along_m": along[order].tolist(), "offset_m": offset[order].tolist()})


_NONE = (np.empty(0, dtype=np.intp), np.empty(0), np.empty(0))


class _Search:
    """The corridor search of one route, a chunk of samples at a time (see the module docstring)."""

    def __init__(self, index: StoreIndex, found: Corridor, mask: np.ndarray | None,
                 check: Callable[[], None], work: Work) -> None:
        self.index, self.mask, self.check, self.work, self.width = index, mask, check, work, found.width_m
        xy = found.xy
        start, step = xy[:-1], xy[1:] - xy[:-1]
        length = np.hypot(step[:, 0], step[:, 1])
        if not (length > 0).all():  # distinct degrees that coincide in metres: drop the empty segments
            keep = length > 0
            if not keep.any():
                raise BadParameter("route", "A route needs at least two distinct points")
            start, step, length = start[keep], step[keep], length[keep]
        self.n_seg = len(length)
        # one contiguous array per quantity: 1-D gathers below are much cheaper than row gathers
        self.sx, self.sy = start[:, 0].copy(), start[:, 1].copy()
        self.dx, self.dy = step[:, 0].copy(), step[:, 1].copy()
        self.length, self.inv_len2 = length, 1.0 / (length * length)
        self.cum = np.concatenate(([0.0], np.cumsum(length)))  # distance along at each segment's start
        self.start, self.step = start, step
        total = float(self.cum[-1])
        # 1. samples every `spacing` metres along the route, both ends included
        spacing = max(self.width, MIN_SPACING_M, total / MAX_SAMPLES)
        self.n_samples = max(2, math.ceil(total / spacing) + 1)
        self.spacing = total / (self.n_samples - 1)
        self.s_along = np.linspace(0.0, total, self.n_samples)
        s_seg = np.clip(np.searchsorted(self.cum, self.s_along, side="right") - 1, 0, self.n_seg - 1)
        self.s_xy = start[s_seg] + step[s_seg] * ((self.s_along - self.cum[s_seg]) / length[s_seg])[:, None]
        half = self.spacing / 2 + _SLACK_M
        self.lo = np.clip(np.searchsorted(self.cum, self.s_along - half, side="left") - 1, 0, self.n_seg - 1)
        self.hi = np.clip(np.searchsorted(self.cum, self.s_along + half, side="right"), 1, self.n_seg)
        self.radius = self.width + self.spacing / 2 + _SLACK_M
        work.samples = self.n_samples

    def first(self, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(positions, distances along, offsets) of the shops in the corridor: every one, or at least the
        first ``limit`` in driving order once they are certain."""
        best = _NONE
        done, size = 0, FIRST_CHUNK_SAMPLES
        while done < self.n_samples:
            self.check()
            end = min(self.n_samples, done + size)
            self.work.chunks += 1
            best = _per_shop(*(np.concatenate(parts) for parts in zip(best, self._measure(done, end))))
            done, size = end, min(size * 2, MAX_CHUNK_SAMPLES)
            if done < self.n_samples:
                certain = self._certain(best, limit, float(self.s_along[done - 1]))
                if certain is not None:
                    self.work.certified = True
                    return certain
        return best

    def _budget(self, first_sample: int, end_sample: int) -> None:
        """Count a chunk's pairs and distances against the search's bounds before doing its work."""
        counts = self.index.tree_5179.query_ball_point(self.s_xy[first_sample:end_sample], self.radius,
                                                       return_length=True)
        self.work.pairs += int(counts.sum())
        self.work.evaluations += int((counts * (self.hi - self.lo)[first_sample:end_sample]).sum())
        if self.work.pairs > MAX_PAIRS or self.work.evaluations > MAX_EVALUATIONS:
            raise BadParameter("route", f"Too many shops lie near this route for one request (over "
                                        f"{MAX_PAIRS:,} candidates or {MAX_EVALUATIONS:,} distances to measure): "
                                        "narrow the width, shorten the route or ask for fewer shops")

    def _measure(self, first_sample: int, end_sample: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(shop, along, offset) of every shop within the width of the segments near these samples."""
        # 2. candidate (sample, shop) pairs, counted first
        self._budget(first_sample, end_sample)
        found = self.index.tree_5179.query_ball_point(self.s_xy[first_sample:end_sample], self.radius,
                                                      return_sorted=False)
        counts = np.fromiter(map(len, found), dtype=np.intp, count=len(found))
        shops = np.fromiter(itertools.chain.from_iterable(found), dtype=np.intp, count=int(counts.sum()))
        sample = np.repeat(np.arange(first_sample, end_sample), counts)
        del found
        if self.mask is not None:
            wanted = self.mask[shops]
            shops, sample = shops[wanted], sample[wanted]
        # 3. exact distances, in batches of bounded memory
        n_win = (self.hi - self.lo)[sample]
        results = []
        begin = 0
        ends = np.searchsorted(np.cumsum(n_win), np.arange(BATCH_EVALUATIONS, int(n_win.sum()) + BATCH_EVALUATIONS,
                                                           BATCH_EVALUATIONS), side="right")
        for end in np.unique(np.maximum(ends, 1)).tolist():
            end = min(end, len(shops))
            if end <= begin:
                continue
            self.check()
            results.append(self._pairs(shops[begin:end], sample[begin:end], n_win[begin:end]))
            begin = end
        if not results:
            return _NONE
        return tuple(np.concatenate(parts) for parts in zip(*results))  # type: ignore[return-value]

    def _pairs(self, shops: np.ndarray, sample: np.ndarray,
               n_win: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each pair's shop against each segment in its sample's window; a pair's evaluations are
        contiguous, so per-pair minima need no sort."""
        first = np.cumsum(n_win) - n_win
        seg = np.repeat(self.lo[sample] - first, n_win) + np.arange(int(n_win.sum()))
        xy = self.index.xy_5179
        rx = np.repeat(xy[shops, 0], n_win) - self.sx[seg]
        ry = np.repeat(xy[shops, 1], n_win) - self.sy[seg]
        ex, ey = self.dx[seg], self.dy[seg]
        t = np.clip((rx * ex + ry * ey) * self.inv_len2[seg], 0.0, 1.0)
        offset = np.hypot(rx - t * ex, ry - t * ey)
        along = self.cum[seg] + t * self.length[seg]
        pair_offset = np.minimum.reduceat(offset, first)
        tied = offset <= np.repeat(pair_offset + _TIE_M, n_win)
        pair_along = np.minimum.reduceat(np.where(tied, along, np.inf), first)
        keep = pair_offset <= self.width
        return shops[keep], pair_along[keep], pair_offset[keep]

    def _certain(self, best: tuple[np.ndarray, np.ndarray, np.ndarray], limit: int,
                 covered: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The first ``limit`` shops in driving order, if the rest of the route cannot change them.

        Every route point up to ``covered`` metres along has been searched, so a shop not seen yet, or
        one the rest of the route passes closer, lies at least that far along. A seen shop the rest
        passes farther from than its best offset keeps its place; one passed about as close cannot be
        placed yet, and then nothing is certain.
        """
        shops, along, offset = best
        before = along < covered
        if int(before.sum()) < limit:
            return None
        order = np.lexsort((shops[before], offset[before], along[before]))
        candidates = np.flatnonzero(before)[order]
        rest = self._rest_of_route(covered)
        taken: list[int] = []
        for start in range(0, len(candidates), 2 * limit):
            chunk = candidates[start:start + 2 * limit]
            points = shapely.points(self.index.xy_5179[shops[chunk]])
            farther = shapely.distance(points, rest)
            for i, distance in zip(chunk.tolist(), farther.tolist()):
                if distance > offset[i] + _TIE_M:
                    taken.append(i)
                    if len(taken) == limit:
                        chosen = np.asarray(taken)
                        return shops[chosen], along[chosen], offset[chosen]
                elif distance >= offset[i] - _TIE_M:
                    return None  # a tie with a later pass: its place is not known yet
        return None

    def _rest_of_route(self, from_along: float) -> shapely.LineString:
        seg = int(np.clip(np.searchsorted(self.cum, from_along, side="right") - 1, 0, self.n_seg - 1))
        t = (from_along - self.cum[seg]) / self.length[seg]
        head = self.start[seg] + self.step[seg] * t
        tail = self.start[seg + 1:] if seg + 1 < self.n_seg else np.empty((0, 2))
        end = self.start[-1] + self.step[-1]
        return shapely.linestrings(np.vstack((head, tail, end)))


def _per_shop(shops: np.ndarray, along: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """4. Per shop, over its pairs: the smallest offset; on a tie, the earliest point along."""
    if shops.size == 0:
        return _NONE
    unique, inverse = np.unique(shops, return_inverse=True)
    best = np.full(unique.size, np.inf)
    np.minimum.at(best, inverse, offset)
    tied = offset <= best[inverse] + _TIE_M
    earliest = np.full(unique.size, np.inf)
    np.minimum.at(earliest, inverse[tied], along[tied])
    return unique, earliest, best
