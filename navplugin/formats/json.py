"""Plain JSON: ``{dataset_version, count, items}``, the API's native shape."""
from __future__ import annotations

import json
from typing import Any, Mapping

from ..model import QueryResult
from .common import hit_fields


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    items = [hit_fields(hit) for hit in result.hits]
    body = {"dataset_version": result.dataset_version, "count": len(items), "items": items}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
