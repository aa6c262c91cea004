"""Plain JSON: ``{dataset_version, count, items}``, the API's native shape."""
from __future__ import annotations

import json
from typing import Any, Mapping

from ..model import QueryResult, Store
from .common import RenderCache, join_items, store_fields



def _fields_text(store: Store) -> str:
    """The shop's own fields as JSON members, without the braces."""
    return json.dumps(store_fields(store), ensure_ascii=False, separators=(",", ":"))[1:-1]


_fields = RenderCache(_fields_text)


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    items = join_items(result, _fields, "{", "}")
    version = "null" if result.dataset_version is None else int(result.dataset_version)
    more = "" if result.next_cursor is None else f',"next_cursor":{json.dumps(result.next_cursor)}'
    return f'{{"dataset_version":{version},"count":{len(result)}{more},"items":[{items}]}}'
