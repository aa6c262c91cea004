"""Shops per vector tile and grid cell, against plain Python groupings and pyproj's Web Mercator."""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from navplugin.spatial.clusters import (
    CELLS_PER_SIDE,
    CODE_LEVEL,
    INDIVIDUAL_ZOOM,
    MAX_CLUSTERS_PER_TILE,
    MAX_ZOOM,
    MIN_ZOOM,
    ClusterPyramid,
    mercator_unit,
    morton,
)

HALF_WORLD_M = 20037508.342789244  # EPSG:3857's half width


def korea(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Shops over South Korea, half of them piled around Seoul so cells hold many."""
    rng = np.random.default_rng(seed)
    lon = np.concatenate((rng.uniform(125.0, 130.0, n - n // 2), rng.normal(126.98, 0.05, n // 2)))
    lat = np.concatenate((rng.uniform(33.5, 38.5, n - n // 2), rng.normal(37.56, 0.04, n // 2)))
    return lon, lat


def reference_cells(lon, lat, z: int, cells_per_side: int):
    """Shops grouped by grid cell the plain way: {(column, row): [positions]} at zoom z."""
    to_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    side = (1 << z) * cells_per_side
    for position, (x, y) in enumerate(zip(*to_3857.transform(lon, lat))):
        unit_x = (x + HALF_WORLD_M) / (2 * HALF_WORLD_M)
        unit_y = (HALF_WORLD_M - y) / (2 * HALF_WORLD_M)
        groups[(math.floor(unit_x * side), math.floor(unit_y * side))].append(position)
    return groups


def every_tile(pyramid: ClusterPyramid, z: int, lon, lat, max_features: int = 512):
    """{(x, y): TilePoints} of every tile at zoom z that holds a shop."""
    x, y = mercator_unit(lon, lat)
    tiles = {(int(tx), int(ty)) for tx, ty in zip(np.floor(x * (1 << z)), np.floor(y * (1 << z)))}
    return {tile: pyramid.tile(z, *tile, max_features) for tile in tiles}


def test_mercator_unit_is_pyprojs_web_mercator():
    lon, lat = korea(500)
    x, y = mercator_unit(lon, lat)
    to_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    mx, my = to_3857.transform(lon, lat)
    assert np.allclose(x, (mx + HALF_WORLD_M) / (2 * HALF_WORLD_M), atol=1e-12, rtol=0)
    assert np.allclose(y, (HALF_WORLD_M - my) / (2 * HALF_WORLD_M), atol=1e-12, rtol=0)
    assert mercator_unit(np.array([-180.0]), np.array([0.0])) == (0.0, 0.5)


@given(st.integers(0, 2**CODE_LEVEL - 1), st.integers(0, 2**CODE_LEVEL - 1))
def test_a_code_shifted_by_two_bits_is_the_parent_cell(column, row):
    code = int(morton(column, row))
    assert int(morton(column >> 1, row >> 1)) == code >> 2
    # the bits interleave: column on the even bits, row on the odd ones
    assert sum(((code >> (2 * i)) & 1) << i for i in range(CODE_LEVEL)) == column
    assert sum(((code >> (2 * i + 1)) & 1) << i for i in range(CODE_LEVEL)) == row


@pytest.mark.parametrize("z", range(MIN_ZOOM, INDIVIDUAL_ZOOM))
def test_clusters_are_the_grid_cells_with_the_mean_of_their_shops(z):
    lon, lat = korea(3000)
    pyramid = ClusterPyramid(lon, lat)
    expected = reference_cells(lon, lat, z, CELLS_PER_SIDE)
    x, y = mercator_unit(lon, lat)
    found = {}
    for (tx, ty), points in every_tile(pyramid, z, lon, lat).items():
        assert len(points) <= MAX_CLUSTERS_PER_TILE
        side = 1 << z
        # every point lies in its own tile, so no shop is drawn twice across tiles
        assert np.all(np.floor(points.x * side) == tx) and np.all(np.floor(points.y * side) == ty)
        for px, py, count, position in zip(points.x, points.y, points.count, points.position):
            cell = (math.floor(px * side * CELLS_PER_SIDE), math.floor(py * side * CELLS_PER_SIDE))
            found[cell] = (px, py, int(count), int(position))
    assert set(found) == set(expected)
    for cell, members in expected.items():
        px, py, count, position = found[cell]
        assert count == len(members)
        assert position in members
        assert px == pytest.approx(x[members].mean(), abs=1e-12)
        assert py == pytest.approx(y[members].mean(), abs=1e-12)
    assert sum(value[2] for value in found.values()) == len(lon)


@pytest.mark.parametrize("z", range(INDIVIDUAL_ZOOM, MAX_ZOOM + 1))
def test_from_the_individual_zoom_every_shop_is_in_exactly_one_tile(z):
    lon, lat = korea(2000)
    lon[1], lat[1] = lon[0], lat[0]  # two shops on the exact same spot
    pyramid = ClusterPyramid(lon, lat)
    x, y = mercator_unit(lon, lat)
    seen: list[int] = []
    for (tx, ty), points in every_tile(pyramid, z, lon, lat, max_features=10**6).items():
        assert np.all(points.count == 1)
        seen.extend(points.position.tolist())
        assert np.array_equal(points.x, x[points.position]) and np.array_equal(points.y, y[points.position])
        assert np.all(np.floor(points.x * (1 << z)) == tx) and np.all(np.floor(points.y * (1 << z)) == ty)
    assert sorted(seen) == list(range(len(lon)))


def test_a_tile_over_the_cap_is_clustered_even_at_the_deepest_zoom():
    rng = np.random.default_rng(3)
    lon = np.concatenate((np.full(5000, 126.9780), 126.9780 + rng.uniform(0, 0.0005, 700)))
    lat = np.concatenate((np.full(5000, 37.5665), 37.5665 + rng.uniform(0, 0.0005, 700)))
    pyramid = ClusterPyramid(lon, lat)
    x, y = mercator_unit(lon[:1], lat[:1])
    tile = (int(x[0] * 2**MAX_ZOOM), int(y[0] * 2**MAX_ZOOM))
    points = pyramid.tile(MAX_ZOOM, *tile, 512)
    inside = sum(1 for px, py in zip(*mercator_unit(lon, lat))
                 if (int(px * 2**MAX_ZOOM), int(py * 2**MAX_ZOOM)) == tile)
    assert inside > 512
    assert len(points) <= MAX_CLUSTERS_PER_TILE
    assert int(points.count.sum()) == inside
    assert int(points.count.max()) >= 5000  # the pile on one spot is one cluster
    # the same tile under a cap it fits in lists every shop
    assert len(pyramid.tile(MAX_ZOOM, *tile, 10**6)) == inside


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(124.5, 132.0), st.floats(33.0, 38.7)), min_size=1, max_size=60),
       st.integers(MIN_ZOOM, MAX_ZOOM))
def test_counts_always_add_up_to_the_shops(positions, z):
    lon = np.array([p[0] for p in positions])
    lat = np.array([p[1] for p in positions])
    pyramid = ClusterPyramid(lon, lat)
    tiles = every_tile(pyramid, z, lon, lat, max_features=MAX_CLUSTERS_PER_TILE)
    assert sum(int(points.count.sum()) for points in tiles.values()) == len(positions)


def test_a_tile_outside_the_data_is_empty_and_bad_zooms_are_refused():
    pyramid = ClusterPyramid(*korea(100))
    assert len(pyramid.tile(5, 0, 0, 512)) == 0
    with pytest.raises(ValueError):
        pyramid.tile(MAX_ZOOM + 1, 0, 0, 512)
    with pytest.raises(ValueError):
        pyramid.tile(10, 0, 0, MAX_CLUSTERS_PER_TILE - 1)  # a cap a full grid of clusters would break
    empty = ClusterPyramid(np.zeros(0), np.zeros(0))
    assert len(empty.tile(5, 27, 12, 512)) == 0 and len(empty.tile(16, 0, 0, 512)) == 0
