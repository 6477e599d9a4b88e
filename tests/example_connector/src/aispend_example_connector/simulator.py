"""The simulated Example AI admin API, served by aispend's vendor simulator.

Every (member, day) gets zero to two usage items (one per model) drawn from ``rng_for`` so any day can be
generated on demand; ``expected_billed_micros`` is the exact sum the API bills for a day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connectors.contract import to_micros
from connectors.simulator import (
    SimRequest,
    SimResponse,
    SimulatedVendor,
    error_response,
    register_vendor,
    rng_for,
)

MODELS = ("example-large", "example-small")


@register_vendor
class ExampleAIVendor(SimulatedVendor):
    """``/example/v1/organization`` and ``/example/v1/usage`` (cursor pagination)."""

    name = "example"

    def items_for(self, day: dt.date) -> list[dict]:
        items = []
        if not self.in_range(day):
            return items
        for member in self.team:
            rng = rng_for(self.seed, self.name, member.index, day)
            for model in rng.sample(MODELS, rng.randint(0, 2)):
                items.append(
                    {
                        "date": day.isoformat(),
                        "user_email": member.email,
                        "model": model,
                        "input_tokens": rng.randint(1_000, 400_000),
                        "output_tokens": rng.randint(100, 60_000),
                        "cost_usd": str(Decimal(rng.randint(1, 9_000_000)) / 1_000_000),
                    }
                )
        return items

    def expected_billed_micros(self, day: dt.date) -> int:
        return sum(to_micros(item["cost_usd"]) for item in self.items_for(day))

    def handle(self, req: SimRequest) -> SimResponse:
        if req.method == "GET" and req.path == "/v1/organization":
            return SimResponse(body={"id": "org_example", "name": "Example Org"})
        if req.method == "GET" and req.path == "/v1/usage":
            return self._usage(req)
        return error_response(404, f"no route {req.method} {req.path}")

    def _usage(self, req: SimRequest) -> SimResponse:
        try:
            start = dt.date.fromisoformat(req.arg("start_date") or "")
            end = dt.date.fromisoformat(req.arg("end_date") or "")
            limit = int(req.arg("limit", "20") or 20)
        except ValueError:
            return error_response(400, "start_date and end_date (YYYY-MM-DD) are required")
        if end < start or (end - start).days > 30:
            return error_response(400, "the range must be 1 to 31 days")
        page = req.arg("page")
        offset = 0
        if page:
            self.take_page(f"{start}:{end}:{page}")
            offset = int(page.removeprefix("off_"))
        items = []
        day = start
        while day <= end:
            items.extend(self.items_for(day))
            day += dt.timedelta(days=1)
        chunk = items[offset : offset + limit]
        has_more = offset + limit < len(items)
        next_page = f"off_{offset + limit}" if has_more else None
        if next_page:
            self.offer_page(f"{start}:{end}:{next_page}")
        return SimResponse(body={"data": chunk, "has_more": has_more, "next_page": next_page})
