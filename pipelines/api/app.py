"""The read-only JSON API: a Starlette app over the warehouse, served by uvicorn.

Every data route needs ``Authorization: Bearer <token>`` (``aispend api token create``): no
token, an unknown or a revoked one → 401; a scope the token lacks → 403. The token decides the
tenant; no parameter can name another. Every call with a known token (answered or refused) is
audited as ``api:<token name>``. Money: each ``…_micros`` integer comes with the exact dollar
string beside it (``…_usd``: "1234.56"); the JSON holds no float. ``/openapi.json`` describes
it all and needs no token.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pipelines.api import reads
from warehouse import api_tokens

log = logging.getLogger(__name__)
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Endpoint:
    path: str
    scope: str
    read: Callable[..., dict[str, Any]]
    summary: str


ENDPOINTS = (
    Endpoint("/v1/kpis", "read:kpis", reads.team_kpis,
             "Team KPIs: billed spend, list-price estimate (never added), tokens, active members"),
    Endpoint("/v1/members", "read:members", reads.member_summaries,
             "Member summaries: spend, tokens, tools, active days, rank"),
    Endpoint("/v1/vendors", "read:vendors", reads.vendor_status,
             "Vendor sync status and freshness (fresh, stale, old, never)"),
    Endpoint("/v1/leaderboard", "read:leaderboard", reads.leaderboard,
             "Leaderboard by billed spend, names as the tenant's display mode allows"),
    Endpoint("/v1/budgets", "read:budgets", reads.budget_utilisation,
             "Budgets: spend, utilisation and month-end projection (an estimate)"),
)  # fmt: skip


def usd_text(micros: int) -> str:
    """Exact dollars of integer micro-dollars: at least cents, more digits only when needed
    (1_234_560_000 → "1234.56", 1_500 → "0.0015")."""
    value = Decimal(micros).scaleb(-6)
    text = f"{value:.6f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def to_json(value: Any) -> Any:
    """JSON-ready: ``x_micros`` gets ``x_usd`` beside it; datetimes as ISO text; no floats."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.endswith("_micros") and isinstance(item, int) and not isinstance(item, bool):
                out[key.removesuffix("_micros") + "_usd"] = usd_text(item)
            out[key] = to_json(item)
        return out
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        raise TypeError("the API never sends floats; return micros or Decimal")
    return value


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _handler(engine: Engine, endpoint: Endpoint):
    def handle(request: Request) -> JSONResponse:
        auth = api_tokens.authenticate(engine, _bearer(request))
        if auth is None:
            log.info("refused %s: no valid API token", endpoint.path)
            return _error(
                401, "a valid API token is required (Authorization: Bearer <token>)",
                **{"WWW-Authenticate": 'Bearer realm="aispend"'},
            )  # fmt: skip
        tenant, token = auth
        period = request.query_params.get("period") or f"{dt.datetime.now(dt.UTC):%Y-%m}"
        if endpoint.scope not in token.scopes:
            api_tokens.record_call(engine, tenant, token, endpoint.path, 403, period=period)
            return _error(403, f"this token lacks the scope {endpoint.scope}")
        if not PERIOD.match(period):
            api_tokens.record_call(engine, tenant, token, endpoint.path, 400, period=period[:20])
            return _error(400, f"period {period[:20]!r} is not a month (YYYY-MM)")
        try:
            # The token's actor is bound to the token's tenant, like a dashboard session.
            actor = replace(token.actor, tenant=tenant.slug)
            body = to_json(endpoint.read(engine, tenant, actor, period))
        except Exception:
            api_tokens.record_call(engine, tenant, token, endpoint.path, 500, period=period)
            raise
        api_tokens.record_call(engine, tenant, token, endpoint.path, 200, period=period)
        return JSONResponse(body)

    return handle


def openapi(endpoints=ENDPOINTS) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API (hand-written from the route table)."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    paths = {}
    for e in endpoints:
        paths[e.path] = {
            "get": {
                "summary": e.summary,
                "description": (
                    f"Needs the scope `{e.scope}`. Money: each `*_micros` integer comes with "
                    "`*_usd`, the exact dollars as a string."
                ),
                "security": [{"bearer": [e.scope]}],
                "parameters": [
                    {
                        "name": "period",
                        "in": "query",
                        "required": False,
                        "description": "Calendar month YYYY-MM (default: this month, UTC).",
                        "schema": {"type": "string", "pattern": PERIOD.pattern},
                    }
                ],
                "responses": {
                    "200": {"description": "The tenant's data for the period."},
                    "400": {"description": "The period is not YYYY-MM.", "content": error},
                    "401": {"description": "No valid API token.", "content": error},
                    "403": {"description": f"The token lacks {e.scope}.", "content": error},
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "aispend read-only API",
            "version": "1",
            "description": (
                "A tenant's AI-tool spend for other dashboards and chat bots. The token decides "
                "the tenant; every call is audited."
            ),
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                }
            },
        },
    }


def create_app(engine: Engine) -> Starlette:
    """The API over ``engine``. Handlers are plain functions: Starlette runs them in its
    thread pool, so database calls never block the event loop."""
    description = openapi()
    routes = [Route(e.path, _handler(engine, e), methods=["GET"]) for e in ENDPOINTS]
    routes.append(Route("/openapi.json", lambda _request: JSONResponse(description)))
    return Starlette(routes=routes)


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Run the API until interrupted."""
    import uvicorn

    uvicorn.run(create_app(engine), host=host, port=port, log_level="info")
