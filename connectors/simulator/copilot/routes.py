"""The simulated GitHub Copilot REST API (``/copilot`` prefix), shaped as vendor-apis.md §3
says: ``GET /orgs/{org}/copilot/billing``, ``/copilot/billing/seats`` (``page``/``per_page``,
default 50, at most 100, paged by the ``Link`` header only), the AI-credit usage
(``year``/``month``/``day``/``user``), and ``/copilot/metrics/reports/users-1-day?day=``
whose signed NDJSON links point at another host name of the same server and refuse GitHub
credentials. Behind ``Authorization: Bearer <token>``; the retired
``/orgs/{org}/copilot/metrics`` answers 404."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
from typing import Any

from connectors.simulator.copilot.data import CopilotData, SimSeat
from connectors.simulator.faults import encode_json
from connectors.simulator.team import SimMember
from connectors.simulator.vendor import SimRequest, SimResponse, SimulatedVendor, register_vendor
from connectors.simulator.wire import BadRequest, int_arg

REPORTS_START = dt.date(2025, 10, 10)
DOWNLOAD = re.compile(r"^/downloads/users-1-day/(\d{4}-\d{2}-\d{2})/part-(\d)\.ndjson$")
LINKS_PER_REPORT = 2


def github_error(status: int, message: str) -> SimResponse:
    return SimResponse(
        status, {"message": message, "documentation_url": "https://docs.github.com/rest"}
    )


@register_vendor
class CopilotVendor(CopilotData, SimulatedVendor):
    """GitHub's Copilot endpoints for a generated organisation."""

    name = "copilot"

    def __init__(self, team: list[SimMember], start: dt.date, days: int, seed: int, **kw: Any):
        super().__init__(team, start, days, seed, **kw)
        self._init_data()

    # -- configuration and auth --------------------------------------------------------------
    def good_config(self) -> dict[str, Any]:
        return {"token": self.token, "org": self.org}

    def bad_config(self) -> dict[str, Any]:
        return {"token": "ghp_simrevoked0000000000000000000000", "org": self.org}

    def is_authorized(self, req: SimRequest) -> bool:
        if DOWNLOAD.match(req.path):
            return True  # signed: the signature is checked in the route, not a token
        return self.presented_key(req) == self.token

    # -- routes ------------------------------------------------------------------------------
    def handle(self, req: SimRequest) -> SimResponse:
        if req.method not in ("GET", "HEAD"):
            return github_error(404, "Not Found")
        path = req.path.rstrip("/")
        org = f"/orgs/{self.org}/copilot"
        routes = {
            f"{org}/billing": self._billing,
            f"{org}/billing/seats": self._seats,
            f"/organizations/{self.org}/settings/billing/ai_credit/usage": self._credits,
            f"{org}/metrics/reports/users-1-day": self._report,
        }
        download = DOWNLOAD.match(path)
        try:
            if download:
                return self._download(req, dt.date.fromisoformat(download[1]), int(download[2]))
            route = routes.get(path)
            return route(req) if route else github_error(404, "Not Found")
        except BadRequest as exc:
            return github_error(422, str(exc))

    def _billing(self, req: SimRequest) -> SimResponse:
        pending = sum(1 for s in self.seats if s.pending_cancellation)
        breakdown = {"total": len(self.seats), "added_this_cycle": 1, "pending_cancellation": pending,
                     "pending_invitation": 0, "active_this_cycle": len(self.seats) - 2,
                     "inactive_this_cycle": 2}  # fmt: skip
        return SimResponse(body={
            "seat_breakdown": breakdown, "seat_management_setting": "assign_selected",
            "ide_chat": "enabled", "platform_chat": "enabled", "cli": "enabled",
            "public_code_suggestions": "block", "plan_type": "business",
        })  # fmt: skip

    def _seats(self, req: SimRequest) -> SimResponse:
        per_page = int_arg(req, "per_page", 50, 1, 100)
        size = self.page_size(per_page, default=50, maximum=100)
        page = int_arg(req, "page", 1, 1, 10_000)
        if page > 1:
            self.take_page(f"seats?page={page}")
        last = max(1, math.ceil(len(self.seats) / size))
        chunk = self.seats[(page - 1) * size : page * size]
        body = {"total_seats": len(self.seats), "seats": [self._seat(s) for s in chunk]}
        host = req.headers.get("host", "127.0.0.1")
        base = f"http://{host}/copilot/orgs/{self.org}/copilot/billing/seats?per_page={per_page}"
        links = []
        if page < last:
            self.offer_page(f"seats?page={page + 1}")
            links += [f'<{base}&page={page + 1}>; rel="next"', f'<{base}&page={last}>; rel="last"']
        if page > 1:
            links += [f'<{base}&page={page - 1}>; rel="prev"', f'<{base}&page=1>; rel="first"']
        return SimResponse(body=body, headers={"link": ", ".join(links)} if links else {})

    def _seat(self, seat: SimSeat) -> dict[str, Any]:
        m = seat.member
        assignee = None
        if m is not None:
            assignee = {
                "login": seat.login, "id": m.cursor_numeric_id, "node_id": f"U_{m.cursor_numeric_id}",
                "type": "User", "site_admin": False, "name": m.name,
                "email": m.email if m.index % 3 == 0 else None,
            }  # fmt: skip
        last_activity = None
        if m is not None and m.index % 6 != 3:
            last_activity = f"{self.end.isoformat()}T15:04:05Z"
        return {
            "created_at": f"{seat.created.isoformat()}T09:00:00Z",
            "updated_at": f"{seat.created.isoformat()}T09:00:00Z",
            "pending_cancellation_date": (
                seat.pending_cancellation.isoformat() if seat.pending_cancellation else None
            ),
            "last_activity_at": last_activity,
            "last_activity_editor": "vscode/1.98.0/copilot/1.300.0" if last_activity else None,
            "last_authenticated_at": last_activity,
            "plan_type": seat.plan_type,
            "assignee": assignee,
            "organization": None,
            "assigning_team": None,
        }

    def _credits(self, req: SimRequest) -> SimResponse:
        year = int_arg(req, "year", self.end.year, 2000, 2100)
        month = int_arg(req, "month", self.end.month, 1, 12)
        day_arg = req.arg("day")
        try:
            day = dt.date(year, month, int(day_arg or 1))
        except ValueError:
            raise BadRequest("year, month and day do not make a date") from None
        user = req.arg("user")
        items = self.credit_items(day, user, whole_month=day_arg is None)
        period = {"year": year, "month": month, **({"day": day.day} if day_arg else {})}
        body: dict[str, Any] = {
            "timePeriod": period,
            "organization": self.org,
            "usageItems": items,
        }
        if user:
            body["user"] = user
        return SimResponse(body=body)

    def _signature(self, day: dt.date, part: int) -> str:
        message = f"{day.isoformat()}/{part}".encode()
        return hmac.new(self.signing_key.encode(), message, hashlib.sha256).hexdigest()[:32]

    def _report(self, req: SimRequest) -> SimResponse:
        raw = req.arg("day")
        if not raw:
            raise BadRequest("day is required")
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise BadRequest(f"day {raw!r} is not YYYY-MM-DD") from None
        if day < REPORTS_START or not self.in_range(day) or day.toordinal() % 9 == 0:
            return SimResponse(204, raw=b"")
        host = req.headers.get("host", "127.0.0.1")
        other = (
            host.replace("127.0.0.1", "localhost")
            if "127.0.0.1" in host
            else host.replace("localhost", "127.0.0.1")
        )
        links = []
        for part in range(LINKS_PER_REPORT):
            path = f"/copilot/downloads/users-1-day/{day.isoformat()}/part-{part}.ndjson"
            link = f"http://{other}{path}?sv=2025&se=2099-01-01&sig={self._signature(day, part)}"
            self.offer_page(f"download:{day.isoformat()}:{part}")
            links.append(link)
        return SimResponse(body={"download_links": links, "report_day": day.isoformat()})

    def _download(self, req: SimRequest, day: dt.date, part: int) -> SimResponse:
        if req.headers.get("authorization"):
            return github_error(400, "a signed URL must not carry an Authorization header")
        if req.arg("sig") != self._signature(day, part):
            return github_error(403, "signature does not match")
        self.take_page(f"download:{day.isoformat()}:{part}")
        rows = self.report_rows(day)[part::LINKS_PER_REPORT]
        text = b"".join(encode_json(row) + b"\n" for row in rows)
        return SimResponse(200, raw=text, headers={"content-type": "application/x-ndjson"})
