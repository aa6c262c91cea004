"""One record of an upload -> a ``ShopRow`` or the findings that reject it, and shop ids.

Findings are addressed the way an admin finds them in the file: the line,
the column header as written, the cell text. Errors reject the row; warnings
(a swapped coordinate pair that was swapped back, a generated id) only inform.

Stable ids
----------
A shop keeps its id across uploads so navigation apps, overrides and diffs
can follow it from one year's list to the next:

* if the file has an id column (접수번호, 관리번호, 고유번호, 업체ID, id, store_id),
  the id is that cell's text, trimmed, with no prefix;
* otherwise (or when that cell is empty) the id is
  ``"bg-" + sha1(clean_text(name).casefold() + "|" + normalize_address(address or jibun_address or ""))``
  as UTF-8, first 16 hex digits. ``normalize_address`` drops parenthesised
  참고항목, writes the 시도 in its current official name (서울 = 서울특별시) and
  folds white space, so the same shop in next year's list gets the same id.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from typing import Iterable

from navplugin.addresses import clean_text, normalize_address
from navplugin.accuracy import MAX_ACCURACY_M
from navplugin.model import LISTED_FIELDS, Point, Problem, ShopRow

from .columns import ColumnMap
from .readers import Record

LOGGER = logging.getLogger(__name__)

KST = dt.timezone(dt.timedelta(hours=9))
FIRST_CERTIFIED_YEAR = 2018  # the 백년가게 programme started in 2018
FIRST_FOUNDED_YEAR = 1800
LAT_RANGE = (33.0, 38.7)  # South Korea with Jeju (33.1) and the DMZ
LON_RANGE = (124.5, 132.0)  # Baengnyeongdo (124.6) to Dokdo (131.87)
# Text that must fit its stored column (the id, the phone): longer is a row error, never a database error.
MAX_LENGTHS = {field.name: field.max_length for field in LISTED_FIELDS if field.max_length}
PROJECTED_ABOVE = 360.0  # degrees never exceed this; TM/UTM-K metres always do

# Every problem text the row checks produce; the admin UI and tests rely on them.
E_NAME_REQUIRED = "name is required"
E_NO_LOCATION = "address or coordinates required"
E_NOT_A_YEAR = "not a year"
E_YEAR_RANGE = "year must be between {low} and {high}"
E_FOUNDED_AFTER_CERTIFIED = "founded year {founded} is after certified year {certified}"
E_NOT_A_NUMBER = "not a number"
E_ACCURACY_RANGE = "accuracy must be a radius in metres, above 0 and at most {high}"
W_ACCURACY_WITHOUT_POINT = "accuracy given without coordinates; ignored"
E_LAT_WITHOUT_LON = "latitude given without longitude"
E_LON_WITHOUT_LAT = "longitude given without latitude"
E_LAT_OUTSIDE = "latitude outside South Korea ({low}..{high})"
E_LON_OUTSIDE = "longitude outside South Korea ({low}..{high})"
E_PROJECTED = "not in degrees (looks like projected metres such as TM or UTM-K; WGS84 latitude/longitude required)"
E_DUPLICATE = "duplicate of line {line}"
E_TOO_LONG = "longer than {limit} characters"
E_CONTROL = "control character {char} is not allowed in text"
W_SWAPPED = "latitude and longitude swapped; swapped back"
W_ID_GENERATED = "id is empty; generated from name and address"

# 2019, 2019.0 (a number cell), 2019년, 2019년도, and dates 2019-05-01 / 2019. 5. 1.
_YEAR = re.compile(r"([0-9]+)(?:\.0+|\s*년도?|\s*[-./]\s*[0-9]{1,2}\s*[-./]\s*[0-9]{1,2}\.?(?:[ T].*)?)?")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)°?")
# Control characters left after white space is folded (NUL, escapes, C1): no shop's text holds one, and
# PostgreSQL refuses NUL in text, so they are row errors on every database.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def this_year() -> int:
    """The current year in Korea, where the certificates are issued."""
    return dt.datetime.now(KST).year


def stable_id(name: str, address: str | None) -> str:
    """The generated id of a shop without an id column; see the module docstring."""
    key = clean_text(name).casefold() + "|" + normalize_address(address or "")
    return "bg-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def parse_year(text: str) -> int | None:
    match = _YEAR.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def parse_coordinate(text: str) -> float | None:
    return float(text.rstrip("°")) if _NUMBER.fullmatch(text.strip()) else None


def _inside(lat: float, lon: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


class _Findings:
    """Collects the problems of one record."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.items: list[Problem] = []

    def error(self, column: str | None, value: str | None, problem: str) -> None:
        self.items.append(Problem(self.line, column, value, problem, "error"))

    def warn(self, column: str | None, value: str | None, problem: str) -> None:
        self.items.append(Problem(self.line, column, value, problem, "warning"))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.items)


def check_row(record: Record, columns: ColumnMap, year: int | None = None) -> tuple[ShopRow | None, list[Problem]]:
    """Validate one record; the row is None when any finding is an error.

    Duplicates are not checked here: they need the whole file (``drop_duplicates``).
    """
    year = this_year() if year is None else year
    cells = record.cells
    found = _Findings(record.line)
    for index, cell in enumerate(cells):
        control = _CONTROL.search(cell) if cell else None
        if control:
            shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", cell)
            found.error(columns.headers[index] if index < len(columns.headers) else None, shown,
                        E_CONTROL.format(char=f"U+{ord(control.group()):04X}"))

    def get(field: str) -> str | None:
        return columns.value(cells, field)

    name = get("name")
    if name is None:
        found.error(columns.header("name"), None, E_NAME_REQUIRED)

    address, jibun = get("address"), get("jibun_address")
    detail = get("address_detail")
    if detail:
        address = f"{address} {detail}" if address else None
    lat_text, lon_text = get("lat"), get("lon")
    if address is None and jibun is None and lat_text is None and lon_text is None:
        found.error(columns.header("address") or columns.header("jibun_address"), None, E_NO_LOCATION)
    point = _check_point(lat_text, lon_text, columns, found)
    accuracy = _check_accuracy(get("accuracy_m"), columns.header("accuracy_m"), point, found)

    founded = _check_year(get("founded_year"), columns.header("founded_year"), FIRST_FOUNDED_YEAR, year, found)
    certified = _check_year(
        get("certified_year"), columns.header("certified_year"), FIRST_CERTIFIED_YEAR, year, found
    )
    if founded is not None and certified is not None and founded > certified:
        message = E_FOUNDED_AFTER_CERTIFIED.format(founded=founded, certified=certified)
        found.error(columns.header("founded_year"), get("founded_year"), message)

    for field, limit in MAX_LENGTHS.items():
        value = get(field)
        if value is not None and len(value) > limit:
            found.error(columns.header(field), value, E_TOO_LONG.format(limit=limit))

    shop_id = get("id")
    if shop_id is None and name is not None:
        shop_id = stable_id(name, address or jibun)
        if "id" in columns.fields:
            found.warn(columns.header("id"), None, W_ID_GENERATED)

    if found.has_errors or name is None or shop_id is None:
        return None, found.items
    # Every listed field is its column's text, but for those read above with rules of their own.
    checked = {"id": shop_id, "name": name, "address": address, "jibun_address": jibun, "certified_year": certified,
               "founded_year": founded, "region": _join_region(columns.values(cells, "region"))}
    listed = {field.name: checked[field.name] if field.name in checked else get(field.name)
              for field in LISTED_FIELDS}
    return ShopRow(line=record.line, **listed, point=point, accuracy_m=accuracy, extra=columns.extra(cells)), found.items


def _check_accuracy(text: str | None, column: str | None, point: Point | None, found: _Findings) -> float | None:
    """The radius a list states for its own coordinates: metres, within ``MAX_ACCURACY_M``."""
    if text is None:
        return None
    value = parse_coordinate(text.removesuffix("m").strip())
    if value is None:
        found.error(column, text, E_NOT_A_NUMBER)
        return None
    if not 0 < value <= MAX_ACCURACY_M:
        found.error(column, text, E_ACCURACY_RANGE.format(high=f"{MAX_ACCURACY_M:,.0f}"))
        return None
    if point is None:
        found.warn(column, text, W_ACCURACY_WITHOUT_POINT)
        return None
    return value


def _check_year(text: str | None, column: str | None, low: int, high: int, found: _Findings) -> int | None:
    if text is None:
        return None
    value = parse_year(text)
    if value is None:
        found.error(column, text, E_NOT_A_YEAR)
        return None
    if not low <= value <= high:
        found.error(column, text, E_YEAR_RANGE.format(low=low, high=high))
        return None
    return value


def _check_point(lat_text: str | None, lon_text: str | None, columns: ColumnMap, found: _Findings) -> Point | None:
    lat_column, lon_column = columns.header("lat"), columns.header("lon")
    if lat_text is None and lon_text is None:
        return None
    if lon_text is None:
        found.error(lat_column, lat_text, E_LAT_WITHOUT_LON)
        return None
    if lat_text is None:
        found.error(lon_column, lon_text, E_LON_WITHOUT_LAT)
        return None
    lat, lon = parse_coordinate(lat_text), parse_coordinate(lon_text)
    if lat is None:
        found.error(lat_column, lat_text, E_NOT_A_NUMBER)
    if lon is None:
        found.error(lon_column, lon_text, E_NOT_A_NUMBER)
    if lat is None or lon is None:
        return None
    if _inside(lat, lon):
        return Point(lon=lon, lat=lat)
    if _inside(lon, lat):
        # Lists built by hand often put x (경도) under 위도; only the swap makes sense.
        found.warn(lat_column, lat_text, W_SWAPPED)
        return Point(lon=lat, lat=lon)
    for value, text, column, (low, high), message in (
        (lat, lat_text, lat_column, LAT_RANGE, E_LAT_OUTSIDE),
        (lon, lon_text, lon_column, LON_RANGE, E_LON_OUTSIDE),
    ):
        if abs(value) > PROJECTED_ABOVE:
            found.error(column, text, E_PROJECTED)
        elif not low <= value <= high:
            found.error(column, text, message.format(low=low, high=high))
    return None


def _join_region(parts: list[str]) -> str | None:
    """시도 + 시군구 -> "서울특별시 종로구", without repeating a 시도 a 시군구 cell already has."""
    joined = ""
    for part in parts:
        if joined and part.startswith(joined):
            joined = part
        elif not joined.endswith(part):
            joined = f"{joined} {part}".strip()
    return joined or None


def drop_duplicates(rows: Iterable[ShopRow], columns: ColumnMap) -> tuple[list[ShopRow], list[Problem]]:
    """Keep the first valid row of each id; later ones are errors naming the kept line.

    Only rows that passed every other check compete, so a valid shop is never
    rejected because of an earlier broken copy of it.
    """
    first_line: dict[str, int] = {}
    kept: list[ShopRow] = []
    problems: list[Problem] = []
    by_id_column = "id" in columns.fields
    column = columns.header("id") if by_id_column else columns.header("name")
    for row in rows:
        if row.id in first_line:
            value = row.id if by_id_column else row.name
            problems.append(Problem(row.line, column, value, E_DUPLICATE.format(line=first_line[row.id])))
            continue
        first_line[row.id] = row.line
        kept.append(row)
    if problems:
        LOGGER.info("%d duplicate row(s) rejected", len(problems))
    return kept, problems
