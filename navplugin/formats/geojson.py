"""GeoJSON (RFC 7946): a FeatureCollection of Points in (lon, lat) order."""
from __future__ import annotations

import json
from typing import Any, Mapping

from ..model import QueryResult
from .common import hit_fields


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    features = []
    for hit in result.hits:
        properties = hit_fields(hit)
        lon = properties.pop("lon")
        lat = properties.pop("lat")
        features.append({
            "type": "Feature",
            "id": properties["id"],
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties,
        })
    body = {
        "type": "FeatureCollection",
        "dataset_version": result.dataset_version,  # a foreign member, allowed by RFC 7946 §6.1
        "features": features,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
