"""How soon a timed command starts working: the seconds from launching it to the simulator
receiving its first request (issue 10: a small sync starts in under 2 s).

``FirstRequest(sim)`` wraps the simulator's ``respond`` (the simulator runs in the benchmark's
process; its HTTP handler calls ``sim.respond``) and keeps the wall-clock ``time.time()`` of the
first request it answers after ``arm()``. The launcher (``timed_commands._TIMED``, another
process on the same machine and clock) reports its own ``time.time()`` just before it starts
the command; ``seconds_since(launched)`` is the difference.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

TARGET_SECONDS = 2.0


class FirstRequest:
    """The wall-clock time of the first request the simulator answers after ``arm()``."""

    def __init__(self, sim):
        self._lock = threading.Lock()
        self._at: float | None = None
        self._cpu: float | None = None
        self._root: int | None = None
        self._armed = False
        respond = sim.respond

        def marking(method: str, target: str, headers: dict, raw: bytes):
            if self._armed:
                now = time.time()
                with self._lock:
                    if self._armed and self._at is None:
                        self._at = now
                        if self._root is not None:
                            self._cpu = _tree_cpu(self._root)
            return respond(method, target, headers, raw)

        sim.respond = marking  # the HTTP handler calls sim.respond: this instance's wins

    def arm(self, root: int | None = None) -> None:
        """Forget the last mark; the next request answered is the first one (``root``: the
        launcher's pid, whose descendants' CPU seconds are kept then)."""
        with self._lock:
            self._at, self._cpu, self._root, self._armed = None, None, root, True

    def cpu(self) -> float | None:
        """CPU seconds the command had used when it made its first request (None: unknown)."""
        with self._lock:
            return self._cpu

    def seconds_since(self, launched: float) -> float | None:
        """Seconds from ``launched`` (a ``time.time()``) to the first request, None if none."""
        with self._lock:
            at, self._armed = self._at, False
        return None if at is None else at - launched


def _tree_cpu(root: int) -> float | None:
    """User + system CPU seconds of every live process below ``root`` (Linux /proc)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    below, total, grew = {root}, 0.0, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in below and pid not in below:
                below.add(pid)
                total += used[pid]
                grew = True
    return total if len(below) > 1 else None


def column(seconds: float | None) -> str:
    """The "first req s" cell: seconds, or "-" when the command asked nothing."""
    return f"{seconds:>11.2f}" if seconds is not None else f"{'-':>11}"


FOOTER = (
    f"first req s: from launching the command to the simulator receiving its first request; "
    f"target < {TARGET_SECONDS:.0f} s for a small sync (--members 20 --days 3; issue 10)"
)
