"""Output formats: one module each, all ``serialize(result, options)`` and ``stream(result, options)``, registered here.

The web layer picks one by ``?format=`` or the ``Accept`` header and never
formats anything itself. ``stream`` yields the answer in pieces (header, one
piece per shop, footer) so a full export never builds one huge string;
``serialize`` returns the same text (or bytes, for binary formats) in one go.
File formats meant for a navigation device or desktop tool are marked as
attachments: the web layer sends them with ``Content-Disposition: attachment``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from ..model import QueryResult
from . import geojson, gpx, json, kml, ov2, poi_csv
from .common import new_version

Serializer = Callable[[QueryResult, Mapping[str, Any] | None], "str | bytes"]
Streamer = Callable[[QueryResult, Mapping[str, Any] | None], Iterator["str | bytes"]]


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str  # the full Content-Type, parameters included (``text/csv; charset=utf-8``)
    extension: str
    serialize: Serializer
    stream: Streamer
    attachment: bool = False  # a file to save (Content-Disposition: attachment), not a page to show
    binary: bool = False  # serialize returns bytes and stream yields bytes

    @property
    def essence(self) -> str:
        """The media type without parameters, as an ``Accept`` header names it."""
        return self.media_type.split(";", 1)[0].strip().lower()

    def filename(self, stem: str = "navplugin") -> str:
        return f"{stem}.{self.extension}"


FORMATS: dict[str, Format] = {
    "json": Format("json", "application/json", "json", json.serialize, json.stream),
    "geojson": Format("geojson", "application/geo+json", "geojson", geojson.serialize, geojson.stream),
    "gpx": Format("gpx", "application/gpx+xml", "gpx", gpx.serialize, gpx.stream, attachment=True),
    "kml": Format("kml", "application/vnd.google-earth.kml+xml", "kml", kml.serialize, kml.stream,
                  attachment=True),
    "csv": Format("csv", "text/csv; charset=utf-8", "csv", poi_csv.serialize, poi_csv.stream, attachment=True),
    "ov2": Format("ov2", "application/octet-stream", "ov2", ov2.serialize, ov2.stream, attachment=True,
                  binary=True),
}

DEFAULT_FORMAT = "json"


def warm(stores: list) -> None:
    """A new live index: every format forgets the version before; the default format's text is rendered now."""
    new_version()
    json.warm(stores)


def by_media_type(accept: list[str]) -> Format | None:
    """The first registered format among the media types a client accepts, in its order of preference.

    Parameters are ignored on both sides, so ``Accept: text/csv`` finds ``text/csv; charset=utf-8``.
    """
    for media_type in accept:
        essence = media_type.split(";", 1)[0].strip().lower()
        for fmt in FORMATS.values():
            if fmt.essence == essence:
                return fmt
    return None
