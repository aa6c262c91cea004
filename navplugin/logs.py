"""Logging for a process that runs navplugin: configured by its entry point, never on import or in create_app."""
from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str | int = "INFO") -> None:
    """Log to stderr at ``level``, unless the host (gunicorn, a test runner) set up logging already."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger("navplugin").setLevel(level)
