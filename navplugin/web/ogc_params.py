"""Request text -> the OGC service's typed values; every failure a 400 naming its parameter.

Each resource takes a fixed set of query parameters and refuses any other
with 400, as OGC API - Features Part 1 requires (/req/core/query-param-unknown):
a misspelt ``bbox`` must not quietly answer with every shop. Parsers take
plain mappings, like ``web.params`` (whose number and text rules they reuse),
so they are tested without Flask.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Mapping

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ..errors import BadParameter
from ..ogc import CRS84, DEFAULT_LIMIT, MAX_LIMIT, OFFERED, ItemsQuery
from ..ogc.documents import HTML, REPRESENTATIONS
from . import params

# The query parameters of each kind of resource.
DOCUMENT_PARAMETERS = ("f",)
ITEMS_PARAMETERS = ("f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime")
ITEM_PARAMETERS = ("f", "crs")

_SHOWN = 40  # characters of a bad value or name quoted back


def _shown(raw: str) -> str:
    return raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "…"


def only(args: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    """Refuse a query parameter the resource does not take."""
    for name in args:
        if name not in allowed:
            shown = _shown(name)
            raise BadParameter(shown, f"Parameter '{shown}' is not one this resource takes; "
                                      f"it takes {', '.join(allowed)}")


def representation(args: Mapping[str, str], accept: str | None, json_type: str) -> str:
    """``json`` or ``html``: ``f`` when given, else the better of the two by ``Accept``, else ``json``."""
    chosen = params.choice(args, "f", REPRESENTATIONS, None)
    if chosen is not None:
        return chosen
    if not accept:
        return "json"
    best = parse_accept_header(accept, MIMEAccept).best_match([json_type, HTML])
    return "html" if best == HTML else "json"


def crs_uri(args: Mapping[str, str], name: str) -> str:
    """``crs`` or ``bbox-crs``: one of the CRS URIs offered; CRS84 when not given."""
    raw = params.text(args, name)
    if raw is None:
        return CRS84
    if raw not in OFFERED:
        raise BadParameter(name, f"Parameter '{name}' must be one of the CRS URIs {', '.join(OFFERED)}; "
                                 f"got {_shown(raw)!r}")
    return raw


def limit(args: Mapping[str, str]) -> int:
    """At least 1; more than ``MAX_LIMIT`` is served as ``MAX_LIMIT``, as Part 1 says (not an error)."""
    raw = params.text(args, "limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 30) or int(raw) < 1:
        raise BadParameter("limit", f"Parameter 'limit' must be a whole number of at least 1 (pages hold at most "
                                    f"{MAX_LIMIT}), got {_shown(raw)!r}")
    return min(int(raw), MAX_LIMIT)


def bbox(args: Mapping[str, str], uri: str) -> tuple[float, float, float, float] | None:
    """Four numbers, lower corner then upper corner, in ``uri``'s axis order (CRS84: lon, lat)."""
    raw = params.text(args, "bbox")
    if raw is None:
        return None
    order = "minLon,minLat,maxLon,maxLat" if uri == CRS84 else "the lower corner then the upper corner, each " \
                                                               "in the axis order of 'bbox-crs'"
    values = [params.decimal(part.strip()) for part in raw.split(",")]
    if any(value is None for value in values) or len(values) not in (4, 6):
        raise BadParameter("bbox", f"Parameter 'bbox' must be four numbers, {order}; got {_shown(raw)!r}")
    if len(values) == 6:
        raise BadParameter("bbox", "Parameter 'bbox' must have four numbers: the shops have no heights, "
                                   f"so a six-number (3D) box is not taken; got {_shown(raw)!r}")
    low_1, low_2, high_1, high_2 = values
    if uri == CRS84:
        if not (-180 <= low_1 <= 180 and -180 <= high_1 <= 180 and -90 <= low_2 <= 90 and -90 <= high_2 <= 90):
            raise BadParameter("bbox", f"Parameter 'bbox' must be {order} within -180..180 and -90..90; "
                                       f"got {_shown(raw)!r}")
        if low_2 > high_2:  # a lower longitude above the upper one is a box across the antimeridian
            raise BadParameter("bbox", f"Parameter 'bbox' has its minimum latitude above its maximum: {_shown(raw)!r}")
    elif low_1 > high_1 or low_2 > high_2:
        raise BadParameter("bbox", f"Parameter 'bbox' has a minimum above its maximum: {_shown(raw)!r}")
    return low_1, low_2, high_1, high_2


# RFC 3339 date-time (5.6), or a full-date alone (taken as midnight UTC).
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                      r"(?:[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2}))?")
_OPEN = ("", "..")


def _instant(raw: str, text: str) -> dt.datetime:
    rule = ("Parameter 'datetime' must be an RFC 3339 date-time or an interval 'start/end' with '..' for an "
            f"open end; got {_shown(text)!r}")
    if not _INSTANT.fullmatch(raw):
        raise BadParameter("datetime", rule)
    try:
        value = dt.datetime.fromisoformat(raw.upper())  # the pattern above keeps out what RFC 3339 does not allow
    except ValueError:  # a day or hour that does not exist
        raise BadParameter("datetime", rule) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def datetime(args: Mapping[str, str]) -> str | None:
    """A checked ``datetime``: no shop has a time, so every shop matches (Part 1); a bad value is still a 400."""
    raw = params.text(args, "datetime")
    if raw is None:
        return None
    ends = raw.split("/")
    if len(ends) == 1:
        _instant(raw, raw)
        return raw
    if len(ends) != 2 or (ends[0] in _OPEN and ends[1] in _OPEN):
        raise BadParameter("datetime", "Parameter 'datetime' must be an instant or an interval with at least "
                                       f"one bounded end; got {_shown(raw)!r}")
    start, end = (None if part in _OPEN else _instant(part, raw) for part in ends)
    if start is not None and end is not None and start > end:
        raise BadParameter("datetime", f"Parameter 'datetime' starts after it ends: {_shown(raw)!r}")
    return raw


def items(args: Mapping[str, str]) -> ItemsQuery:
    bbox_crs = crs_uri(args, "bbox-crs")
    return ItemsQuery(limit=limit(args), offset=params.integer(args, "offset", 0, params.DB_INT_MAX, 0),
                      bbox=bbox(args, bbox_crs), bbox_crs=bbox_crs, crs=crs_uri(args, "crs"),
                      datetime=datetime(args))
