"""Use cases of the navigation API: parse a request's parameters, ask the index, shape the result.

Parsers take a plain mapping of query parameters, so they are tested
without Flask; every failure names its parameter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import BadParameter, NotFound
from .model import QueryResult, Region, Store
from .spatial.index import StoreIndex


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
    rule = f"Parameter '{name}' must be a number between {low:g} and {high:g}"
    if raw is None:
        if default is None:
            raise BadParameter(name, f"{rule}; it is required")
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadParameter(name, f"{rule}, got {raw!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadParameter(name, f"{rule}, got {raw!r}")
    return value


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
    return NearbyQuery(
        lat=number(args, "lat", -90, 90),
        lon=number(args, "lon", -180, 180),
        radius_m=number(args, "radius", 1, settings["NEARBY_MAX_RADIUS_M"],
                        default=settings["NEARBY_DEFAULT_RADIUS_M"]),
        limit=integer(args, "limit", 1, settings["MAX_LIMIT"], settings["DEFAULT_LIMIT"]),
        category=_text(args, "category"),
    )


def nearby(index: StoreIndex, query: NearbyQuery) -> QueryResult:
    return index.nearby(lat=query.lat, lon=query.lon, radius_m=query.radius_m, limit=query.limit,
                        category=query.category)


def store_detail(index: StoreIndex, store_id: str) -> Store:
    store = index.get(store_id)
    if store is None:
        raise NotFound(f"no certified store with id {store_id!r} in dataset version {index.version}")
    return store


def parse_point(args: Mapping[str, str]) -> tuple[float, float]:
    """(lon, lat) of a request that names a point."""
    return number(args, "lon", -180, 180), number(args, "lat", -90, 90)


def region_at(lookup: Any, lon: float, lat: float) -> Region:
    region = lookup.lookup(lon, lat)
    if region is None:
        raise NotFound(f"no South Korean district contains lat={lat:g}, lon={lon:g} (at sea or abroad)")
    return region
