"""Request readers that need a request but no app: query parameters as ``request.args.get`` sees them."""
from __future__ import annotations

import pytest
from flask import Flask, request

from navplugin.web.params import query_args as request_args

QUERIES = [
    "lat=37.5&lon=127.0&radius=5000&limit=20",
    "lat=37.5&lat=38&lon=127",  # the first value of a repeated name wins
    "a=&b&=c&&d=1=2",  # blank values, a bare name, an empty name, an empty pair, '=' inside a value
    "",
    "name=%EB%B0%B1%EB%85%84&x=1",  # percent-encoded: Werkzeug's parse
    "q=a+b&x=%ZZ",  # '+' and an invalid escape
    "category=한식",  # not ASCII
]


@pytest.mark.parametrize("query", QUERIES)
def test_request_args_answer_what_request_args_get_answers(query):
    app = Flask(__name__)
    # WSGI carries the raw query string as latin-1 text
    raw = query.encode("utf-8").decode("latin-1")
    with app.test_request_context("/v1/stores/nearby", environ_overrides={"QUERY_STRING": raw}):
        assert request.query_string == query.encode("utf-8")
        args = request_args()
        names = {name for name, _ in request.args.items(multi=True)} | {"missing"}
        assert {name: args.get(name) for name in names} == {name: request.args.get(name) for name in names}
        assert set(args) == set(request.args)


def test_plain_query_strings_are_split_without_werkzeug():
    app = Flask(__name__)
    with app.test_request_context("/v1/stores/nearby?lat=37.5&lon=127&lat=1"):
        assert request_args() == {"lat": "37.5", "lon": "127"}
