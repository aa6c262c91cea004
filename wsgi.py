"""WSGI entry point: ``gunicorn wsgi:app``."""
from navplugin import create_app

app = create_app()
