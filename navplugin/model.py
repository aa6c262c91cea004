"""Plain typed values passed between the layers of the pipeline.

Everything here is a frozen dataclass with no behaviour beyond small
conveniences, so ingest, geocode, store, spatial and formats can exchange
data without importing each other. Coordinates are always (lon, lat).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

# How exact a stored point is, from best to worst. ``manual``: an admin placed
# the pin by hand (an override); ``supplied``: the upload
# carried coordinates; ``entrance``: a building entrance (juso); ``building``:
# a road-address match; ``parcel``: a 지번 match; ``place``: a keyword (POI)
# match; the district levels come from the offline geocoder or a region-only
# match and never pretend to be a street-level point.
PRECISIONS = ("manual", "supplied", "entrance", "building", "parcel", "place", "emd", "sigungu", "sido")


@dataclass(frozen=True, slots=True)
class Point:
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of validation, addressed the way an admin finds it in the file."""

    line: int  # 1-based line (CSV) or row number (XLSX) in the uploaded file; 0 = whole file
    column: str | None  # the column header as written in the file
    value: str | None
    problem: str
    severity: str = "error"  # "error" rejects the row, "warning" only informs

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "problem": self.problem,
            "severity": self.severity,
        }


@dataclass(frozen=True, slots=True)
class ShopRow:
    """A validated row of an uploaded list, before geocoding."""

    line: int
    id: str
    name: str
    category: str | None = None
    address: str | None = None
    jibun_address: str | None = None
    phone: str | None = None
    certified_year: int | None = None
    founded_year: int | None = None
    region: str | None = None
    point: Point | None = None  # coordinates supplied by the file, already validated
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    point: Point
    provider: str
    precision: str
    matched: str | None = None  # what the provider matched, e.g. "서울특별시 종로구 인사동"
    entrance: Point | None = None  # building entrance, for routing


@dataclass(frozen=True, slots=True)
class Store:
    """A shop as stored in a dataset version and served to navigation apps."""

    id: str
    name: str
    lon: float
    lat: float
    provider: str
    precision: str
    category: str | None = None
    address: str | None = None
    jibun_address: str | None = None
    phone: str | None = None
    certified_year: int | None = None
    founded_year: int | None = None
    region: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    # Where a driver should be routed (a building entrance), when a provider knows it.
    entrance_lon: float | None = None
    entrance_lat: float | None = None
    district_check: str = "unchecked"  # verified | mismatch | unchecked: is the point in the district its address names?
    # Fields an admin's override replaced, with the value the list or geocoder gave: {field: value}.
    overridden: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Region:
    """The districts a point lies in; names and codes follow the current 법정동 code table."""

    sido: str
    sido_code: str
    sigungu: str | None = None
    sigungu_code: str | None = None
    emd: str | None = None
    emd_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "sido": {"name": self.sido, "code": self.sido_code},
            "sigungu": {"name": self.sigungu, "code": self.sigungu_code} if self.sigungu else None,
            "emd": {"name": self.emd, "code": self.emd_code} if self.emd else None,
        }


@dataclass(frozen=True, slots=True)
class NearbyHit:
    store: Store
    distance_m: float
    bearing_deg: float


@dataclass(frozen=True, slots=True)
class QueryResult:
    """What a list endpoint found, ready for any output format.

    Kept as parallel columns rather than one object per shop: a nearby answer
    is built and serialised on every request of a navigation app. ``measures``
    holds the per-shop numbers the query computed, each parallel to ``stores``:
    ``distance_m`` and ``bearing_deg`` (nearby), ``distance_along_m`` and
    ``offset_m`` (along a route); a viewport or an export has none.
    """

    dataset_version: int | None
    stores: Sequence[Store]
    measures: Mapping[str, Sequence[float]] = field(default_factory=dict)
    next_cursor: str | None = None  # where the next page starts, for paged lists

    def __len__(self) -> int:
        return len(self.stores)

    @property
    def hits(self) -> list[NearbyHit]:
        return [NearbyHit(*hit) for hit in zip(self.stores, self.measures["distance_m"],
                                              self.measures["bearing_deg"])]
