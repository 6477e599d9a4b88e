"""VendorHttp against a real HTTP server (the simulator with a test-only vendor).

Covers retries on 429/5xx/connection errors and timeouts, Retry-After (seconds and HTTP-date),
error classes and messages, exact Decimal parsing, the four pagination styles, and that a
secret never reaches an exception message or a log line.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import logging
import socket
from decimal import Decimal

import pytest

from connectors.contract import ConnectorError, CredentialError, SchemaError
from connectors.http import VendorHttp, redact
from connectors.simulator import SimRequest, SimResponse, SimulatedVendor, Simulator

SECRET = "sk-test-admin-0123456789abcdef"
ITEMS = [{"id": f"item_{i}", "amount": Decimal(f"{i}.10")} for i in range(1, 6)]


class HttpTestVendor(SimulatedVendor):
    """A tiny vendor exercising each pagination style and a few failure shapes."""

    name = "httptest"

    def good_config(self) -> dict[str, str]:
        return {"api_key": SECRET}

    def handle(self, req: SimRequest) -> SimResponse:
        route = getattr(self, "route_" + req.path.strip("/").replace("/", "_"), None)
        if route is None:
            # Echo the presented key, as careless vendors do, to prove redaction.
            return SimResponse(404, {"error": f"no such path {req.path} for key {SECRET}"})
        return route(req)

    def _cursor_page(self, token: str | None) -> SimResponse:
        start = int(token[1:]) if token else 0
        if token:
            self.take_page(token)
        nxt = f"p{start + 2}" if start + 2 < len(ITEMS) else None
        if nxt:
            self.offer_page(nxt)
        return SimResponse(
            body={"data": ITEMS[start : start + 2], "has_more": bool(nxt), "next_page": nxt}
        )

    def route_v1_items(self, req: SimRequest) -> SimResponse:
        return self._cursor_page(req.arg("page"))

    def route_v1_items_post(self, req: SimRequest) -> SimResponse:
        return self._cursor_page((req.body or {}).get("page"))

    def route_v1_pages(self, req: SimRequest) -> SimResponse:
        page, size = int(req.body["page"]), int(req.body["pageSize"])
        self.take_page(f"page{page}")
        has_next = page * size < len(ITEMS)
        if has_next:
            self.offer_page(f"page{page + 1}")
        rows = ITEMS[(page - 1) * size : page * size]
        return SimResponse(body={"data": rows, "pagination": {"hasNextPage": has_next}})

    def route_v1_linked(self, req: SimRequest) -> SimResponse:
        page = int(req.arg("page", "1"))
        self.take_page(f"linked{page}")
        headers = {}
        if page * 2 < len(ITEMS):
            self.offer_page(f"linked{page + 1}")
            host = req.headers["host"]
            nxt = f"http://{host}/httptest/v1/linked?page={page + 1}&per_page=2"
            headers["link"] = (
                f'<{nxt}>; rel="next", <http://{host}/httptest/v1/linked>; rel="first"'
            )
        return SimResponse(body=ITEMS[(page - 1) * 2 : page * 2], headers=headers)

    def route_v1_users(self, req: SimRequest) -> SimResponse:
        after = req.arg("after_id")
        start = 0
        if after:
            self.take_page(after)
            start = [i["id"] for i in ITEMS].index(after) + 1
        rows = ITEMS[start : start + 2]
        has_more = start + 2 < len(ITEMS)
        if has_more:
            self.offer_page(rows[-1]["id"])
        return SimResponse(
            body={
                "data": rows,
                "first_id": rows[0]["id"],
                "last_id": rows[-1]["id"],
                "has_more": has_more,
            }
        )

    def route_v1_money(self, req: SimRequest) -> SimResponse:
        return SimResponse(raw=b'{"amount": 0.1, "cents": "123.45", "n": 3}')

    def route_v1_dated(self, req: SimRequest) -> SimResponse:
        """429 with an HTTP-date Retry-After an hour ahead, then 200."""
        if not getattr(self, "_dated_done", False):
            self._dated_done = True
            later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            return SimResponse(
                429,
                {"error": "slow down"},
                headers={"retry-after": email.utils.format_datetime(later, usegmt=True)},
            )
        return SimResponse(body={"ok": True})

    def route_v1_forbidden(self, req: SimRequest) -> SimResponse:
        return SimResponse(403, {"error": "forbidden"})

    def route_v1_list(self, req: SimRequest) -> SimResponse:
        return SimResponse(body=[1, 2, 3])


@pytest.fixture
def sim():
    with Simulator(vendors=[HttpTestVendor], members=2, days=3) as simulator:
        yield simulator


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client(sim: Simulator, sleeps: Sleeps, **kw) -> VendorHttp:
    kw.setdefault("max_attempts", 6)
    return VendorHttp(
        "httptest",
        sim.base_url("httptest"),
        headers={"x-api-key": SECRET},
        secrets=[SECRET],
        sleep=sleeps,
        **kw,
    )


def test_path_prefix_and_exact_decimals(sim, sleeps):
    with client(sim, sleeps) as http:
        body = http.get_json("/v1/money")
    assert body == {"amount": Decimal("0.1"), "cents": "123.45", "n": 3}
    assert isinstance(body["amount"], Decimal)
    assert sim.requests_log[-1].path == "/v1/money"


def test_timeout_is_capped_at_30_seconds(sim, sleeps):
    with client(sim, sleeps, timeout=600) as http:
        assert http.timeout == 30.0


def test_retries_429_honouring_retry_after_seconds(sim, sleeps):
    sim.set_faults("httptest", rate_limit_every=2, retry_after=3)
    with client(sim, sleeps) as http:
        pages = list(http.paginate_cursor("/v1/items"))
        assert http.requests_made == 5  # 3 pages, 2 of the 5 requests answered 429
    assert [p["data"] for p in pages] == [ITEMS[0:2], ITEMS[2:4], ITEMS[4:5]]
    assert sleeps == [3.0, 3.0]
    assert [r.status for r in sim.requests_log] == [200, 429, 200, 429, 200]


def test_retry_after_http_date_is_capped(sim, sleeps):
    with client(sim, sleeps, max_retry_after=60) as http:
        assert http.get_json("/v1/dated") == {"ok": True}
    assert sleeps == [60]


def test_retries_5xx_with_bounded_full_jitter(sim, sleeps):
    sim.set_faults("httptest", server_error_every=1)
    with client(sim, sleeps, max_attempts=5, backoff_base=0.5, backoff_cap=1.5) as http:
        with pytest.raises(ConnectorError) as info:
            http.get_json("/v1/items")
        assert http.requests_made == 5
    assert str(info.value) == "httptest at /v1/items: gave up after 5 attempts (last: HTTP 500)"
    assert len(sleeps) == 4
    for attempt, seconds in enumerate(sleeps, start=1):
        assert 0 <= seconds <= min(1.5, 0.5 * 2 ** (attempt - 1))


def test_rate_limit_storm_gives_up_naming_the_status(sim, sleeps):
    sim.set_faults("httptest", rate_limit_every=1)
    with client(sim, sleeps, max_attempts=3) as http, pytest.raises(ConnectorError) as info:
        http.get_json("/v1/items")
    assert "gave up after 3 attempts (last: HTTP 429)" in str(info.value)
    assert len(sim.requests_log) == 3


def test_5xx_storm_gives_the_same_result(sim, sleeps):
    with client(sim, sleeps) as http:
        clean = list(http.paginate_cursor("/v1/items"))
    sim.set_faults("httptest", server_error_every=3)
    with client(sim, sleeps) as http:
        stormy = list(http.paginate_cursor("/v1/items"))
    assert stormy == clean
    assert 500 in {r.status for r in sim.requests_log}


def test_connection_refused_is_retried_then_reported(sleeps):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http = VendorHttp("httptest", f"http://127.0.0.1:{port}/x", sleep=sleeps, max_attempts=3)
    with http, pytest.raises(ConnectorError) as info:
        http.get_json("/v1/items")
    assert "gave up after 3 attempts (last: ConnectError" in str(info.value)
    assert len(sleeps) == 2


def test_timeout_is_retried(sim, sleeps):
    sim.set_faults("httptest", slow_seconds=0.5)
    with (
        client(sim, sleeps, timeout=0.1, max_attempts=2) as http,
        pytest.raises(ConnectorError) as info,
    ):
        http.get_json("/v1/items")
    assert "gave up after 2 attempts (last: ReadTimeout" in str(info.value)


def test_bad_credentials_raise_credential_error_without_the_secret(sim, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="aispend.http")
    wrong = "sk-wrong-key-9876543210"
    http = VendorHttp(
        "httptest", sim.base_url("httptest"), headers={"x-api-key": wrong}, sleep=sleeps
    )
    with http, pytest.raises(CredentialError) as info:
        http.get_json("/v1/items", params={"token": wrong})
    assert str(info.value) == "httptest at /v1/items: credentials were rejected (HTTP 401)"
    assert info.value.endpoint == "/v1/items"
    assert sim.requests_log[-1].status == 401
    assert caplog.records, "each request is logged at DEBUG"
    assert wrong not in caplog.text
    assert "[REDACTED]" in caplog.text  # the key in the query string was redacted


def test_403_is_a_credential_error(sim, sleeps):
    with client(sim, sleeps) as http, pytest.raises(CredentialError, match=r"HTTP 403"):
        http.get_json("/v1/forbidden")


def test_other_4xx_names_status_endpoint_and_a_redacted_excerpt(sim, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="aispend.http")
    with client(sim, sleeps) as http, pytest.raises(ConnectorError) as info:
        http.get_json("/v1/nope", params={"key": SECRET})
    message = str(info.value)
    assert message.startswith("httptest at /v1/nope: HTTP 404:")
    assert "no such path /v1/nope" in message
    assert SECRET not in message
    assert "[REDACTED]" in message
    assert SECRET not in caplog.text
    assert not sleeps  # a 404 is not retried


def test_malformed_body_is_a_schema_error(sim, sleeps):
    sim.set_faults("httptest", malformed_every=1)
    with client(sim, sleeps) as http, pytest.raises(SchemaError) as info:
        http.get_json("/v1/items")
    assert str(info.value) == "httptest at /v1/items: field '<body>' is not valid JSON"


def test_basic_auth_secret_is_redacted_in_every_form(sim, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="aispend.http")
    key = "key_basic_secret_value"
    http = VendorHttp("httptest", sim.base_url("httptest"), auth=(key, ""), sleep=sleeps)
    encoded = base64.b64encode(f"{key}:".encode()).decode()
    with http, pytest.raises(ConnectorError) as info:
        http.get_json(f"/v1/x-{key}-{encoded}")  # the path itself carries the secret
    assert key not in str(info.value) and encoded not in str(info.value)
    assert key not in caplog.text and encoded not in caplog.text


def test_redact_function():
    text = f"key={SECRET} basic={base64.b64encode(f'{SECRET}:'.encode()).decode()} abc"
    assert redact(text, [SECRET, "abc", ""]) == "key=[REDACTED] basic=[REDACTED] abc"


def test_paginate_cursor_get_and_post(sim, sleeps):
    with client(sim, sleeps) as http:
        got = [i for p in http.paginate_cursor("/v1/items") for i in p["data"]]
        posted = [
            i
            for p in http.paginate_cursor("/v1/items_post", method="POST", json={})
            for i in p["data"]
        ]
    assert got == ITEMS and posted == ITEMS
    assert sim.unconsumed_pages() == []
    assert [r.body for r in sim.requests_log if r.path == "/v1/items_post"] == [
        {},
        {"page": "p2"},
        {"page": "p4"},
    ]


def test_paginate_pages(sim, sleeps):
    with client(sim, sleeps) as http:
        pages = list(
            http.paginate_pages(
                "/v1/pages",
                {"filter": "x"},
                page_size=2,
                has_next=lambda b: b["pagination"]["hasNextPage"],
            )
        )
    assert [i for p in pages for i in p["data"]] == ITEMS
    assert [r.body["page"] for r in sim.requests_log] == [1, 2, 3]
    assert all(r.body["filter"] == "x" and r.body["pageSize"] == 2 for r in sim.requests_log)
    assert sim.unconsumed_pages() == []


def test_paginate_pages_turns_a_missing_key_into_a_schema_error(sim, sleeps):
    with client(sim, sleeps) as http, pytest.raises(SchemaError, match="pagination"):
        list(http.paginate_pages("/v1/pages", page_size=2, has_next=lambda b: b["nope"]["x"]))


def test_paginate_link_header(sim, sleeps):
    with client(sim, sleeps) as http:
        pages = list(http.paginate_link_header("/v1/linked", params={"per_page": 2}))
    assert [i for p in pages for i in p] == ITEMS
    assert [r.query.get("page") for r in sim.requests_log] == [None, ["2"], ["3"]]
    assert sim.unconsumed_pages() == []


def test_paginate_after_id(sim, sleeps):
    with client(sim, sleeps) as http:
        pages = list(http.paginate_after_id("/v1/users", params={"limit": 2}))
    assert [i for p in pages for i in p["data"]] == ITEMS
    assert sim.unconsumed_pages() == []


def test_pagination_of_a_non_object_is_a_schema_error(sim, sleeps):
    with client(sim, sleeps) as http, pytest.raises(SchemaError, match="not an object"):
        list(http.paginate_cursor("/v1/list"))
