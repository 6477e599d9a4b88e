"""Per-user usage-metrics reports as activity: ``users-1-day?day=…`` answers signed links to
NDJSON files (or 204: no data that day). The links are signed URLs on another host that
expire: they are downloaded at once, **without** the GitHub token (a storage host refuses, or
worse, logs, a second credential), and their signature is redacted from every error."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from urllib.parse import urlsplit

from connectors.contract import ActivityRecord, SchemaError
from connectors.copilot.payloads import (
    PATH_USER_REPORT,
    VENDOR,
    parse_report_links,
    parse_user_rows,
)
from connectors.http import VendorHttp


def read_day(
    http: VendorHttp, downloads: VendorHttp, org: str, day: dt.date
) -> tuple[list[ActivityRecord], set[str]]:
    """The day's activity records and the logins that had any."""
    path = PATH_USER_REPORT.format(org=org)
    links = parse_report_links(http.get_json(path, {"day": day.isoformat()}), path, day)
    values: dict[tuple[str, str], int] = defaultdict(int)
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https"):
            raise SchemaError(VENDOR, path, "download_links", "holds a link that is not http(s)")
        downloads.add_secret(parts.query)  # the signature is a short-lived credential
        where = f"report file {parts.path.rsplit('/', 1)[-1]} of {day}"
        for row in parse_user_rows(downloads.get_text(link), where):
            if row.day != day:
                raise SchemaError(VENDOR, where, "day", f"is {row.day}, not {day}")
            for metric, value in row.metrics.items():
                values[(row.login, metric)] += value
    records = [
        ActivityRecord(day, login, metric, value)
        for (login, metric), value in sorted(values.items())
        if value
    ]
    return records, {login for login, _ in values}
