"""Where a vendor request may go and for how long: the same-origin rule for credentials, base
URL validation, a per-source ``Deadline``, and reading a vendor's "wait" signals
(``Retry-After``, GitHub's 403 rate limit, ``x-ratelimit-reset``).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx


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
