"""The vendor simulator core over real HTTP, with a tiny test-only vendor.

Vendor-specific behaviour (Anthropic, Cursor) is tested beside those vendors; this file covers
routing, auth, fault knobs, request recording, page tracking and the generated team.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from connectors.simulator import (
    SimRequest,
    SimResponse,
    SimulatedVendor,
    Simulator,
    generate_team,
    registered_vendors,
    rng_for,
)


class TinyVendor(SimulatedVendor):
    """Serves /v1/rows (two pages) and /v1/boom (a vendor-code bug)."""

    name = "tiny"

    def handle(self, req: SimRequest) -> SimResponse:
        if req.path == "/v1/rows":
            page = req.arg("page")
            if page:
                self.take_page(page)
                return SimResponse(
                    body={"data": [{"id": 3, "cost": Decimal("0.30")}], "has_more": False}
                )
            self.offer_page("p2")
            rows = [
                {"id": 1, "cost": Decimal("12.345"), "results": [{"cost": 1, "model": "m"}]},
                {"id": 2, "cost": Decimal("0.1"), "nested": {"cost": 2, "deep": {"cost": 3}}},
            ]
            return SimResponse(body={"data": rows, "has_more": True, "next_page": "p2"})
        if req.path == "/v1/echo":
            return SimResponse(body={"method": req.method, "query": req.query, "body": req.body})
        if req.path == "/v1/boom":
            raise RuntimeError("bug in vendor code")
        return super().handle(req)

    def expected_billed_micros(self, day: dt.date) -> int:
        return 1_000_000 + day.day


@pytest.fixture
def sim():
    with Simulator(vendors=[TinyVendor], members=3, start=dt.date(2026, 9, 1), days=10) as s:
        yield s


@pytest.fixture
def http(sim: Simulator):
    key = sim.config("tiny")["api_key"]
    with httpx.Client(base_url=sim.base_url("tiny"), headers={"x-api-key": key}) as client:
        yield client


def test_team_is_deterministic_unique_and_scales():
    team = generate_team(7, 1000)
    assert team == generate_team(7, 1000)
    assert team[:5] == generate_team(7, 5)
    assert generate_team(8, 5) != team[:5]
    for attribute in (
        "email",
        "name",
        "anthropic_user_id",
        "api_key_id",
        "api_key_name",
        "cursor_user_id",
        "cursor_numeric_id",
    ):
        values = [getattr(m, attribute) for m in team]
        assert len(set(values)) == 1000, attribute
    first = team[0]
    assert first.email.endswith("@example.com") and first.email.count("@") == 1
    assert first.anthropic_user_id.startswith("user_01")
    assert first.api_key_id.startswith("apikey_01")
    assert first.cursor_user_id.startswith("user_")
    assert isinstance(first.cursor_numeric_id, int)
    assert [m.index for m in team] == list(range(1000))


def test_rng_for_is_deterministic_per_parts():
    day = dt.date(2026, 9, 3)
    assert rng_for(7, "cursor", 1, day).random() == rng_for(7, "cursor", 1, day).random()
    assert rng_for(7, "cursor", 1, day).random() != rng_for(7, "cursor", 2, day).random()
    assert rng_for(7, "cursor", 1, day).random() != rng_for(8, "cursor", 1, day).random()


def test_routes_under_the_vendor_prefix_and_records_requests(sim: Simulator, http: httpx.Client):
    response = http.post("/v1/echo?a=1&a=2&b[]=x", json={"amount": 1.5})
    assert response.status_code == 200
    assert response.json() == {
        "method": "POST",
        "query": {"a": ["1", "2"], "b[]": ["x"]},
        "body": {"amount": 1.5},
    }
    recorded = sim.requests_log[-1]
    assert (recorded.vendor, recorded.method, recorded.path, recorded.status) == (
        "tiny",
        "POST",
        "/v1/echo",
        200,
    )
    assert recorded.body == {"amount": Decimal("1.5")}
    assert sim.base_url("tiny") == f"http://127.0.0.1:{sim.port}/tiny"
    assert sim.port > 0


def test_decimals_are_served_as_exact_json_numbers(http: httpx.Client):
    body = json.loads(http.get("/v1/rows").content, parse_float=Decimal)
    assert [r["cost"] for r in body["data"]] == [Decimal("12.345"), Decimal("0.1")]


def test_auth_unknown_vendor_and_unknown_route(sim: Simulator):
    base = f"http://127.0.0.1:{sim.port}"
    bad = sim.config("tiny", good=False)
    assert bad["api_key"] != sim.config("tiny")["api_key"]
    assert bad["base_url"] == sim.base_url("tiny")
    r = httpx.get(f"{base}/tiny/v1/rows", headers={"x-api-key": bad["api_key"]})
    assert r.status_code == 401 and "error" in r.json()
    r = httpx.get(f"{base}/tiny/v1/rows", auth=(sim.config("tiny")["api_key"], ""))
    assert r.status_code == 200  # Basic auth with the key as username is accepted too
    r = httpx.get(f"{base}/nope/v1/rows")
    assert r.status_code == 404
    r = httpx.get(f"{base}/tiny/v1/nothing", headers={"x-api-key": sim.config("tiny")["api_key"]})
    assert r.status_code == 404
    assert [x.status for x in sim.requests_log] == [401, 200, 404, 404]


def test_vendor_code_errors_are_served_as_500_and_remembered(sim: Simulator, http: httpx.Client):
    assert http.get("/v1/boom").status_code == 500
    assert sim.handler_errors == ["tiny GET /v1/boom: RuntimeError('bug in vendor code')"]


def test_rate_limit_and_server_error_cadence(sim: Simulator, http: httpx.Client):
    sim.set_faults("tiny", rate_limit_every=2, retry_after=1.5, server_error_every=3)
    statuses = []
    for _ in range(6):
        r = http.get("/v1/echo")
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert r.headers["retry-after"] == "1.5"
    assert statuses == [200, 429, 500, 429, 200, 429]
    sim.clear_faults()
    assert http.get("/v1/echo").status_code == 200


def test_malformed_bodies(sim: Simulator, http: httpx.Client):
    sim.set_faults("tiny", malformed_every=1)
    r = http.get("/v1/rows")
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_missing_field_drops_the_key_from_listed_objects_one_level_deep(
    sim: Simulator, http: httpx.Client
):
    sim.set_faults(missing_field="cost")  # vendor=None: every vendor
    body = http.get("/v1/rows").json()
    assert body["data"][0] == {"id": 1, "results": [{"model": "m"}]}
    assert body["data"][1] == {"id": 2, "nested": {"deep": {"cost": 3}}}


def test_only_paths_limits_the_faults(sim: Simulator, http: httpx.Client):
    sim.set_faults("tiny", server_error_every=1, only_paths="/v1/rows")
    assert http.get("/v1/echo").status_code == 200
    assert http.get("/v1/rows").status_code == 500


def test_unconsumed_pages(sim: Simulator, http: httpx.Client):
    http.get("/v1/rows")
    assert sim.unconsumed_pages("tiny") == ["p2"]
    assert sim.unconsumed_pages() == ["tiny:p2"]
    http.get("/v1/rows", params={"page": "p2"})
    assert sim.unconsumed_pages() == []


def test_expected_billed_micros_and_vendor_access(sim: Simulator):
    assert sim.expected_billed_micros("tiny", dt.date(2026, 9, 4)) == 1_000_004
    vendor = sim.vendor("tiny")
    assert vendor.start == dt.date(2026, 9, 1) and vendor.end == dt.date(2026, 9, 10)
    assert len(vendor.team) == 3
    with pytest.raises(KeyError, match="serves no vendor"):
        sim.vendor("nope")


def test_unknown_vendor_name_is_refused():
    with pytest.raises(ValueError, match="unknown simulated vendor 'nope'"):
        Simulator(vendors=["nope"])


def test_stop_frees_the_port():
    sim = Simulator(vendors=[TinyVendor]).start()
    url = sim.base_url("tiny") + "/v1/echo"
    assert httpx.get(url).status_code == 401
    sim.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)


def test_built_in_vendors_are_registered_lazily():
    vendors = registered_vendors()
    assert "cursor" in vendors  # present once connectors/simulator/cursor.py exists
    assert "tiny" not in vendors  # passing a class does not register it


def test_plugin_fixture_serves_the_built_in_vendors(vendor_simulator: Simulator):
    """``vendor_simulator`` comes from the conformance kit's pytest plugin (pytest11 entry point)."""
    assert {"anthropic", "cursor"} <= set(vendor_simulator.vendor_names())
    for name in vendor_simulator.vendor_names():
        url = vendor_simulator.base_url(name) + "/nowhere"
        assert httpx.get(url).status_code in (401, 404)  # a real server answered


def test_faults_served_are_counted_per_kind(sim):
    config = sim.config("tiny")
    base = config["base_url"]
    headers = {"x-api-key": config["api_key"]}
    sim.set_faults("tiny", rate_limit_every=2, server_error_every=3, retry_after=0)
    with httpx.Client(headers=headers) as client:
        statuses = [client.get(base + "/v1/echo").status_code for _ in range(6)]
    assert statuses.count(429) == sim.served("tiny", "rate_limit") == 3
    assert statuses.count(500) == sim.served("tiny", "server_error") == 1  # the 6th is a 429
    sim.set_faults("tiny", rate_limit_every=None, server_error_every=None, missing_field="nope")
    with httpx.Client(headers=headers) as client:
        client.get(base + "/v1/rows")
    assert sim.served("tiny", "missing_field") == 0  # nothing dropped: not counted as served
    sim.set_faults("tiny", missing_field="cost")
    with httpx.Client(headers=headers) as client:
        client.get(base + "/v1/rows")
    assert sim.served("tiny", "missing_field") == 1


def test_page_cap_bounds_every_page_a_vendor_serves():
    vendor = TinyVendor(generate_team(7, 3), dt.date(2026, 9, 1), 10, 7, page_cap=4)
    assert vendor.page_size(None, default=20, maximum=100) == 4
    assert vendor.page_size(2, default=20, maximum=100) == 2
    uncapped = TinyVendor(generate_team(7, 3), dt.date(2026, 9, 1), 10, 7)
    assert uncapped.page_size(500, default=20, maximum=100) == 100
    assert uncapped.page_size(None, default=20, maximum=None) == 20
    with Simulator(vendors=["anthropic"], members=6, page_cap=2) as capped:
        key = capped.config("anthropic")["admin_api_key"]
        body = httpx.get(
            capped.base_url("anthropic") + "/v1/organizations/users",
            params={"limit": 1000},
            headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
        ).json()
    assert len(body["data"]) == 2 and body["has_more"] is True
    assert capped.vendor("anthropic").offered_pages() == 1
