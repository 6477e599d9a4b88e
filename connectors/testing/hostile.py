"""Hostile servers for the conformance kit: a base URL that redirects every request to another
origin, and that other origin, which records everything that reaches it.

Both listen on 127.0.0.1 (distinct ports are distinct origins). ``RecordingServer.requests``
holds each request's line and headers exactly as received, so a scenario can prove that no
credential ever reached it.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # no stderr noise in test output
        pass

    def _record(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        self.server.owner.requests.append(f"{self.requestline}\n{self.headers}\n{body}")  # type: ignore[attr-defined]


class _Collect(_Quiet):
    def _answer(self) -> None:
        self._record()
        payload = b'{"data": [], "has_more": false}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer


class RecordingServer(_Server):
    """The other origin: answers an empty JSON page and records every request it gets."""

    def __init__(self) -> None:
        super().__init__(_Collect)


class RedirectingServer(_Server):
    """The configured base URL gone bad: answers every request with ``status`` to ``target``
    (same path and query), the way a hijacked proxy or a misconfigured vendor would."""

    def __init__(self, target: str, status: int = 302) -> None:
        owner = self

        class _Redirect(_Quiet):
            def _answer(self) -> None:
                self._record()
                self.send_response(status)
                self.send_header("location", owner.target + self.path)
                self.send_header("content-length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

        self.target = target.rstrip("/")
        super().__init__(_Redirect)
