"""KML 2.2: a Document of Placemarks, ``Point/coordinates`` as ``lon,lat``, every field in ExtendedData.

``name`` and ``description`` are what Google Earth and most map tools show;
``ExtendedData/Data`` carries each field by name (id, category, address,
phone, years, precision, provider, entrance, and every measure the query
computed) for tools that read attributes, as GDAL does. A missing value is
left out rather than written as an empty string.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from ..model import QueryResult, Store
from .common import COORDINATE_DECIMALS, RenderCache, store_fields
from .text import XML_DECLARATION, describe, measure_text, shop_measures, xml_attribute, xml_text

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"


def _data(name: str, value: Any) -> str:
    return f"<Data name={xml_attribute(name)}><value>{xml_text(value)}</value></Data>"


def _shop_data(store: Store) -> str:
    """The shop's own fields as ``Data`` elements: the part of ExtendedData no query changes."""
    fields = store_fields(store)
    entrance = fields.pop("entrance")
    if entrance is not None:
        fields["entrance_lon"] = entrance["lon"]
        fields["entrance_lat"] = entrance["lat"]
    return "".join(_data(name, value) for name, value in fields.items() if value is not None)


_shop_data_cache = RenderCache(_shop_data)


def _point(store: Store) -> str:
    digits = COORDINATE_DECIMALS
    return f"<Point><coordinates>{store.lon:.{digits}f},{store.lat:.{digits}f}</coordinates></Point>"


_points = RenderCache(_point)


def _placemark(store: Store, measures: Mapping[str, float]) -> str:
    # KML 2.2 orders a Feature's children: name, description, ExtendedData; the geometry comes last.
    parts = [f"<Placemark><name>{xml_text(store.name)}</name>"]
    description = describe(store, measures)
    if description:
        parts.append(f"<description>{xml_text(description)}</description>")
    parts.append("<ExtendedData>")
    parts.append(_shop_data_cache(store))
    for name, value in measures.items():
        text = measure_text(name, value)
        if text is not None:
            parts.append(_data(name, text))
    parts.append("</ExtendedData>")
    parts.append(_points(store))
    parts.append("</Placemark>\n")
    return "".join(parts)


def stream(result: QueryResult, options: Mapping[str, Any] | None = None) -> Iterator[str]:
    """The KML document in pieces. Option: ``title`` (the Document's name)."""
    options = options or {}
    title = options.get("title") or "백년가게"
    version = ""
    if result.dataset_version is not None:
        version = f"<description>dataset version {int(result.dataset_version)}</description>"
    yield f'{XML_DECLARATION}<kml xmlns="{KML_NAMESPACE}">\n<Document><name>{xml_text(title)}</name>{version}\n'
    for store, measures in shop_measures(result):
        yield _placemark(store, measures)
    yield "</Document>\n</kml>\n"


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    return "".join(stream(result, options))
