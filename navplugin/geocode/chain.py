"""The geocoder chain: providers tried in the order of ``NAVPLUGIN_GEOCODERS``.

Each provider is a geopy ``Geocoder``. A provider with no answer, or one that
fails, hands the address to the next; the offline geocoder is always last,
so every parsable address gets at least a district-level point.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from geopy.exc import GeopyError
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from ..model import GeocodeResult, Point

LOGGER = logging.getLogger(__name__)


def _offline(_settings: Mapping[str, Any]) -> Geocoder:
    from .offline import OfflineGeocoder

    return OfflineGeocoder()


# name -> factory taking the app settings; web providers register here too.
GEOCODER_FACTORIES: dict[str, Callable[[Mapping[str, Any]], Geocoder]] = {
    "offline": _offline,
}


def parse_chain_names(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in GEOCODER_FACTORIES]
    if unknown:
        raise ValueError(
            f"unknown geocoder(s) {', '.join(unknown)}; known: {', '.join(sorted(GEOCODER_FACTORIES))}"
        )
    names = [name for name in dict.fromkeys(names) if name != "offline"]
    return [*names, "offline"]


def _result(name: str, location: Location) -> GeocodeResult:
    raw = location.raw if isinstance(location.raw, dict) else {}
    return GeocodeResult(
        point=Point(lon=location.longitude, lat=location.latitude),
        provider=raw.get("provider", name),
        precision=raw.get("precision", "street"),
        matched=location.address,
    )


class GeocoderChain:
    def __init__(self, geocoders: list[tuple[str, Geocoder]]) -> None:
        self.geocoders = geocoders

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "GeocoderChain":
        names = parse_chain_names(settings.get("GEOCODERS") or "offline")
        return cls([(name, GEOCODER_FACTORIES[name](settings)) for name in names])

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.geocoders]

    def geocode(self, *addresses: str | None) -> GeocodeResult | None:
        """The first answer for any of the addresses (e.g. road, then parcel), provider by provider."""
        candidates = [address for address in addresses if address]
        for name, geocoder in self.geocoders:
            for address in candidates:
                try:
                    location = geocoder.geocode(address, exactly_one=True)
                except GeopyError as exc:
                    LOGGER.warning("geocoder %s failed (%s); trying the next", name, type(exc).__name__)
                    break
                if location is not None:
                    return _result(name, location)
        return None
