"""What the conformance kit runs against, and what it needs to know from it.

- ``SimulatorTarget``: a started ``Simulator`` serving one vendor over real HTTP (the default).
  It knows what the vendor billed and processed each day, counts the pages and faults it
  served, and its "today" is the simulator's last day.
- ``StaticConfigTarget``: a fixed config for a connector whose input is not a vendor API
  (admin input, a folder prepared by the test), with the truths the test computed.

A package can write its own target (recorded responses, its own server) by subclassing
``ConformanceTarget``; every method that answers ``None`` makes the scenarios that need it
skip with a reason instead of passing silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.contract import (
    Account,
    ActivityRecord,
    ReconciliationTotal,
    UsageRecord,
    VendorTotal,
)
from connectors.simulator import Simulator


class ConformanceTarget:
    """What the suite runs against. Subclass it to test against something other than the simulator."""

    window: tuple[dt.date, dt.date]

    @property
    def today(self) -> dt.date:
        """The date the connector should take as today (for "current period" snapshots)."""
        return self.window[1]

    def config(self, good: bool = True) -> dict[str, Any]:
        raise NotImplementedError

    def data_span(self) -> tuple[dt.date, dt.date] | None:
        """The days the target holds data for (None: only ``window``)."""
        return None

    def set_faults(self, **knobs: Any) -> None:
        raise NotImplementedError

    def clear_faults(self) -> None:
        raise NotImplementedError

    def faults_served(self, kind: str) -> int | None:
        """How many faults of ``kind`` were served so far (None: the target cannot tell)."""
        return None

    def unconsumed_pages(self) -> list[str]:
        return []

    def pages_offered(self) -> int | None:
        """How many next pages responses advertised so far (None: the target cannot tell)."""
        return None

    def reset_pages(self) -> None:
        """Forget the pages offered and taken so far."""

    def expected_billed_micros(self, day: dt.date) -> int | None:
        return None

    def expected_tokens(self, day: dt.date) -> int | None:
        return None


def _unless_not_implemented(call: Callable[[], int]) -> int | None:
    try:
        return call()
    except NotImplementedError:
        return None


class SimulatorTarget(ConformanceTarget):
    """A started ``Simulator`` serving one vendor, and the window to fetch."""

    def __init__(self, simulator: Simulator, vendor: str, window: tuple[dt.date, dt.date]):
        self.simulator = simulator
        self.vendor = vendor
        self.window = window

    @property
    def today(self) -> dt.date:
        return self.simulator.today

    def config(self, good: bool = True) -> dict[str, Any]:
        return self.simulator.config(self.vendor, good=good)

    def data_span(self) -> tuple[dt.date, dt.date]:
        return self.simulator.start_day, self.simulator.end_day

    def set_faults(self, **knobs: Any) -> None:
        self.simulator.set_faults(self.vendor, **knobs)

    def clear_faults(self) -> None:
        self.simulator.clear_faults()

    def faults_served(self, kind: str) -> int:
        return self.simulator.served(self.vendor, kind)

    def unconsumed_pages(self) -> list[str]:
        return self.simulator.unconsumed_pages(self.vendor)

    def pages_offered(self) -> int:
        return self.simulator.vendor(self.vendor).offered_pages()

    def reset_pages(self) -> None:
        self.simulator.vendor(self.vendor).reset_pages()

    def expected_billed_micros(self, day: dt.date) -> int | None:
        return _unless_not_implemented(
            lambda: self.simulator.expected_billed_micros(self.vendor, day)
        )

    def expected_tokens(self, day: dt.date) -> int | None:
        return _unless_not_implemented(lambda: self.simulator.expected_tokens(self.vendor, day))


class StaticConfigTarget(ConformanceTarget):
    """A fixed config (admin input, a prepared folder) and the truths the test knows about it.

    There is no server: fault and paging scenarios must be bypassed with a reason.
    """

    def __init__(
        self,
        config: dict[str, Any],
        window: tuple[dt.date, dt.date],
        *,
        bad_config: dict[str, Any] | None = None,
        billed: Callable[[dt.date], int] | None = None,
        tokens: Callable[[dt.date], int] | None = None,
        span: tuple[dt.date, dt.date] | None = None,
    ):
        self._config = config
        self._bad = bad_config if bad_config is not None else config
        self.window = window
        self._billed = billed
        self._tokens = tokens
        self._span = span

    def config(self, good: bool = True) -> dict[str, Any]:
        return dict(self._config if good else self._bad)

    def data_span(self) -> tuple[dt.date, dt.date] | None:
        return self._span

    def expected_billed_micros(self, day: dt.date) -> int | None:
        return self._billed(day) if self._billed else None

    def expected_tokens(self, day: dt.date) -> int | None:
        return self._tokens(day) if self._tokens else None


@dataclass
class Fetched:
    """Everything one ``fetch`` yielded, flattened."""

    usage: list[UsageRecord] = field(default_factory=list)
    activity: list[ActivityRecord] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    vendor_totals: list[VendorTotal] = field(default_factory=list)
    reconciliation: list[ReconciliationTotal] = field(default_factory=list)

    def canonical(self) -> tuple[list[str], ...]:
        """Order-insensitive form used to compare two fetches."""
        return tuple(
            sorted(map(repr, part))
            for part in (
                self.usage,
                self.activity,
                self.accounts,
                self.vendor_totals,
                self.reconciliation,
            )
        )
