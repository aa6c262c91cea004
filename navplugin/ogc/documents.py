"""The OGC service's documents other than features: landing page, conformance, collection metadata, links.

Every document is plain data for either representation: ``json`` (sent as
is) or ``html`` (a page drawn from the same data), and its ``self`` link is
in the representation asked for, its ``alternate`` in the other one. Links
are absolute URLs from the service's base URL (``http://host/ogc``), a plain
string from the web layer: GDAL resolves a path-absolute link against the
landing page rather than the host, so relative links would mislead it.
Each link names its representation with ``f``, so it means the same
whatever ``Accept`` header follows it.
"""
from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import quote, urlencode

from ..errors import NotFound
from ..spatial.index import StoreIndex
from . import crs
from .features import ItemsQuery

COLLECTION_ID = "stores"

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI_3_1 = "application/vnd.oai.openapi+json;version=3.1"

# The conformance classes served, each exercised by tests/web/test_ogc.py. Not "oas30": the
# service description (``service-desc``) is the whole API's OpenAPI 3.1 document, not 3.0.
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
HTML_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"
CRS_CLASS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
CONFORMANCE: tuple[str, ...] = (CORE, GEOJSON_CLASS, HTML_CLASS, CRS_CLASS)

REPRESENTATIONS = ("json", "html")
_OTHER = {"json": "html", "html": "json"}
_NAMES = {"json": "JSON", "html": "HTML"}

Params = Iterable[tuple[str, str]]


def url(base: str, path: str, fmt: str, params: Params = ()) -> str:
    # ':' and '/' stay readable in CRS URIs, ',' in a bbox: all three are allowed in a query (RFC 3986).
    return f"{base}{path}?" + urlencode([("f", fmt), *params], safe=",:/")


def link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _media_type(fmt: str, json_type: str) -> str:
    return HTML if fmt == "html" else json_type


def _self_and_alternate(base: str, path: str, fmt: str, what: str, json_type: str = JSON,
                        params: Params = ()) -> list[dict[str, str]]:
    params = list(params)
    other = _OTHER[fmt]
    return [link(url(base, path, fmt, params), "self", _media_type(fmt, json_type), f"{what} ({_NAMES[fmt]})"),
            link(url(base, path, other, params), "alternate", _media_type(other, json_type),
                 f"{what} ({_NAMES[other]})")]


def check_collection(collection_id: str) -> None:
    if collection_id != COLLECTION_ID:
        raise NotFound(f"no collection {collection_id!r}; the only collection is {COLLECTION_ID!r}")


def landing(base: str, fmt: str, title: str, description: str, service_desc: str) -> dict[str, Any]:
    links = _self_and_alternate(base, "/", fmt, "This landing page")
    links.append(link(service_desc, "service-desc", OPENAPI_3_1, "The API definition (OpenAPI 3.1)"))
    for each in REPRESENTATIONS:
        media_type = _media_type(each, JSON)
        links.append(link(url(base, "/conformance", each), "conformance", media_type,
                          f"Conformance classes ({_NAMES[each]})"))
        links.append(link(url(base, "/collections", each), "data", media_type, f"Collections ({_NAMES[each]})"))
    return {"title": title, "description": description, "links": links}


def conformance(base: str, fmt: str) -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE),
            "links": _self_and_alternate(base, "/conformance", fmt, "Conformance classes")}


def _version_text(index: StoreIndex) -> str:
    return "no dataset version live yet" if index.version is None else f"dataset version {index.version}"


def collection(base: str, index: StoreIndex, fmt: str) -> dict[str, Any]:
    """The ``stores`` collection's metadata: extent from the live shops, the CRSs offered (Part 2)."""
    path = f"/collections/{COLLECTION_ID}"
    links = _self_and_alternate(base, path, fmt, "This collection")
    for each in REPRESENTATIONS:
        links.append(link(url(base, f"{path}/items", each), "items", _media_type(each, GEOJSON),
                          f"The shops ({_NAMES[each]})"))
    document: dict[str, Any] = {
        "id": COLLECTION_ID,
        "title": "백년가게: certified centennial shops",
        "description": (f"Every live certified shop ({_version_text(index)}, {len(index)} shops): "
                        "feature ids are shop ids, properties as in /v1/stores/export?format=geojson."),
        "itemType": "feature",
        "links": links,
        "crs": list(crs.OFFERED),
        "storageCrs": crs.STORAGE_CRS,
    }
    bbox = crs.extent(index)
    if bbox is not None:
        document["extent"] = {"spatial": {"bbox": [bbox], "crs": crs.CRS84}}
    return document


def collections(base: str, index: StoreIndex, fmt: str) -> dict[str, Any]:
    return {"links": _self_and_alternate(base, "/collections", fmt, "Collections"),
            "collections": [collection(base, index, fmt)]}


def _items_params(query: ItemsQuery, offset: int) -> list[tuple[str, str]]:
    """The query of a page's links: the same selection, at ``offset``."""
    params = [("limit", str(query.limit)), ("offset", str(offset))]
    if query.bbox is not None:
        params.append(("bbox", ",".join(repr(value) for value in query.bbox)))
        if query.bbox_crs != crs.CRS84:
            params.append(("bbox-crs", query.bbox_crs))
    if query.crs != crs.CRS84:
        params.append(("crs", query.crs))
    if query.datetime is not None:
        params.append(("datetime", query.datetime))
    return params


def items_links(base: str, query: ItemsQuery, matched: int, fmt: str) -> list[dict[str, str]]:
    """self, alternate, next and prev (where there are such pages) and the collection."""
    path = f"/collections/{COLLECTION_ID}/items"
    links = _self_and_alternate(base, path, fmt, "This page", GEOJSON, _items_params(query, query.offset))
    media_type = _media_type(fmt, GEOJSON)
    if query.offset + query.limit < matched:
        links.append(link(url(base, path, fmt, _items_params(query, query.offset + query.limit)), "next",
                          media_type, "The next page"))
    if query.offset > 0:
        links.append(link(url(base, path, fmt, _items_params(query, max(0, query.offset - query.limit))), "prev",
                          media_type, "The previous page"))
    links.append(link(url(base, f"/collections/{COLLECTION_ID}", fmt), "collection", _media_type(fmt, JSON),
                      "The collection"))
    return links


def item_path(feature_id: str) -> str:
    return f"/collections/{COLLECTION_ID}/items/{quote(feature_id, safe='')}"


def item_links(base: str, feature_id: str, uri: str, fmt: str) -> list[dict[str, str]]:
    params = [] if uri == crs.CRS84 else [("crs", uri)]
    links = _self_and_alternate(base, item_path(feature_id), fmt, "This shop", GEOJSON, params)
    links.append(link(url(base, f"/collections/{COLLECTION_ID}", fmt), "collection", _media_type(fmt, JSON),
                      "The collection"))
    return links
