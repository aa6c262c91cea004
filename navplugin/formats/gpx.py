"""GPX 1.1: one ``<wpt lat lon>`` per shop with ``name``, ``desc``, ``link`` and ``type``.

Written as text pieces so an export streams; escaping and the shop's
description come from ``text.py``, shared with KML and CSV.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping
from urllib.parse import quote

from ..model import QueryResult, Store
from .common import COORDINATE_DECIMALS, RenderCache
from .text import XML_DECLARATION, describe, shop_measures, xml_attribute, xml_text

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
GPX_SCHEMA_LOCATION = f"{GPX_NAMESPACE} http://www.topografix.com/GPX/1/1/gpx.xsd"


def _link(template: str, store: Store) -> str:
    """The shop's page: ``{id}`` in the option's URL is replaced by the percent-encoded shop id."""
    return template.replace("{id}", quote(store.id, safe=""))


def _waypoint_head(store: Store) -> str:
    """``<wpt lat lon><name>``: the part that does not depend on the query."""
    digits = COORDINATE_DECIMALS
    return (f'<wpt lat="{store.lat:.{digits}f}" lon="{store.lon:.{digits}f}">'
            f"<name>{xml_text(store.name)}</name>")


_heads = RenderCache(_waypoint_head)


def _waypoint(store: Store, measures: Mapping[str, float], link: str | None) -> str:
    # GPX 1.1 fixes the order of a wpt's children: name, desc, link, type.
    parts = [_heads(store)]
    description = describe(store, measures)
    if description:
        parts.append(f"<desc>{xml_text(description)}</desc>")
    if link:
        parts.append(f"<link href={xml_attribute(_link(link, store))}><text>{xml_text(store.name)}</text></link>")
    if store.category:
        parts.append(f"<type>{xml_text(store.category)}</type>")
    parts.append("</wpt>\n")
    return "".join(parts)


def stream(result: QueryResult, options: Mapping[str, Any] | None = None) -> Iterator[str]:
    """The GPX document in pieces. Options: ``link`` (a URL, ``{id}`` filled in), ``title`` (the file's name)."""
    options = options or {}
    link = options.get("link") or None
    title = options.get("title") or "백년가게"
    metadata = f"<name>{xml_text(title)}</name>"
    if result.dataset_version is not None:
        metadata += f"<desc>dataset version {int(result.dataset_version)}</desc>"
    yield (f'{XML_DECLARATION}<gpx xmlns="{GPX_NAMESPACE}" version="1.1" creator="navplugin" '
           f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{GPX_SCHEMA_LOCATION}">\n'
           f"<metadata>{metadata}</metadata>\n")
    for store, measures in shop_measures(result):
        yield _waypoint(store, measures, link)
    yield "</gpx>\n"


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    return "".join(stream(result, options))
