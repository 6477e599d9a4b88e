"""For bench/analytics_cpu.py (``SERVER_PYTHONPATH=bench/run_timer``): in a dashboard server
only, each script run's page, wall and thread CPU time (ms), appended to
tmp/anabench/runs-<pid>.txt. Python imports ``sitecustomize`` at start-up from its path."""

import functools
import os
import sys
import time
from pathlib import Path

if "--server.port" in sys.argv:
    from streamlit.runtime.scriptrunner import script_runner

    _LOG = Path(__file__).resolve().parents[2] / "tmp" / "anabench" / f"runs-{os.getpid()}.txt"
    _run = script_runner.ScriptRunner._run_script

    @functools.wraps(_run)
    def _timed(self, rerun_data):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return _run(self, rerun_data)
        finally:
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            with _LOG.open("a") as log:
                log.write(f"{rerun_data.page_name or '-'} {wall * 1000:.1f} {cpu * 1000:.1f}\n")

    script_runner.ScriptRunner._run_script = _timed
