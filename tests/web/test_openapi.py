"""The OpenAPI document against the app: valid OpenAPI 3.1, the same routes and methods as the
app, the code's own limits and tables, and real answers (successes and errors) that fit it.

Answers are checked with every object schema closed (``unevaluatedProperties: false``), so a
member the app sends but the document does not name fails here. The document itself stays
open, as clients should ignore members they do not know.
"""
from __future__ import annotations

import copy
import io
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from navplugin.config import SETTINGS_BY_NAME
from navplugin.formats import FORMATS
from navplugin.spatial.crs import CRS_NAMES, normalize_crs
from navplugin.store.audit import ACTIONS
from tests.conftest import ADMIN_TOKEN
from tests.helpers import CSV_HEADER

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
JSON_MEDIA_TYPES = {"application/json", "application/problem+json", "application/geo+json"}
READER_TOKEN = "reader-token-0123456789"
AS_READER = {"Authorization": f"Bearer {READER_TOKEN}"}

HEADER = "관리번호," + CSV_HEADER
ROW_A = "A-1,을지면옥,음식점업,서울특별시 중구 충무로14길 2-1,02-2266-7052,2019,1985,37.5670,126.9918\n"
ROW_B = "A-2,이문설농탕,음식점업,서울특별시 종로구 우정국로 38-13,02-733-6526,2018,1904,37.5720,126.9855\n"
ROW_C = "A-3,인사동 필방,소매업,서울특별시 종로구 인사동길 12 (관훈동),02-735-0000,2020,1950,,\n"  # geocoded offline
ROW_D = "A-4,새 가게,음식점업,서울특별시 종로구 종로 1,02-000-0000,2022,1970,37.5703,126.9793\n"
ROW_BAD = "A-5,,음식점업,서울특별시 종로구 종로 2,02-1,2019,1990,37.57,126.98\n"  # no name


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode("utf-8")


def spec() -> dict[str, Any]:
    from navplugin.web.openapi import document

    return copy.deepcopy(document())  # the served document is shared: never change it


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS}


def openapi_path(rule: Any) -> str:
    """A Flask rule in OpenAPI's path template syntax: ``<int:upload_id>`` -> ``{upload_id}``."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)


def app_operations(app) -> set[tuple[str, str]]:
    """Every (method, path) the app routes, static files aside."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.rpartition(".")[2] == "static":
            continue
        found.update((method.lower(), openapi_path(rule)) for method in rule.methods - {"HEAD", "OPTIONS"})
    return found


# -- the document ----------------------------------------------------------------------------------

def test_document_is_valid_openapi_3_1():
    document = spec()
    assert document["openapi"].startswith("3.1.")
    validate_openapi(document)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_documented_paths_and_methods_are_exactly_the_apps_routes(app):
    document = spec()
    assert app_operations(app) - operations(document) == set(), "routes missing from the document"
    assert operations(document) - app_operations(app) == set(), "documented operations the app does not have"
    for rule in app.url_map.iter_rules():
        if rule.endpoint.rpartition(".")[2] == "static":
            continue
        item = document["paths"][openapi_path(rule)]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            params = [resolve(document, p) for p in item[method.lower()].get("parameters", [])]
            in_path = {p["name"]: p for p in params if p["in"] == "path"}
            assert set(in_path) == set(rule.arguments), (method, rule.rule)
            for converter, name in re.findall(r"<(?:([^<>:]+):)?([^<>]+)>", rule.rule):
                expected = "integer" if converter in ("int", "id") else "string"
                assert in_path[name]["schema"]["type"] == expected, (rule.rule, name)


def test_admin_operations_and_only_they_want_the_bearer_token():
    document = spec()
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for method, path in operations(document):
        operation = document["paths"][path][method]
        wants_token = operation.get("security") == [{"bearerAuth": []}]
        assert wants_token == path.startswith("/admin/v1/"), (method, path)
        if wants_token:
            assert "401" in operation["responses"], (method, path)
            assert ("403" in operation["responses"]) == (method != "get"), (method, path)


def test_every_public_read_documents_the_client_key_and_its_refusals():
    from navplugin.web.gate import gated

    document = spec()
    scheme = document["components"]["securitySchemes"]["clientKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")
    for method, path in operations(document):
        operation = document["paths"][path][method]
        keyed = operation.get("security") == [{}, {"clientKey": []}]
        assert keyed == gated(path), (method, path)
        if keyed:
            responses = operation["responses"]
            assert responses["401"] == {"$ref": "#/components/responses/ClientKeyRequired"}, (method, path)
            assert responses["429"] == {"$ref": "#/components/responses/TooManyRequests"}, (method, path)


def test_limits_formats_and_tables_are_the_codes():
    document = spec()
    parameters = document["components"]["parameters"]
    setting = {name: SETTINGS_BY_NAME[name].default for name in SETTINGS_BY_NAME}
    limit = parameters["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (setting["DEFAULT_LIMIT"], setting["MAX_LIMIT"])
    nearby = {p.get("name"): p for p in document["paths"]["/v1/stores/nearby"]["get"]["parameters"]}
    radius = nearby["radius"]["schema"]
    assert (radius["default"], radius["maximum"]) == (setting["NEARBY_DEFAULT_RADIUS_M"],
                                                      setting["NEARBY_MAX_RADIUS_M"])
    route = document["components"]["schemas"]["RouteRequest"]["properties"]
    assert (route["width"]["default"], route["width"]["maximum"]) == (setting["ROUTE_DEFAULT_WIDTH_M"],
                                                                      setting["ROUTE_MAX_WIDTH_M"])
    assert route["limit"]["maximum"] == setting["MAX_LIMIT"]
    upload_form = (document["paths"]["/admin/v1/uploads"]["post"]["requestBody"]["content"]
                   ["multipart/form-data"]["schema"]["properties"])
    assert upload_form["wait"]["maximum"] == setting["UPLOAD_WAIT_SECONDS"]

    schemas = document["components"]["schemas"]
    assert schemas["Format"]["enum"] == list(FORMATS)
    assert set(CRS_NAMES) <= set(schemas["Crs"]["enum"])
    assert all(normalize_crs(name) for name in schemas["Crs"]["enum"])
    assert schemas["AuditAction"]["enum"] == list(ACTIONS)
    # every list endpoint documents one body per registered format
    for path, method in (("/v1/stores/nearby", "get"), ("/v1/stores", "get"),
                         ("/v1/stores/along-route", "post"), ("/v1/stores/export", "get")):
        content = document["paths"][path][method]["responses"]["200"]["content"]
        assert set(content) == {fmt.essence for fmt in FORMATS.values()}, path


# -- real answers ----------------------------------------------------------------------------------

def pointer(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(document: dict[str, Any], node: Any) -> Any:
    """``node``, or the object its ``$ref`` points to (followed to the end)."""
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(document, node["$ref"])
    return node


# Keywords whose value is one schema, a list of schemas or a map of schemas (JSON Schema 2020-12).
ONE_SCHEMA = {"items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "not", "contains",
              "if", "then", "else", "propertyNames", "contentSchema"}
SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
SCHEMA_MAPS = {"properties", "patternProperties", "dependentSchemas", "$defs"}


def strict(document: dict[str, Any], schema: Any, in_all_of: bool = False) -> Any:
    """``schema`` with every reference inlined and every object schema closed.

    A schema that only lends its members to an ``allOf`` stays open: the schema
    that combines them is closed, and sees the members of all its parts.
    """
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        return strict(document, {**pointer(document, schema["$ref"]), **siblings}, in_all_of)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ONE_SCHEMA:
            out[key] = strict(document, value)
        elif key in SCHEMA_LISTS:
            out[key] = [strict(document, part, in_all_of=key == "allOf") for part in value]
        elif key in SCHEMA_MAPS:
            out[key] = {name: strict(document, part) for name, part in value.items()}
        else:
            out[key] = value  # enum, const, default, examples...: data, not schemas
    names_members = "properties" in schema or "allOf" in schema
    if names_members and not in_all_of and not {"additionalProperties", "unevaluatedProperties"} & set(schema):
        out["unevaluatedProperties"] = False
    return out


class Contract:
    """Checks answers against the document: status, media type, body schema, required headers."""

    def __init__(self, app) -> None:
        self.document = spec()
        self.adapter = app.url_map.bind("localhost")
        self.exercised: set[tuple[str, str]] = set()
        self.failures: list[str] = []

    def check(self, method: str, url: str, response) -> None:
        path = urlsplit(url).path
        rule, _args = self.adapter.match(path, method=method, return_rule=True)
        template = openapi_path(rule)
        self.exercised.add((method.lower(), template))
        where = f"{method} {url} -> {response.status_code}"
        operation = self.document["paths"][template][method.lower()]
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            self.failures.append(f"{where}: status not documented ({', '.join(operation['responses'])})")
            return
        documented = resolve(self.document, documented)
        for name, header in documented.get("headers", {}).items():
            header = resolve(self.document, header)
            value = response.headers.get(name)
            if value is None:
                if header.get("required"):
                    self.failures.append(f"{where}: required header {name} missing")
                continue
            self._validate(f"{where}: header {name}", strict(self.document, header.get("schema", {})), value)
        content = documented.get("content")
        if content is None:
            if response.get_data():
                self.failures.append(f"{where}: a body where the document has none")
            return
        media_type = response.mimetype
        if media_type not in content:
            self.failures.append(f"{where}: media type {media_type} not among {sorted(content)}")
            return
        if media_type not in JSON_MEDIA_TYPES:
            return
        body = json.loads(response.get_data())
        if media_type == "application/problem+json" and body.get("status") != response.status_code:
            self.failures.append(f"{where}: problem status {body.get('status')}")
        self._validate(f"{where}: body", strict(self.document, content[media_type].get("schema", {})), body)

    def _validate(self, where: str, schema: dict[str, Any], value: Any) -> None:
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(part) for part in error.absolute_path)
            self.failures.append(f"{where} at /{path}: {error.message[:300]}")


class Caller:
    """A test client whose every answer is checked by the contract, and whose status is as expected."""

    def __init__(self, app, contract: Contract) -> None:
        self.client = app.test_client()
        self.contract = contract

    def __call__(self, method: str, url: str, status: int | tuple[int, ...], *, parameter: str | None = None,
                 token: str | None = ADMIN_TOKEN, **kwargs: Any):
        headers = dict(kwargs.pop("headers", {}))
        if token is not None and urlsplit(url).path.startswith("/admin/v1/"):
            headers.setdefault("Authorization", f"Bearer {token}")
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        expected = status if isinstance(status, tuple) else (status,)
        assert response.status_code in expected, f"{method} {url}: {response.get_data(as_text=True)[:500]}"
        if parameter is not None:
            assert response.get_json(force=True)["parameter"] == parameter
        self.contract.check(method, url, response)
        return response

    def upload(self, data: bytes, status: int | tuple[int, ...], name: str = "list.csv", query: str = "",
               **options: str):
        form = {"file": (io.BytesIO(data), name), **options}
        return self("POST", f"/admin/v1/uploads{query}", status, data=form, content_type="multipart/form-data")


def test_real_answers_fit_the_documented_schemas(make_app):
    """A walk through every operation, successes and errors, each answer checked against the document."""
    app = make_app(KEEP_VERSIONS=3, ADMIN_TOKENS=f"reader:{READER_TOKEN}:read", MAX_UPLOAD_BYTES=4096)
    contract = Contract(app)
    call = Caller(app, contract)

    # Before any list: health, this document, the admin page, answers without a dataset version.
    call("GET", "/healthz", 200)
    assert call("GET", "/readyz", 200).get_json()["dataset_version"] is None
    exposition = call("GET", "/metrics", 200).get_data(as_text=True)
    assert 'navplugin_http_requests_total{method="GET",route="/healthz",status="200"}' in exposition
    served = call("GET", "/v1/openapi.json", 200)
    assert served.get_json() == spec()
    call("GET", "/v1/openapi.json", 304, headers={"If-None-Match": served.headers["ETag"]})
    call("GET", "/admin/", 200)
    call("GET", "/admin/basemap/sido.geojson", 200)
    call("GET", "/admin/basemap/emd.geojson", 404)
    assert call("GET", "/v1/stores/nearby?lat=37.57&lon=126.99", 200).get_json()["count"] == 0

    # Uploads: tokens, bad requests, a rejected list, a dry run, then real versions.
    call("GET", "/admin/v1/whoami", 401, token=None)
    call("GET", "/admin/v1/whoami", 401, token="not-a-token")
    assert call("GET", "/admin/v1/whoami", 200, token=READER_TOKEN).get_json() == {"name": "reader", "role": "read"}
    call("POST", "/admin/v1/uploads", 400, parameter="file", data={}, content_type="multipart/form-data")
    call.upload(csv(ROW_A), 400, mode="append")
    call.upload(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), 415, name="photo.png")
    call.upload(csv(ROW_A) * 40, 413)
    rejected = call.upload(csv(ROW_A, ROW_BAD), 422).get_json()
    assert rejected["report"]["invalid_rows"] == 1
    assert call.upload(csv(ROW_A, ROW_B), 200, dry_run="true").get_json()["would_accept"] is True
    first = call.upload(csv(ROW_A, ROW_B, ROW_C), 201).get_json()
    call("GET", f"/admin/v1/uploads/{first['upload']['id']}", 200)
    call("GET", "/admin/v1/uploads/999", 404)
    # wait=0 answers at once: 202 while the job runs, 201 if it was already done
    merged = call.upload(csv(ROW_D), (201, 202), query="?wait=0", mode="merge").get_json()
    app.extensions["navplugin"].runner.wait(merged["upload"]["id"], 30)
    status = call("GET", f"/admin/v1/uploads/{merged['upload']['id']}", 200).get_json()
    assert status["status"] == "done", status

    # Navigation: every list endpoint in every format, with coordinates, pages and errors.
    near = "/v1/stores/nearby?lat=37.5704&lon=126.9910"
    items = call("GET", f"{near}&crs=katec", 200).get_json()["items"]
    assert sorted(item["id"] for item in items) == ["A-1", "A-2", "A-3", "A-4"] and "x" in items[0]
    assert [item["distance_m"] for item in items] == sorted(item["distance_m"] for item in items)
    for fmt in FORMATS:
        call("GET", f"{near}&format={fmt}", 200)
    call("GET", near, 200, headers={"Accept": "application/geo+json"})
    etag = call("GET", near, 200).headers["ETag"]
    call("GET", near, 304, headers={"If-None-Match": etag})
    call("GET", "/v1/stores/nearby?lat=abc&lon=126.99", 400, parameter="lat")
    call("GET", f"{near}&radius=0", 400, parameter="radius")
    call("GET", f"{near}&limit=201", 400, parameter="limit")
    call("GET", "/v1/stores/nearby?x=311063&y=552494&crs=katec", 200)
    call("GET", "/v1/stores/nearby?x=311063&y=552494", 400, parameter="crs")
    page = call("GET", "/v1/stores?bbox=126.95,37.54,127.02,37.60&limit=1", 200)
    assert page.headers["Link"] == f'<{page.get_json()["next"]}>; rel="next"'
    call("GET", "/v1/stores?bbox=126.95,37.54,127.02,37.60&format=geojson&crs=utmk", 200)
    call("GET", "/v1/stores?bbox=127.02,37.54,126.95,37.60", 400, parameter="bbox")
    call("GET", "/v1/stores", 400, parameter="bbox")
    route = {"coordinates": [[126.978, 37.566], [127.0, 37.575]], "width": 800}
    assert call("POST", "/v1/stores/along-route", 200, json=route).get_json()["count"] >= 1
    call("POST", "/v1/stores/along-route?format=kml", 200, json=route)
    # the same route as a Google encoded polyline
    call("POST", "/v1/stores/along-route", 200, json={"polyline": "obhdFok_fWgw@ohC", "precision": 5, "width": 800})
    call("POST", "/v1/stores/along-route", 400, parameter="body", data="not json", content_type="application/json")
    call("POST", "/v1/stores/along-route", 400, parameter="route", json={"coordinates": [[126.97, 37.56]]})
    call("POST", "/v1/stores/along-route", 400, parameter="width", json={**route, "width": 5001})
    exported = call("GET", "/v1/stores/export?format=csv&region=서울", 200)
    call("GET", "/v1/stores/export?format=csv&region=서울", 304, headers={"If-None-Match": exported.headers["ETag"]})
    call("GET", "/v1/stores/export", 200)
    call("GET", "/v1/stores/export?format=geojson&category=소매업", 200)
    call("GET", "/v1/stores/export?format=ov2", 200)
    call("GET", "/v1/stores/export?format=xls", 400, parameter="format")
    call("GET", "/v1/stores/A-3", 200)
    call("GET", "/v1/stores/no-such-shop", 404)
    region = call("GET", "/v1/regions/lookup?lat=37.5665&lon=126.9780", 200).get_json()
    assert region["sigungu"]["name"] == "중구"
    call("GET", "/v1/regions/lookup?lat=36.0&lon=125.0", 404)  # the Yellow Sea
    call("GET", "/v1/regions/lookup?lon=126.978", 400, parameter="lat")
    walk_search(call)
    walk_accuracy(call)
    walk_tiles(call)
    walk_ogc(call)
    walk_clients(call)

    # Corrections, each a new version: v3 moves a pin, v4 revokes, v5 restores, v6 clears the override.
    call("PATCH", "/admin/v1/stores/A-1", 200, json={"lat": 37.567, "lon": 126.992, "reason": "현장 확인"})
    call("PATCH", "/admin/v1/stores/A-1", 400, parameter="reason", json={"lat": 37.567, "lon": 126.992})
    call("PATCH", "/admin/v1/stores/A-1", 400, parameter="colour", json={"colour": "red", "reason": "x"})
    call("PATCH", "/admin/v1/stores/nope", 404, json={"phone": "02-1", "reason": "x"})
    call("POST", "/admin/v1/stores/A-2/revoke", 403, token=READER_TOKEN, json={"reason": "폐업"})
    revoked = call("POST", "/admin/v1/stores/A-2/revoke", 200, json={"reason": "폐업"}).get_json()
    assert revoked["item"] is None
    call("POST", "/admin/v1/stores/A-2/revoke", 409, json={"reason": "again"})
    call("POST", "/admin/v1/stores/A-2/revoke", 400, parameter="body", data="[]", content_type="application/json")
    call("POST", "/admin/v1/stores/A-2/restore", 200, json={"reason": "취소 철회"})
    call("POST", "/admin/v1/stores/A-2/restore", 409, json={"reason": "again"})
    call("DELETE", "/admin/v1/stores/A-1/override", 200, json={"reason": "원래 좌표로"})
    call("DELETE", "/admin/v1/stores/A-1/override?reason=again", 409)
    call("GET", "/admin/v1/stores/A-1", 200)
    call("GET", "/admin/v1/stores/nope", 404)

    # Versions: only the newest three are kept, so delta sync from the first is gone.
    versions = call("GET", "/admin/v1/versions", 200).get_json()["items"]
    newest = versions[0]["version"]
    assert [v["version"] for v in versions] == [newest, newest - 1, newest - 2] and newest - 2 > first["version"]
    gone = call("GET", f"/v1/changes?since={first['version']}", 410).get_json()
    assert gone["export"] == "/v1/stores/export"
    changes = call("GET", "/v1/changes?since=0", 200)
    call("GET", "/v1/changes?since=0", 304, headers={"If-None-Match": changes.headers["ETag"]})
    call("GET", f"/v1/changes?since={newest - 2}", 200)
    call("GET", "/v1/changes?since=abc", 400, parameter="since")
    call("GET", "/v1/changes?since=9999", 400, parameter="since")
    call("GET", f"/admin/v1/versions/{newest - 2}/diff/{newest}", 200)
    call("GET", f"/admin/v1/versions/{newest - 2}/diff/{newest}?limit=0", 400, parameter="limit")
    call("GET", f"/admin/v1/versions/{first['version']}/diff/{newest}", 404)
    call("POST", f"/admin/v1/versions/{newest - 1}/activate", 403, token=READER_TOKEN)
    assert call("POST", f"/admin/v1/versions/{newest - 1}/activate", 200).get_json()["previous"] == newest
    call("POST", "/admin/v1/versions/9999/activate", 404)

    # What admins look back on.
    call("GET", "/admin/v1/review?limit=5", 200)
    call("GET", "/admin/v1/review?offset=-1", 400, parameter="offset")
    call("GET", "/admin/v1/overrides", 200)
    overview = call("GET", "/admin/v1/overview?limit=2", 200)
    assert overview.get_json()["to_pin"]["count"] == overview.get_json()["total"] > 2
    call("GET", overview.get_json()["to_pin"]["next"], 200)
    call("GET", "/admin/v1/overview?limit=2", 304, headers={"If-None-Match": overview.headers["ETag"]})
    call("GET", "/admin/v1/overview?limit=201", 400, parameter="limit")
    audit = call("GET", "/admin/v1/audit?limit=2", 200).get_json()
    call("GET", audit["next"], 200)
    call("GET", "/admin/v1/audit?action=store.revoke&target=store:A-2", 200)
    call("GET", "/admin/v1/audit?action=nonsense", 400, parameter="action")

    assert not contract.failures, "answers that do not fit the document:\n" + "\n".join(contract.failures[:30])
    assert operations(contract.document) - contract.exercised == set(), "operations the walk never called"


def walk_search(call: Caller) -> None:
    """Search by name, and ``q`` narrowing the other reads (the list of the walk above is live)."""
    from urllib.parse import quote

    def search(q: str, more: str = "") -> str:
        return f"/v1/stores/search?q={quote(q)}{more}"

    found = call("GET", search("이문 설농탕"), 200).get_json()
    assert (found["items"][0]["id"], found["items"][0]["match_tier"]) == ("A-2", 1)
    assert call("GET", search("ㅇㅈㅁㅇ"), 200).get_json()["items"][0]["id"] == "A-1"  # 초성 of 을지면옥
    near = call("GET", search("면옥", "&lat=37.5704&lon=126.9910&crs=katec"), 200).get_json()["items"]
    assert [item["id"] for item in near] == ["A-1"] and {"distance_m", "bearing_deg", "match_tier", "x"} <= set(near[0])
    for fmt in FORMATS:
        call("GET", search("서울", f"&format={fmt}"), 200)
    etag = call("GET", search("필방"), 200).headers["ETag"]
    call("GET", search("필방"), 304, headers={"If-None-Match": etag})
    page = call("GET", search("서울", "&limit=1"), 200)  # every shop's address: four pages
    assert page.headers["Link"] == f'<{page.get_json()["next"]}>; rel="next"'
    call("GET", page.get_json()["next"], 200)
    call("GET", "/v1/stores/search", 400, parameter="q")
    call("GET", search("가" * 101), 400, parameter="q")
    call("GET", search("?!"), 400, parameter="q")
    call("GET", search("서울", "&limit=0"), 400, parameter="limit")
    call("GET", search("서울", "&cursor=zzz"), 400, parameter="cursor")
    call("GET", search("서울", "&lat=37.5"), 400, parameter="lon")

    narrowed = call("GET", f"/v1/stores/nearby?lat=37.5704&lon=126.9910&q={quote('면옥')}", 200).get_json()
    assert [item["id"] for item in narrowed["items"]] == ["A-1"]
    call("GET", "/v1/stores/nearby?lat=37.5704&lon=126.9910&q=", 400, parameter="q")
    narrowed = call("GET", f"/v1/stores?bbox=126.95,37.54,127.02,37.60&q={quote('필방')}", 200).get_json()
    assert [item["id"] for item in narrowed["items"]] == ["A-3"]
    route = {"coordinates": [[126.978, 37.566], [127.0, 37.575]], "width": 800}
    narrowed = call("POST", "/v1/stores/along-route", 200, json={**route, "q": "설농탕"}).get_json()
    assert [item["id"] for item in narrowed["items"]] == ["A-2"]
    call("POST", f"/v1/stores/along-route?q={quote('설농탕')}", 400, parameter="q", json=route)
    call("POST", "/v1/stores/along-route", 400, parameter="q", json={**route, "q": ""})


def walk_accuracy(call: Caller) -> None:
    """``accuracy_m`` on every item and ``max_accuracy_m`` on every list (the walk's shops are the list's own points)."""
    items = call("GET", "/v1/stores/nearby?lat=37.5704&lon=126.9910&max_accuracy_m=100", 200).get_json()["items"]
    assert items and {(item["accuracy_m"], item["approximate"]) for item in items} == {(100, False)}
    assert call("GET", "/v1/stores/nearby?lat=37.5704&lon=126.9910&max_accuracy_m=99.5", 200).get_json()["count"] == 0
    call("GET", "/v1/stores?bbox=126.95,37.54,127.02,37.60&max_accuracy_m=100", 200)
    call("GET", "/v1/stores/search?q=%EB%A9%B4%EC%98%A5&max_accuracy_m=100", 200)
    call("GET", "/v1/stores/export?max_accuracy_m=100", 200)
    call("GET", "/v1/stores/nearby?lat=37.5704&lon=126.9910&max_accuracy_m=0", 400, parameter="max_accuracy_m")
    route = {"coordinates": [[126.978, 37.566], [127.0, 37.575]], "width": 800}
    assert call("POST", "/v1/stores/along-route", 200, json={**route, "max_accuracy_m": 50}).get_json()["count"] == 0
    call("POST", "/v1/stores/along-route?max_accuracy_m=50", 400, parameter="max_accuracy_m", json=route)
    call("POST", "/v1/stores/along-route", 400, parameter="max_accuracy_m", json={**route, "max_accuracy_m": -1})


def walk_tiles(call: Caller) -> None:
    """Vector tiles of the live list."""
    import mapbox_vector_tile

    # the z 12 tile of 을지로/종로, where A-1..A-4 are: four shops in one tile
    seoul = "/v1/tiles/12/3492/1586.mvt"
    tile = call("GET", seoul, 200)
    assert tile.mimetype == "application/vnd.mapbox-vector-tile"
    features = mapbox_vector_tile.decode(tile.get_data())["stores"]["features"]
    assert sum(feature["properties"].get("point_count", 1) for feature in features) == 4
    call("GET", seoul, 304, headers={"If-None-Match": tile.headers["ETag"]})
    assert call("GET", "/v1/tiles/5/0/0.mvt", 200).get_data() == b""  # no shops there: an empty tile
    call("GET", "/v1/tiles/5/abc/0.mvt", 400, parameter="x")
    call("GET", "/v1/tiles/19/0/0.mvt", 404, parameter="z")
    call("GET", "/v1/tiles/5/0/32.mvt", 404, parameter="y")


def walk_ogc(call: Caller) -> None:
    """The OGC API - Features service under /ogc."""
    utmk = "http://www.opengis.net/def/crs/EPSG/0/5179"
    landing = call("GET", "/ogc/", 200)
    assert {link["rel"] for link in landing.get_json()["links"]} >= {"self", "service-desc", "conformance", "data"}
    call("GET", "/ogc/", 304, headers={"If-None-Match": landing.headers["ETag"]})
    call("GET", "/ogc/", 200, headers={"Accept": "text/html"})
    call("GET", "/ogc/?f=xml", 400, parameter="f")
    call("GET", "/ogc/conformance", 200)
    call("GET", "/ogc/conformance?f=html", 200)
    call("GET", "/ogc/conformance?service=WFS", 400, parameter="service")
    call("GET", "/ogc/collections", 200)
    call("GET", "/ogc/collections?f=html", 200)
    call("GET", "/ogc/collections?limit=1", 400, parameter="limit")
    collection = call("GET", "/ogc/collections/stores", 200)
    call("GET", "/ogc/collections/stores", 304, headers={"If-None-Match": collection.headers["ETag"]})
    call("GET", "/ogc/collections/stores?f=html", 200)
    call("GET", "/ogc/collections/stores?f=pdf", 400, parameter="f")
    call("GET", "/ogc/collections/shops", 404)

    page = call("GET", "/ogc/collections/stores/items?limit=3", 200)
    body = page.get_json(force=True)
    assert (body["numberMatched"], body["numberReturned"]) == (4, 3)
    assert [feature["id"] for feature in body["features"]] == ["A-1", "A-2", "A-3"]
    nexts = [link["href"] for link in body["links"] if link["rel"] == "next"]
    last = call("GET", nexts[0], 200).get_json(force=True)
    assert [feature["id"] for feature in last["features"]] == ["A-4"]
    call("GET", "/ogc/collections/stores/items?limit=3", 304, headers={"If-None-Match": page.headers["ETag"]})
    projected = call("GET", f"/ogc/collections/stores/items?crs={utmk}&bbox-crs={utmk}"
                            "&bbox=1951000,954000,1953000,956000&limit=20000", 200)
    assert projected.headers["Content-Crs"] == f"<{utmk}>" and projected.get_json(force=True)["numberMatched"] >= 1
    call("GET", "/ogc/collections/stores/items?bbox=126.95,37.54,127.02,37.60&datetime=2026-01-01T00:00:00Z/..", 200)
    call("GET", "/ogc/collections/stores/items?limit=2", 200, headers={"Accept": "text/html"})
    call("GET", "/ogc/collections/stores/items?limit=0", 400, parameter="limit")
    call("GET", "/ogc/collections/stores/items?bbox=126.95,37.54,127.02", 400, parameter="bbox")
    call("GET", "/ogc/collections/stores/items?crs=EPSG:4326", 400, parameter="crs")
    call("GET", "/ogc/collections/stores/items?datetime=yesterday", 400, parameter="datetime")
    call("GET", "/ogc/collections/stores/items?category=x", 400, parameter="category")
    call("GET", "/ogc/collections/shops/items", 404)

    item = call("GET", "/ogc/collections/stores/items/A-1", 200)
    assert item.get_json(force=True)["properties"]["name"] == "을지면옥"
    call("GET", "/ogc/collections/stores/items/A-1", 304, headers={"If-None-Match": item.headers["ETag"]})
    call("GET", f"/ogc/collections/stores/items/A-2?crs={utmk}", 200)
    call("GET", "/ogc/collections/stores/items/A-2?f=html", 200)
    call("GET", "/ogc/collections/stores/items/A-2?crs=utmk", 400, parameter="crs")
    call("GET", "/ogc/collections/stores/items/no-such-shop", 404)


def walk_clients(call: Caller) -> None:
    """Client keys: made, used, limited, rotated and revoked."""
    near = "/v1/stores/nearby?lat=37.5704&lon=126.9910"
    made = call("POST", "/admin/v1/clients", 201, json={"name": "원내비", "rate": "2/minute"}).get_json()
    call("POST", "/admin/v1/clients", 400, parameter="rate", json={"name": "원내비", "rate": "often"})
    call("POST", "/admin/v1/clients", 403, token=READER_TOKEN, json={"name": "원내비", "rate": "2/minute"})
    call("POST", "/admin/v1/clients", 413, data=b'{"name": "' + b"x" * 70_000 + b'"}',
         content_type="application/json")
    keyed = {"X-API-Key": made["key"]}
    assert call("GET", near, 200, headers=keyed).headers["RateLimit-Remaining"] == "1"
    call("GET", "/v1/stores/A-3", 200, headers=keyed)
    call("GET", near, 429, headers=keyed)
    call("GET", near, 401, headers={"X-API-Key": "np_unknown"})
    call("GET", f"{near}&api_key={made['key']}", 400, parameter="api_key")
    listed = call("GET", "/admin/v1/clients", 200)
    call("GET", "/admin/v1/clients", 304, headers={"If-None-Match": listed.headers["ETag"]})
    call("GET", f"/admin/v1/clients/{made['id']}", 200)
    call("GET", "/admin/v1/clients/999", 404)
    call("PATCH", f"/admin/v1/clients/{made['id']}", 200, json={"rate": "600/minute"})
    call("PATCH", f"/admin/v1/clients/{made['id']}", 400, parameter="rate", json={"rate": ""})
    call("PATCH", "/admin/v1/clients/999", 404, json={"rate": "600/minute"})
    rotated = call("POST", f"/admin/v1/clients/{made['id']}/rotate", 200).get_json()
    call("POST", "/admin/v1/clients/999/rotate", 404)
    assert call("GET", near, 200, headers={"X-API-Key": rotated["key"]}).headers["RateLimit-Limit"] == "600"
    call("POST", f"/admin/v1/clients/{made['id']}/revoke", 200)
    call("POST", f"/admin/v1/clients/{made['id']}/revoke", 409)
    call("PATCH", f"/admin/v1/clients/{made['id']}", 409, json={"rate": "1/minute"})
    call("POST", f"/admin/v1/clients/{made['id']}/rotate", 403, token=READER_TOKEN)
    call("POST", "/admin/v1/clients/999/revoke", 404)
