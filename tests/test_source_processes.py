"""Sources in processes of their own: results come back in the sources' order, progress is
shown by the parent's reporter, and a child dying without a result fails only its source."""

from __future__ import annotations

import io
import os
import re

from pipelines.progress import ProgressReporter
from pipelines.source_processes import run_in_processes


def run_one(name: str, reporter: ProgressReporter) -> tuple[str, int]:
    reporter.start(name, 2)
    if name == "dies":
        os._exit(3)  # killed mid-way: no result, no closing line
    reporter.add(name, pages=2, rows=7)
    reporter.finish(name, True)
    return (name, os.getpid())


def test_each_source_in_its_own_process_and_a_death_fails_only_its_own():
    out = io.StringIO()
    results = run_in_processes(
        ["alpha", "dies", "beta"],
        run_one,
        ProgressReporter(stream=out, live=False, plain_every=0),
        lambda name, reason: (name, reason),
    )
    assert [r[0] for r in results] == ["alpha", "dies", "beta"]
    pids = {results[0][1], results[2][1]}
    assert len(pids) == 2 and os.getpid() not in pids
    assert results[1] == ("dies", "the sync process exited with code 3")
    text = out.getvalue()
    assert "alpha: 2 pages, 7 records" in text and "beta: 2 pages, 7 records" in text
    assert "dies: syncing 2 day(s)" in text
    assert re.search(r"^dies: 0 pages, 0 records, .* — FAILED$", text, re.M)
