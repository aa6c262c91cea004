"""The Flask layer: parse requests, call the core, format responses. Nothing else."""
from __future__ import annotations

from flask import Flask

from . import admin, admin_page, clients, errors, health, middleware, navigation, ogc, openapi, params, sync, tiles


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = params.DatabaseId
    app.before_request(middleware.note_route)
    errors.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(navigation.blueprint)
    app.register_blueprint(tiles.blueprint)
    app.register_blueprint(ogc.blueprint)
    app.register_blueprint(sync.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(admin_page.blueprint)
    app.register_blueprint(openapi.blueprint)
