"""WSGI entry point: ``gunicorn -c gunicorn.conf.py`` (which names ``wsgi:app``), or any WSGI server."""
from navplugin import create_app
from navplugin.config import load_settings
from navplugin.logs import configure_logging

configure_logging(load_settings()["LOG_LEVEL"])
app = create_app()
