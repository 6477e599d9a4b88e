"""The vendor simulator: real HTTP on 127.0.0.1 serving documented vendor response shapes.

A ``Simulator`` runs a stdlib ``ThreadingHTTPServer`` in a daemon thread and routes
``/<vendor>/<path>`` to a ``SimulatedVendor`` (``connectors.simulator.vendor``) registered by
the built-in vendor modules or a plugin. Every vendor serves the same generated team
(``team.py``) for the same days, so a demo, a test and a benchmark all see consistent people
and money; the simulator's "today" is its last day.

Fault knobs (``set_faults``, ``faults.py``) make it misbehave the way vendors do; every fault
actually served is counted in ``faults_served``. The simulator records every request and
tracks pagination: a page a response advertised but nobody asked for shows up in
``unconsumed_pages()``. ``page_cap`` bounds every page a vendor serves (the conformance kit
uses a small cap so a small team spans several pages).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.simulator.faults import MALFORMED_BODY, FaultKnobs, drop_field, encode_json
from connectors.simulator.team import generate_team
from connectors.simulator.vendor import (
    SimRequest,
    SimResponse,
    SimulatedVendor,
    error_response,
    registered_vendors,
)

log = logging.getLogger("aispend.simulator")


@dataclass(frozen=True)
class RecordedRequest:
    vendor: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


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
        response, payload = self.server.simulator.respond(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw_body
        )
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


MAX_MEMBERS = 1000  # a generated team this size already pages every endpoint many times
MAX_DAYS = 3660


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
        page_cap: int | None = None,
        replay: bool = False,
    ):
        if not 1 <= members <= MAX_MEMBERS:
            raise ValueError(f"members must be between 1 and {MAX_MEMBERS}, not {members}")
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}, not {days}")
        self.seed = seed
        self.start_day = start
        self.days = days
        self.end_day = start + dt.timedelta(days=days - 1)
        self.today = self.end_day  # "now" for snapshot endpoints (a billing cycle to date)
        self.page_cap = page_cap
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
        self._vendors = {
            cls.name: cls(self.team, start, days, seed, page_cap=page_cap) for cls in classes
        }
        self._faults = {name: FaultKnobs() for name in self._vendors}
        self._counts = dict.fromkeys(self._vendors, 0)
        self._lock = threading.Lock()
        #: (vendor, kind) → how many faults of that kind were actually served
        self.faults_served: Counter[tuple[str, str]] = Counter()
        self.requests_log: list[RecordedRequest] = []
        # replay: each distinct request is answered from the bytes served the first time (a
        # benchmark measures the client, not the simulator generating a team's JSON again).
        self.replay = replay
        self._replayed: dict[tuple[str, str, bytes], tuple[SimResponse, bytes]] = {}
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
        """Set fault knobs (see ``FaultKnobs``) for one vendor or all; restarts their counters.
        Knobs not named keep their values: ``clear_faults`` resets them."""
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

    def expected_tokens(self, vendor: str, day: dt.date) -> int:
        return self.vendor(vendor).expected_tokens(day)

    def served(self, vendor: str, kind: str) -> int:
        """How many faults of ``kind`` (``faults.FAULT_KINDS``) ``vendor`` has served so far."""
        with self._lock:
            return self.faults_served[(vendor, kind)]

    def _count_fault(self, vendor: str, kind: str) -> None:
        with self._lock:
            self.faults_served[(vendor, kind)] += 1

    def requests_for(self, vendor: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests_log if r.vendor == vendor]

    # -- request handling (called from server threads) ---------------------------------------
    def respond(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[SimResponse, bytes]:
        """The response to one request and its encoded body (replayed when ``replay`` is on
        and the same request was answered 200 before; faults are never replayed)."""
        key = (method, target, raw)
        if self.replay and key in self._replayed:
            return self._replayed[key]
        response = self.dispatch(method, target, headers, raw)
        payload = response.raw if response.raw is not None else encode_json(response.body)
        if self.replay and response.status == 200 and response.raw is None:
            self._replayed[key] = (SimResponse(200, headers=response.headers, raw=payload), payload)
        return response, payload

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
            self._count_fault(vendor.name, "rate_limit")
            return SimResponse(
                429,
                {"error": "Too Many Requests", "message": "rate limited (simulated)"},
                headers={"retry-after": f"{knobs.retry_after:g}"},
            )
        if knobs.server_error_every and n % knobs.server_error_every == 0:
            self._count_fault(vendor.name, "server_error")
            return error_response(500, "internal server error (simulated)")
        if knobs.malformed_every and n % knobs.malformed_every == 0:
            self._count_fault(vendor.name, "malformed")
            return SimResponse(200, raw=MALFORMED_BODY)
        response = self._handle(vendor, req)
        applies = knobs.missing_field and response.status == 200 and response.raw is None
        if applies and drop_field(response.body, knobs.missing_field):
            self._count_fault(vendor.name, "missing_field")
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
    page_cap: int | None = None,
    echo: Any = print,
    stop_event: threading.Event | None = None,
) -> None:
    """Run a simulator in the foreground until Ctrl-C (``aispend simulator serve``)."""
    sim = Simulator(
        seed=seed,
        members=members,
        start=start,
        days=days,
        vendors=vendors,
        port=port,
        page_cap=page_cap,
    )
    with sim:
        echo(f"aispend vendor simulator on http://{sim.host}:{sim.port} ({members} members, "
             f"{start}..{sim.end_day}, seed {seed})")  # fmt: skip
        for name in sim.vendor_names():
            echo(f"  {name}: {json.dumps(sim.config(name))}")
        stop_event = stop_event or threading.Event()
        with contextlib.suppress(KeyboardInterrupt):
            while not stop_event.wait(0.5):
                pass
