"""Column names of ministry lists -> ``ShopRow`` fields, and finding the header row.

Every year's 백년가게 list names its columns a little differently (업체명 or
상호, 소재지 or 도로명주소, 선정연도 or 선정년도), so the names live in ONE alias
table, ``FIELD_ALIASES``, and nothing else in the code knows Korean header
text. Headers are compared after NFC, removing all white space (Excel headers
often carry line breaks) and case-folding; bracketed qualifiers are tried
both joined ("주소(지번)" -> 주소지번) and dropped ("업체명(상호)" -> 업체명).

Ministry files often put a title row, blank rows or merged cells above the
header, so the header is the row among the first ``HEADER_SCAN_ROWS`` non-blank
rows whose cells match the most distinct fields.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable, Mapping, Sequence

from navplugin.model import Problem

LOGGER = logging.getLogger(__name__)

# field -> header spellings seen in ministry lists (and a few English ones for
# hand-made files). A spelling may appear under one field only.
FIELD_ALIASES: Mapping[str, tuple[str, ...]] = {
    "id": ("관리번호", "고유번호", "접수번호", "업체ID", "업체아이디", "id", "store_id", "shop_id"),
    "name": ("업체명", "상호", "상호명", "가게명", "업소명", "점포명", "name"),
    "category": ("업종", "업태", "업종명", "주요사업", "category"),
    "address": (
        "주소", "소재지", "도로명주소", "사업장주소", "소재지도로명주소", "주소도로명",
        "소재지주소", "업체주소", "기본주소", "address",
    ),
    # data.go.kr's API splits the address: 기본주소 + 상세주소 (floor, unit, building).
    "address_detail": ("상세주소",),
    "jibun_address": ("지번주소", "소재지지번주소", "주소지번", "사업장지번주소"),
    "phone": ("전화번호", "연락처", "대표전화", "전화", "phone", "tel"),
    # A date column (선정일) is read as its year.
    "certified_year": ("선정연도", "선정년도", "지정연도", "지정년도", "선정일", "지정일"),
    "founded_year": ("창업연도", "창업년도", "설립연도", "설립년도", "개업연도", "창업일"),
    # Several region columns (시도 + 시군구) are joined with a space, in file order.
    "region": ("시도", "시군구", "지역", "시도명", "시군구명"),
    "lat": ("위도", "lat", "latitude", "y", "y좌표"),
    "lon": ("경도", "lon", "lng", "longitude", "x", "x좌표"),
    # How far the list's own coordinates may be off, in metres (95 %), where the list says.
    "accuracy_m": ("위치정확도", "좌표정확도", "정확도", "오차반경", "accuracy_m", "accuracy"),
}

# Fields that may be spread over several columns; every other field is read
# from the first matching column and later matches are kept as extra.
MULTI_COLUMN_FIELDS = frozenset({"region"})

HEADER_SCAN_ROWS = 20
MIN_HEADER_SCORE = 2  # a title row can hit one alias by accident, a header hits several

W_SAME_FIELD = "column also matches field '{field}', already read from '{first}'; kept as extra"
W_LAT_WITHOUT_LON = "latitude column without a longitude column; kept as extra"
W_LON_WITHOUT_LAT = "longitude column without a latitude column; kept as extra"

_SPACE = re.compile(r"\s+")
_BRACKETS = re.compile(r"[()\[\]（）［］<>〈〉]")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|（[^）]*）|［[^］]*］|<[^>]*>|〈[^〉]*〉")
_NON_WORD = re.compile(r"[^\w]")


def header_key(text: str) -> str:
    """The form in which a header is compared with the alias table."""
    return _SPACE.sub("", unicodedata.normalize("NFC", text)).casefold()


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            key = header_key(alias)
            if index.setdefault(key, name) != name:
                raise ValueError(f"alias {alias!r} is listed under {index[key]!r} and {name!r}")
    return index


def field_for(header: str | None) -> str | None:
    """The field a header names, or None for a column kept as extra."""
    if not header:
        return None
    index = _alias_index()
    key = header_key(header)
    for candidate in (
        key,
        _NON_WORD.sub("", _BRACKETS.sub("", key)),  # 주소(지번) -> 주소지번, 업체명* -> 업체명
        _NON_WORD.sub("", _BRACKETED.sub("", key)),  # 업체명(상호) -> 업체명
    ):
        if candidate in index:
            return index[candidate]
    return None


def header_score(cells: Sequence[str | None]) -> int:
    """How many distinct fields a row's cells name."""
    return len({f for f in map(field_for, cells) if f is not None})


def find_header(rows: Sequence[Sequence[str | None]]) -> int | None:
    """Index of the header among the first rows, or None; ties go to the earliest row."""
    best, best_score = None, MIN_HEADER_SCORE - 1
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = header_score(cells)
        if score > best_score:
            best, best_score = index, score
    return best


@dataclass(frozen=True)
class ColumnMap:
    """Which column of the file feeds which field, and what each column is called."""

    headers: tuple[str, ...]  # display name per column index, unique
    fields: Mapping[str, tuple[int, ...]]  # field -> column indices
    problems: tuple[Problem, ...] = ()  # line-0 warnings about the header
    used: frozenset[int] = field(default_factory=frozenset)  # columns with any data

    def value(self, cells: Sequence[str | None], name: str) -> str | None:
        """The cell of the first column of ``name`` (None when absent or empty)."""
        indices = self.fields.get(name)
        return _cell(cells, indices[0]) if indices else None

    def values(self, cells: Sequence[str | None], name: str) -> list[str]:
        """Every non-empty cell feeding ``name``, in file order."""
        found = (_cell(cells, i) for i in self.fields.get(name, ()))
        return [text for text in found if text is not None]

    def header(self, name: str) -> str | None:
        indices = self.fields.get(name)
        return self.headers[indices[0]] if indices else None

    @cached_property
    def extra_columns(self) -> tuple[int, ...]:
        """Indices of the columns no field claims."""
        claimed = {i for indices in self.fields.values() for i in indices}
        return tuple(i for i in range(len(self.headers)) if i not in claimed)

    def extra(self, cells: Sequence[str | None]) -> dict[str, str]:
        """Non-empty cells of the columns no field claims, under their header."""
        width = len(cells)
        return {
            self.headers[i]: cells[i]  # type: ignore[misc]
            for i in self.extra_columns
            if i < width and cells[i] is not None
        }

    def mapping(self) -> dict[str, str]:
        """File header -> field name; extra columns map to themselves.

        Unnamed columns (``column_N``) are listed only when they hold data.
        """
        by_index = {i: name for name, indices in self.fields.items() for i in indices}
        return {
            header: by_index.get(i, header)
            for i, header in enumerate(self.headers)
            if i in by_index or not _is_unnamed(header, i) or i in self.used
        }

    def position(self, header: str | None) -> int:
        """Sort key of a column, so problems can be ordered the way the file is."""
        try:
            return self.headers.index(header)  # type: ignore[arg-type]
        except ValueError:
            return len(self.headers)


def _cell(cells: Sequence[str | None], index: int) -> str | None:
    return cells[index] if index < len(cells) else None


def _unnamed(index: int) -> str:
    return f"column_{index + 1}"


def _is_unnamed(header: str, index: int) -> bool:
    return header == _unnamed(index)


def map_columns(header: Sequence[str | None], data: Iterable[Sequence[str | None]] = ()) -> ColumnMap:
    """Build the column map from the header cells (already cleaned) and the data rows.

    The data rows are only looked at to name columns that have data but no
    header text, so their cells can still be reported and kept as extra.
    """
    used: set[int] = set()
    width = len(header)
    for cells in data:
        width = max(width, len(cells))
        used.update(i for i, text in enumerate(cells) if text is not None)

    headers: list[str] = []
    seen: set[str] = set()
    for index in range(width):
        text = header[index] if index < len(header) else None
        name = text or _unnamed(index)
        suffix = 2
        while name in seen:  # two columns called 비고 must both survive in extra
            name = f"{text or _unnamed(index)}_{suffix}"
            suffix += 1
        seen.add(name)
        headers.append(name)

    fields: dict[str, list[int]] = {}
    problems: list[Problem] = []
    for index, text in enumerate(header):
        name = field_for(text)
        if name is None:
            continue
        if name in fields and name not in MULTI_COLUMN_FIELDS:
            first = headers[fields[name][0]]
            problems.append(
                Problem(0, headers[index], None, W_SAME_FIELD.format(field=name, first=first), "warning")
            )
            continue
        fields.setdefault(name, []).append(index)

    # Half a coordinate pair cannot place a shop; reading it would reject every row.
    for present, missing, message in (("lat", "lon", W_LAT_WITHOUT_LON), ("lon", "lat", W_LON_WITHOUT_LAT)):
        if present in fields and missing not in fields:
            index = fields.pop(present)[0]
            problems.append(Problem(0, headers[index], None, message, "warning"))

    LOGGER.debug("columns %s -> %s", headers, fields)
    return ColumnMap(
        headers=tuple(headers),
        fields={name: tuple(indices) for name, indices in fields.items()},
        problems=tuple(problems),
        used=frozenset(used),
    )
