"""The offline geocoder: an address -> the point of the district it names.

The last link of the geocoding chain. When no provider can place a shop (no key,
quota spent, network down, an address they do not know), the shop still
belongs on the map at the right district: the 읍면동, 시군구 or 시도 its address
names, at a point inside that district's polygon. The precision in ``raw``
says so, and this geocoder never claims a street-level point. It makes no
HTTP calls; the geopy base class is used only for the common interface.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

from geopy.adapters import BaseAsyncAdapter, BaseSyncAdapter
from geopy.exc import GeocoderServiceError
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location
from geopy.point import Point as GeoPoint

from navplugin.gazetteer import Gazetteer, load_gazetteer
from navplugin.geocode.parse import ParsedAddress, parse_address

LOGGER = logging.getLogger(__name__)

PROVIDER = "offline"


class _NoNetworkAdapter(BaseSyncAdapter):
    """Fails loudly if anything ever tries to send a request through this geocoder."""

    def __init__(self, *, proxies: Any = None, ssl_context: Any = None) -> None:
        super().__init__(proxies=proxies, ssl_context=ssl_context)

    def get_json(self, url: str, *, timeout: Any, headers: Any) -> Any:
        raise GeocoderServiceError("the offline geocoder makes no HTTP requests")

    get_text = get_json


class OfflineGeocoder(Geocoder):
    """geopy-compatible geocoder over the bundled gazetteer; district precision only."""

    def __init__(
        self,
        *,
        gazetteer: Gazetteer | None = None,
        user_agent: str | None = None,
        timeout: Any = DEFAULT_SENTINEL,
        proxies: Any = DEFAULT_SENTINEL,
        ssl_context: Any = DEFAULT_SENTINEL,
        adapter_factory: Any = None,
        region_lookup: Any = None,
    ) -> None:
        """``gazetteer`` and ``region_lookup`` default to the process-wide ones."""
        super().__init__(
            timeout=timeout, proxies=proxies, user_agent=user_agent, ssl_context=ssl_context,
            adapter_factory=adapter_factory or _NoNetworkAdapter,
        )
        self._gazetteer = gazetteer
        self._region_lookup = region_lookup

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = load_gazetteer()
        return self._gazetteer

    def geocode(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        """The district ``query`` names, as a Location (a list if not ``exactly_one``), or None.

        ``query`` is an address string (a geopy structured dict is joined in
        order). ``timeout`` is accepted for interface compatibility only.
        """
        if isinstance(query, dict):
            query = " ".join(str(v) for v in query.values() if v)
        parsed = parse_address(str(query or ""), self.gazetteer)
        location = self._location(parsed) if parsed is not None else None
        if location is None:
            LOGGER.debug("offline geocoder names no district in %r", query)
        return self._answer(location, exactly_one)

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        """The districts at ``query`` (geopy order: "lat, lon", (lat, lon) or a Point)."""
        point = GeoPoint(query)
        region = self._lookup().lookup(point.longitude, point.latitude)
        location = None
        if region is not None:
            precision = "emd" if region.emd_code else "sigungu" if region.sigungu_code else "sido"
            code = region.emd_code or region.sigungu_code or region.sido_code
            name = " ".join(p for p in (region.sido, region.sigungu, region.emd) if p)
            raw = {"provider": PROVIDER, "precision": precision, "code": code,
                   "sido": region.sido, "sigungu": region.sigungu, "emd": region.emd,
                   "region": region.as_dict()}
            location = Location(name, (point.latitude, point.longitude), raw)
        return self._answer(location, exactly_one)

    def _lookup(self) -> Any:
        if self._region_lookup is None:
            # spatial sits beside geocode; import late so geocoding never loads polygons
            from navplugin.spatial.regions import default_region_lookup

            self._region_lookup = default_region_lookup()
        return self._region_lookup

    def _location(self, parsed: ParsedAddress) -> Location | None:
        entry = self.gazetteer.current(parsed.code)
        if entry is None or entry.lat is None or entry.lon is None:
            return None
        raw = {
            "provider": PROVIDER,
            # a 읍면동 without a polygon carries its 시군구's point: say so
            "precision": entry.point_level or parsed.level,
            "level": parsed.level,
            "code": parsed.code,
            "accuracy_m": entry.accuracy_m,  # how far the district reaches from its point (95 %)
            **dataclasses.asdict(parsed.region),
        }
        return Location(parsed.name, (entry.lat, entry.lon), raw)

    def _answer(self, location: Location | None, exactly_one: bool):
        result = location if exactly_one else ([location] if location is not None else None)
        if isinstance(self.adapter, BaseAsyncAdapter):  # geopy's async mode awaits results

            async def _ready() -> Any:
                return result

            return _ready()
        return result
