"""The admin page shell, its static files and the basemap outlines, through the Flask test client.

The page itself needs no token (it holds no data); everything it shows comes
from /admin/v1, which does. The browser test (test_admin_browser.py) drives
the page end to end.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from shapely.geometry import shape

import navplugin.web


@pytest.fixture
def database_url(tmp_path) -> str:
    """None of these tests reads shops: SQLite alone is enough."""
    return f"sqlite:///{tmp_path / 'navplugin.sqlite3'}"


class _Assets(HTMLParser):
    """The page's scripts and stylesheets, and the ids its elements carry."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.ids: set[str] = set()
        self.inline_scripts = 0
        self.body_data: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "script":
            if values.get("src"):
                self.scripts.append(values["src"])
            else:
                self.inline_scripts += 1
        if tag == "link" and values.get("rel") == "stylesheet":
            self.stylesheets.append(values["href"])
        if tag == "body":
            self.body_data = {k: v for k, v in values.items() if k.startswith("data-")}


def _assets(client) -> _Assets:
    response = client.get("/admin/")
    parser = _Assets()
    parser.feed(response.get_data(as_text=True))
    return parser


def test_page_is_served_without_a_token_in_korean(client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert '<html lang="ko">' in text
    for label in ("로그인", "관리자 토큰", "업로드", "검토", "데이터 버전", "감사 로그", "차이 보기"):
        assert label in text
    assert response.headers["Cache-Control"] == "no-cache"


def test_page_loads_only_its_own_files(client) -> None:
    """No CDN: every script and stylesheet is on this server, and the policy forbids any other origin."""
    assets = _assets(client)
    assert assets.scripts == ["/admin/static/vendor/leaflet/leaflet.js",
                              "/admin/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js",
                              "/admin/static/admin/main.js"]
    assert assets.stylesheets == ["/admin/static/vendor/leaflet/leaflet.css", "/admin/static/admin.css"]
    assert assets.inline_scripts == 0
    policy = client.get("/admin/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    for name in ("default-src", "script-src", "style-src", "connect-src"):
        assert directives[name] == "'self'"
    page = client.get("/admin/").get_data(as_text=True)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_page_tells_the_script_where_the_apis_are(client) -> None:
    assert _assets(client).body_data == {"data-api-root": "/admin/v1", "data-basemap-root": "/admin/basemap",
                                         "data-stores-url": "/v1/stores"}


MODULES = sorted(path.name for path in (Path(navplugin.web.__file__).parent / "static" / "admin").glob("*.js"))


def _module_imports(client, name: str) -> set[str]:
    script = client.get(f"/admin/static/admin/{name}").get_data(as_text=True)
    return set(re.findall(r'from "\./([a-z]+\.js)"', script))


def test_every_module_is_reached_from_main(client) -> None:
    """The page loads main.js alone; every other module is imported, by a relative path, from there."""
    reached, todo = set(), ["main.js"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(_module_imports(client, name))
    assert reached == set(MODULES) and len(MODULES) >= 6


def test_page_has_what_the_script_looks_up(client) -> None:
    """The modules find their elements by id: each $("...") in them exists in the page."""
    wanted = set()
    for name in MODULES:
        script = client.get(f"/admin/static/admin/{name}").get_data(as_text=True)
        wanted |= set(re.findall(r'\$\("([a-z-]+)"\)', script))
    assert wanted, "the modules look nothing up?"
    assert wanted <= _assets(client).ids


@pytest.mark.parametrize(("path", "media_type"), [
    ("/admin/static/admin/main.js", "text/javascript"),
    ("/admin/static/admin/api.js", "text/javascript"),
    ("/admin/static/admin.css", "text/css"),
    ("/admin/static/vendor/leaflet/leaflet.js", "text/javascript"),
    ("/admin/static/vendor/leaflet/leaflet.css", "text/css"),
    ("/admin/static/vendor/leaflet/images/marker-icon.png", "image/png"),
    ("/admin/static/vendor/leaflet/images/marker-icon-2x.png", "image/png"),
    ("/admin/static/vendor/leaflet/images/marker-shadow.png", "image/png"),
    ("/admin/static/vendor/leaflet/images/layers.png", "image/png"),
])
def test_static_files_are_served_with_their_types(client, path, media_type) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert len(response.get_data()) > 100
    response.close()


def test_leaflet_is_the_vendored_release_with_its_licence(client) -> None:
    script = client.get("/admin/static/vendor/leaflet/leaflet.js").get_data(as_text=True)
    assert "Leaflet 1.9.4" in script[:200]
    licence = client.get("/admin/static/vendor/leaflet/LICENSE").get_data(as_text=True)
    assert "BSD 2-Clause" in licence
    source = client.get("/admin/static/vendor/leaflet/SOURCE.md").get_data(as_text=True)
    assert "leaflet@1.9.4" in source and "sha512-" in source and "BSD-2-Clause" in source
    css = client.get("/admin/static/vendor/leaflet/leaflet.css").get_data(as_text=True)
    for image in re.findall(r"url\((images/[^)]+)\)", css):
        assert client.get(f"/admin/static/vendor/leaflet/{image}").status_code == 200


@pytest.mark.parametrize(("level", "low", "high"), [("sido", 17, 17), ("sigungu", 240, 270)])
def test_basemap_is_geojson_of_current_districts(client, level, low, high) -> None:
    response = client.get(f"/admin/basemap/{level}.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = json.loads(response.get_data(as_text=True))
    assert collection["type"] == "FeatureCollection"
    assert low <= len(collection["features"]) <= high
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) == {"code", "name", "short_name"}
        assert shape(feature["geometry"]).is_valid
    names = {f["properties"]["name"] for f in collection["features"]}
    assert ("강원특별자치도" in names) if level == "sido" else ("서울특별시 종로구" in names)


def test_basemap_needs_no_token_and_is_cached_long(client) -> None:
    response = client.get("/admin/basemap/sido.geojson")
    assert response.status_code == 200
    max_age = int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))
    assert "public" in response.headers["Cache-Control"] and max_age >= 24 * 3600
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag)


def test_basemap_revalidates_with_its_etag(client) -> None:
    first = client.get("/admin/basemap/sigungu.geojson")
    again = client.get("/admin/basemap/sigungu.geojson", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    other = client.get("/admin/basemap/sigungu.geojson", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert client.get("/admin/basemap/sido.geojson").headers["ETag"] != first.headers["ETag"]


def test_unknown_basemap_is_a_problem_404(client) -> None:
    response = client.get("/admin/basemap/emd.geojson")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "sido" in response.get_json()["detail"]


def test_admin_api_still_needs_the_token(client) -> None:
    """The page is open; the data behind it is not."""
    assert client.get("/admin/v1/versions").status_code == 401
