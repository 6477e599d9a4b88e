"""Simulated vendor APIs over real HTTP on 127.0.0.1, for the demo, the tests and benchmarks.

``Simulator`` (``server.py``) serves every registered ``SimulatedVendor`` for a team generated
by ``team.py``; vendor modules (``anthropic.py``, ``cursor.py``) describe each vendor's routes.
"""

from connectors.simulator.server import (
    FaultKnobs,
    RecordedRequest,
    SimRequest,
    SimResponse,
    SimulatedVendor,
    Simulator,
    error_response,
    register_vendor,
    registered_vendors,
    unregister_vendor,
)
from connectors.simulator.team import SimMember, generate_team, rng_for

__all__ = [
    "FaultKnobs",
    "RecordedRequest",
    "SimMember",
    "SimRequest",
    "SimResponse",
    "SimulatedVendor",
    "Simulator",
    "error_response",
    "generate_team",
    "register_vendor",
    "registered_vendors",
    "rng_for",
    "unregister_vendor",
]
