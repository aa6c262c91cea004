"""The nearby fast path answers exactly what the Flask view answers: status, headers and body, byte for byte."""
from __future__ import annotations

import pytest

from tests.helpers import GOOD_CSV, upload

NEARBY = "/v1/stores/nearby?lat=37.5704&lon=126.9910&radius=3000"
REQUESTS = [
    (NEARBY, {}),
    (NEARBY + "&limit=2", {}),
    (NEARBY + "&category=음식점업", {}),  # not ASCII: Werkzeug's parse, through Flask either way
    (NEARBY + "&category=%EC%9D%8C%EC%8B%9D%EC%A0%90%EC%97%85", {}),
    (NEARBY + "&format=geojson", {}),
    (NEARBY + "&format=gpx", {}),
    (NEARBY + "&format=kml", {}),
    (NEARBY + "&format=csv", {}),
    (NEARBY + "&format=ov2", {}),
    (NEARBY + "&crs=katec", {}),
    (NEARBY, {"Accept": "application/geo+json"}),
    (NEARBY, {"Accept": "text/csv;q=0.9, application/gpx+xml"}),
    (NEARBY, {"Accept": "image/png"}),
    ("/v1/stores/nearby?x=309947&y=552092&crs=katec", {}),
    ("/v1/stores/nearby?lat=abc&lon=1", {}),
    ("/v1/stores/nearby?lat=٣٧&lon=127", {}),
    ("/v1/stores/nearby?lat=37.5", {}),
    ("/v1/stores/nearby?lat=37.5&lon=127&limit=999", {}),
    ("/v1/stores/nearby?lat=37.5&lon=127&format=pdf", {}),
    ("/v1/stores/nearby?lat=37.5&lon=127&radius=0", {}),
    ("/v1/stores/nearby", {}),
    ("/v1/stores/nearby?lat=37.5&lat=38&lon=127", {}),
    ("/v1/stores/nearby?&&lat=37.5&lon=127&=x&flag", {}),
]


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'navplugin.sqlite3'}"


def _answer(client, path, headers):
    response = client.get(path, headers=headers)
    kept = sorted((name, value) for name, value in response.headers.items() if name != "X-Request-ID")
    return response.status_code, kept, response.get_data()


def test_the_fast_path_and_flask_answer_alike(make_app, admin_headers):
    fast, flask = make_app(FAST_PATH=True), make_app(FAST_PATH=False)  # two processes on one database
    assert upload(fast.test_client(), admin_headers, GOOD_CSV).status_code == 201
    flask.extensions["navplugin"].holder.refresh()
    fast_client, flask_client = fast.test_client(), flask.test_client()
    for path, headers in REQUESTS:
        first = _answer(fast_client, path, headers)
        assert first == _answer(flask_client, path, headers), path
        etag = dict(first[1]).get("ETag")
        if etag:  # the conditional request too
            again = {**headers, "If-None-Match": etag}
            assert _answer(fast_client, path, again) == _answer(flask_client, path, again), path
            assert _answer(fast_client, path, again)[0] == 304


def _layers(app) -> list[str]:
    """The WSGI layers in front of Flask's own, outermost first."""
    found, layer = [], app.wsgi_app
    while hasattr(layer, "app") or hasattr(layer, "inner"):
        found.append(type(layer).__name__)
        layer = getattr(layer, "inner", None) or layer.app
    return found


def test_the_fast_path_is_in_front_of_flask_only_when_set(make_app):
    on, off = make_app(FAST_PATH=True), make_app(FAST_PATH=False)
    on.test_client().get("/healthz")  # the first request: the start-up layer steps aside
    off.test_client().get("/healthz")
    assert _layers(on) == ["Middleware", "ClientGate", "FastPath"]
    assert _layers(off) == ["Middleware", "ClientGate"]


def test_the_fast_path_counts_its_requests_under_the_route(make_app):
    client = make_app().test_client()
    client.get("/v1/stores/nearby?lat=37.5&lon=127")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'navplugin_http_requests_total{method="GET",route="/v1/stores/nearby",status="200"}' in text
