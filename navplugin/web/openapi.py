"""The OpenAPI 3.1 document of the whole HTTP API, served at ``/v1/openapi.json``.

The document is written by hand as ``openapi.yaml`` beside this module (YAML,
so it can carry comments and be read in review) and served as JSON, the form
tools fetch. It is read once per process; tests hold it to the app's routes
and to the app's real answers, so the two cannot drift apart.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response

from .responses import json_response

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")

blueprint = Blueprint("openapi", __name__, url_prefix="/v1")


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document as plain JSON-ready data."""
    with DOCUMENT_PATH.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


@blueprint.get("/openapi.json")
def openapi() -> Response:
    # Not tied to a dataset version: version 0, as for other answers that only change with a deployment.
    return json_response(document(), dataset_version=0)
