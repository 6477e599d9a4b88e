"""The conformance suite every connector joins with a one-line subclass.

    class TestCursorConformance(ConnectorConformance):
        connector = CursorConnector
        required_field = "chargedCents"

Each scenario is a test method run offline against a ``ConformanceTarget``: by default the
aispend vendor simulator serving ``connector.name`` (or ``simulator_vendor``, a plugin's own
``SimulatedVendor``), over real HTTP. A package can override the ``conformance_target`` fixture
to use recorded responses or its own server instead.

Scenarios: declared spec; ``check`` with good, bad and missing credentials; ``fetch`` keeps
records in range, is repeatable, consumes every page it was offered, keeps money exact (and
matches the vendor's billed total per day when the target knows it); survives a 429 storm and
a 500 storm with identical results; a malformed payload and a missing field raise a clear
``ConnectorError`` naming the vendor, never a bare ``KeyError``/``TypeError``.

A scenario that does not apply is skipped only with a stated reason::

    bypass = {"test_missing_field_is_a_clear_error": "the vendor sends CSV files, no JSON"}
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from connectors.contract import (
    Account,
    ActivityRecord,
    Connector,
    ConnectorError,
    CredentialField,
    FetchContext,
    UsageRecord,
)
from connectors.simulator import SimulatedVendor, Simulator


class ConformanceTarget:
    """What the suite runs against. Subclass it to test against something other than the simulator."""

    window: tuple[dt.date, dt.date]

    def config(self, good: bool = True) -> dict[str, Any]:
        raise NotImplementedError

    def set_faults(self, **knobs: Any) -> None:
        raise NotImplementedError

    def clear_faults(self) -> None:
        raise NotImplementedError

    def unconsumed_pages(self) -> list[str]:
        return []

    def expected_billed_micros(self, day: dt.date) -> int | None:
        return None


class SimulatorTarget(ConformanceTarget):
    """A started ``Simulator`` serving one vendor, and the window to fetch."""

    def __init__(self, simulator: Simulator, vendor: str, window: tuple[dt.date, dt.date]):
        self.simulator = simulator
        self.vendor = vendor
        self.window = window

    def config(self, good: bool = True) -> dict[str, Any]:
        return self.simulator.config(self.vendor, good=good)

    def set_faults(self, **knobs: Any) -> None:
        self.simulator.set_faults(self.vendor, **knobs)

    def clear_faults(self) -> None:
        self.simulator.clear_faults()

    def unconsumed_pages(self) -> list[str]:
        return self.simulator.unconsumed_pages(self.vendor)

    def expected_billed_micros(self, day: dt.date) -> int | None:
        try:
            return self.simulator.expected_billed_micros(self.vendor, day)
        except NotImplementedError:
            return None


@dataclass
class Fetched:
    """Everything one ``fetch`` yielded, flattened."""

    usage: list[UsageRecord] = field(default_factory=list)
    activity: list[ActivityRecord] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)

    def canonical(self) -> tuple[list[str], list[str], list[str]]:
        """Order-insensitive form used to compare two fetches."""
        return (
            sorted(map(repr, self.usage)),
            sorted(map(repr, self.activity)),
            sorted(map(repr, self.accounts)),
        )


def _no_sleep(seconds: float) -> None:
    """Retry-After 0 and backoff must not slow the kit down."""


def _is_float(value: Any) -> bool:
    return isinstance(value, float)


class ConnectorConformance:
    """Base class of a connector's conformance suite (not collected itself: no ``Test`` prefix)."""

    #: The connector class under test.
    connector: ClassVar[type[Connector]]
    #: A plugin's own simulated vendor; default: the simulator's vendor named ``connector.name``.
    simulator_vendor: ClassVar[type[SimulatedVendor] | None] = None
    #: Options for the default ``Simulator`` (seed, members, start, days).
    simulator_options: ClassVar[dict[str, Any]] = {}
    #: Days fetched by the scenarios, ending this many days after the simulator's first day.
    window_days: ClassVar[int] = 5
    window_offset_days: ClassVar[int] = 27  # 2026-09-28..2026-10-02: crosses a month end
    #: A field the connector cannot do without; the suite removes it from responses.
    required_field: ClassVar[str | None] = None
    #: Scenarios that do not apply: {"test_name": "reason"}.
    bypass: ClassVar[dict[str, str]] = {}

    # -- fixtures ----------------------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _conformance_bypass(self, request: pytest.FixtureRequest) -> None:
        unknown = [name for name in self.bypass if not hasattr(ConnectorConformance, name)]
        if unknown:
            pytest.fail(f"bypass names unknown conformance scenarios: {unknown}")
        name = request.node.originalname
        if name in self.bypass:
            reason = (self.bypass[name] or "").strip()
            if not reason:
                pytest.fail(f"bypass of {name} needs a reason")
            pytest.skip(f"bypassed: {reason}")

    @pytest.fixture
    def conformance_target(self) -> Iterator[ConformanceTarget]:
        """The default target: the aispend vendor simulator over real HTTP on 127.0.0.1."""
        vendor = self.simulator_vendor or self.connector.name
        try:
            simulator = Simulator(vendors=[vendor], **self.simulator_options)
        except ValueError as exc:
            pytest.fail(
                f"{exc}. Set simulator_vendor = <your SimulatedVendor> on the conformance class "
                "or override the conformance_target fixture."
            )
        start = simulator.start_day + dt.timedelta(days=self.window_offset_days)
        if start + dt.timedelta(days=self.window_days - 1) > simulator.end_day:
            start = simulator.start_day
        end = min(simulator.end_day, start + dt.timedelta(days=self.window_days - 1))
        name = vendor if isinstance(vendor, str) else vendor.name
        with simulator:
            yield SimulatorTarget(simulator, name, (start, end))

    # -- helpers -----------------------------------------------------------------------------
    def make_connector(self) -> Connector:
        return self.connector()

    def fetch_all(self, target: ConformanceTarget, config: dict[str, Any] | None = None) -> Fetched:
        start, end = target.window
        ctx = FetchContext(
            log=logging.getLogger(f"aispend.conformance.{self.connector.name}"),
            http_options={"sleep": _no_sleep},
        )
        out = Fetched()
        for batch in self.make_connector().fetch(config or target.config(), start, end, ctx):
            out.usage.extend(batch.usage)
            out.activity.extend(batch.activity)
            out.accounts.extend(batch.accounts)
        return out

    def secrets_of(self, config: dict[str, Any]) -> list[str]:
        return [s for s in self.connector.secret_values(config) if len(s) >= 4]

    def assert_clear_error(self, target: ConformanceTarget, what: str) -> None:
        try:
            self.fetch_all(target)
        except ConnectorError as exc:
            message = str(exc).lower()
            assert self.connector.name.lower() in message or (
                self.connector.provider.lower() in message
            ), f"{what}: the error does not name the vendor: {exc}"
            for secret in self.secrets_of(target.config()):
                assert secret not in str(exc), f"{what}: the error message contains a secret"
            return
        except Exception as exc:  # noqa: BLE001 - the point is to report what was raised
            pytest.fail(
                f"{what}: raised {type(exc).__name__}: {exc!r}; expected a ConnectorError "
                "(or SchemaError) naming the vendor, endpoint and field"
            )
        pytest.fail(f"{what}: fetch succeeded; expected a ConnectorError")

    # -- scenarios ---------------------------------------------------------------------------
    def test_spec_is_declared(self) -> None:
        cls = self.connector
        assert isinstance(cls, type) and issubclass(cls, Connector), (
            "connector must subclass Connector"
        )
        assert isinstance(cls.name, str) and cls.name.isidentifier(), "name must be an identifier"
        assert cls.name == cls.name.lower(), "name must be lower-case"
        assert isinstance(cls.provider, str) and cls.provider.strip(), "provider must be set"
        assert isinstance(cls.services, tuple) and cls.services, (
            "services must be a non-empty tuple"
        )
        assert all(isinstance(s, str) and s for s in cls.services)
        assert cls.source_type in ("api", "file", "manual")
        assert cls.default_confidence in ("high", "medium", "low")
        assert isinstance(cls.credential_fields, tuple)
        assert all(isinstance(f, CredentialField) for f in cls.credential_fields)
        names = [f.name for f in cls.credential_fields]
        assert len(names) == len(set(names)), "credential field names must be unique"
        assert all(n.isidentifier() for n in names)
        assert isinstance(cls.revision_window_days, int) and cls.revision_window_days >= 0
        assert isinstance(cls.max_window_days, int) and cls.max_window_days >= 1
        assert (cls.__doc__ or "").strip(), "the connector class needs a docstring"

    def test_check_accepts_good_credentials(self, conformance_target: ConformanceTarget) -> None:
        result = self.make_connector().check(conformance_target.config(good=True))
        assert result.ok, f"check failed with good credentials: {result.reason}"

    def test_check_rejects_bad_credentials(self, conformance_target: ConformanceTarget) -> None:
        config = conformance_target.config(good=False)
        result = self.make_connector().check(config)
        assert result.ok is False, "check passed with bad credentials"
        assert result.reason.strip(), "check must say why it failed"
        for secret in self.secrets_of(config) + self.secrets_of(conformance_target.config()):
            assert secret not in result.reason, "the reason contains a secret"

    def test_check_reports_missing_credentials(self, conformance_target: ConformanceTarget) -> None:
        required = [f.name for f in self.connector.credential_fields if f.required]
        if not required:
            pytest.skip("the connector declares no required credential")
        config = {k: v for k, v in conformance_target.config().items() if k not in required}
        result = self.make_connector().check(config)
        assert result.ok is False
        assert any(name in result.reason for name in required), (
            f"the reason should name the missing field(s) {required}: {result.reason!r}"
        )

    def test_fetch_stays_in_range(self, conformance_target: ConformanceTarget) -> None:
        start, end = conformance_target.window
        got = self.fetch_all(conformance_target)
        assert got.usage or got.activity, "a fetch over the window yielded no records at all"
        for record in [*got.usage, *got.activity]:
            assert start <= record.day <= end, f"{record!r} is outside {start}..{end}"
            assert isinstance(record.account_key, str) and record.account_key

    def test_fetch_twice_gives_identical_records(
        self, conformance_target: ConformanceTarget
    ) -> None:
        first = self.fetch_all(conformance_target)
        second = self.fetch_all(conformance_target)
        assert first.canonical() == second.canonical()
        keys = [r.record_key("t", self.connector.name) for r in first.usage]
        assert len(keys) == len(set(keys)), "two usage records share a record key"

    def test_every_offered_page_is_consumed(self, conformance_target: ConformanceTarget) -> None:
        self.fetch_all(conformance_target)
        assert conformance_target.unconsumed_pages() == []

    def test_money_is_exact(self, conformance_target: ConformanceTarget) -> None:
        got = self.fetch_all(conformance_target)
        billed: dict[dt.date, int] = defaultdict(int)
        for r in got.usage:
            assert type(r.billed_cost_micros) is int, f"billed cost is not int micros: {r!r}"
            for name in ("list_cost_micros", "effective_cost_micros"):
                value = getattr(r, name)
                assert value is None or type(value) is int, f"{name} is not int micros: {r!r}"
            for name in (
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "requests",
            ):
                value = getattr(r, name)
                assert value is None or (type(value) is int and value >= 0), f"{name}: {r!r}"
            assert r.consumed_quantity is None or isinstance(r.consumed_quantity, Decimal | int)
            assert not _is_float(r.consumed_quantity)
            if r.cost_basis == "billed":
                billed[r.day] += r.billed_cost_micros
        for a in got.activity:
            assert isinstance(a.value, Decimal | int) and not _is_float(a.value), f"{a!r}"
        start, end = conformance_target.window
        day = start
        while day <= end:
            expected = conformance_target.expected_billed_micros(day)
            if expected is not None:
                assert billed.get(day, 0) == expected, (
                    f"{day}: billed records sum to {billed.get(day, 0)} micros, "
                    f"the vendor billed {expected}"
                )
            day += dt.timedelta(days=1)

    def test_survives_a_429_storm(self, conformance_target: ConformanceTarget) -> None:
        clean = self.fetch_all(conformance_target)
        conformance_target.set_faults(rate_limit_every=2, retry_after=0)
        stormy = self.fetch_all(conformance_target)
        conformance_target.clear_faults()
        assert stormy.canonical() == clean.canonical()

    def test_survives_a_500_storm(self, conformance_target: ConformanceTarget) -> None:
        clean = self.fetch_all(conformance_target)
        conformance_target.set_faults(server_error_every=3)
        stormy = self.fetch_all(conformance_target)
        conformance_target.clear_faults()
        assert stormy.canonical() == clean.canonical()

    def test_malformed_payload_is_a_clear_error(
        self, conformance_target: ConformanceTarget
    ) -> None:
        conformance_target.set_faults(malformed_every=1)
        self.assert_clear_error(conformance_target, "malformed JSON")

    def test_missing_field_is_a_clear_error(self, conformance_target: ConformanceTarget) -> None:
        if not self.required_field:
            pytest.fail(
                "declare required_field = '<a field the connector needs>' on the conformance "
                "class (or bypass this scenario with a reason)"
            )
        conformance_target.set_faults(missing_field=self.required_field)
        self.assert_clear_error(conformance_target, f"missing field {self.required_field!r}")
