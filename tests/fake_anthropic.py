"""A fake Anthropic Messages API on 127.0.0.1 for tests, reached through the SDK's ``base_url``.

The SDK sends requests through httpx2 (respx cannot intercept it, STACK-NOTES §anthropic), so
tests talk to this real HTTP server instead. Each request consumes the next scripted behaviour
(``"ok"`` once the script is empty) and is recorded, so a test can count the calls the server
received and read exactly what reached it (headers and body).

Behaviours: ``ok`` (a streamed or plain message), ``refusal`` (stop_reason "refusal"), ``429``,
``500``, ``529`` (overloaded), ``timeout`` (answers after ``slow_s``), ``malformed`` (an event
whose data is not JSON), ``truncated`` (the connection closes mid-stream, no message_stop),
``stream_error`` (an ``error`` event in the middle of the stream).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_TEXT = (
    "With the 14 hours your AI tools saved you, you could knit a scarf for a jazz quintet."
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict

    @property
    def raw(self) -> str:
        """Everything the request carried, as one string (for "never sent" assertions)."""
        return json.dumps(self.headers) + "\n" + json.dumps(self.body)


@dataclass
class FakeAnthropic:
    text: str = DEFAULT_TEXT
    script: list[str] = field(default_factory=list)
    slow_s: float = 2.0
    input_tokens: int = 412
    output_tokens: int = 57
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _counter: int = 0

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def calls(self) -> int:
        return len(self.received)

    def start(self) -> FakeAnthropic:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                behaviour = fake.script.pop(0) if fake.script else "ok"
                fake._counter += 1
                fake._answer(self, behaviour, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- answers -----------------------------------------------------------------------------

    def _answer(self, h: BaseHTTPRequestHandler, behaviour: str, body: dict) -> None:
        if behaviour in ("429", "500", "529"):
            kind = {
                "429": "rate_limit_error",
                "500": "api_error",
                "529": "overloaded_error",
            }[behaviour]
            payload = json.dumps({"type": "error", "error": {"type": kind, "message": kind}})
            self._send(h, int(behaviour), payload.encode(), {"retry-after": "0"})
            return
        if behaviour == "timeout":
            time.sleep(self.slow_s)
            behaviour = "ok"
        stop_reason = "refusal" if behaviour == "refusal" else "end_turn"
        text = "" if behaviour == "refusal" else self.text
        model = body.get("model", "claude-haiku-4-5")
        if not body.get("stream"):
            message = self._message(model, text, stop_reason)
            self._send(h, 200, json.dumps(message).encode(), {})
            return
        self._stream(h, behaviour, model, text, stop_reason)

    def _message(self, model: str, text: str, stop_reason: str) -> dict:
        return {
            "id": f"msg_fake_{self._counter}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens},
        }

    def _stream(
        self, h: BaseHTTPRequestHandler, behaviour: str, model: str, text: str, stop_reason: str
    ) -> None:
        start = self._message(model, "", None)  # type: ignore[arg-type]
        start["usage"]["output_tokens"] = 1
        events: list[tuple[str, object]] = [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            ("ping", {"type": "ping"}),
        ]
        words = text.split(" ")
        chunks = (
            [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)] if text else []
        )
        for chunk in chunks:
            events.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": chunk},
                    },
                )
            )
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": self.output_tokens},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        if behaviour == "malformed":
            events.insert(4, ("content_block_delta", "{not json"))
        elif behaviour == "truncated":
            events = events[:5]
        elif behaviour == "stream_error":
            error = {
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
            }
            events = [*events[:5], ("error", error)]
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("cache-control", "no-cache")
        h.send_header("connection", "close")
        h.end_headers()
        for name, data in events:
            payload = data if isinstance(data, str) else json.dumps(data)
            h.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
            h.wfile.flush()
        h.close_connection = True

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict) -> None:
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(payload)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)
