"""WSGI entry point: ``gunicorn -c gunicorn.conf.py`` (which names ``wsgi:app``), or any WSGI server."""
from navplugin import create_app
from navplugin.config import load_settings
from navplugin.logs import configure_logging

settings = load_settings()
configure_logging(settings["LOG_LEVEL"], settings["LOG_FORMAT"])
app = create_app()
