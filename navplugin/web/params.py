"""Request text -> typed query values: every parameter of every route checked once, here.

Query strings and JSON bodies come in; ``query.NearbyQuery``, ``RouteQuery``,
a correction's fields and the like go out. The core below never sees request
text. Every failure is a ``BadParameter`` naming its parameter, in the words
of Nominatim's parsers: "Parameter 'lat' must be a number between -90 and 90".
Parsers take plain mappings, so they are tested without Flask; only
``query_args`` and ``json_body`` read Flask's request.
"""
from __future__ import annotations

import base64
import json
import math
import re
from typing import Any, Mapping

import numpy as np
from flask import request
from werkzeug.exceptions import NotFound as RoutingNotFound
from werkzeug.routing import IntegerConverter

from .. import query
from ..errors import BadParameter, NotFound, PayloadTooLarge
from ..ingest.validate import FIRST_FOUNDED_YEAR, LAT_RANGE, LON_RANGE, this_year
from ..accuracy import MAX_ACCURACY_M
from ..model import SHOP_FIELDS
from ..search.hangul import normalize
from ..spatial.crs import CRS_NAMES, normalize_crs, unproject
from .polyline import PRECISIONS, decode_polyline
from ..spatial.route import checked_route

# -- reading the request -----------------------------------------------------------------------


def query_args() -> Mapping[str, str]:
    """The query parameters, the first value of each name: what ``request.args.get`` answers.

    A plain query string (ASCII, nothing percent- or plus-encoded), as navigation
    apps send, is split directly into a dict; anything else is Werkzeug's parse.
    """
    args = plain_args(request.environ.get("QUERY_STRING", ""))
    return request.args if args is None else args


def plain_args(raw: str) -> dict[str, str] | None:
    """A plain query string (ASCII, nothing percent- or plus-encoded) as a dict, first value of each name;
    None for any other, which needs Werkzeug's parse."""
    if "%" in raw or "+" in raw or not raw.isascii():
        return None
    args: dict[str, str] = {}
    for pair in raw.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            args.setdefault(name, value)
    return args


MAX_JSON_DEPTH = 32  # a route is [[lon, lat], ...] in a GeoJSON Feature: depth 5; a correction: 1


def json_body(limit: int) -> Any:
    """The request's JSON, refused when its body is over ``limit`` bytes however it arrives.

    The app's body limit is sized for list uploads; a JSON body that size would
    cost far more memory to parse than any route or correction needs. A body
    sent chunked, without a Content-Length, is read only up to the limit.
    None when the body is not JSON (its media type or its text).
    """
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"the JSON body is limited to {limit} bytes")
    if not request.is_json:
        return None
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the JSON body is limited to {limit} bytes")
    return parse_json(data)


def parse_json(data: bytes) -> Any:
    """JSON text as values, refused when it nests deeper than ``MAX_JSON_DEPTH``; None when it is not JSON."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadParameter("body", f"The request body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        return None
    level, todo = 0, [value]
    while todo:  # breadth first: a level at a time
        level += 1
        if level > MAX_JSON_DEPTH:
            raise BadParameter("body", f"The request body nests deeper than {MAX_JSON_DEPTH} levels")
        todo = [child for node in todo if isinstance(node, (dict, list))
                for child in (node.values() if isinstance(node, dict) else node)
                if isinstance(child, (dict, list))]
    return value


# -- single values -----------------------------------------------------------------------------

# The largest id or version the database holds (PostgreSQL INTEGER); a larger one names nothing there.
DB_INT_MAX = 2**31 - 1
# Numbers as ASCII text only: Python's float() and int() would also take '1_000', 'inf', '٣' and '３'.
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?")
# C0 and C1 control characters (tabs and line breaks included): never part of a parameter's text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def text(args: Mapping[str, str], name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    value = value.strip()
    if _CONTROL.search(value):
        raise BadParameter(name, f"Parameter '{name}' must not contain control characters")
    return value or None


def _number_rule(name: str, low: float, high: float) -> str:
    return f"Parameter '{name}' must be a number between {low:g} and {high:g}"


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def decimal(raw: str) -> float | None:
    """ASCII decimal text as a finite float, or None."""
    if not _DECIMAL.fullmatch(raw):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def number(args: Mapping[str, str], name: str, low: float, high: float, default: float | None = None) -> float:
    """A finite number in [low, high], in ASCII digits; a missing value takes the default or is an error."""
    raw = text(args, name)
    if raw is None:
        if default is None:
            raise BadParameter(name, f"{_number_rule(name, low, high)}; it is required")
        return default
    value = decimal(raw)
    if value is None or not low <= value <= high:
        raise BadParameter(name, f"{_number_rule(name, low, high)}, got {_shown(raw)}")
    return value


def max_accuracy(args: Mapping[str, str]) -> float | None:
    """``max_accuracy_m``: only shops whose radius (``accuracy_m``) is at most this many metres; absent: all."""
    if text(args, "max_accuracy_m") is None:
        return None
    return number(args, "max_accuracy_m", 1, MAX_ACCURACY_M)


def integer(args: Mapping[str, str], name: str, low: int, high: int, default: int) -> int:
    """A whole number in [low, high], in ASCII digits; ``high`` is never past what the database holds."""
    raw = text(args, name)
    if raw is None:
        return default
    value = int(raw) if _INTEGER.fullmatch(raw) else None
    if value is None or not low <= value <= high:
        raise BadParameter(name, f"Parameter '{name}' must be a whole number between {low} and {high}, "
                                 f"got {_shown(raw)}")
    return value


class DatabaseId(IntegerConverter):
    """``<id:name>`` in a route: ASCII digits naming a row the database can hold, else 404 (no such row)."""

    regex = r"[0-9]{1,12}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= DB_INT_MAX:
            # Not ValidationError: werkzeug would go on to other rules and answer 405 for a PATCH or POST.
            raise RoutingNotFound()
        return number


def store_id(raw: str) -> str:
    """A shop id from a path; one no stored id can be (too long, control characters) names no shop: 404."""
    if len(raw) > MAX_STORE_ID or _CONTROL.search(raw):
        raise NotFound(f"no shop has this id: ids are text of at most {MAX_STORE_ID} characters, "
                       "without control characters")
    return raw


def choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    raw = text(args, name)
    if raw is None:
        return default
    value = raw.lower()
    if value not in allowed:
        raise BadParameter(name, f"Parameter '{name}' must be one of {', '.join(allowed)}, got {raw!r}")
    return value


def flag(args: Mapping[str, str], name: str) -> bool:
    return choice(args, name, ("true", "false", "1", "0", "yes", "no"), "false") in {"true", "1", "yes"}


# -- positions and coordinate systems ------------------------------------------------------------


def crs(args: Mapping[str, str], required: bool = False) -> str | None:
    raw = text(args, "crs")
    if raw is None:
        if required:
            raise BadParameter("crs", f"Parameter 'crs' is required with 'x' and 'y'; one of {', '.join(CRS_NAMES)}")
        return None
    try:
        return normalize_crs(raw)
    except ValueError:
        raise BadParameter("crs", f"Parameter 'crs' must be one of {', '.join(CRS_NAMES)}, got {raw!r}") from None


def position(args: Mapping[str, str]) -> tuple[float, float]:
    """(lat, lon) of a request: ``lat``/``lon`` in WGS84, or ``x``/``y`` in the ``crs`` given."""
    if text(args, "x") is None and text(args, "y") is None:
        return number(args, "lat", -90, 90), number(args, "lon", -180, 180)
    system = crs(args, required=True)
    x = number(args, "x", -1e8, 1e8)
    y = number(args, "y", -1e8, 1e8)
    lons, lats = unproject([x], [y], system)
    lon, lat = float(lons[0]), float(lats[0])
    if not (math.isfinite(lon) and math.isfinite(lat) and -90 <= lat <= 90):
        raise BadParameter("x", f"Parameters 'x', 'y' are not a position in {system}")
    return lat, lon


# -- list queries ------------------------------------------------------------------------------


def _limit(args: Mapping[str, str], settings: Mapping[str, Any]) -> int:
    return integer(args, "limit", 1, settings["MAX_LIMIT"], settings["DEFAULT_LIMIT"])


def nearby(args: Mapping[str, str], settings: Mapping[str, Any]) -> query.NearbyQuery:
    lat, lon = position(args)
    return query.NearbyQuery(
        lat=lat,
        lon=lon,
        radius_m=number(args, "radius", 1, settings["NEARBY_MAX_RADIUS_M"], default=settings["NEARBY_DEFAULT_RADIUS_M"]),
        limit=_limit(args, settings),
        category=text(args, "category"),
        text=search_text(args),
        max_accuracy_m=max_accuracy(args),
    )


# -- text: ``q`` of search, and of nearby, viewport and along-route ------------------------------

MAX_QUERY_LENGTH = 100  # characters of ``q``: a shop name with its branch and district is far shorter


def search_text(args: Mapping[str, str], required: bool = False) -> str | None:
    """``q``: what shops are searched or narrowed by (name, 업종, address), the same on every endpoint.

    At most ``MAX_QUERY_LENGTH`` characters, with at least one letter or digit (spaces and
    punctuation alone match nothing); control characters are refused. Absent: None,
    or an error when ``required``.
    """
    raw = args.get("q")
    rule = (f"Parameter 'q' must be the text to search for: 1 to {MAX_QUERY_LENGTH} characters "
            "with at least one letter or digit")
    if raw is None:
        if required:
            raise BadParameter("q", f"{rule}; it is required")
        return None
    if not isinstance(raw, str):
        raise BadParameter("q", f"{rule}, got {type(raw).__name__}")
    value = raw.strip()
    if _CONTROL.search(value):
        raise BadParameter("q", "Parameter 'q' must not contain control characters")
    if len(value) > MAX_QUERY_LENGTH:
        raise BadParameter("q", f"{rule}, got {len(value)} characters")
    if not normalize(value):
        raise BadParameter("q", f"{rule}, got {_shown(raw)}")
    return value


def search(args: Mapping[str, str], settings: Mapping[str, Any]) -> query.SearchQuery:
    """``GET /v1/stores/search``: ``q``, an optional position (``lat``/``lon`` or ``x``/``y``/``crs``),
    ``limit``, ``cursor`` (a previous page's) and ``category``."""
    text_query = search_text(args, required=True)
    lat = lon = None
    if any(text(args, name) is not None for name in ("lat", "lon", "x", "y")):
        lat, lon = position(args)
    cursor = text(args, "cursor")
    return query.SearchQuery(text=text_query, limit=_limit(args, settings),
                             offset=search_offset(cursor) if cursor else 0, lat=lat, lon=lon,
                             category=text(args, "category"), max_accuracy_m=max_accuracy(args))


_SEARCH_CURSOR = re.compile(r"@([0-9]{1,7})")


def search_offset(cursor: str) -> int:
    """How many hits the pages before showed, from a search page's ``next_cursor``."""
    found = _SEARCH_CURSOR.fullmatch(decode_cursor(cursor))
    if found is None or not 0 < int(found.group(1)) < query.SEARCH_MAX_RESULTS:
        raise BadParameter("cursor", "Parameter 'cursor' must be the next_cursor of a previous page of this search")
    return int(found.group(1))


def body_only_in_query_string(args: Mapping[str, str]) -> None:
    """Along-route reads ``q`` and ``max_accuracy_m`` from its JSON body, with ``width``, ``limit`` and
    ``category``: one in the query string is refused rather than silently ignored."""
    for name in ("q", "max_accuracy_m"):
        if name in args:
            raise BadParameter(name, f"Parameter '{name}' of along-route goes in the JSON body, "
                                     "with width, limit and category")


def decode_cursor(cursor: str) -> str:
    """The store id a viewport page's ``next_cursor`` (``query.encode_cursor``) names."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise BadParameter("cursor", "Parameter 'cursor' must be a value from a previous page's next link") from None


def viewport(args: Mapping[str, str], settings: Mapping[str, Any]) -> query.ViewportQuery:
    raw = text(args, "bbox")
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
    k_min_lon, k_min_lat, k_max_lon, k_max_lat = query.KOREA_EXTENT
    if max_lon < k_min_lon or min_lon > k_max_lon or max_lat < k_min_lat or min_lat > k_max_lat:
        raise BadParameter("bbox", f"Parameter 'bbox' lies outside South Korea ({raw!r})")
    widest = query.MAX_BBOX_DEGREES
    if max_lon - min_lon > widest or max_lat - min_lat > widest:
        raise BadParameter("bbox", f"Parameter 'bbox' may span at most {widest:g} degrees each way; "
                                   f"zoom in or use /v1/stores/export for everything")
    cursor = text(args, "cursor")
    return query.ViewportQuery(min_lon, min_lat, max_lon, max_lat, _limit(args, settings),
                               decode_cursor(cursor) if cursor else None, text(args, "category"),
                               search_text(args), max_accuracy(args))


def export(args: Mapping[str, str]) -> query.ExportQuery:
    return query.ExportQuery(category=text(args, "category"), region=text(args, "region"),
                             max_accuracy_m=max_accuracy(args))


# -- along a route (a JSON body) -----------------------------------------------------------------

_ROUTE_KEYS = ("polyline", "geojson", "coordinates")


def route_query(body: Any, settings: Mapping[str, Any]) -> query.RouteQuery:
    """An along-route request body: the route, then ``width``, ``limit``, ``category`` and ``q``."""
    if not isinstance(body, dict):
        raise BadParameter("body", "The request body must be a JSON object: {\"polyline\": ...} or {\"geojson\": ...} "
                                   "or {\"coordinates\": [[lon, lat], ...]}, with width, limit, category, q")
    # JSON numbers or strings, read by the query-string rules
    args = {name: str(body[name]) for name in ("width", "limit", "category", "max_accuracy_m")
            if body.get(name) is not None}
    width = number(args, "width", 1, settings["ROUTE_MAX_WIDTH_M"], default=settings["ROUTE_DEFAULT_WIDTH_M"])
    found = search_text({"q": body["q"]}) if body.get("q") is not None else None  # text only, as in a query string
    return query.RouteQuery(route_lonlat(body), width, _limit(args, settings), text(args, "category"), found,
                            max_accuracy(args))


def route_lonlat(body: Mapping[str, Any]) -> np.ndarray:
    """The route of an along-route body as (lon, lat) points; ``crs`` converts projected x/y first."""
    if body.get("crs") is None:
        return route(body)
    system = crs({"crs": str(body["crs"])}, required=True)
    points = body.get("coordinates")
    if not isinstance(points, list) or not all(isinstance(p, (list, tuple)) and len(p) >= 2 for p in points):
        raise BadParameter("route", "With 'crs', send the route as \"coordinates\": [[x, y], ...] in that system")
    try:
        lons, lats = unproject([float(p[0]) for p in points], [float(p[1]) for p in points], system)
    except (TypeError, ValueError):
        raise BadParameter("route", "Parameter 'route' coordinates must be numbers") from None
    return route({"coordinates": [[float(x), float(y)] for x, y in zip(lons, lats)]})


def route(body: Mapping[str, Any]) -> np.ndarray:
    """The (n, 2) (lon, lat) route of a request body, consecutive duplicates dropped.

    ``body`` holds exactly one of ``polyline`` (with optional ``precision``, 5 or 6),
    ``geojson`` (a LineString, or a Feature of one) or ``coordinates`` ([[lon, lat], ...]).
    """
    if not isinstance(body, Mapping):
        raise BadParameter("route", "The request body must be a JSON object holding the route")
    given = [key for key in _ROUTE_KEYS if body.get(key) is not None]
    if len(given) != 1:
        found = f"got {', '.join(repr(k) for k in given)}" if given else "got none"
        raise BadParameter("route", "The route must be given as exactly one of 'polyline', 'geojson' "
                                    f"or 'coordinates'; {found}")
    key = given[0]
    if body.get("precision") is not None and key != "polyline":
        raise BadParameter("precision", "Parameter 'precision' only applies to a 'polyline' route")
    if key == "polyline":
        points = _from_polyline(body["polyline"], body.get("precision"))
    elif key == "geojson":
        points = _positions(_linestring_coordinates(body["geojson"]), "geojson")
    else:
        points = _positions(body["coordinates"], "coordinates")
    return checked_route(points)


def _precision(raw: Any) -> int:
    if raw is None:
        return 5
    if isinstance(raw, str) and raw.strip() in {"5", "6"}:
        return int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in PRECISIONS:
        return raw
    raise BadParameter("precision", f"Parameter 'precision' must be 5 or 6, got {raw!r}")


def _from_polyline(encoded: Any, raw_precision: Any) -> np.ndarray:
    precision = _precision(raw_precision)
    if not isinstance(encoded, str):
        raise BadParameter("route", f"Route 'polyline' must be a string, got {type(encoded).__name__}")
    try:
        return decode_polyline(encoded.strip(), precision)
    except ValueError as exc:
        raise BadParameter("route", f"Route 'polyline' is not a valid encoded polyline: {exc}") from None


def _linestring_coordinates(geojson: Any) -> Any:
    if isinstance(geojson, Mapping) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, Mapping) or geojson.get("type") != "LineString":
        kind = geojson.get("type") if isinstance(geojson, Mapping) else type(geojson).__name__
        raise BadParameter("route", "Route 'geojson' must be a GeoJSON LineString or a Feature whose "
                                    f"geometry is one, got {kind!r}")
    return geojson.get("coordinates")


def _positions(raw: Any, key: str) -> np.ndarray:
    """[[lon, lat(, alt)], ...] as an (n, 2) float array; altitude, if any, is dropped."""
    if not isinstance(raw, (list, tuple)):
        raise BadParameter("route", f"Route '{key}' coordinates must be a list of [lon, lat] positions")
    points = np.empty((len(raw), 2))
    for i, point in enumerate(raw):
        if (not isinstance(point, (list, tuple)) or not 2 <= len(point) <= 3
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)):
            raise BadParameter("route", f"Route '{key}' position {i} must be [lon, lat] numbers, got {point!r}")
        try:
            points[i] = point[0], point[1]
        except OverflowError:  # an integer too large for a float: no position on earth
            raise BadParameter("route", f"Route '{key}' position {i} is out of range") from None
    return points


# -- an admin's correction (a JSON body) ---------------------------------------------------------

MAX_REASON = 500
MAX_TEXT = 300
TEXT_FIELDS = tuple(f.name for f in SHOP_FIELDS if f.correctable and f.type is str)
YEAR_FIELDS = tuple(f.name for f in SHOP_FIELDS if f.correctable and f.type is int)
POINT_FIELDS = {f.name: LAT_RANGE if f.name.endswith("lat") else LON_RANGE
                for f in SHOP_FIELDS if f.correctable and f.type is float}
EDITABLE_FIELDS = TEXT_FIELDS + YEAR_FIELDS + tuple(POINT_FIELDS)
_MAX_LENGTH = {f.name: f.max_length for f in SHOP_FIELDS}
MAX_STORE_ID = _MAX_LENGTH["id"] or 64


def text_limit(name: str) -> int:
    """The longest text a field takes: its column's width where it has one."""
    length = _MAX_LENGTH.get(name)
    return min(MAX_TEXT, length) if length else MAX_TEXT


def _plain(name: str, value: str) -> str:
    """Text stored as typed: control characters other than line breaks and tabs are refused."""
    if _CONTROL.search(value.replace("\n", " ").replace("\t", " ").replace("\r", " ")):
        raise BadParameter(name, f"Field '{name}' must not contain control characters")
    return value


def reason(body: Mapping[str, Any]) -> str:
    given = body.get("reason")
    if not isinstance(given, str) or not given.strip():
        raise BadParameter("reason", "Field 'reason' is required: say why, for the audit log")
    if len(given) > MAX_REASON:
        raise BadParameter("reason", f"Field 'reason' must be at most {MAX_REASON} characters")
    return _plain("reason", given.strip())


def correction(body: Mapping[str, Any]) -> dict[str, Any]:
    """The corrected fields of a PATCH body, each checked like an uploaded row's."""
    unknown = sorted(set(body) - set(EDITABLE_FIELDS) - {"reason"})
    if unknown:
        raise BadParameter(unknown[0], f"Field '{unknown[0]}' cannot be corrected; "
                                       f"correctable fields: {', '.join(EDITABLE_FIELDS)}")
    fields: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in body:
            value = body[name]
            longest = text_limit(name)
            if value is not None and not isinstance(value, str) or (isinstance(value, str) and len(value) > longest):
                raise BadParameter(name, f"Field '{name}' must be text of at most {longest} characters, or null")
            value = _plain(name, value.strip()) if isinstance(value, str) else None
            if name == "name" and not value:
                raise BadParameter(name, "Field 'name' cannot be empty")
            fields[name] = value or None
    high = this_year()
    for name in YEAR_FIELDS:
        if name in body:
            value = body[name]
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or not FIRST_FOUNDED_YEAR <= value <= high):
                raise BadParameter(name, f"Field '{name}' must be a year between {FIRST_FOUNDED_YEAR} and {high}, "
                                         "or null")
            fields[name] = value
    for name, (low, top) in POINT_FIELDS.items():
        if name in body:
            value = body[name]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= top \
                    or not math.isfinite(value):  # the range first: a huge integer has no float
                raise BadParameter(name, f"Field '{name}' must be a number between {low:g} and {top:g} "
                                         "(inside South Korea)")
            fields[name] = float(value)
    for a, b in (("lat", "lon"), ("entrance_lat", "entrance_lon")):
        if (a in fields) != (b in fields):
            missing = b if a in fields else a
            raise BadParameter(missing, f"Fields '{a}' and '{b}' go together; '{missing}' is missing")
    if not fields:
        raise BadParameter("body", f"The request body must name at least one field to correct: "
                                   f"{', '.join(EDITABLE_FIELDS)}")
    return fields
