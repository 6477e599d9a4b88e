"""The HTTP layer every connector uses to talk to its vendor.

``VendorHttp`` wraps an ``httpx.Client`` with what vendor admin APIs need and what a connector
should not have to re-implement: a hard 30 s timeout cap, retries with exponential backoff and
full jitter on 429/5xx/connection errors that honour ``Retry-After``, JSON parsed with
``parse_float=Decimal`` (money stays exact; or, with ``json_floats``, faster with floats whose
literal ``connectors.json_body`` guarantees), clear errors (``CredentialError`` on 401/403,
``SchemaError`` on a body that is not JSON, ``ConnectorError`` otherwise), pagination helpers
for the styles vendors use (cursor + ``has_more``, a nested next cursor, page numbers, ``Link``
header, ``after_id``) and secret redaction in every exception message and log line (redacted
before any excerpt is cut, and a cut-off secret — any leading run of ``MIN_SECRET_PREFIX`` or
more of its characters — counts as the secret).

Credentials only ever go to the configured origin: a redirect (or a ``Link`` page) pointing at
another scheme, host or port is refused, never followed. A ``Deadline`` shared by every client a
fetch opens bounds the whole sync of one source on top of the per-request timeout cap.

Nothing here imports Dagster or SQLAlchemy: a connector package depends on this module and
``connectors.contract`` only.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin

import httpx

from connectors.contract import ConnectorError, CredentialError, SchemaError
from connectors.http_policy import (  # noqa: F401  (re-exported: the HTTP layer's API)
    Deadline,
    _parse_retry_after,
    _rate_limited_403,
    _seconds_until_reset,
    _shown_origin,
    check_base_url,
    origin,
)
from connectors.json_body import loads_exact, loads_floats
from connectors.pagination import Paginators
from connectors.redaction import (  # noqa: F401  (re-exported: the HTTP layer's API)
    MIN_SECRET_PREFIX,
    REDACTED,
    redact,
    shorten,
)

log = logging.getLogger("aispend.http")

MAX_TIMEOUT = 30.0
RETRYABLE_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))
_EXCERPT_CHARS = 200
MAX_REDIRECTS = 5


class VendorHttp(Paginators):
    """A JSON HTTP client for one vendor: retries, timeouts, pagination, redaction.

    ``base_url`` may carry a path prefix (``http://127.0.0.1:PORT/anthropic``); request paths
    are appended to it. ``secrets`` (plus the Authorization header and Basic-auth password)
    are redacted from every exception and log line. ``sleep`` and ``transport`` exist for
    tests and the conformance kit (connectors pass ``**ctx.http_options`` through).
    """

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        secrets: Iterable[str] = (),
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        deadline: Deadline | None = None,
        json_floats: bool = False,
    ) -> None:
        self.vendor = vendor
        # json_floats: bodies may hold non-integral numbers as float (connectors.json_body), for
        # a connector whose readers take them back through float_decimal / PayloadReader.
        self._loads = loads_floats if json_floats else loads_exact
        try:
            self.base_url = check_base_url(base_url).rstrip("/")
        except ValueError as exc:
            raise ConnectorError(vendor, str(exc)) from None
        self.origin = origin(self.base_url)
        self.deadline = deadline
        self.timeout = min(float(timeout), MAX_TIMEOUT)
        self.max_attempts = max(1, int(max_attempts))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self.requests_made = 0
        secret_list = [str(s) for s in secrets if s]
        all_headers = {"User-Agent": "aispend (+https://github.com/aispend/aispend)"}
        all_headers.update(headers or {})
        for key, value in all_headers.items():
            if key.lower() in {"authorization", "x-api-key", "proxy-authorization"}:
                secret_list.append(value)
                scheme, _, token = value.partition(" ")
                if token:
                    secret_list.append(token)
        if auth is not None:
            user, password = auth
            secret_list.extend([user, password] if password else [user])
            secret_list.append(base64.b64encode(f"{user}:{password}".encode()).decode())
        self._secrets = tuple(s for s in secret_list if s)
        # A client sending no credential (signed download links) may go to any origin; one that
        # sends any (a credential header, Basic auth, a secret inside any header) may not.
        self.sends_credentials = auth is not None or any(
            secret in value for value in all_headers.values() for secret in self._secrets
        )
        self._client = httpx.Client(
            headers=all_headers,
            auth=httpx.BasicAuth(*auth) if auth is not None else None,
            timeout=httpx.Timeout(self.timeout),
            transport=transport,
            follow_redirects=False,  # _send follows same-origin redirects only
        )

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> VendorHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -----------------------------------------------------------------------------
    def add_secret(self, secret: str) -> None:
        """Redact ``secret`` too from now on (e.g. the signature of a signed download URL)."""
        if secret and len(secret) >= 4:
            self._secrets = (*self._secrets, secret)

    def redact(self, text: str) -> str:
        """Redact this client's secrets from ``text``."""
        return redact(text, self._secrets)

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            self._require_same_origin(path, path, "a next-page link")
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _require_same_origin(self, url: str, endpoint: str, what: str) -> None:
        """Credentials go to the configured origin only: refuse anything else, never follow."""
        if self.sends_credentials and origin(url) != self.origin:
            raise self._error(
                f"{what} points to another origin ({_shown_origin(url)}); credentials are only "
                f"sent to the configured {_shown_origin(self.base_url)}, so it was not followed",
                endpoint,
            )

    def _timeout(self, endpoint: str, last: str) -> float:
        """This request's timeout: the cap, cut to what remains of the source's deadline."""
        if self.deadline is None:
            return self.timeout
        remaining = self.deadline.remaining()
        if remaining <= 0:
            self._deadline_passed(endpoint, last)
        return min(self.timeout, remaining)

    def _deadline_passed(self, endpoint: str, last: str):
        assert self.deadline is not None
        detail = f" (last: {last})" if last else ""
        raise self._error(
            f"gave up: the source's deadline of {self.deadline.seconds:g} s passed{detail}",
            endpoint,
        )

    def _pause(self, seconds: float, endpoint: str, last: str) -> None:
        """Back off before a retry, but never past the deadline."""
        if self.deadline is not None:
            remaining = self.deadline.remaining()
            if remaining <= seconds:
                self._deadline_passed(endpoint, last)
        self._sleep(seconds)

    def _error(self, message: str, endpoint: str, cls: type[ConnectorError] = ConnectorError):
        return cls(self.vendor, self.redact(message), endpoint=self.redact(endpoint))

    def _schema_error(self, endpoint: str, field_name: str, problem: str) -> SchemaError:
        return SchemaError(
            self.vendor, self.redact(endpoint), self.redact(field_name), self.redact(problem)
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling)

    def _send(
        self, method: str, path: str, *, params: Any = None, json: Any = None
    ) -> httpx.Response:
        """Send one logical request, retrying transient failures; return the final 2xx response.

        Redirects within the configured origin are followed (at most ``MAX_REDIRECTS``); one to
        another origin is refused before anything is sent there."""
        url = self._url(path)
        last = ""
        attempt = 0
        redirects = 0
        while attempt < self.max_attempts:
            attempt += 1
            timeout = self._timeout(path, last)
            request = self._client.build_request(
                method, url, params=params, json=json, timeout=httpx.Timeout(timeout)
            )
            shown_url = self.redact(str(request.url))
            self.requests_made += 1
            try:
                response = self._client.send(request)
            except httpx.TransportError as exc:  # connection refused/reset, timeouts, ...
                last = f"{type(exc).__name__}: {exc}"
                log.debug(
                    "%s %s -> %s (attempt %d/%d)",
                    method,
                    shown_url,
                    self.redact(last),
                    attempt,
                    self.max_attempts,
                )
                if attempt < self.max_attempts:
                    self._pause(self._backoff(attempt, None), path, self.redact(last))
                continue
            status = response.status_code
            log.debug(
                "%s %s -> HTTP %d (attempt %d/%d)",
                method,
                shown_url,
                status,
                attempt,
                self.max_attempts,
            )
            if response.has_redirect_location:
                location = response.headers["location"]
                response.close()
                target = urljoin(str(request.url), location)
                self._require_same_origin(target, path, f"a redirect (HTTP {status})")
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise self._error(f"more than {MAX_REDIRECTS} redirects", path)
                url, params = target, None  # the location carries its own query string
                if status == 303 or (status in (301, 302) and method.upper() == "POST"):
                    method, json = "GET", None
                attempt -= 1  # a redirect is not a failed attempt
                continue
            if status in RETRYABLE_STATUS or _rate_limited_403(response):
                last = f"HTTP {status}"
                retry_after = _parse_retry_after(response.headers.get("retry-after"))
                if retry_after is None and status == 403:
                    retry_after = _seconds_until_reset(response.headers.get("x-ratelimit-reset"))
                response.close()
                if attempt < self.max_attempts:
                    self._pause(self._backoff(attempt, retry_after), path, last)
                continue
            if status in (401, 403):
                raise self._error(
                    f"credentials were rejected (HTTP {status})", path, CredentialError
                )
            if status >= 400:
                excerpt = shorten(response.text.strip(), _EXCERPT_CHARS, self._secrets)
                raise self._error(f"HTTP {status}: {excerpt}", path)
            return response
        raise self._error(f"gave up after {self.max_attempts} attempts (last: {last})", path)

    def _parse(self, response: httpx.Response, path: str) -> Any:
        content = response.content
        if not content.strip():
            return None
        try:
            return self._loads(content)
        except (ValueError, UnicodeDecodeError):
            raise self._schema_error(path, "<body>", "is not valid JSON") from None

    def _expect_object(self, body: Any, path: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise self._schema_error(path, "<body>", f"is {type(body).__name__}, not an object")
        return body

    # -- single requests ---------------------------------------------------------------------
    def request_json(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        """Send a request and return its parsed JSON body (``None`` for an empty body)."""
        response = self._send(method, path, params=params, json=json)
        return self._parse(response, path)

    def get_json(self, path: str, params: Any = None) -> Any:
        return self.request_json("GET", path, params=params)

    def get_text(self, path: str, params: Any = None) -> str:
        """GET a text body (an NDJSON or CSV file), with the same retries and errors."""
        response = self._send("GET", path, params=params)
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError:
            raise self._schema_error(path, "<body>", "is not UTF-8 text") from None

    def post_json(self, path: str, json: Any = None) -> Any:
        return self.request_json("POST", path, json=json)
