"""Bytes of a CSV or XLSX upload -> tables of cleaned cell text with their line numbers.

Readers know file formats and nothing about shops: every cell comes out as
``clean_text`` (NFC, trimmed, inner white space folded) or None, blank rows
are dropped, and each record keeps the line an admin would look at — the
first physical line of a CSV record (quoted cells may span lines) or the
XLSX row number.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import zipfile
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterator

from navplugin.addresses import clean_text
from navplugin.errors import PayloadTooLarge
from navplugin.model import Problem

from .sniff import UPLOAD_LIST, decode_text, sniff_kind, unsupported

LOGGER = logging.getLogger(__name__)

DELIMITERS = (",", "\t", ";")
SNIFF_CHARS = 64 * 1024
SNIFF_RECORDS = 50
LONG_RECORD_LINES = 20  # a record this tall is almost always an unclosed quote

# What one list may cost to read, checked before and while reading: a few tens of MB, well under a second.
MAX_ZIP_ENTRIES = 1_000  # an XLSX holds a dozen parts, a few more per sheet
MAX_UNPACKED_BYTES = 128 * 2**20  # every part of a workbook together, unpacked
MAX_RATIO = 200  # unpacked / packed size of a part over 1 MiB: XML packs 5-20 times, a bomb thousands
RATIO_FLOOR = 2**20
MAX_COLUMNS = 1_000  # cells in one row
MAX_CELLS = 5_000_000  # cells in one list, all rows together

E_EMPTY = "the file is empty"
E_TOO_WIDE = "row {line} has more than {limit:,} cells; a list has a few dozen columns"
E_TOO_MANY_CELLS = "the list has more than {limit:,} cells"
W_LONG_RECORD = "record spans lines {start}-{end}; check for a missing closing quote"
E_CSV = "unreadable CSV: {error}"
E_XLSX = "unreadable XLSX workbook: {error}"


@dataclass(frozen=True)
class Record:
    line: int  # first physical line (CSV) or row number (XLSX)
    cells: tuple[str | None, ...]


@dataclass(frozen=True)
class Table:
    encoding: str  # codec of a CSV, or "xlsx"
    records: tuple[Record, ...]  # non-blank rows in file order
    sheet: str | None = None  # worksheet title for XLSX
    problems: tuple[Problem, ...] = ()  # reader warnings (line 0 or a record's line)
    truncated: bool = False  # the file has more than ``limit`` non-blank records


class UnreadableFile(Exception):
    """The file has the right type but cannot be read; carries the finding for the report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.problem)
        self.problem = problem


def read_tables(data: bytes, filename: str | None = None, *, limit: int) -> Iterator[Table]:
    """Each table of the file (one for CSV, one per worksheet), lazily.

    At most ``limit`` non-blank records are kept per table (``truncated`` says
    there were more), so an oversized upload costs bounded time and memory.
    Raises ``UnsupportedFile`` for files that are neither XLSX nor CSV.
    """
    if sniff_kind(data, filename) == "xlsx":
        yield from _xlsx_tables(data, limit)
    else:
        yield _csv_table(data, filename, limit)


# --- CSV -------------------------------------------------------------------


def _csv_table(data: bytes, filename: str | None, limit: int) -> Table:
    decoded = decode_text(data, filename)
    text = decoded.text
    if not text.strip("\ufeff \t\r\n"):
        raise UnreadableFile(Problem(0, None, None, E_EMPTY))
    delimiter, skip_lines = _excel_sep_hint(text)
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    if delimiter is None:
        raise unsupported(filename, "text without columns separated by commas, tabs or semicolons", UPLOAD_LIST)

    _check_widths(text, delimiter, skip_lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[Record] = []
    problems = list(decoded.problems)
    last_line = 0
    cells_read = 0
    try:
        for cells in reader:
            start, last_line = last_line + 1, reader.line_num
            if start <= skip_lines:
                continue
            if last_line - start + 1 > LONG_RECORD_LINES:
                message = W_LONG_RECORD.format(start=start, end=last_line)
                problems.append(Problem(start, None, None, message, "warning"))
            if len(cells) > MAX_COLUMNS:
                raise UnreadableFile(Problem(start, None, None, E_TOO_WIDE.format(line=start, limit=MAX_COLUMNS)))
            cells_read += len(cells)
            if cells_read > MAX_CELLS:
                raise UnreadableFile(Problem(start, None, None, E_TOO_MANY_CELLS.format(limit=MAX_CELLS)))
            cleaned = tuple(_clean(cell) for cell in cells)
            if any(cell is not None for cell in cleaned):
                records.append(Record(start, cleaned))
                if len(records) > limit:
                    break
    except csv.Error as exc:
        raise UnreadableFile(Problem(last_line + 1, None, None, E_CSV.format(error=exc))) from exc
    LOGGER.debug("csv: %s, delimiter %r, %d records", decoded.encoding, delimiter, len(records))
    return Table(
        decoded.encoding, tuple(records[:limit]), problems=tuple(problems), truncated=len(records) > limit
    )


def _check_widths(text: str, delimiter: str, skip_lines: int) -> None:
    """Refuse a line of more cells than a row may have before the csv module builds it as a list."""
    for number, line in enumerate(text.split("\n"), start=1):
        if number > skip_lines and line.count(delimiter) >= MAX_COLUMNS:
            raise UnreadableFile(Problem(number, None, None, E_TOO_WIDE.format(line=number, limit=MAX_COLUMNS)))


def _excel_sep_hint(text: str) -> tuple[str | None, int]:
    """Excel's "sep=;" first line names the delimiter; the line itself is not data."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if first.startswith("sep=") and len(first) == 5:
        return first[4], 1
    return None, 0


def sniff_delimiter(text: str) -> str | None:
    """The delimiter that splits the most sample records into the same number (>1) of cells.

    ``csv.Sniffer`` is easily fooled by Korean text and by a title row above
    the header; consistency of the cell count is what tells a delimiter apart
    from a comma inside an address. Ties go to the wider split.
    """
    sample = text[:SNIFF_CHARS]
    best: str | None = None
    best_score = (0, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            widths = [len(cells) for cells in islice(reader, SNIFF_RECORDS) if len(cells) > 1]
        except csv.Error:
            continue
        if not widths:
            continue
        counts = Counter(widths)
        width, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        if (count, width) > best_score:
            best, best_score = delimiter, (count, width)
    return best


# --- XLSX ------------------------------------------------------------------


def check_archive(data: bytes) -> None:
    """Refuse a workbook that would unpack to too much before openpyxl opens it (a zip bomb).

    The sizes the archive declares are what is checked: Python's zipfile, which
    openpyxl reads through, never unpacks a part past its declared size (a part
    that holds more fails its checksum there), so they bound what reading costs.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_ZIP_ENTRIES:
                raise UnreadableFile(Problem(0, None, None, E_XLSX.format(
                    error=f"{len(parts):,} parts in the archive; a workbook has at most {MAX_ZIP_ENTRIES:,}")))
            declared = sum(part.file_size for part in parts)
            if declared > MAX_UNPACKED_BYTES:
                raise _too_large(declared)
            for part in parts:
                if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1):
                    raise _too_large(part.file_size, f"part {part.filename!r} packs "
                                                     f"{part.file_size // max(part.compress_size, 1):,} to 1")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise UnreadableFile(Problem(0, None, None, E_XLSX.format(error=_short(exc)))) from exc


def _too_large(size: int, why: str = "") -> PayloadTooLarge:
    because = f" ({why})" if why else ""
    return PayloadTooLarge(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MiB{because}; "
                           f"a list of shops is far smaller: save only the list's sheet, or as CSV",
                           unpacked_bytes=size)


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:200] + "…"


def _xlsx_tables(data: bytes, limit: int) -> Iterator[Table]:
    from openpyxl import load_workbook  # import cost only for XLSX uploads

    check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken package
        raise UnreadableFile(Problem(0, None, None, E_XLSX.format(error=_short(exc)))) from exc
    budget = [MAX_CELLS]
    try:
        for sheet in workbook.worksheets:
            try:
                records = tuple(_sheet_records(sheet, limit + 1, budget))
            except UnreadableFile:
                raise
            except Exception as exc:
                raise UnreadableFile(Problem(0, None, None, E_XLSX.format(error=_short(exc)))) from exc
            yield Table("xlsx", records[:limit], sheet=sheet.title, truncated=len(records) > limit)
    finally:
        workbook.close()


def _sheet_records(sheet: Any, limit: int, budget: list[int]) -> Iterator[Record]:
    """Non-blank rows, streamed; ``budget`` is the cells the whole workbook may still spend."""
    # Files written by other tools often carry a wrong <dimension>; trust the rows.
    sheet.reset_dimensions()
    count = 0
    # Read-only iteration fills in missing rows, so the position is the row number.
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if len(row) > MAX_COLUMNS:
            raise UnreadableFile(Problem(number, None, None, E_TOO_WIDE.format(line=number, limit=MAX_COLUMNS)))
        budget[0] -= max(len(row), 1)  # an empty row costs its parsing too
        if budget[0] < 0:
            raise UnreadableFile(Problem(number, None, None, E_TOO_MANY_CELLS.format(limit=MAX_CELLS)))
        cells = tuple(cell_text(value) for value in row)
        if any(cell is not None for cell in cells):
            yield Record(number, cells)
            count += 1
            if count >= limit:
                return


def cell_text(value: Any) -> str | None:
    """An XLSX cell value as the text a CSV export of it would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Excel stores every number as a float: 2019 arrives as 2019.0.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return _clean(str(value))


def _clean(text: str) -> str | None:
    return clean_text(text) or None
