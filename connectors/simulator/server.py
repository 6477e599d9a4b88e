"""The vendor simulator: real HTTP on 127.0.0.1 serving documented vendor response shapes.

A ``Simulator`` runs a stdlib ``ThreadingHTTPServer`` in a daemon thread and routes
``/<vendor>/<path>`` to a ``SimulatedVendor`` subclass (``connectors.simulator.anthropic``,
``connectors.simulator.cursor``, or a test's or plugin's own, registered with
``@register_vendor``). Every vendor serves the same generated team (``team.py``) for the
same days, so a demo, a test and a benchmark all see consistent people and money.

Fault knobs (``set_faults``) make it misbehave the way vendors do: rate limits with
``Retry-After``, 5xx storms, slow answers, malformed JSON, a missing field. The simulator also
records every request and tracks pagination: a page a response advertised but nobody asked
for shows up in ``unconsumed_pages()`` (the conformance kit fails a connector on it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib
import json
import logging
import threading
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from connectors.simulator.team import SimMember, generate_team

log = logging.getLogger("aispend.simulator")

#: Built-in simulated vendors, imported lazily (skipped while a module does not exist yet).
BUILTIN_VENDOR_MODULES = ("connectors.simulator.anthropic", "connectors.simulator.cursor")
#: Plugins may ship a simulated vendor too: ``name = "package.module:VendorClass"``.
VENDOR_ENTRY_POINT_GROUP = "aispend.simulated_vendors"

_REGISTRY: dict[str, type[SimulatedVendor]] = {}
_MALFORMED_BODY = b'{"data": [{"truncated": tr'


def register_vendor(cls: type[SimulatedVendor]) -> type[SimulatedVendor]:
    """Class decorator: make a ``SimulatedVendor`` subclass available under ``cls.name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"simulated vendor {cls!r} needs a class attribute name (identifier)")
    _REGISTRY[name] = cls
    return cls


def unregister_vendor(name: str) -> None:
    """Forget a registered simulated vendor (tests that import a plugin clean up with it)."""
    _REGISTRY.pop(name, None)


def registered_vendors() -> dict[str, type[SimulatedVendor]]:
    """Every simulated vendor known so far, after importing the built-in and plugin ones."""
    for module in BUILTIN_VENDOR_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # the module exists but one of its imports is missing
                raise
    for ep in entry_points(group=VENDOR_ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
            if isinstance(cls, type) and issubclass(cls, SimulatedVendor):
                _REGISTRY.setdefault(cls.name, cls)
        except Exception as exc:  # a broken plugin must not stop the simulator
            warnings.warn(
                f"aispend: skipping simulated vendor {ep.name!r} ({ep.value}): {exc}",
                stacklevel=2,
            )
    return dict(sorted(_REGISTRY.items()))


@dataclass
class SimRequest:
    """One request as a simulated vendor sees it; ``path`` is after the ``/<vendor>`` prefix."""

    vendor: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case keys
    body: Any = None  # parsed JSON (floats as Decimal) or None

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name`` (also accepts the ``name[]`` form)."""
        values = self.query.get(name) or self.query.get(f"{name}[]")
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (``name`` and ``name[]`` forms)."""
        return list(self.query.get(name, [])) + list(self.query.get(f"{name}[]", []))


@dataclass
class SimResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as-is when set (instead of JSON-encoding body)


def error_response(status: int, message: str, **extra: Any) -> SimResponse:
    """A JSON error body in the common ``{"error": {"type", "message"}}`` shape."""
    return SimResponse(status, {"error": {"type": "error", "message": message, **extra}})


class SimulatedVendor:
    """Base class of a simulated vendor API. Subclasses set ``name`` and implement ``handle``.

    The defaults accept the key from ``good_config()["api_key"]`` sent as ``x-api-key``,
    ``Authorization: Bearer`` or HTTP Basic username; override ``is_authorized`` for others.
    Pagination: call ``offer_page(token)`` when a response advertises a next page and
    ``take_page(token)`` when a request asks for one.
    """

    name: ClassVar[str]

    def __init__(self, team: list[SimMember], start: dt.date, days: int, seed: int):
        self.team = team
        self.start = start
        self.days = days
        self.end = start + dt.timedelta(days=days - 1)
        self.seed = seed
        self._pages_lock = threading.Lock()
        self._offered: dict[str, None] = {}  # ordered set
        self._taken: set[str] = set()

    # -- credentials -------------------------------------------------------------------------
    def good_config(self) -> dict[str, str]:
        return {"api_key": f"key_sim_{self.name}_{self.seed:04d}_good"}

    def bad_config(self) -> dict[str, str]:
        return {"api_key": f"key_sim_{self.name}_0000_wrong"}

    def presented_key(self, req: SimRequest) -> str | None:
        """The API key a request presents, however it was sent."""
        if req.headers.get("x-api-key"):
            return req.headers["x-api-key"]
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
        if scheme.lower() == "basic":
            import base64
            import binascii

            try:
                return base64.b64decode(value.strip()).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                return None
        return None

    def is_authorized(self, req: SimRequest) -> bool:
        return self.presented_key(req) == self.good_config().get("api_key")

    # -- routes ------------------------------------------------------------------------------
    def handle(self, req: SimRequest) -> SimResponse:
        return error_response(404, f"no route {req.method} {req.path}")

    def expected_billed_micros(self, day: dt.date) -> int:
        """The vendor's authoritative billed total for that UTC day, in micro-dollars."""
        raise NotImplementedError(f"{self.name} does not declare billed totals")

    # -- helpers for vendor code -------------------------------------------------------------
    def in_range(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def offer_page(self, token: str) -> None:
        """Record that a response advertised the page ``token`` (a cursor or page key)."""
        with self._pages_lock:
            self._offered[str(token)] = None

    def take_page(self, token: str) -> None:
        """Record that a request asked for the page ``token``."""
        with self._pages_lock:
            self._taken.add(str(token))

    # Aliases matching the task wording.
    page_token = offer_page
    consume = take_page

    def unconsumed_pages(self) -> list[str]:
        with self._pages_lock:
            return [t for t in self._offered if t not in self._taken]

    def reset_pages(self) -> None:
        with self._pages_lock:
            self._offered.clear()
            self._taken.clear()


@dataclass
class FaultKnobs:
    """How a simulated vendor misbehaves. "every N" counts that vendor's requests from 1."""

    rate_limit_every: int | None = None  # every Nth request → 429 with Retry-After
    retry_after: float = 0  # seconds sent in Retry-After with each 429
    server_error_every: int | None = None  # every Nth request → 500
    slow_seconds: float = 0  # delay before every answer
    malformed_every: int | None = None  # every Nth request → 200 with invalid JSON
    missing_field: str | None = None  # drop this key from the objects of the body's lists
    only_paths: str | None = None  # apply the faults only to paths containing this


@dataclass(frozen=True)
class RecordedRequest:
    vendor: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        # Emitted as a JSON number; exact for the <=15 significant digits vendors send.
        return int(obj) if obj == obj.to_integral_value() and "E" not in str(obj) else float(obj)
    if isinstance(obj, dt.datetime | dt.date):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def encode_json(body: Any) -> bytes:
    return json.dumps(body, default=_json_default, separators=(",", ":")).encode()


def _drop_field(obj: Any, key: str, depth: int) -> None:
    if isinstance(obj, dict):
        obj.pop(key, None)
        if depth > 0:
            for value in obj.values():
                _drop_field(value, key, depth - 1)
    elif isinstance(obj, list):
        for item in obj:
            _drop_field(item, key, depth)


def drop_field(body: Any, key: str) -> Any:
    """Remove ``key`` from the body, from the objects of its lists, and one level below those."""
    if isinstance(body, dict):
        body.pop(key, None)
        for value in body.values():
            if isinstance(value, list):
                _drop_field(value, key, 1)
    elif isinstance(body, list):
        _drop_field(body, key, 1)
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: avoid waiting 40 ms for a delayed ACK each time.
    disable_nagle_algorithm = True
    timeout = 10  # idle keep-alive connections close after this many seconds
    server: _SimHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("simulator: " + format, *args)

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        response = self.server.simulator.dispatch(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw_body
        )
        payload = response.raw if response.raw is not None else encode_json(response.body)
        self.send_response(response.status)
        headers = {"content-type": "application/json", **response.headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class _SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator):
        self.simulator = simulator
        super().__init__(address, _Handler)


class Simulator:
    """Serve simulated vendors at ``http://127.0.0.1:PORT/<vendor>`` for a generated team.

    >>> with Simulator(members=6) as sim:
    ...     cfg = sim.config("cursor")  # credentials + base_url, ready for the connector
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        members: int = 6,
        start: dt.date = dt.date(2026, 9, 1),
        days: int = 61,
        vendors: Iterable[str | type[SimulatedVendor]] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ):
        self.seed = seed
        self.start_day = start
        self.days = days
        self.end_day = start + dt.timedelta(days=days - 1)
        self.host = host
        self.port = port
        self.team = generate_team(seed, members)
        known = registered_vendors()
        classes: list[type[SimulatedVendor]] = []
        for v in known.values() if vendors is None else vendors:
            if isinstance(v, type) and issubclass(v, SimulatedVendor):
                classes.append(v)
            elif v in known:
                classes.append(known[v])
            else:
                raise ValueError(f"unknown simulated vendor {v!r}; known: {', '.join(known)}")
        self._vendors = {cls.name: cls(self.team, start, days, seed) for cls in classes}
        self._faults = {name: FaultKnobs() for name in self._vendors}
        self._counts = dict.fromkeys(self._vendors, 0)
        self._lock = threading.Lock()
        self.requests_log: list[RecordedRequest] = []
        self.handler_errors: list[str] = []  # exceptions raised by vendor code (served as 500)
        self._server: _SimHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Simulator:
        if self._server is not None:
            return self
        self._server = _SimHTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"aispend-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests and connectors need ------------------------------------------------------
    def vendor_names(self) -> list[str]:
        return list(self._vendors)

    def vendor(self, name: str) -> SimulatedVendor:
        try:
            return self._vendors[name]
        except KeyError:
            raise KeyError(
                f"simulator serves no vendor {name!r}; it serves {self.vendor_names()}"
            ) from None

    def base_url(self, vendor: str) -> str:
        self.vendor(vendor)
        if self._server is None:
            raise RuntimeError("the simulator is not started; call start() first")
        return f"http://{self.host}:{self.port}/{vendor}"

    def config(self, vendor: str, *, good: bool = True) -> dict[str, Any]:
        """Connector config for ``vendor``: credentials (good or bad) plus ``base_url``."""
        v = self.vendor(vendor)
        creds = v.good_config() if good else v.bad_config()
        return {**creds, "base_url": self.base_url(vendor)}

    def set_faults(self, vendor: str | None = None, **knobs: Any) -> None:
        """Set fault knobs (see ``FaultKnobs``) for one vendor or all; restarts their counters."""
        names = [vendor] if vendor is not None else self.vendor_names()
        with self._lock:
            for name in names:
                self.vendor(name)
                self._faults[name] = dataclasses.replace(self._faults[name], **knobs)
                self._counts[name] = 0

    def clear_faults(self) -> None:
        with self._lock:
            for name in self._vendors:
                self._faults[name] = FaultKnobs()
                self._counts[name] = 0

    def unconsumed_pages(self, vendor: str | None = None) -> list[str]:
        """Pages offered but never requested: tokens for one vendor, ``"vendor:token"`` for all."""
        if vendor is not None:
            return self.vendor(vendor).unconsumed_pages()
        return [f"{n}:{t}" for n, v in self._vendors.items() for t in v.unconsumed_pages()]

    def reset_pages(self) -> None:
        for v in self._vendors.values():
            v.reset_pages()

    def expected_billed_micros(self, vendor: str, day: dt.date) -> int:
        return self.vendor(vendor).expected_billed_micros(day)

    def requests_for(self, vendor: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests_log if r.vendor == vendor]

    # -- request handling (called from server threads) ---------------------------------------
    def dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> SimResponse:
        parts = urlsplit(target)
        segments = parts.path.lstrip("/").split("/", 1)
        name = segments[0]
        path = "/" + (segments[1] if len(segments) > 1 else "")
        query = parse_qs(parts.query, keep_blank_values=True)
        body: Any = None
        response: SimResponse | None = None
        if raw.strip():
            try:
                body = json.loads(raw, parse_float=Decimal)
            except ValueError:
                response = error_response(400, "request body is not valid JSON")
        vendor = self._vendors.get(name)
        if vendor is None:
            response = error_response(404, f"no simulated vendor {name!r}")
        elif response is None:
            req = SimRequest(name, method, path, query, headers, body)
            response = self._answer(vendor, req)
        with self._lock:
            self.requests_log.append(
                RecordedRequest(name, method, path, query, body, response.status)
            )
        return response

    def _answer(self, vendor: SimulatedVendor, req: SimRequest) -> SimResponse:
        if not vendor.is_authorized(req):
            return error_response(401, "invalid x-api-key", code="authentication_error")
        with self._lock:
            knobs = self._faults[vendor.name]
            applies = knobs.only_paths is None or knobs.only_paths in req.path
            if applies:
                self._counts[vendor.name] += 1
            n = self._counts[vendor.name]
        if not applies:
            return self._handle(vendor, req)
        if knobs.slow_seconds:
            time.sleep(knobs.slow_seconds)
        if knobs.rate_limit_every and n % knobs.rate_limit_every == 0:
            return SimResponse(
                429,
                {"error": "Too Many Requests", "message": "rate limited (simulated)"},
                headers={"retry-after": f"{knobs.retry_after:g}"},
            )
        if knobs.server_error_every and n % knobs.server_error_every == 0:
            return error_response(500, "internal server error (simulated)")
        if knobs.malformed_every and n % knobs.malformed_every == 0:
            return SimResponse(200, raw=_MALFORMED_BODY)
        response = self._handle(vendor, req)
        if knobs.missing_field and response.status == 200 and response.raw is None:
            response.body = drop_field(response.body, knobs.missing_field)
        return response

    def _handle(self, vendor: SimulatedVendor, req: SimRequest) -> SimResponse:
        try:
            response = vendor.handle(req)
        except Exception as exc:  # vendor code bug: serve a 500 and remember it
            log.exception("simulated vendor %s failed on %s %s", vendor.name, req.method, req.path)
            with self._lock:
                self.handler_errors.append(f"{vendor.name} {req.method} {req.path}: {exc!r}")
            return error_response(500, f"simulator bug: {exc!r}")
        if response is None:
            return error_response(404, f"no route {req.method} {req.path}")
        return response


def serve(
    *,
    port: int = 8700,
    seed: int = 7,
    members: int = 6,
    start: dt.date = dt.date(2026, 9, 1),
    days: int = 61,
    vendors: Iterable[str] | None = None,
    echo: Any = print,
    stop_event: threading.Event | None = None,
) -> None:
    """Run a simulator in the foreground until Ctrl-C (``aispend simulator serve``)."""
    sim = Simulator(seed=seed, members=members, start=start, days=days, vendors=vendors, port=port)
    with sim:
        echo(f"aispend vendor simulator on http://{sim.host}:{sim.port} ({members} members, "
             f"{start}..{sim.end_day}, seed {seed})")  # fmt: skip
        for name in sim.vendor_names():
            echo(f"  {name}: {json.dumps(sim.config(name))}")
        stop_event = stop_event or threading.Event()
        with contextlib.suppress(KeyboardInterrupt):
            while not stop_event.wait(0.5):
                pass
