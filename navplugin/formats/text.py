"""What the POI file formats (GPX, KML, CSV) share: safe XML text, and a shop in one line.

XML is written as text pieces so an export streams; every value goes through
``xml.sax.saxutils`` escaping, after dropping the characters XML 1.0 cannot
carry at all (control characters, lone surrogates), which no escaping can save.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterator, Mapping, Sequence
from xml.sax.saxutils import escape

from ..accuracy import is_approximate
from ..model import QueryResult, Store
from .common import MEASURE_FORMATS

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Characters outside XML 1.0's Char production: C0 controls other than tab, LF, CR; surrogates; U+FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Attribute values are whitespace-normalised by parsers unless tab, LF and CR are written as references.
_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


def xml_text(value: Any) -> str:
    """``value`` as XML character data (``&``, ``<``, ``>`` escaped; CR kept as a reference)."""
    return escape(_NOT_XML.sub("", str(value)), {"\r": "&#13;"})


def xml_attribute(value: Any) -> str:
    """``value`` as a double-quoted XML attribute value, quotes included."""
    return '"' + escape(_NOT_XML.sub("", str(value)), _ATTRIBUTE_ENTITIES) + '"'


def measure_text(name: str, value: float | None) -> str | None:
    """A measure as every format writes it (``MEASURE_FORMATS``); None when missing or not a number."""
    if value is None or not math.isfinite(value):
        return None
    return MEASURE_FORMATS.get(name, "%s") % value


def _distance(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def describe(store: Store, measures: Mapping[str, float] | None = None) -> str:
    """The shop in one line for a device's POI description: what a driver reads before choosing it."""
    parts = [store.address, store.phone, store.category]
    if store.certified_year is not None:
        parts.append(f"백년가게 {store.certified_year} 인증")
    if store.founded_year is not None:
        parts.append(f"{store.founded_year} 창업")
    radius = store.accuracy_m
    # How far the point may be from the door (95 %); an approximate one says so first.
    parts.append(f"{'위치 근사 ' if is_approximate(radius) else '위치 '}±{_distance(radius)}")
    measures = measures or {}
    distance = measures.get("distance_m")
    if distance is not None and math.isfinite(distance):
        parts.append(f"거리 {_distance(distance)}")
    along = measures.get("distance_along_m")
    if along is not None and math.isfinite(along):
        parts.append(f"경로상 {_distance(along)}")
    return " · ".join(str(part) for part in parts if part not in (None, ""))


def shop_measures(result: QueryResult) -> Iterator[tuple[Store, dict[str, float]]]:
    """Each shop with its own measures by name (an empty dict when the query computed none)."""
    names = list(result.measures)
    columns: Sequence[Sequence[float]] = [result.measures[name] for name in names]
    for store, *values in zip(result.stores, *columns):
        yield store, dict(zip(names, values))
