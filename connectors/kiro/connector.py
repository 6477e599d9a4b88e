"""``KiroConnector``: Kiro's daily report CSVs from a folder, as facts and activity.

Kiro has no usage or cost API: it writes per-user CSV reports into the admin's S3 bucket every
day, and the admin syncs that bucket to a folder aispend reads (``aws s3 sync
s3://bucket/prefix/AWSLogs/ /srv/kiro-reports/``). See ``reports`` for the files and their
quirks, ``billing`` for how credits become dollars.

What lands in the warehouse:

- ``Purchase`` rows: each user's seat for the month at the tier's price, amortised per day;
- ``Usage`` rows: a user's overage credits of the day × ``price_per_credit`` (consumed unit
  ``credits``, so the unit guard catches a price per credit read 100× too large);
- activity per user and day: ``credits_used``, ``overage_credits_used``, ``chat_conversations``,
  ``total_messages``, ``<model>_messages`` and the legacy report's metrics, snake_cased;
- accounts: the ``User_Email`` when a report states it (for that ``UserId`` in any file), else
  the IAM Identity Center ``UserId``, kept as an account an admin links to a member later;
- the control total of every day fetched: the seats and overage of that day. Kiro reports no
  tokens.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.contract import (
    Account,
    ActivityRecord,
    CheckResult,
    Connector,
    ConnectorError,
    FetchBatch,
    FetchContext,
    SettingField,
    UnitPrice,
    UsageRecord,
    VendorTotal,
)
from connectors.dates import days
from connectors.kiro.billing import (
    DEFAULT_SEAT_PRICES,
    month_of,
    overage_micros,
    seat_price,
    seat_prices_micros,
)
from connectors.kiro.reports import (
    LEGACY_REPORT,
    USER_REPORT,
    emails_by_user_id,
    may_hold,
    read_legacy_report,
    read_user_report,
    report_files,
)
from connectors.purchases import amortized_purchase
from connectors.schedule import WATCH_FOLDER

SERVICE = "Kiro"


class KiroConnector(Connector):
    """Kiro (AWS) from the daily ``user_report`` and legacy ``by_user_analytic`` CSV files an
    admin syncs from S3 into a folder: seats per tier and overage credits in dollars at the
    tenant's prices, activity per user and day, people by email or Identity Center id."""

    name = "kiro"
    provider = "Kiro"
    services = (SERVICE,)
    source_type = "file"
    default_confidence = "medium"  # dollars come from the tenant's prices, not an invoice
    credential_fields = ()
    settings_fields = (
        SettingField(
            "folder",
            kind="path",
            required=True,
            help="The folder the report bucket is synced to (the S3 prefix's AWSLogs/ or any "
            "folder holding the *user_report*.csv and *by_user_analytic*.csv files)",
        ),
        SettingField(
            "price_per_credit",
            kind="decimal",
            default="0.04",
            help="USD per overage credit (Kiro's public price is $0.04; use your contract's)",
        ),
        SettingField(
            "seat_prices",
            kind="json",
            default=DEFAULT_SEAT_PRICES,
            help="USD per seat and month by Subscription_Tier, e.g. "
            '{"PRO": "20", "PRO_PLUS": "40", "POWER": "200"}',
        ),
    )
    config_source = "folder"
    schedule = WATCH_FOLDER
    revision_window_days = 3
    max_window_days = 366  # files at rest: no vendor limit; a year per pass keeps memory small
    unit_prices = (UnitPrice("credits", Decimal("0.001"), Decimal("1")),)

    def check(self, config: dict[str, Any]) -> CheckResult:
        missing = self.missing_credentials(config)
        if missing:
            return CheckResult(False, f"missing setting(s): {', '.join(missing)}")
        try:
            folder = Path(self.input_folder(config))
            found = len(report_files(folder, USER_REPORT)) + len(
                report_files(folder, LEGACY_REPORT)
            )
        except (ConnectorError, OSError) as exc:
            return CheckResult(False, f"cannot read the report folder: {exc}")
        if not found:
            return CheckResult(False, f"no Kiro report files (*user_report*.csv) in {folder}")
        return CheckResult(True, f"{found} report files in {folder}")

    def _folder(self, config: dict[str, Any]) -> Path:
        folder = Path(self.input_folder(config))
        if not folder.is_dir():
            raise ConnectorError(self.name, f"the report folder {folder} does not exist")
        return folder

    def input_span(self, config: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
        folder = self._folder(config)
        seen = [
            row.day
            for path in report_files(folder, USER_REPORT)
            for row in read_user_report(path, self.name)
        ] + [
            row.day
            for path in report_files(folder, LEGACY_REPORT)
            for row in read_legacy_report(path, self.name)
        ]
        return (min(seen), max(seen)) if seen else None

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        folder = self._folder(config)
        price_per_credit = self.setting(config, "price_per_credit")
        if price_per_credit < 0:
            raise ConnectorError(self.name, "setting price_per_credit must not be negative")
        prices = seat_prices_micros(self.name, self.setting(config, "seat_prices"))
        emails = emails_by_user_id(folder, self.name)

        def account_of(user_id: str, email: str | None) -> str:
            return email or emails.get(user_id) or user_id

        # Seats need every report of the months the range touches, not only its days.
        months_from, months_to = month_of(start)[0], month_of(end)[1]
        latest: dict[tuple[dt.date, str, str], Any] = {}  # a redelivered file replaces rows
        for path in report_files(folder, USER_REPORT):
            if may_hold(path, months_from, months_to):
                for row in read_user_report(path, self.name):
                    if months_from <= row.day <= months_to:
                        latest[(row.day, row.user_id, row.client)] = row
        legacy: dict[tuple[dt.date, str], Any] = {}
        for path in report_files(folder, LEGACY_REPORT):
            if may_hold(path, start, end):
                for row in read_legacy_report(path, self.name):
                    if start <= row.day <= end:
                        legacy[(row.day, row.user_id)] = row

        batch = FetchBatch()
        seats: dict[tuple[dt.date, str], tuple[dt.date, str]] = {}  # (month, account) -> tier
        overage: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
        counts: dict[tuple[dt.date, str], dict[str, Decimal]] = defaultdict(
            lambda: defaultdict(Decimal)
        )
        accounts: dict[str, Account] = {}
        for (day, user_id, _client), row in sorted(latest.items()):
            account = account_of(user_id, row.email)
            if row.tier:
                seats[(month_of(day)[0], account)] = (day, row.tier)
            if not start <= day <= end:
                continue
            accounts.setdefault(account, _account(account, user_id, emails.get(user_id)))
            overage[(day, account)] += row.overage_credits
            metrics = counts[(day, account)]
            metrics["credits_used"] += row.credits
            metrics["overage_credits_used"] += row.overage_credits
            for metric, value in row.counts.items():
                metrics[metric] += value
        for (day, user_id), row in sorted(legacy.items()):
            account = account_of(user_id, None)
            accounts.setdefault(account, _account(account, user_id, emails.get(user_id)))
            for metric, value in row.counts.items():
                counts[(day, account)][metric] += value

        totals: dict[dt.date, int] = defaultdict(int)
        for (month, account), (_day, tier) in sorted(seats.items()):
            accounts.setdefault(account, _account(account, account, None))
            for record in amortized_purchase(
                account_key=account,
                service=SERVICE,
                sku=f"kiro-{tier.lower().replace('_', '-')}-seat",
                amount_micros=seat_price(self.name, prices, tier),
                period_start=month,
                period_end=month_of(month)[1],
                within=(start, end),
                confidence=self.default_confidence,
            ):
                totals[record.day] += record.billed_cost_micros
                batch.usage.append(record)
        for (day, account), credits in sorted(overage.items()):
            if not credits:
                continue
            micros = overage_micros(credits, price_per_credit)
            totals[day] += micros
            batch.usage.append(
                UsageRecord(
                    day=day,
                    account_key=account,
                    service=SERVICE,
                    sku="kiro-overage-credits",
                    billed_cost_micros=micros,
                    consumed_quantity=credits,
                    consumed_unit="credits",
                    confidence=self.default_confidence,
                )
            )
        for (day, account), metrics in sorted(counts.items()):
            batch.activity.extend(
                ActivityRecord(day, account, metric, _plain(value))
                for metric, value in sorted(metrics.items())
            )
        batch.accounts.extend(accounts.values())
        batch.vendor_totals.extend(VendorTotal(day, totals.get(day, 0)) for day in days(start, end))
        yield batch


def _account(account_key: str, user_id: str, email: str | None) -> Account:
    if "@" in account_key:
        return Account(account_key, display_name=account_key, email=account_key, kind="user")
    return Account(
        account_key, display_name=f"Identity Center user {user_id}", email=email, kind="user"
    )


def _plain(value: Decimal) -> Decimal | int:
    return int(value) if value == value.to_integral_value() else value
