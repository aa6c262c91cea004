"""Output formats: one module each, all ``serialize(result, options) -> str``, registered here.

The web layer picks one by ``?format=`` or the ``Accept`` header and never
formats anything itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..model import QueryResult
from . import geojson, json


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    serialize: Callable[[QueryResult, Mapping[str, Any] | None], str]


FORMATS: dict[str, Format] = {
    "json": Format("json", "application/json", "json", json.serialize),
    "geojson": Format("geojson", "application/geo+json", "geojson", geojson.serialize),
}

DEFAULT_FORMAT = "json"


def by_media_type(accept: list[str]) -> Format | None:
    """The first registered format among the media types a client accepts, in its order of preference."""
    for media_type in accept:
        for fmt in FORMATS.values():
            if fmt.media_type == media_type:
                return fmt
    return None
