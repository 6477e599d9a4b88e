"""The conformance suite every connector joins with a one-line subclass.

    class TestCursorConformance(ConnectorConformance):
        connector = CursorConnector
        required_field = "chargedCents"

Each scenario is a test method run offline against a ``ConformanceTarget``: by default the
aispend vendor simulator serving ``connector.name`` (or ``simulator_vendor``, a plugin's own
``SimulatedVendor``), over real HTTP, with pages capped so the default data spans several.
A package can override the ``conformance_target`` fixture (``StaticConfigTarget`` for admin
input or a prepared folder, or its own target over recorded responses).

Scenarios (``scenario_names()``):

- spec: the declaration is complete and coherent (config source, schedule, settings, unit
  prices); ``check`` accepts good, rejects bad and names missing credentials;
- fetch: records stay in range; two fetches agree; every offered page is read (and at least
  two were served); a range longer than ``max_window_days`` is split into windows the vendor
  accepts; a 429 storm and a 500 storm (really served) change nothing; a malformed payload and
  a missing field (really served) raise a ``ConnectorError`` naming the vendor;
- numbers: money is exact and equals what the vendor billed per day; the connector reports the
  vendor's control total for every day and people + unattributed equal it; token columns
  equal the tokens processed, each once; the declared unit prices catch an amount 100× off;
  independent period totals reconcile with the records;
- secrets: a base URL answering with a redirect to another origin gets a refusal, and no
  credential reaches that origin (``connectors.testing.hostile``).

Each scenario proves it ran, or fails (or skips) saying why. One that does not apply is
skipped only with a stated reason::

    bypass = {"test_missing_field_is_a_clear_error": "the vendor sends CSV files, no JSON"}
"""

from __future__ import annotations

from connectors.testing.scenarios_fetch import FetchScenarios
from connectors.testing.scenarios_money import MoneyScenarios
from connectors.testing.scenarios_secrets import SecretScenarios
from connectors.testing.scenarios_spec import SpecScenarios


class ConnectorConformance(SpecScenarios, FetchScenarios, MoneyScenarios, SecretScenarios):
    """Base class of a connector's conformance suite (not collected itself: no ``Test`` prefix)."""


def scenario_names() -> list[str]:
    """Every scenario of the kit (what ``bypass`` may name)."""
    return sorted(n for n in dir(ConnectorConformance) if n.startswith("test_"))
