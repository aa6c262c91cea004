"""An app on a real loopback socket, for tests that need a browser to reach it."""
from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class LiveServer:
    """Serves a Flask app on 127.0.0.1 at a free port in a daemon thread until :meth:`stop`.

    Threaded, because the page polls the upload status while the job's own
    threads write to the same app, and one slow request must not block the next.
    """

    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
