"""OGC API - Features over the live shops, under ``/ogc``: the routes.

Each route checks its query (``ogc_params``: an unknown parameter is a 400),
picks JSON or HTML (``f``, else ``Accept``, else JSON), has ``navplugin.ogc``
build the document, and answers like every other read: an ``ETag`` fixed by
the dataset version and the request, ``Cache-Control``, ``Vary: Accept``, and
304 for a matching ``If-None-Match``, checked before any work is done. Pages
of features carry ``Content-Crs`` (Part 2). The HTML pages are templates
under ``templates/ogc/``, with no script and one style allowed by its hash.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from ..ogc import crs, documents, features
from ..ogc.documents import GEOJSON, JSON
from . import ogc_params, openapi, params
from .responses import Asked, service

blueprint = Blueprint("ogc", __name__, url_prefix="/ogc", template_folder="templates")

# The pages' only style, and a policy that allows exactly it: no script, nothing fetched.
STYLE = ("body{font-family:sans-serif;margin:1.5em auto;max-width:90em;padding:0 1em;line-height:1.4}"
         "table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;"
         "vertical-align:top}nav ol{list-style:none;padding:0}nav li{display:inline}"
         "nav li+li::before{content:' / '}small{color:#555}")
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_POLICY = (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'none'; "
               "frame-ancestors 'none'")


def _base() -> str:
    """The service's base URL, ``http://host/ogc``: links are absolute, built from it."""
    return url_for("ogc.landing", _external=True).rstrip("/")


def _representation(allowed: tuple[str, ...], json_type: str) -> str:
    ogc_params.only(request.args, allowed)
    return ogc_params.representation(request.args, request.headers.get("Accept"), json_type)


def _time_stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(value: Any) -> str:
    """A property as a table cell shows it: nothing for null, an object's members in a line."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{key} {_cell(member)}" for key, member in value.items())
    return str(value)


class _Answer:
    """A read answer: its ETag and cache headers, a 304 when the client's copy is current, else the body.

    The ETag is the dataset version and a digest of what the answer depends on
    (base URL, path, query, representation), so it is known before the work.
    """

    def __init__(self, version: int | None, fmt: str, extra: list[tuple[str, str]] | None = None) -> None:
        key = "|".join((request.url_root, request.path, fmt, request.query_string.decode("latin-1")))
        self.fmt = fmt
        self.etag = f"v{version}-{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"
        self.headers = [("ETag", f'"{self.etag}"'),
                        ("Cache-Control", f"public, max-age={service().settings['CACHE_MAX_AGE']}"),
                        ("Vary", "Accept"), *(extra or [])]

    def unchanged(self) -> Response | None:
        if Asked.from_request().matches(self.etag):
            return Response(status=304, headers=self.headers)
        return None

    def text(self, body: str, media_type: str) -> Response:
        return Response(body, headers=self.headers, content_type=media_type)

    def document(self, document: dict[str, Any], template: str, **context: Any) -> Response:
        if self.fmt == "json":
            return self.text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), JSON)
        return self.page(template, document=document, links=document["links"], **context)

    def page(self, template: str, **context: Any) -> Response:
        context.setdefault("crumbs", [])
        body = render_template(f"ogc/{template}", style=STYLE, cell=_cell, **context)
        response = Response(body, headers=self.headers, mimetype="text/html")
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        return response


def _crumbs(base: str, *names: str) -> list[tuple[str, str]]:
    """Links to the pages above this one: the landing page, then ``collections``, ``stores``."""
    paths = {"landing": ("navplugin OGC API", "/"), "collections": ("Collections", "/collections"),
             "stores": ("백년가게", f"/collections/{documents.COLLECTION_ID}"),
             "items": ("Shops", f"/collections/{documents.COLLECTION_ID}/items")}
    return [(paths[name][0], documents.url(base, paths[name][1], "html")) for name in names]


@blueprint.get("/")
def landing() -> Response:
    fmt = _representation(ogc_params.DOCUMENT_PARAMETERS, JSON)
    answer = _Answer(0, fmt)  # changes only with a deployment, as the OpenAPI document does
    if (unchanged := answer.unchanged()) is not None:
        return unchanged
    info = openapi.document()["info"]
    document = documents.landing(_base(), fmt, info["title"], info.get("summary", info.get("description", "")),
                                 url_for("openapi.openapi", _external=True))
    return answer.document(document, "landing.html", title=document["title"])


@blueprint.get("/conformance")
def conformance() -> Response:
    fmt = _representation(ogc_params.DOCUMENT_PARAMETERS, JSON)
    answer = _Answer(0, fmt)
    if (unchanged := answer.unchanged()) is not None:
        return unchanged
    base = _base()
    return answer.document(documents.conformance(base, fmt), "conformance.html", title="Conformance classes",
                           crumbs=_crumbs(base, "landing"))


@blueprint.get("/collections")
def collections() -> Response:
    fmt = _representation(ogc_params.DOCUMENT_PARAMETERS, JSON)
    index = service().index()
    answer = _Answer(index.version, fmt)
    if (unchanged := answer.unchanged()) is not None:
        return unchanged
    base = _base()
    return answer.document(documents.collections(base, index, fmt), "collections.html", title="Collections",
                           crumbs=_crumbs(base, "landing"))


@blueprint.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    documents.check_collection(collection_id)
    fmt = _representation(ogc_params.DOCUMENT_PARAMETERS, JSON)
    index = service().index()
    answer = _Answer(index.version, fmt)
    if (unchanged := answer.unchanged()) is not None:
        return unchanged
    base = _base()
    document = documents.collection(base, index, fmt)
    return answer.document(document, "collection.html", title=document["title"],
                           crumbs=_crumbs(base, "landing", "collections"))


@blueprint.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    documents.check_collection(collection_id)
    fmt = _representation(ogc_params.ITEMS_PARAMETERS, GEOJSON)
    query = ogc_params.items(request.args)
    index = service().index()
    answer = _Answer(index.version, fmt, [("Content-Crs", f"<{query.crs}>")])
    if (unchanged := answer.unchanged()) is not None:
        return unchanged
    base = _base()
    page = features.select(index, query)
    links = documents.items_links(base, query, page.matched, fmt)
    if fmt == "json":
        texts = features.feature_texts(index, page, query.crs)
        return answer.text(features.feature_collection(texts, page.matched, links, _time_stamp()), GEOJSON)
    return answer.page("items.html", title="Shops", links=links, query=query, matched=page.matched,
                       rows=features.rows(index, page, query.crs), axes=crs.axis_names(query.crs),
                       item_url=lambda feature_id: documents.url(base, documents.item_path(feature_id), "html"),
                       time_stamp=_time_stamp(), crumbs=_crumbs(base, "landing", "collections", "stores"))


@blueprint.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    documents.check_collection(collection_id)
    feature_id = params.store_id(feature_id)  # 404 for an id no shop can have
    fmt = _representation(ogc_params.ITEM_PARAMETERS, GEOJSON)
    uri = ogc_params.crs_uri(request.args, "crs")
    index = service().index()
    page = features.one(index, feature_id)
    answer = _Answer(index.version, fmt, [("Content-Crs", f"<{uri}>")])
    if (unchanged := answer.unchanged()) is not None:
        return unchanged
    base = _base()
    links = documents.item_links(base, feature_id, uri, fmt)
    if fmt == "json":
        text = features.feature_texts(index, page, uri)[0]
        return answer.text(features.feature_document(text, links), GEOJSON)
    row = features.rows(index, page, uri)[0]
    return answer.page("item.html", title=row["properties"]["name"], links=links, row=row, crs=uri,
                       axes=crs.axis_names(uri),
                       crumbs=_crumbs(base, "landing", "collections", "stores", "items"))
