"""One test over every registered connector: it joins the conformance kit, it has a row in the
README's connector table, and it reports the vendor's control total (or its suite says why
not). A connector added without these fails here, whoever wrote it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from connectors.registry import load_connectors
from connectors.testing import conformance_suites, scenario_names

TESTS = Path(__file__).parent
README = (TESTS.parent / "README.md").read_text()
CONTROL_TOTALS = "test_vendor_control_totals_match"


def _suites() -> dict[str, list[type]]:
    """Import every test module that defines a conformance suite, then list the suites."""
    for path in sorted(TESTS.glob("test_*.py")):
        if path.name != Path(__file__).name and "(ConnectorConformance)" in path.read_text():
            importlib.import_module(path.stem)
    return conformance_suites()


@pytest.mark.parametrize("name", sorted(load_connectors()))
def test_every_registered_connector_joins_the_kit_and_the_readme(name: str):
    suites = _suites().get(name)
    assert suites, f"no ConnectorConformance subclass tests the {name!r} connector"
    assert f"| `{name}` |" in README, f"the README's connector table has no row for {name!r}"
    for suite in suites:
        unknown = set(suite.bypass) - set(scenario_names())
        assert not unknown, f"{suite.__name__} bypasses unknown scenarios {unknown}"
        for scenario, reason in suite.bypass.items():
            assert (reason or "").strip(), f"{suite.__name__} bypasses {scenario} without a reason"
        if CONTROL_TOTALS in suite.bypass:
            continue  # bypassed with a stated reason: the vendor publishes no control total
        assert CONTROL_TOTALS in scenario_names()
