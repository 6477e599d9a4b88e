"""The conformance kit's shared machinery: options, fixtures, fetching, and proof helpers.

Every scenario proves it ran: it fails when the target shows it checked nothing, or skips
naming why (a target that cannot count pages or faults); it never passes silently.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from connectors.contract import Connector, ConnectorError, FetchContext
from connectors.dates import days
from connectors.simulator import SimulatedVendor, Simulator
from connectors.testing.targets import ConformanceTarget, Fetched, SimulatorTarget

#: Items per page the kit's simulator serves at most: its small team then spans several
#: pages on every paged endpoint, as a real team would, so ignoring pagination fails.
KIT_PAGE_CAP = 4

_SUITES: dict[str, list[type]] = defaultdict(list)


def conformance_suites() -> dict[str, list[type]]:
    """Connector name → the conformance classes defined for it so far (imported modules)."""
    return {name: list(classes) for name, classes in _SUITES.items()}


def _no_sleep(seconds: float) -> None:
    """Retry-After 0 and backoff must not slow the kit down."""


class KitBase:
    """Options, fixtures and helpers of ``ConnectorConformance``."""

    #: The connector class under test.
    connector: ClassVar[type[Connector]]
    #: A plugin's own simulated vendor; default: the simulator's vendor named ``connector.name``.
    simulator_vendor: ClassVar[type[SimulatedVendor] | None] = None
    #: Options for the default ``Simulator`` (seed, members, start, days, page_cap).
    simulator_options: ClassVar[dict[str, Any]] = {}
    #: Days fetched by the scenarios, starting this many days after the simulator's first day.
    window_days: ClassVar[int] = 5
    window_offset_days: ClassVar[int] = 27  # 2026-09-28..2026-10-02: crosses a month end
    #: A field the connector cannot do without; the suite removes it from responses.
    required_field: ClassVar[str | None] = None
    #: Scenarios that do not apply: {"test_name": "reason"}.
    bypass: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        connector = cls.__dict__.get("connector")
        if connector is not None and cls.__name__.startswith("Test"):
            _SUITES[getattr(connector, "name", repr(connector))].append(cls)

    # -- fixtures ----------------------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _conformance_bypass(self, request: pytest.FixtureRequest) -> None:
        from connectors.testing.conformance import scenario_names

        unknown = [name for name in self.bypass if name not in scenario_names()]
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
        options = {"page_cap": KIT_PAGE_CAP, **self.simulator_options}
        try:
            simulator = Simulator(vendors=[vendor], **options)
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

    def fetch_all(
        self,
        target: ConformanceTarget,
        config: dict[str, Any] | None = None,
        window: tuple[dt.date, dt.date] | None = None,
    ) -> Fetched:
        start, end = window or target.window
        ctx = FetchContext(
            log=logging.getLogger(f"aispend.conformance.{self.connector.name}"),
            http_options={"sleep": _no_sleep},
            today=target.today,
        )
        out = Fetched()
        for batch in self.make_connector().fetch(config or target.config(), start, end, ctx):
            out.usage.extend(batch.usage)
            out.activity.extend(batch.activity_records())
            out.accounts.extend(batch.accounts)
            out.vendor_totals.extend(batch.vendor_totals)
            out.reconciliation.extend(batch.reconciliation)
        return out

    def secrets_of(self, config: dict[str, Any]) -> list[str]:
        return [s for s in self.connector.secret_values(config) if len(s) >= 4]

    @staticmethod
    def window_days_of(target: ConformanceTarget) -> list[dt.date]:
        return list(days(*target.window))

    @staticmethod
    def require_served(target: ConformanceTarget, kind: str, what: str) -> None:
        """Fail unless the target served at least one fault of ``kind``; skip when it cannot tell."""
        served = target.faults_served(kind)
        if served is None:
            pytest.skip(f"the target does not count the faults it serves, so {what} is unproven")
        assert served > 0, (
            f"{what}: the target never served the fault; the scenario checked nothing"
        )

    def assert_clear_error(self, target: ConformanceTarget, what: str, fault: str) -> None:
        """The fetch raises a ``ConnectorError`` naming the vendor (and no secret), and the
        target really served the ``fault`` that should cause it."""
        try:
            self.fetch_all(target)
        except ConnectorError as exc:
            message = str(exc).lower()
            assert self.connector.name.lower() in message or (
                self.connector.provider.lower() in message
            ), f"{what}: the error does not name the vendor: {exc}"
            for secret in self.secrets_of(target.config()):
                assert secret not in str(exc), f"{what}: the error message contains a secret"
            self.require_served(target, fault, what)
            return
        except Exception as exc:  # noqa: BLE001 - the point is to report what was raised
            pytest.fail(
                f"{what}: raised {type(exc).__name__}: {exc!r}; expected a ConnectorError "
                "(or SchemaError) naming the vendor, endpoint and field"
            )
        self.require_served(target, fault, what)
        pytest.fail(f"{what}: fetch succeeded; expected a ConnectorError")
