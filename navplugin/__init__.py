"""navplugin: certified centennial stores (백년가게) served to car navigation apps.

``create_app`` wires settings, store, geocoders, index, web and CLI. Importing
the package does no work.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask

UPLOAD_ENVELOPE_BYTES = 64 * 1024  # multipart headers around the file itself


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    from . import cli, web
    from .config import load_settings
    from .service import Service

    settings = load_settings(config)
    logging.basicConfig(level=settings["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__, instance_relative_config=True)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_UPLOAD_BYTES"] + UPLOAD_ENVELOPE_BYTES
    app.json.ensure_ascii = False

    service = Service(settings, app.instance_path)
    service.load_sample_if_empty()
    service.start()
    app.extensions["navplugin"] = service

    web.init_app(app)
    cli.init_app(app)
    return app
