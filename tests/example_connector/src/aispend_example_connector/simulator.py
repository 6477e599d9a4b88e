"""The simulated Example AI admin API, served by aispend's vendor simulator over real HTTP.

Every (member, day) gets zero to two usage items (one per model) drawn from ``rng_for``, so
any day can be generated on demand; each item costs its tokens at the model's price, so the
amount per token is plausible. ``expected_billed_micros`` and ``expected_tokens`` are what the
API billed and processed that day: the conformance kit holds the connector to both.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connectors.dates import days
from connectors.money import to_micros
from connectors.simulator import (
    SimRequest,
    SimResponse,
    SimulatedVendor,
    error_response,
    register_vendor,
    rng_for,
)

#: model → USD per million (input, output) tokens
PRICES = {
    "example-large": (Decimal("3"), Decimal("15")),
    "example-small": (Decimal("0.25"), Decimal("1.25")),
}
MAX_RANGE_DAYS = 31
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@register_vendor
class ExampleAIVendor(SimulatedVendor):
    """``/example/v1/organization``, ``/v1/usage`` (cursor pagination) and ``/v1/costs``."""

    name = "example"

    def items_for(self, day: dt.date) -> list[dict]:
        items: list[dict] = []
        if not self.in_range(day):
            return items
        for member in self.team:
            rng = rng_for(self.seed, self.name, member.index, day)
            for model in rng.sample(sorted(PRICES), rng.randint(0, 2)):
                input_tokens = rng.randint(1_000, 400_000)
                output_tokens = rng.randint(100, 60_000)
                price_in, price_out = PRICES[model]
                cost = (input_tokens * price_in + output_tokens * price_out) / 1_000_000
                items.append(
                    {
                        "date": day.isoformat(),
                        "user_email": member.email,
                        "model": model,
                        "input_tokens": input_tokens,
                        "output_tokens": output_tokens,
                        "cost_usd": str(cost),
                    }
                )
        return items

    def billed_micros(self, day: dt.date) -> int:
        """What the API bills for a day: every item's cost, exactly."""
        return sum(to_micros(item["cost_usd"], unit="usd") for item in self.items_for(day))

    def expected_billed_micros(self, day: dt.date) -> int:
        return self.billed_micros(day)

    def expected_tokens(self, day: dt.date) -> int:
        return sum(item["input_tokens"] + item["output_tokens"] for item in self.items_for(day))

    def handle(self, req: SimRequest) -> SimResponse:
        if req.method == "GET" and req.path == "/v1/organization":
            return SimResponse(body={"id": "org_example", "name": "Example AI Org"})
        if req.method == "GET" and req.path in ("/v1/usage", "/v1/costs"):
            try:
                start = dt.date.fromisoformat(req.arg("start_date") or "")
                end = dt.date.fromisoformat(req.arg("end_date") or "")
            except ValueError:
                return error_response(400, "start_date and end_date (YYYY-MM-DD) are required")
            if end < start or (end - start).days + 1 > MAX_RANGE_DAYS:
                return error_response(400, f"the range must be 1 to {MAX_RANGE_DAYS} days")
            if req.path == "/v1/costs":
                return self._costs(start, end)
            return self._usage(req, start, end)
        return error_response(404, f"no route {req.method} {req.path}")

    def _costs(self, start: dt.date, end: dt.date) -> SimResponse:
        data = [
            {"date": day.isoformat(), "amount_usd": str(Decimal(micros) / 1_000_000)}
            for day in days(start, end)
            if (micros := self.billed_micros(day))
        ]
        return SimResponse(body={"data": data})

    def _usage(self, req: SimRequest, start: dt.date, end: dt.date) -> SimResponse:
        try:
            requested = int(req.arg("limit") or DEFAULT_LIMIT)
        except ValueError:
            return error_response(400, "limit must be a number")
        # page_size() caps pages at the kit's page cap, so a small team spans several pages.
        limit = self.page_size(requested, default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        page = req.arg("page")
        offset = 0
        if page:
            self.take_page(f"{start}:{end}:{page}")
            offset = int(page.removeprefix("off_"))
        items = [item for day in days(start, end) for item in self.items_for(day)]
        chunk = items[offset : offset + limit]
        has_more = offset + limit < len(items)
        next_page = f"off_{offset + limit}" if has_more else None
        if next_page:
            self.offer_page(f"{start}:{end}:{next_page}")
        return SimResponse(body={"data": chunk, "has_more": has_more, "next_page": next_page})
