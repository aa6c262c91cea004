"""Plain typed values passed between the layers of the pipeline.

Everything here is a frozen dataclass with no behaviour beyond small
conveniences, so ingest, geocode, store, spatial and formats can exchange
data without importing each other. Coordinates are always (lon, lat).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .accuracy import accuracy_of

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
class ShopField:
    """One field of a shop, declared once: the schema, ingest, corrections and tests read it from here."""

    name: str
    type: type  # str, int or float
    max_length: int | None = None  # the widest text its stored column holds
    required: bool = False  # every stored shop has it
    correctable: bool = False  # an admin may correct it (PATCH /admin/v1/stores/{id})


# What a certified list says of a shop, in the order a ``ShopRow`` and a ``Store`` hold them.
LISTED_FIELDS: tuple[ShopField, ...] = (
    ShopField("id", str, 64, required=True),
    ShopField("name", str, required=True, correctable=True),
    ShopField("category", str, correctable=True),
    ShopField("address", str, correctable=True),
    ShopField("jibun_address", str, correctable=True),
    ShopField("phone", str, 64, correctable=True),
    ShopField("certified_year", int, correctable=True),
    ShopField("founded_year", int, correctable=True),
    ShopField("region", str),
)

# Where a shop is placed, as stored: a ``Placement`` flattened to columns.
PLACEMENT_FIELDS: tuple[ShopField, ...] = (
    ShopField("lon", float, required=True, correctable=True),
    ShopField("lat", float, required=True, correctable=True),
    ShopField("provider", str, 32, required=True),
    ShopField("precision", str, 16, required=True),
    ShopField("entrance_lon", float, correctable=True),
    ShopField("entrance_lat", float, correctable=True),
    ShopField("district_check", str, 16, required=True),
    ShopField("accuracy_m", float, required=True),
)

SHOP_FIELDS: tuple[ShopField, ...] = LISTED_FIELDS + PLACEMENT_FIELDS
LISTED_NAMES: tuple[str, ...] = tuple(f.name for f in LISTED_FIELDS)
PLACEMENT_NAMES: tuple[str, ...] = tuple(f.name for f in PLACEMENT_FIELDS)


@dataclass(frozen=True, slots=True)
class ShopRow:
    """A validated row of an uploaded list, before geocoding: its line, the ``LISTED_FIELDS``, a point, extras."""

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
    accuracy_m: float | None = None  # the radius the file states for its point, if it does
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def listed(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in LISTED_NAMES}


UNCHECKED = "unchecked"  # the district check could not tell (no district named, or none found)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a shop is put and how it was found: the point, who placed it, how exactly, where to route to.

    ``district_check``: is the point in the district its address names
    (verified | mismatch | unchecked)? None while a supplied point waits for its check.
    """

    point: Point
    provider: str
    precision: str
    entrance: Point | None = None  # a building entrance, where a driver should be routed
    district_check: str | None = UNCHECKED
    accuracy_m: float | None = None  # the radius holding the shop (``accuracy``); None given: its precision's

    def __post_init__(self) -> None:
        object.__setattr__(self, "accuracy_m", accuracy_of(self.precision, self.accuracy_m))

    def columns(self) -> dict[str, Any]:
        """The placement as the stored columns ``PLACEMENT_NAMES``."""
        entrance = self.entrance
        return {
            "lon": self.point.lon, "lat": self.point.lat, "provider": self.provider, "precision": self.precision,
            "entrance_lon": entrance.lon if entrance else None, "entrance_lat": entrance.lat if entrance else None,
            "district_check": self.district_check, "accuracy_m": self.accuracy_m,
        }

    @classmethod
    def from_columns(cls, values: Any) -> "Placement":
        """From anything with the ``PLACEMENT_NAMES`` attributes (a stored row, a ``Store``)."""
        entrance = None
        if values.entrance_lon is not None and values.entrance_lat is not None:
            entrance = Point(values.entrance_lon, values.entrance_lat)
        return cls(Point(values.lon, values.lat), values.provider, values.precision, entrance, values.district_check,
                   values.accuracy_m)


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """A geocoder's answer, before the district check."""

    point: Point
    provider: str
    precision: str
    matched: str | None = None  # what the provider matched, e.g. "서울특별시 종로구 인사동"
    entrance: Point | None = None  # building entrance, for routing
    accuracy_m: float | None = None  # a radius the provider's answer states (a district's); None: the precision's

    def placement(self, district_check: str = UNCHECKED) -> Placement:
        return Placement(self.point, self.provider, self.precision, self.entrance, district_check,
                         accuracy_of(self.precision, self.accuracy_m))


@dataclass(frozen=True, slots=True)
class Store:
    """A shop as stored in a dataset version and served to navigation apps.

    Its fields are ``LISTED_FIELDS`` and ``PLACEMENT_FIELDS`` (flat, for the
    hot paths that read them), ``extra`` and ``overridden``.
    """

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
    district_check: str = UNCHECKED  # verified | mismatch | unchecked: is the point in the district its address names?
    # Metres around the point that hold the shop with 95 % confidence (``accuracy``); None given: its precision's.
    accuracy_m: float | None = None
    # Fields an admin's override replaced, with the value the list or geocoder gave: {field: value}.
    overridden: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def placed(cls, row: ShopRow, placement: Placement) -> "Store":
        """A listed row at its placement: what an upload job stores."""
        columns = placement.columns()
        columns["district_check"] = columns["district_check"] or UNCHECKED
        return cls(**row.listed, **columns, extra=dict(row.extra))

    def __post_init__(self) -> None:
        object.__setattr__(self, "accuracy_m", accuracy_of(self.precision, self.accuracy_m))

    @property
    def placement(self) -> Placement:
        return Placement.from_columns(self)


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
