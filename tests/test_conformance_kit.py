"""The kit never passes a check that did not run: each hole a connector author can fall into
fails the scenario meant to catch it. The broken connectors are variants of the example
package (what ``aispend connectors new`` generates), run by the kit in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = pytest.mark.xdist_group("conformance_kit")

EXAMPLE_SRC = Path(__file__).parent / "example_connector" / "src"

SUITES = textwrap.dedent(
    '''
    import dataclasses

    import aispend_example_connector.simulator  # registers the simulated Example AI API
    from aispend_example_connector import ExampleConnector
    from aispend_example_connector.simulator import ExampleAIVendor

    from connectors.http import VendorHttp
    from connectors.testing import ConnectorConformance


    class OnePageHttp(VendorHttp):
        def paginate_cursor(self, path, params=None, **kwargs):
            yield next(iter(super().paginate_cursor(path, params, **kwargs)))


    class IgnoresPagination(ExampleConnector):
        """Reads the first page only."""

        def _http(self, config, ctx=None):
            http = super()._http(config, ctx)
            http.__class__ = OnePageHttp
            return http


    class TooLargeWindow(ExampleConnector):
        """Claims the vendor accepts 90-day ranges (it accepts 31)."""

        max_window_days = 90


    class TokensTwice(ExampleConnector):
        """Adds a second view of the same tokens to the token columns."""

        def fetch(self, config, start, end, ctx):
            for batch in super().fetch(config, start, end, ctx):
                batch.usage += [dataclasses.replace(r, sku=r.sku + "-view", billed_cost_micros=0)
                                for r in batch.usage]
                yield batch


    class NoControlTotal(ExampleConnector):
        """Forgets the vendor's own daily totals."""

        def fetch(self, config, start, end, ctx):
            for batch in super().fetch(config, start, end, ctx):
                batch.vendor_totals = []
                yield batch


    class CentsAsDollars(ExampleConnector):
        """Reads every amount 100x too large, totals included (they still agree)."""

        def fetch(self, config, start, end, ctx):
            for batch in super().fetch(config, start, end, ctx):
                batch.usage = [dataclasses.replace(r, billed_cost_micros=r.billed_cost_micros * 100)
                               for r in batch.usage]
                batch.vendor_totals = [dataclasses.replace(t, billed_cost_micros=t.billed_cost_micros * 100)
                                       for t in batch.vendor_totals]
                yield batch


    class SilentVendor(ExampleAIVendor):
        """A simulated vendor that declares neither its bill nor its tokens."""

        name = "example"

        def expected_billed_micros(self, day):
            raise NotImplementedError

        def expected_tokens(self, day):
            raise NotImplementedError


    class TestIgnoresPagination(ConnectorConformance):
        connector = IgnoresPagination

    class TestTooLargeWindow(ConnectorConformance):
        connector = TooLargeWindow

    class TestTokensTwice(ConnectorConformance):
        connector = TokensTwice

    class TestNoControlTotal(ConnectorConformance):
        connector = NoControlTotal

    class TestCentsAsDollars(ConnectorConformance):
        connector = CentsAsDollars

    class TestSilentVendor(ConnectorConformance):
        connector = ExampleConnector
        simulator_vendor = SilentVendor

    class TestFieldNeverSent(ConnectorConformance):
        connector = ExampleConnector
        required_field = "no_such_field"

    class TestNoRequiredField(ConnectorConformance):
        connector = ExampleConnector
    '''
)

#: suite → (scenario that must fail, words its failure must contain)
HOLES = {
    "TestIgnoresPagination": ("test_every_offered_page_is_consumed", "never read"),
    "TestTooLargeWindow": ("test_a_window_beyond_the_maximum_is_split", "HTTP 400"),
    "TestTokensTwice": ("test_tokens_are_counted_once", "counted twice"),
    "TestNoControlTotal": ("test_vendor_control_totals_match", "no VendorTotal"),
    "TestCentsAsDollars": ("test_unit_guard_catches_cents_read_as_dollars", "implausible"),
    "TestSilentVendor": ("test_money_is_exact", "declares no billed total"),
    "TestFieldNeverSent": ("test_missing_field_is_a_clear_error", "checked nothing"),
    "TestNoRequiredField": ("test_missing_field_is_a_clear_error", "declare required_field"),
}
SILENT_TOKENS = ("TestSilentVendor", "test_tokens_are_counted_once", "declares no processed tokens")


@pytest.fixture(scope="module")
def kit_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    work = tmp_path_factory.mktemp("kit")
    (work / "test_holes.py").write_text(SUITES)
    nodes = [f"test_holes.py::{suite}::{test}" for suite, (test, _) in HOLES.items()]
    nodes.append(f"test_holes.py::{SILENT_TOKENS[0]}::{SILENT_TOKENS[1]}")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE_SRC), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--tb=short", *nodes],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize("suite", sorted(HOLES))
def test_each_hole_fails_its_scenario_with_a_reason(kit_run: str, suite: str):
    scenario, words = HOLES[suite]
    assert re.search(rf"FAILED test_holes.py::{suite}::{scenario}\b", kit_run), kit_run
    assert words in kit_run, kit_run


def test_a_silent_vendor_fails_the_token_scenario_too(kit_run: str):
    suite, scenario, words = SILENT_TOKENS
    assert re.search(rf"FAILED test_holes.py::{suite}::{scenario}\b", kit_run), kit_run
    assert words in kit_run
