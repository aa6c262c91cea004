"""Shops grouped per Web Mercator tile and grid cell, computed once per index: what a vector tile shows.

Every shop gets a Morton (Z-order) code of its position in the Web Mercator
square, and the shops are sorted by it once. In that order every tile at every
zoom, and every grid cell inside a tile, is one contiguous run, so a tile is a
``searchsorted`` slice and a cell's shops are a run of equal shifted codes.

Below ``INDIVIDUAL_ZOOM`` the shops of a tile are clustered on a grid of
``CELLS_PER_SIDE`` × ``CELLS_PER_SIDE`` cells (32 px cells on a 256 px tile,
like supercluster's radius), each cluster placed at the mean of its shops; a
cell holding one shop gives that shop itself. The clusters of every zoom from
``INDIVIDUAL_ZOOM - 1`` down to ``MIN_ZOOM`` are built at once, each zoom from
the one above (a cell is exactly four cells of the zoom above, so counts and
coordinate sums add up), and sorted the same way, so a tile is a slice there
too. From ``INDIVIDUAL_ZOOM`` on, a tile lists its shops one by one, unless it
holds more than the caller's feature cap: then it is clustered on the same grid
(at most ``CELLS_PER_SIDE ** 2`` features, whatever the shops), so no tile,
however dense, outgrows its byte budget.

Plain numpy; the arrays are read-only once built, and the pyramid is immutable
like the index it belongs to.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

MIN_ZOOM = 5
MAX_ZOOM = 18
INDIVIDUAL_ZOOM = 15  # from here shops are listed one by one (unless a tile is over the feature cap)
CELL_BITS = 3
CELLS_PER_SIDE = 1 << CELL_BITS  # 8 cells across a tile: 32 px cells on a 256 px tile
MAX_CLUSTERS_PER_TILE = CELLS_PER_SIDE * CELLS_PER_SIDE
CODE_LEVEL = MAX_ZOOM + CELL_BITS  # Morton codes resolve the cells of the deepest zoom (2^21 per side)
MAX_LATITUDE = 85.05112878  # Web Mercator's square ends here


def mercator_unit(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator in the unit square: x from 0 (180° W) eastwards, y from 0 (85.05° N) southwards."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_LATITUDE, MAX_LATITUDE)
    x = (lon + 180.0) / 360.0
    sin = np.sin(np.radians(lat))
    y = 0.5 - np.log((1.0 + sin) / (1.0 - sin)) / (4.0 * np.pi)
    return x, y


def _spread(values: np.ndarray) -> np.ndarray:
    """The bits of 32-bit values spread to the even bit positions of 64-bit ones."""
    v = values.astype(np.uint64)
    v = (v | (v << np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    v = (v | (v << np.uint64(2))) & np.uint64(0x3333333333333333)
    v = (v | (v << np.uint64(1))) & np.uint64(0x5555555555555555)
    return v


def morton(column: np.ndarray | int, row: np.ndarray | int) -> np.ndarray:
    """Z-order codes: a cell's code shifted right by 2 bits is its parent cell's code."""
    return _spread(np.asarray(column)) | (_spread(np.asarray(row)) << np.uint64(1))


def tile_code_range(z: int, x: int, y: int, level: int) -> tuple[int, int]:
    """[first, end) of the codes at ``level`` that lie in tile (z, x, y)."""
    shift = 2 * (level - z)
    code = int(morton(x, y))
    return code << shift, (code + 1) << shift


@dataclass(frozen=True)
class TilePoints:
    """What one tile shows, in Z-order: a point per cluster or shop.

    ``x``/``y`` in the Web Mercator unit square; ``count`` is 1 for a shop shown
    on its own, whose position in the index's stores is ``position``; for a
    cluster ``position`` is one of its shops (the first in Z-order).
    """

    x: np.ndarray
    y: np.ndarray
    count: np.ndarray
    position: np.ndarray

    def __len__(self) -> int:
        return len(self.count)


@dataclass(frozen=True)
class _Level:
    """The clusters of one zoom, sorted by cell code (so by tile, too)."""

    cells: np.ndarray  # uint64 cell codes at level z + CELL_BITS
    count: np.ndarray  # int32 shops per cell
    sum_x: np.ndarray  # sums of the shops' unit x, so the zoom below adds them up exactly
    sum_y: np.ndarray
    position: np.ndarray  # int32: the first shop of the cell in Z-order, a position in the index's stores


def _runs(keys: np.ndarray) -> np.ndarray:
    """Start of each run of equal values in a sorted array."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(([0], np.flatnonzero(keys[1:] != keys[:-1]) + 1))


def _merge(cells: np.ndarray, count: np.ndarray, sum_x: np.ndarray, sum_y: np.ndarray,
           position: np.ndarray) -> _Level:
    """Cells of equal code (sorted) made one: counts and sums added, the first position kept."""
    starts = _runs(cells)
    if len(starts) == len(cells):
        return _Level(cells, count, sum_x, sum_y, position)
    return _Level(cells[starts], np.add.reduceat(count, starts), np.add.reduceat(sum_x, starts),
                  np.add.reduceat(sum_y, starts), position[starts])


def _frozen(*arrays: np.ndarray) -> None:
    for array in arrays:
        array.setflags(write=False)


class ClusterPyramid:
    """Per-tile shops and clusters of one immutable set of points (an index's ``lon``/``lat``)."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray) -> None:
        started = time.perf_counter()
        x, y = mercator_unit(lon, lat)
        side = 1 << CODE_LEVEL
        columns = np.clip(np.floor(x * side), 0, side - 1).astype(np.uint32)
        rows = np.clip(np.floor(y * side), 0, side - 1).astype(np.uint32)
        codes = morton(columns, rows)
        order = np.argsort(codes, kind="stable")  # stable: equal codes keep the index's (id) order
        self.codes = codes[order]
        self.x = x[order]
        self.y = y[order]
        self.order = order.astype(np.int32)  # positions in the index's stores (an index holds far fewer than 2^31)
        _frozen(self.codes, self.x, self.y, self.order)
        self._levels: dict[int, _Level] | None = None
        self._lock = threading.Lock()
        self.build_seconds = time.perf_counter() - started
        self.levels_seconds = 0.0

    def __len__(self) -> int:
        return len(self.codes)

    def levels(self) -> dict[int, _Level]:
        """The clusters of every clustered zoom, built on first use (all at once: each from the one above)."""
        levels = self._levels
        if levels is None:
            with self._lock:
                levels = self._levels
                if levels is None:
                    started = time.perf_counter()
                    levels = self._build_levels()
                    self.levels_seconds = time.perf_counter() - started
                    self._levels = levels
        return levels

    def _build_levels(self) -> dict[int, _Level]:
        top = INDIVIDUAL_ZOOM - 1
        shift = np.uint64(2 * (CODE_LEVEL - (top + CELL_BITS)))
        level = _merge(self.codes >> shift, np.ones(len(self.codes), dtype=np.int32), self.x, self.y, self.order)
        levels = {top: level}
        for z in range(top - 1, MIN_ZOOM - 1, -1):
            level = _merge(level.cells >> np.uint64(2), level.count, level.sum_x, level.sum_y, level.position)
            levels[z] = level
        for built in levels.values():
            _frozen(built.cells, built.count, built.sum_x, built.sum_y, built.position)
        return levels

    def tile(self, z: int, x: int, y: int, max_features: int) -> TilePoints:
        """The points of tile (z, x, y): at most ``max_features`` (which must allow a full grid of clusters)."""
        if not MIN_ZOOM <= z <= MAX_ZOOM:
            raise ValueError(f"zoom {z} outside {MIN_ZOOM}..{MAX_ZOOM}")
        if max_features < MAX_CLUSTERS_PER_TILE:
            raise ValueError(f"a tile may need {MAX_CLUSTERS_PER_TILE} features; {max_features} allowed")
        if z < INDIVIDUAL_ZOOM:
            level = self.levels()[z]
            first, end = tile_code_range(z, x, y, z + CELL_BITS)
            lo, hi = np.searchsorted(level.cells, [first, end]).tolist()
            count = level.count[lo:hi]
            return TilePoints(level.sum_x[lo:hi] / count, level.sum_y[lo:hi] / count, count,
                              level.position[lo:hi])
        first, end = tile_code_range(z, x, y, CODE_LEVEL)
        lo, hi = np.searchsorted(self.codes, [first, end]).tolist()
        if hi - lo <= max_features:
            return TilePoints(self.x[lo:hi], self.y[lo:hi], np.ones(hi - lo, dtype=np.int32), self.order[lo:hi])
        # Over the cap, even at high zoom: the same grid of clusters as the lower zooms.
        shift = np.uint64(2 * (CODE_LEVEL - (z + CELL_BITS)))
        level = _merge(self.codes[lo:hi] >> shift, np.ones(hi - lo, dtype=np.int32), self.x[lo:hi],
                       self.y[lo:hi], self.order[lo:hi])
        return TilePoints(level.sum_x / level.count, level.sum_y / level.count, level.count, level.position)

    def nbytes(self) -> int:
        """Memory held by the arrays (the clustered zooms counted once built)."""
        total = self.codes.nbytes + self.x.nbytes + self.y.nbytes + self.order.nbytes
        for level in (self._levels or {}).values():
            total += sum(a.nbytes for a in (level.cells, level.count, level.sum_x, level.sum_y, level.position))
        return total
