"""Use cases of the navigation API: parse a request's parameters, ask the index, shape the result.

Parsers take a plain mapping of query parameters, so they are tested
without Flask; every failure names its parameter.
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import BadParameter, NotFound
from .model import QueryResult, Region, Store
from .addresses import normalize_address
from .spatial.crs import CRS_NAMES, normalize_crs, project, unproject
from .spatial.index import StoreIndex, category_key


def _text(args: Mapping[str, str], name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def number(args: Mapping[str, str], name: str, low: float, high: float,
           default: float | None = None) -> float:
    """A finite number in [low, high]; a missing value takes the default or is an error."""
    raw = _text(args, name)
    if raw is None:
        if default is None:
            raise BadParameter(name, f"{_number_rule(name, low, high)}; it is required")
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadParameter(name, f"{_number_rule(name, low, high)}, got {raw!r}") from None
    if not low <= value <= high or not math.isfinite(value):
        raise BadParameter(name, f"{_number_rule(name, low, high)}, got {raw!r}")
    return value


def _number_rule(name: str, low: float, high: float) -> str:
    return f"Parameter '{name}' must be a number between {low:g} and {high:g}"


def integer(args: Mapping[str, str], name: str, low: int, high: int, default: int) -> int:
    raw = _text(args, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise BadParameter(name, f"Parameter '{name}' must be a whole number between {low} and {high}, got {raw!r}")
    return value


def choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    raw = _text(args, name)
    if raw is None:
        return default
    value = raw.lower()
    if value not in allowed:
        raise BadParameter(name, f"Parameter '{name}' must be one of {', '.join(allowed)}, got {raw!r}")
    return value


def flag(args: Mapping[str, str], name: str) -> bool:
    return choice(args, name, ("true", "false", "1", "0", "yes", "no"), "false") in {"true", "1", "yes"}


@dataclass(frozen=True, slots=True)
class NearbyQuery:
    lat: float
    lon: float
    radius_m: float
    limit: int
    category: str | None


def parse_nearby(args: Mapping[str, str], settings: Mapping[str, Any]) -> NearbyQuery:
    lat, lon = parse_position(args)
    return NearbyQuery(
        lat=lat,
        lon=lon,
        radius_m=number(args, "radius", 1, settings["NEARBY_MAX_RADIUS_M"],
                        default=settings["NEARBY_DEFAULT_RADIUS_M"]),
        limit=integer(args, "limit", 1, settings["MAX_LIMIT"], settings["DEFAULT_LIMIT"]),
        category=_text(args, "category"),
    )


def parse_position(args: Mapping[str, str]) -> tuple[float, float]:
    """(lat, lon) of a request: ``lat``/``lon`` in WGS84, or ``x``/``y`` in the ``crs`` given."""
    if _text(args, "x") is None and _text(args, "y") is None:
        return number(args, "lat", -90, 90), number(args, "lon", -180, 180)
    crs = parse_crs(args, required=True)
    x = number(args, "x", -1e8, 1e8)
    y = number(args, "y", -1e8, 1e8)
    lons, lats = unproject([x], [y], crs)
    lon, lat = float(lons[0]), float(lats[0])
    if not (math.isfinite(lon) and math.isfinite(lat) and -90 <= lat <= 90):
        raise BadParameter("x", f"Parameters 'x', 'y' are not a position in {crs}")
    return lat, lon


def parse_crs(args: Mapping[str, str], required: bool = False) -> str | None:
    raw = _text(args, "crs")
    if raw is None:
        if required:
            raise BadParameter("crs", f"Parameter 'crs' is required with 'x' and 'y'; one of {', '.join(CRS_NAMES)}")
        return None
    try:
        return normalize_crs(raw)
    except ValueError:
        raise BadParameter("crs", f"Parameter 'crs' must be one of {', '.join(CRS_NAMES)}, got {raw!r}") from None


def with_coordinates(result: QueryResult, crs: str | None) -> QueryResult:
    """Add each shop's ``x``, ``y`` in a Korean navigation coordinate system, when asked for."""
    if crs is None or not result.stores:
        return result
    xs, ys = project([s.lon for s in result.stores], [s.lat for s in result.stores], crs)
    measures = {**result.measures, "x": xs.tolist(), "y": ys.tolist()}
    return QueryResult(result.dataset_version, result.stores, measures, result.next_cursor)


def nearby(index: StoreIndex, query: NearbyQuery) -> QueryResult:
    return index.nearby(lat=query.lat, lon=query.lon, radius_m=query.radius_m, limit=query.limit,
                        category=query.category)


def store_detail(index: StoreIndex, store_id: str) -> Store:
    store = index.get(store_id)
    if store is None:
        raise NotFound(f"no certified store with id {store_id!r} in dataset version {index.version}")
    return store


def region_at(lookup: Any, lon: float, lat: float) -> Region:
    region = lookup.lookup(lon, lat)
    if region is None:
        raise NotFound(f"no South Korean district contains lat={lat:g}, lon={lon:g} (at sea or abroad)")
    return region


# Viewports: South Korea's extent, and the largest map view a client may ask for at once.
KOREA_EXTENT = (124.0, 32.8, 132.2, 39.0)
MAX_BBOX_DEGREES = 2.0


@dataclass(frozen=True, slots=True)
class ViewportQuery:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    limit: int
    cursor: str | None
    category: str | None


def parse_viewport(args: Mapping[str, str], settings: Mapping[str, Any]) -> ViewportQuery:
    raw = _text(args, "bbox")
    rule = "Parameter 'bbox' must be minLon,minLat,maxLon,maxLat in WGS84 degrees"
    if raw is None:
        raise BadParameter("bbox", f"{rule}; it is required")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in raw.split(","))
    except ValueError:
        raise BadParameter("bbox", f"{rule}, got {raw!r}") from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise BadParameter("bbox", f"{rule}, got {raw!r}")
    if min_lon > max_lon or min_lat > max_lat:
        raise BadParameter("bbox", f"Parameter 'bbox' has its minimum above its maximum: {raw!r}")
    k_min_lon, k_min_lat, k_max_lon, k_max_lat = KOREA_EXTENT
    if max_lon < k_min_lon or min_lon > k_max_lon or max_lat < k_min_lat or min_lat > k_max_lat:
        raise BadParameter("bbox", f"Parameter 'bbox' lies outside South Korea ({raw!r})")
    if max_lon - min_lon > MAX_BBOX_DEGREES or max_lat - min_lat > MAX_BBOX_DEGREES:
        raise BadParameter("bbox", f"Parameter 'bbox' may span at most {MAX_BBOX_DEGREES:g} degrees each way; "
                                   f"zoom in or use /v1/stores/export for everything")
    cursor = _text(args, "cursor")
    return ViewportQuery(min_lon, min_lat, max_lon, max_lat,
                         integer(args, "limit", 1, settings["MAX_LIMIT"], settings["DEFAULT_LIMIT"]),
                         decode_cursor(cursor) if cursor else None, _text(args, "category"))


def encode_cursor(store_id: str) -> str:
    return base64.urlsafe_b64encode(store_id.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise BadParameter("cursor", "Parameter 'cursor' must be a value from a previous page's next link") from None


def viewport(index: StoreIndex, query: ViewportQuery) -> QueryResult:
    """Shops in the box in id order, a page at a time: ids, unlike positions, survive a new version."""
    positions = index.in_bbox(query.min_lon, query.min_lat, query.max_lon, query.max_lat, query.category,
                              after_id=query.cursor)
    page = positions[:query.limit]
    stores = [index.stores[p] for p in page.tolist()]
    next_cursor = encode_cursor(stores[-1].id) if len(positions) > query.limit else None
    return QueryResult(index.version, stores, {}, next_cursor)


@dataclass(frozen=True, slots=True)
class ExportQuery:
    category: str | None
    region: str | None


def parse_export(args: Mapping[str, str]) -> ExportQuery:
    return ExportQuery(category=_text(args, "category"), region=_text(args, "region"))


def export(index: StoreIndex, query: ExportQuery) -> QueryResult:
    """The whole live list (a POI pack), optionally one category or one region (시도 or 시도 시군구)."""
    stores: Any = index.stores
    if query.category is not None:
        wanted = category_key(query.category)
        stores = [s for s in stores if category_key(s.category) == wanted]
    if query.region is not None:
        prefix = normalize_address(query.region)
        stores = [s for s in stores if normalize_address(s.address or s.jibun_address or "").startswith(prefix)]
    return QueryResult(index.version, stores, {})


def parse_along_route(body: Mapping[str, Any], settings: Mapping[str, Any]) -> tuple[float, int, str | None]:
    """(width_m, limit, category) of an along-route request body (JSON numbers or strings)."""
    args = {name: str(body[name]) for name in ("width", "limit", "category") if body.get(name) is not None}
    width = number(args, "width", 1, settings["ROUTE_MAX_WIDTH_M"], default=settings["ROUTE_DEFAULT_WIDTH_M"])
    limit = integer(args, "limit", 1, settings["MAX_LIMIT"], settings["DEFAULT_LIMIT"])
    return width, limit, _text(args, "category")


def route_lonlat(body: Mapping[str, Any]) -> Any:
    """The route of an along-route body as (lon, lat) points; ``crs`` converts projected x/y first."""
    from .spatial.route import parse_route

    if body.get("crs") is None:
        return parse_route(body)
    crs = parse_crs({"crs": str(body["crs"])}, required=True)
    points = body.get("coordinates")
    if not isinstance(points, list) or not all(isinstance(p, (list, tuple)) and len(p) >= 2 for p in points):
        raise BadParameter("route", "With 'crs', send the route as \"coordinates\": [[x, y], ...] in that system")
    try:
        lons, lats = unproject([float(p[0]) for p in points], [float(p[1]) for p in points], crs)
    except (TypeError, ValueError):
        raise BadParameter("route", "Parameter 'route' coordinates must be numbers") from None
    return parse_route({"coordinates": [[float(x), float(y)] for x, y in zip(lons, lats)]})
