"""How far a served point may be from its shop: ``accuracy_m``, a radius holding the shop with ≥ 95 % confidence.

Stated per source, so an app can choose between "drive here" and "search near
here". An offline district point carries its district's own radius (how far
the district reaches from its point, ``geodata/gazetteer.csv``); every other
source a documented radius by what was matched, below. A point whose radius is
over ``APPROXIMATE_OVER_M`` is ``approximate``: guidance to it may end short of
the shop.
"""
from __future__ import annotations

# Metres, by precision (``model.PRECISIONS``). A geocoder's point is what it matched:
ACCURACY_BY_PRECISION: dict[str, float] = {
    "manual": 10.0,  # an admin's pin, placed by hand on the map
    "entrance": 15.0,  # a building's entrance (도로명주소 출입구 좌표)
    "building": 50.0,  # a road address's building (its centroid: large buildings reach tens of metres)
    "supplied": 100.0,  # the list's own coordinates: their making is unknown, unless the list states a radius
    "place": 100.0,  # a keyword (POI) match: the place's pin
    "parcel": 150.0,  # a 지번 parcel's point: rural parcels and 산 지번 are large
    # A district point without a radius of its own (an old database, a district the gazetteer has no
    # radius for): the largest radius of its level in the gazetteer, so never an understatement.
    "emd": 15_000.0,
    "sigungu": 45_000.0,
    "sido": 160_000.0,
}
APPROXIMATE_OVER_M = 250.0  # beyond this an item says ``approximate: true``: offer "search near here"
MAX_ACCURACY_M = 1_000_000.0  # no South Korean point is this far from anywhere in the country


def accuracy_of(precision: str, stated: float | None = None) -> float:
    """The radius of a point: the one its source stated, else the documented one of its precision."""
    if stated is not None:
        return float(stated)
    return ACCURACY_BY_PRECISION.get(precision, ACCURACY_BY_PRECISION["sido"])


def is_approximate(accuracy_m: float) -> bool:
    return accuracy_m > APPROXIMATE_OVER_M
