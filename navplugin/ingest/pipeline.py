"""``ingest()``: the one entry point from an uploaded file to rows and a row-by-row report.

It strings the steps together — read tables, find the header, map columns,
check rows, drop duplicates — and turns whole-file failures into
``InvalidUpload`` (422) carrying the same report shape admins see for a
partly valid file, so the admin page has one thing to render.
"""
from __future__ import annotations

import logging
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Mapping

from navplugin.errors import InvalidUpload
from navplugin.model import Problem, ShopRow

from .columns import FIELD_ALIASES, HEADER_SCAN_ROWS, ColumnMap, find_header, map_columns
from .readers import E_EMPTY, Table, UnreadableFile, read_tables
from .validate import check_row, drop_duplicates, this_year

LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = 200_000

E_NO_HEADER = (
    "no header row found in the first {rows} rows; expected column names such as "
    "업체명, 주소, 업종, 선정연도"
)
E_NO_NAME = "no name column; expected one of " + ", ".join(FIELD_ALIASES["name"])
E_TOO_MANY = "more than {limit:,} data rows; the limit is {limit:,} rows per upload"
W_OTHER_SHEET = "read worksheet '{sheet}'; the sheets before it have no recognisable header"
W_REPEATED_HEADER = "repeated header row skipped"


@dataclass(frozen=True)
class IngestResult:
    rows: tuple[ShopRow, ...]  # rows without errors (warnings allowed), in file order
    problems: tuple[Problem, ...]  # every finding, ordered by line then column
    total_rows: int  # data rows read (blank rows not counted)
    columns: Mapping[str, str] = field(default_factory=dict)  # file header -> field (extras map to themselves)
    encoding: str = ""  # "utf-8", "utf-8-sig", "cp949" or "xlsx" (rarely a guessed codec)

    @property
    def invalid_lines(self) -> frozenset[int]:
        return frozenset(p.line for p in self.problems if p.severity == "error" and p.line > 0)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def report(self) -> dict[str, Any]:
        """The JSON-ready row report shown to admins and returned by the API."""
        errors = sum(1 for p in self.problems if p.severity == "error")
        return {
            "total_rows": self.total_rows,
            "valid_rows": len(self.rows),
            "invalid_rows": len(self.invalid_lines),
            "errors": errors,
            "warnings": len(self.problems) - errors,
            "encoding": self.encoding,
            "columns": dict(self.columns),
            "problems": [p.as_dict() for p in self.problems],
        }


def ingest(data: bytes, filename: str | None = None, *, max_rows: int = DEFAULT_MAX_ROWS) -> IngestResult:
    """Read, map and validate an uploaded CSV or XLSX list of shops.

    Raises ``UnsupportedFile`` (415) when the bytes are neither CSV nor XLSX
    and ``InvalidUpload`` (422, with ``report=``) when the file as a whole
    cannot be used: empty, unreadable, no header, no name column, too many rows.
    Row-level findings never raise; they are in ``IngestResult.problems``.
    """
    if not data.strip():
        raise _invalid(E_EMPTY, "")
    table, header_index, notes = _choose_table(data, filename, max_rows)
    header = table.records[header_index]
    body = table.records[header_index + 1 :]
    repeats = [r for r in body if r.cells == header.cells]  # headers repeated on every printed page
    data_records = [r for r in body if r.cells != header.cells]
    if table.truncated or len(data_records) > max_rows:
        raise _invalid(E_TOO_MANY.format(limit=max_rows), table.encoding)

    columns = map_columns(header.cells, (r.cells for r in data_records))
    if "name" not in columns.fields:
        raise _invalid(E_NO_NAME, table.encoding, columns.mapping())

    year = this_year()
    problems: list[Problem] = [*notes, *table.problems, *columns.problems]
    problems += [Problem(r.line, None, None, W_REPEATED_HEADER, "warning") for r in repeats]
    checked: list[ShopRow] = []
    for record in data_records:
        row, found = check_row(record, columns, year)
        problems += found
        if row is not None:
            checked.append(row)
    rows, duplicates = drop_duplicates(checked, columns)
    problems += duplicates

    result = IngestResult(
        rows=tuple(rows),
        problems=tuple(_ordered(problems, columns)),
        total_rows=len(data_records),
        columns=columns.mapping(),
        encoding=table.encoding,
    )
    LOGGER.info(
        "ingested %s (%s): %d rows, %d valid, %d problems",
        filename or "upload", table.encoding, result.total_rows, len(rows), len(result.problems),
    )
    return result


def _choose_table(data: bytes, filename: str | None, max_rows: int) -> tuple[Table, int, list[Problem]]:
    """The first table (worksheet) with a recognisable header, and the header's index."""
    # Enough records for the header rows and the data rows allowed, never the whole of a huge file.
    limit = max_rows + HEADER_SCAN_ROWS
    encoding = ""
    skipped: list[str] = []
    try:
        with closing(read_tables(data, filename, limit=limit)) as tables:
            for table in tables:
                encoding = table.encoding
                index = find_header([r.cells for r in table.records[:HEADER_SCAN_ROWS]])
                if index is not None:
                    notes = []
                    if skipped and table.sheet is not None:
                        notes.append(Problem(0, None, None, W_OTHER_SHEET.format(sheet=table.sheet), "warning"))
                    return table, index, notes
                skipped.append(table.sheet or "")
    except UnreadableFile as exc:
        raise _invalid_problem(exc.problem, encoding or "") from exc
    raise _invalid(E_NO_HEADER.format(rows=HEADER_SCAN_ROWS), encoding)


def _invalid(message: str, encoding: str, columns: Mapping[str, str] | None = None) -> InvalidUpload:
    return _invalid_problem(Problem(0, None, None, message), encoding, columns)


def _invalid_problem(problem: Problem, encoding: str, columns: Mapping[str, str] | None = None) -> InvalidUpload:
    report = IngestResult(
        rows=(), problems=(problem,), total_rows=0, columns=dict(columns or {}), encoding=encoding
    ).report()
    LOGGER.info("upload rejected: %s", problem.problem)
    return InvalidUpload(problem.problem, report=report)


def _ordered(problems: list[Problem], columns: ColumnMap) -> list[Problem]:
    """By line, then by the column's position in the file; row-wide findings last in their line."""
    return sorted(problems, key=lambda p: (p.line, columns.position(p.column)))


__all__ = ["DEFAULT_MAX_ROWS", "IngestResult", "ingest"]
