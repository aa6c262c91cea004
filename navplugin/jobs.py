"""An uploaded list becomes a new live dataset version: ingest, geocode, store.

The live version is only replaced by a successful commit of a complete new
version, so a rejected or failed upload never touches what apps are served.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from .errors import InvalidUpload
from .geocode.chain import GeocoderChain
from .ingest import IngestResult, ingest
from .model import Problem, ShopRow, Store
from .store.repository import Repository

LOGGER = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass(frozen=True)
class ImportOutcome:
    version: int | None  # None for a dry run
    dry_run: bool
    accepted: bool
    report: dict[str, Any]


# The fields a validated row hands on unchanged to the stored shop.
_ROW_FIELDS = ("id", "name", "category", "address", "jibun_address", "phone",
               "certified_year", "founded_year", "region")


def _store(row: ShopRow, lon: float, lat: float, provider: str, precision: str) -> Store:
    return Store(lon=lon, lat=lat, provider=provider, precision=precision, extra=dict(row.extra),
                 **{name: getattr(row, name) for name in _ROW_FIELDS})


def _header_of(result: IngestResult, field: str) -> str | None:
    return next((header for header, mapped in result.columns.items() if mapped == field), None)


def geocode_rows(rows: tuple[ShopRow, ...], chain: GeocoderChain, result: IngestResult,
                 progress: Progress | None = None) -> tuple[list[Store], list[Problem]]:
    """A point for every row: supplied coordinates as they are, the rest through the chain."""
    stores: list[Store] = []
    problems: list[Problem] = []
    address_header = _header_of(result, "address") or _header_of(result, "jibun_address")
    for done, row in enumerate(rows, start=1):
        if row.point is not None:
            stores.append(_store(row, row.point.lon, row.point.lat, "supplied", "supplied"))
        else:
            found = chain.geocode(row.address, row.jibun_address)
            if found is None:
                problems.append(Problem(
                    line=row.line,
                    column=address_header,
                    value=row.address or row.jibun_address,
                    problem="address could not be placed by any geocoder ("
                            + ", ".join(chain.names) + ")",
                ))
            else:
                stores.append(_store(row, found.point.lon, found.point.lat, found.provider, found.precision))
        if progress is not None:
            progress(done, len(rows))
    return stores, problems


def build_report(result: IngestResult, extra_problems: list[Problem], stores: list[Store]) -> dict[str, Any]:
    problems = sorted([*result.problems, *extra_problems], key=lambda p: (p.line, p.column or ""))
    invalid_lines = {p.line for p in problems if p.severity == "error"}
    report = result.report()
    report.update({
        "valid_rows": result.total_rows - len(invalid_lines),
        "invalid_rows": len(invalid_lines),
        "errors": sum(p.severity == "error" for p in problems),
        "warnings": sum(p.severity == "warning" for p in problems),
        "problems": [p.as_dict() for p in problems],
        "precision": dict(Counter(store.precision for store in stores)),
    })
    return report


def import_list(
    repository: Repository,
    chain: GeocoderChain,
    data: bytes,
    file_name: str | None,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    source: str = "upload",
    uploaded_by: str | None = None,
    max_rows: int = 200_000,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Validate and geocode a list; unless it is a dry run, store it as the new live version.

    Any row with an error rejects the whole list (``InvalidUpload`` carrying
    the report) unless ``skip_invalid`` is set, in which case bad rows are
    left out and listed in the report.
    """
    result = ingest(data, file_name, max_rows=max_rows)
    stores, geocode_problems = geocode_rows(result.rows, chain, result, progress)
    report = build_report(result, geocode_problems, stores)
    has_errors = report["errors"] > 0
    accepted = bool(stores) and (skip_invalid or not has_errors)
    if dry_run:
        return ImportOutcome(version=None, dry_run=True, accepted=accepted, report=report)
    if has_errors and not skip_invalid:
        raise InvalidUpload(
            f"{report['invalid_rows']} of {report['total_rows']} rows have errors; nothing was changed. "
            "Fix them, or upload with skip_invalid=true to leave them out.",
            report=report,
        )
    if not stores:
        raise InvalidUpload("the file holds no valid rows; nothing was changed.", report=report)
    version = repository.add_version(
        stores,
        source=source,
        total_rows=result.total_rows,
        report=report,
        file_name=file_name,
        uploaded_by=uploaded_by,
    )
    return ImportOutcome(version=version, dry_run=False, accepted=True, report=report)
