"""Plain JSON: ``{dataset_version, count, items}``, the API's native shape."""
from __future__ import annotations

import json
from typing import Any, Mapping

from ..model import QueryResult, Store
from .common import RenderCache, join_hits, store_fields

# Distances to the centimetre, bearings to a tenth of a degree.
_HIT = '{%s,"distance_m":%.2f,"bearing_deg":%.1f}'


def _fields_text(store: Store) -> str:
    """The shop's own fields as JSON members, without the braces."""
    return json.dumps(store_fields(store), ensure_ascii=False, separators=(",", ":"))[1:-1]


_fields = RenderCache(_fields_text)


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    items = join_hits(result, _fields, _HIT)
    version = "null" if result.dataset_version is None else int(result.dataset_version)
    return f'{{"dataset_version":{version},"count":{len(result)},"items":[{items}]}}'
