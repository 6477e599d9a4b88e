"""``check`` made of one cheap authorised call: the outcome as a ``CheckResult`` whose reason
never holds a secret (``VendorHttp`` redacts its errors; a refusal is reported by status)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from connectors.contract import CheckResult, ConnectorError, CredentialError
from connectors.http import VendorHttp
from connectors.payload import PayloadReader


def check_call(call: Callable[[], Any], credential: str = "the API key") -> CheckResult:
    """Run ``call`` (one cheap request that needs the credentials) and say how it went:
    ``"<credential> was rejected (HTTP 401)"``, the connector's own error, or ``"<credential>
    works"``."""
    try:
        call()
    except CredentialError as exc:
        status = re.search(r"HTTP (\d{3})", str(exc))
        if status:
            return CheckResult(False, f"{credential} was rejected (HTTP {status[1]})")
        return CheckResult(False, str(exc))
    except ConnectorError as exc:
        return CheckResult(False, str(exc))
    return CheckResult(True, f"{credential} works")


def check_listing(
    open_http: Callable[[], VendorHttp],
    path: str,
    params: dict[str, Any] | None = None,
    credential: str = "the API key",
) -> CheckResult:
    """``check_call`` over one GET of a list endpoint whose ``data`` must be a list (e.g. the
    first user of an organisation: ``params={"limit": 1}``)."""

    def first_page() -> None:
        with open_http() as http:
            body = http.get_json(path, params=params)
            PayloadReader(http.vendor, path).body(body).list("data")

    return check_call(first_page, credential)
