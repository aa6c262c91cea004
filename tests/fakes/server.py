"""A real HTTP server on a loopback socket, for speaking a provider's wire format in tests.

Each provider's fake (``tests/fakes/<provider>.py``) subclasses ``FakeUpstream``
and implements ``answer(request)``. Tests switch scenarios with
``fake.scenario = "..."`` (or set a per-request queue), and read
``fake.requests`` to see exactly what reached the "provider".
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names


@dataclass
class FakeResponse:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (slow upstream)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body, ensure_ascii=False).encode("utf-8"), "application/json;charset=UTF-8"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/plain;charset=UTF-8"
        return self.body or b"", "application/octet-stream"


class FakeUpstream:
    """Override ``answer``; start with ``with Fake() as fake:`` and point a geocoder at ``fake.domain``."""

    def __init__(self) -> None:
        self.scenario = "ok"
        self.latency = 0.0  # added to every answer, e.g. 0.02 for a realistic upstream
        self.requests: list[FakeRequest] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; with Nagle's algorithm each answer would
            # wait for a delayed ACK (~40 ms) and a benchmark would measure the kernel.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                request = FakeRequest(
                    method="GET",
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                )
                with fake._lock:
                    fake.requests.append(request)
                response = fake.answer(request)
                if response.delay or fake.latency:
                    time.sleep(response.delay + fake.latency)
                body, content_type = response.encoded()
                try:
                    self.send_response(response.status)
                    self.send_header("Content-Type", response.headers.pop("Content-Type", content_type))
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutting a fake down waits for it, and suites start hundreds.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def domain(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    def answer(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError

    def calls(self, path: str | None = None) -> list[FakeRequest]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def start(self) -> "FakeUpstream":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeUpstream":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
