"""The HTTP layer every connector uses to talk to its vendor.

``VendorHttp`` wraps an ``httpx.Client`` with what vendor admin APIs need and what a connector
should not have to re-implement: a hard 30 s timeout cap, retries with exponential backoff and
full jitter on 429/5xx/connection errors that honour ``Retry-After``, JSON parsed with
``parse_float=Decimal`` (money stays exact), clear errors (``CredentialError`` on 401/403,
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
import email.utils
import json as jsonlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, quote_plus, urljoin, urlsplit

import httpx

from connectors.contract import ConnectorError, CredentialError, SchemaError

log = logging.getLogger("aispend.http")

REDACTED = "[REDACTED]"
MAX_TIMEOUT = 30.0
RETRYABLE_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))
_EXCERPT_CHARS = 200
MIN_SECRET_PREFIX = 8  # this many leading characters of a secret are treated as the secret
MAX_REDIRECTS = 5


def _secret_forms(secret: str) -> list[str]:
    """The ways a secret can show up in text: raw, Basic-auth encoded, URL-encoded."""
    forms = {
        secret,
        base64.b64encode(f"{secret}:".encode()).decode(),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }
    return [f for f in forms if len(f) >= 4]


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (at least 4 characters long) in ``text`` with ``[REDACTED]``.

    Also catches the secret's HTTP Basic form ``base64("secret:")`` (Cursor's API key is sent
    as a Basic-auth username) and its URL-encoded form (a secret in a query string), and a
    secret cut short (by a vendor's or anyone's truncation): any run of at least
    ``MIN_SECRET_PREFIX`` leading characters of one of those forms is redacted too.
    """
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(str(secret)) >= 4:
            forms.update(_secret_forms(str(secret)))
    # Longest first, so a secret that contains another one is replaced whole.
    ordered = sorted(forms, key=len, reverse=True)
    for form in ordered:
        text = text.replace(form, REDACTED)
    for form in ordered:
        if len(form) >= MIN_SECRET_PREFIX:
            text = _redact_prefixes(text, form)
    return text


def _redact_prefixes(text: str, form: str) -> str:
    """Redact every place ``text`` holds the first ``MIN_SECRET_PREFIX`` or more characters of
    ``form`` (a secret cut off by truncation)."""
    head = form[:MIN_SECRET_PREFIX]
    out: list[str] = []
    pos = 0
    while (hit := text.find(head, pos)) != -1:
        length = MIN_SECRET_PREFIX
        while (
            length < len(form) and hit + length < len(text) and text[hit + length] == form[length]
        ):
            length += 1
        out.append(text[pos:hit])
        out.append(REDACTED)
        pos = hit + length
    out.append(text[pos:])
    return "".join(out)


def shorten(text: str, limit: int, secrets: Iterable[str] = ()) -> str:
    """``text`` redacted, then cut to ``limit`` characters (an ellipsis marks the cut).

    Redaction comes first: cutting first would leave the part of a secret before the cut
    where the redaction no longer recognises it."""
    text = redact(text, secrets)
    if len(text) <= limit:
        return text
    cut = max(0, limit - 1)
    for start in range(max(0, cut - len(REDACTED) + 1), cut):
        if text.startswith(REDACTED, start):  # keep a marker the cut would split whole
            cut = start + len(REDACTED)
            break
    return text[:cut].rstrip() + "…"


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: what "same origin" means."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _shown_origin(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def check_base_url(url: str) -> str:
    """``url`` if it is an http(s) URL with a host (and a valid port); ``ValueError`` naming
    the problem otherwise. Nothing in the message but the URL's origin (no credentials)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"base URL is malformed ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        shown = parts.scheme or "no scheme"
        raise ValueError(f"base URL must start with http:// or https:// (it has {shown})")
    if not parts.hostname:
        raise ValueError("base URL has no host")
    if parts.username or parts.password:
        raise ValueError("base URL must not carry a user or password; use the credential fields")
    if port == 0:
        raise ValueError("base URL has port 0")
    return url.strip()


class Deadline:
    """How long one source's sync may take in total, shared by every client it opens.

    Each request's timeout is cut to what remains; retries and backoff stop at the deadline.
    ``clock`` exists for tests."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if seconds <= 0:
            raise ValueError(f"a deadline must be positive, not {seconds}")
        self.seconds = float(seconds)
        self._clock = clock
        self._ends_at = clock() + self.seconds

    def remaining(self) -> float:
        return self._ends_at - self._clock()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0


def _parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (it may be a number of seconds or an HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _rate_limited_403(response: httpx.Response) -> bool:
    """GitHub answers an exhausted rate limit with 403 (not 429): ``x-ratelimit-remaining: 0``
    or a ``retry-after`` header (secondary limits). That is a wait, not a refused credential."""
    if response.status_code != 403:
        return False
    headers = response.headers
    return headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers


def _seconds_until_reset(value: str | None) -> float | None:
    """``x-ratelimit-reset`` (epoch seconds) as seconds from now."""
    try:
        return max(0.0, float(value) - time.time()) if value else None
    except ValueError:
        return None


class VendorHttp:
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
    ) -> None:
        self.vendor = vendor
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
            return jsonlib.loads(content, parse_float=Decimal)
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

    # -- pagination --------------------------------------------------------------------------
    def paginate_cursor(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        method: str = "GET",
        json: dict[str, Any] | None = None,
        has_more_key: str = "has_more",
        next_key: str = "next_page",
        page_param: str = "page",
    ) -> Iterator[Any]:
        """Anthropic/OpenAI style: ``has_more`` + ``next_page`` token sent back as ``page``.

        For GET the token goes in the query string, for POST in the JSON body.
        """
        params = dict(params or {})
        body_json = dict(json) if json is not None else ({} if method.upper() != "GET" else None)
        seen: set[str] = set()
        while True:
            body = self._expect_object(
                self.request_json(method, path, params=params or None, json=body_json), path
            )
            yield body
            if not body.get(has_more_key):
                return
            token = body.get(next_key)
            if token in (None, ""):
                raise self._schema_error(path, next_key, f"is missing while {has_more_key} is true")
            token = str(token)
            if token in seen:
                raise self._error(
                    f"pagination loops: {next_key} {token!r} was already requested", path
                )
            seen.add(token)
            if method.upper() == "GET":
                params[page_param] = token
            else:
                assert body_json is not None
                body_json[page_param] = token

    def paginate_next_cursor(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        next_cursor: Callable[[Any], Any],
        cursor_param: str = "cursor",
    ) -> Iterator[Any]:
        """GET pages while ``next_cursor(body)`` gives a token (None or "" ends), sent back as
        ``cursor_param``: for cursors nested in the body (Replit's
        ``data.pagination.nextCursor``). ``next_cursor`` may raise a ``SchemaError``."""
        query = dict(params or {})
        seen: set[str] = set()
        while True:
            body = self._expect_object(self.get_json(path, params=query), path)
            yield body
            token = next_cursor(body)
            if token in (None, ""):
                return
            token = str(token)
            if token in seen:
                raise self._error(f"pagination loops: cursor {token!r} was already requested", path)
            seen.add(token)
            query[cursor_param] = token

    def paginate_pages(
        self,
        path: str,
        json: dict[str, Any] | None = None,
        *,
        method: str = "POST",
        params: dict[str, Any] | None = None,
        page_param: str = "page",
        size_param: str = "pageSize",
        page_size: int,
        has_next: Callable[[Any], bool],
        max_pages: int = 100_000,
    ) -> Iterator[Any]:
        """Cursor style: 1-based ``page`` + ``pageSize``; stop when ``has_next(body)`` is False.

        For POST the page fields go in the JSON body, for GET in the query string.
        """
        page = 1
        while page <= max_pages:
            if method.upper() == "GET":
                query = {**(params or {}), page_param: page, size_param: page_size}
                body = self.request_json(method, path, params=query, json=json)
            else:
                payload = {**(json or {}), page_param: page, size_param: page_size}
                body = self.request_json(method, path, params=params, json=payload)
            yield body
            try:
                more = bool(has_next(body))
            except (KeyError, TypeError, AttributeError) as exc:
                raise self._schema_error(
                    path, "pagination", f"is not as documented ({exc!r})"
                ) from None
            if not more:
                return
            page += 1
        raise self._error(f"pagination did not end after {max_pages} pages", path)

    def paginate_link_header(
        self, path: str, params: dict[str, Any] | None = None
    ) -> Iterator[Any]:
        """GitHub style: follow the ``Link: <url>; rel="next"`` header until there is none."""
        url: str | None = path
        query: dict[str, Any] | None = params
        seen: set[str] = set()
        while url is not None:
            endpoint = urlsplit(url).path if url.startswith("http") else url
            response = self._send("GET", url, params=query)
            yield self._parse(response, endpoint)
            url = response.links.get("next", {}).get("url")  # httpx parses RFC 8288
            query = None  # the next link carries its own query string
            if url is not None:
                if url in seen:
                    raise self._error("pagination loops: Link rel=next repeats", endpoint)
                seen.add(url)

    def paginate_after_id(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        has_more_key: str = "has_more",
        last_id_key: str = "last_id",
        after_param: str = "after_id",
    ) -> Iterator[Any]:
        """List endpoints that page with ``after_id=<last_id>`` (Anthropic) or ``after`` (OpenAI)."""
        query = dict(params or {})
        seen: set[str] = set()
        while True:
            body = self._expect_object(self.get_json(path, params=query), path)
            yield body
            if not body.get(has_more_key):
                return
            last_id = body.get(last_id_key)
            if last_id in (None, ""):
                raise self._schema_error(
                    path, last_id_key, f"is missing while {has_more_key} is true"
                )
            last_id = str(last_id)
            if last_id in seen:
                raise self._error(f"pagination loops: {last_id_key} {last_id!r} repeats", path)
            seen.add(last_id)
            query[after_param] = last_id
