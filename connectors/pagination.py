"""The pagination styles vendors use, as methods of ``VendorHttp`` (mixed in from here):
cursor + ``has_more``, a nested next cursor, page numbers, the ``Link`` header, ``after_id``.

Each follows pages until the vendor says there are no more, and fails (naming the endpoint)
when the vendor's paging loops or never ends, rather than looping forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit


class Paginators:
    """Mixed into ``VendorHttp``: uses its ``get_json``, ``_send``, ``_parse`` and errors."""

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
