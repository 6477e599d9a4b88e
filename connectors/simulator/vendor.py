"""A simulated vendor API: the base class every simulated vendor subclasses, and its registry.

A ``SimulatedVendor`` answers ``SimRequest``s with ``SimResponse``s shaped as the real vendor's
documentation says, for the generated team and days it is given. What a subclass provides:

- ``name`` and ``handle(req)``: the routes (``req.path`` is after the ``/<vendor>`` prefix);
- credentials: ``good_config()``/``bad_config()`` and ``is_authorized(req)``. The default reads
  ``good_config()["api_key"]`` from ``x-api-key``, ``Authorization: Bearer`` or HTTP Basic;
  a vendor whose key travels in the body (Windsurf's ``service_key``) overrides
  ``is_authorized`` and reads ``req.body``;
- paging: ``page_size(requested, default=…, maximum=…)`` for every page it serves (so the
  conformance kit's page cap makes small data span several pages), ``offer_page(token)``
  when a response advertises a next page and ``take_page(token)`` when a request asks for one;
- truths for the kit: ``expected_billed_micros(day)`` (what the vendor billed that day) and
  ``expected_tokens(day)`` (every token it processed that day, each counted once).

Register it with ``@register_vendor`` (built-ins) or the ``aispend.simulated_vendors`` entry
point (plugins).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import importlib
import threading
import warnings
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, ClassVar

from connectors.simulator.team import SimMember

#: Built-in simulated vendors, imported lazily (skipped while a module does not exist yet).
BUILTIN_VENDOR_MODULES = (
    "connectors.simulator.anthropic",
    "connectors.simulator.cursor",
    "connectors.simulator.openai",
    "connectors.simulator.replit",
    "connectors.simulator.copilot",
)
#: Plugins may ship a simulated vendor too: ``name = "package.module:VendorClass"``.
VENDOR_ENTRY_POINT_GROUP = "aispend.simulated_vendors"

_REGISTRY: dict[str, type[SimulatedVendor]] = {}


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
    """Base class of a simulated vendor API. Subclasses set ``name`` and implement ``handle``."""

    name: ClassVar[str]

    def __init__(
        self,
        team: list[SimMember],
        start: dt.date,
        days: int,
        seed: int,
        *,
        page_cap: int | None = None,
    ):
        self.team = team
        self.start = start
        self.days = days
        self.end = start + dt.timedelta(days=days - 1)
        self.seed = seed
        self.page_cap = page_cap
        self._pages_lock = threading.Lock()
        self._offered: dict[str, None] = {}  # ordered set
        self._taken: set[str] = set()

    # -- credentials -------------------------------------------------------------------------
    def good_config(self) -> dict[str, str]:
        return {"api_key": f"key_sim_{self.name}_{self.seed:04d}_good"}

    def bad_config(self) -> dict[str, str]:
        return {"api_key": f"key_sim_{self.name}_0000_wrong"}

    def presented_key(self, req: SimRequest) -> str | None:
        """The API key a request presents in a header, however it was sent."""
        if req.headers.get("x-api-key"):
            return req.headers["x-api-key"]
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value.strip()).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                return None
        return None

    def is_authorized(self, req: SimRequest) -> bool:
        return self.presented_key(req) == self.good_config().get("api_key")

    # -- routes and truths -------------------------------------------------------------------
    def handle(self, req: SimRequest) -> SimResponse:
        return error_response(404, f"no route {req.method} {req.path}")

    def expected_billed_micros(self, day: dt.date) -> int:
        """The vendor's authoritative billed total for that UTC day, in micro-dollars."""
        raise NotImplementedError(f"{self.name} does not declare billed totals")

    def expected_tokens(self, day: dt.date) -> int:
        """Every token the vendor processed that UTC day, each counted once."""
        raise NotImplementedError(f"{self.name} does not declare processed tokens")

    # -- helpers for vendor code -------------------------------------------------------------
    def in_range(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def page_size(self, requested: int | None, *, default: int, maximum: int | None) -> int:
        """How many items a page holds: what the client asked for (or the vendor's default),
        at most the vendor's maximum, and at most the simulator's ``page_cap`` (the kit sets a
        small cap so its small team still spans several pages, as a big team would)."""
        size = default if requested is None else requested
        if maximum is not None:
            size = min(size, maximum)
        if self.page_cap is not None:
            size = min(size, self.page_cap)
        return max(1, size)

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

    def offered_pages(self) -> int:
        """How many next pages responses advertised (a fetch that paged served this many + 1)."""
        with self._pages_lock:
            return len(self._offered)

    def unconsumed_pages(self) -> list[str]:
        with self._pages_lock:
            return [t for t in self._offered if t not in self._taken]

    def reset_pages(self) -> None:
        with self._pages_lock:
            self._offered.clear()
            self._taken.clear()
