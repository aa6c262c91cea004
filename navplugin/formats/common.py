"""The fields every output format draws on, so all formats describe a shop the same way."""
from __future__ import annotations

from typing import Any

from ..model import NearbyHit, Store

COORDINATE_DECIMALS = 7  # about 1 cm
DISTANCE_DECIMALS = 2


def store_fields(store: Store) -> dict[str, Any]:
    return {
        "id": store.id,
        "name": store.name,
        "category": store.category,
        "address": store.address,
        "phone": store.phone,
        "lat": round(store.lat, COORDINATE_DECIMALS),
        "lon": round(store.lon, COORDINATE_DECIMALS),
        "certified_year": store.certified_year,
        "founded_year": store.founded_year,
        "precision": store.precision,
        "provider": store.provider,
    }


def hit_fields(hit: NearbyHit) -> dict[str, Any]:
    fields = store_fields(hit.store)
    fields["distance_m"] = round(hit.distance_m, DISTANCE_DECIMALS)
    fields["bearing_deg"] = round(hit.bearing_deg, 1)
    return fields


def store_detail_fields(store: Store) -> dict[str, Any]:
    fields = store_fields(store)
    fields.update({
        "jibun_address": store.jibun_address,
        "region": store.region,
        "extra": dict(store.extra),
    })
    return fields
