"""navplugin: certified centennial stores (백년가게) served to car navigation apps.

``create_app`` wires settings, store, geocoders, index, web and CLI, and
starts nothing: importing the package or building an app does no work. A
serving process starts its work through ``lifecycle.start_serving``: from
``flask --app navplugin serve``, gunicorn's hooks in ``gunicorn.conf.py``, or,
under any other WSGI server, its first request.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

UPLOAD_ENVELOPE_BYTES = 64 * 1024  # multipart headers around the file itself


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    from . import cli, web
    from .config import load_settings
    from .service import Service
    from .web.cors import Cors, allowed_origins
    from .web.fastpath import FastPath
    from .web.gate import ClientGate
    from .web.middleware import Middleware

    settings = load_settings(config)
    app = Flask(__name__, instance_relative_config=True)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_UPLOAD_BYTES"] + UPLOAD_ENVELOPE_BYTES
    app.json.ensure_ascii = False
    service = Service(settings, app.instance_path)
    app.extensions["navplugin"] = service
    web.init_app(app)
    cli.init_app(app)
    # Outermost last: the middleware (ids, headers, metrics, deadline), CORS, client keys, the fast path, Flask.
    if settings["FAST_PATH"]:
        app.wsgi_app = FastPath(app.wsgi_app, service)  # type: ignore[method-assign]
    app.wsgi_app = ClientGate(app.wsgi_app, service)  # type: ignore[method-assign]
    origins = allowed_origins(settings["CORS_ORIGINS"])
    if origins:
        app.wsgi_app = Cors(app.wsgi_app, origins)  # type: ignore[method-assign]
    app.wsgi_app = Middleware(app.wsgi_app, settings)  # type: ignore[method-assign]
    app.wsgi_app = _StartOnFirstRequest(app, service)  # type: ignore[method-assign]
    return app


class _StartOnFirstRequest:
    """For WSGI servers with no start hook: the first request starts serving, then this steps aside."""

    def __init__(self, app: Flask, service: Any) -> None:
        self.app = app
        self.service = service
        self.inner = app.wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from .lifecycle import start_serving

        start_serving(self.service)
        self.app.wsgi_app = self.inner  # type: ignore[method-assign]
        return self.inner(environ, start_response)
