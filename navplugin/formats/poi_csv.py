"""Garmin POI Loader CSV: ``longitude,latitude,"name","description"``, no header, one POI per line.

UTF-8, WGS84 decimal degrees to 7 decimals. Text goes through the ``csv``
module (every text cell quoted, quotes doubled). Line breaks inside a value
become spaces, since POI Loader reads one POI per line. A text cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or CR) gets a leading ``'``; the two coordinate cells are numbers and
are never altered.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterator, Mapping

from ..model import QueryResult, Store
from .common import COORDINATE_DECIMALS, RenderCache
from .text import describe, shop_measures

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")


def neutralise(text: str) -> str:
    """``text`` made inert for spreadsheets (OWASP CSV injection): a formula-like start gets a leading quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(text: str) -> str:
    # A leading CR is a formula start; neutralise before line breaks are folded into spaces.
    return _LINE_BREAKS.sub(" ", neutralise(text))


class _Line:
    """One reusable csv writer whose output is taken line by line."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")

    def __call__(self, *cells: str) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue()


def _position(store: Store) -> str:
    digits = COORDINATE_DECIMALS
    return f"{store.lon:.{digits}f},{store.lat:.{digits}f},"


_positions = RenderCache(_position)


def stream(result: QueryResult, options: Mapping[str, Any] | None = None) -> Iterator[str]:
    """One line per shop; no header, since POI Loader would read one as a POI."""
    line = _Line()  # per call: a csv writer and its buffer are not shared between threads
    for store, measures in shop_measures(result):
        yield _positions(store) + line(_cell(store.name), _cell(describe(store, measures)))


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    return "".join(stream(result, options))
