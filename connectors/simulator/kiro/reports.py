"""Kiro report files for a generated team, with the documented quirks on purpose.

Generated per (member, day, client) from ``rng_for(seed, "kiro", …)``; the members using Kiro
(most of the team) hold a seat of a fixed tier. Credits within a seat's monthly allowance are
included; beyond it, overage credits (when the member's overage is enabled) are billed at the
price per credit.

Quirks written on purpose (``vendor-apis.md`` §5):

- the first third of the days use the old ``user_report`` layout: no ``User_Email``,
  ``New_User``, ``Usage_Limit`` or ``<model>_messages`` columns, and ``MM-DD-YYYY`` dates;
  later files carry them, with a model's column only when that model was used in the file;
- the column order differs from file to file, and every value is quoted;
- a file sits under the ``<yyyy>/<mm>/<dd>`` of the morning *after* the day it reports;
- one day's IDE report is delivered twice (a later timestamp, the same rows);
- some members never have an email (only their Identity Center ``UserId``);
- the legacy report (``MM-DD-YYYY``, a UTF-8 byte-order mark) is split into parts of
  ``users_per_part`` users, as Kiro splits it every 1,000;
- every client's file is written for every day, header only when nobody used that client.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from connectors.dates import days as day_range
from connectors.money import split_over_days, to_micros
from connectors.simulator.team import SimMember, generate_team, rng_for

ACCOUNT_ID = "111122223333"
REGION = "us-east-1"
CLIENTS = ("KIRO_IDE", "KIRO_CLI", "PLUGIN")
TIERS = ("PRO", "PRO_PLUS", "POWER")
ALLOWANCE = {"PRO": 1000, "PRO_PLUS": 2000, "POWER": 10000}  # credits per month
SEAT_PRICES = {"PRO": Decimal("20"), "PRO_PLUS": Decimal("40"), "POWER": Decimal("200")}
PRICE_PER_CREDIT = Decimal("0.04")
MODELS = ("auto", "claude_sonnet_4.5", "claude_haiku_4.5", "claude_opus_4.5")
OLD_COLUMNS = (
    "Date",
    "UserId",
    "Client_Type",
    "Chat_Conversations",
    "Credits_Used",
    "Overage_Cap",
    "Overage_Credits_Used",
    "Overage_Enabled",
    "ProfileId",
    "Subscription_Tier",
    "Total_Messages",
)
NEW_COLUMNS = ("User_Email", "New_User", "Usage_Limit")
LEGACY_METRICS = (
    "Chat_MessagesSent",
    "Chat_AICodeLines",
    "Inline_SuggestionsCount",
    "Inline_AcceptanceCount",
    "Dev_GenerationEventCount",
)


def _user_id(seed: int, member: SimMember) -> str:
    digest = hashlib.sha256(f"kiro\x1f{seed}\x1f{member.index}".encode()).hexdigest()
    return f"{digest[:10]}-{digest[10:14]}-{digest[14:18]}-{digest[18:22]}-{digest[22:34]}"


class KiroReports:
    """Kiro's reports for ``members`` generated people over ``days`` days from ``start``."""

    def __init__(
        self,
        *,
        seed: int = 7,
        members: int = 12,
        start: dt.date,
        days: int,
        users_per_part: int = 4,
    ):
        self.seed = seed
        self.start = start
        self.end = start + dt.timedelta(days=days - 1)
        self.new_layout_from = start + dt.timedelta(days=days // 3)
        self.redelivered_day = start + dt.timedelta(days=min(2, days - 1))
        self.users_per_part = users_per_part
        team = generate_team(seed, members)
        self.users = [m for m in team if m.index % 5 != 4]  # most of the team uses Kiro

    # -- who --------------------------------------------------------------------------------
    def user_id(self, member: SimMember) -> str:
        return _user_id(self.seed, member)

    def email(self, member: SimMember) -> str | None:
        return None if member.index % 7 == 3 else member.email

    def tier(self, member: SimMember) -> str:
        return TIERS[rng_for(self.seed, "kiro-tier", member.index).choice((0, 0, 0, 1, 1, 2))]

    def overage_enabled(self, member: SimMember) -> bool:
        return member.index % 6 != 5

    # -- what -------------------------------------------------------------------------------
    def _raw_credits(self, member: SimMember, day: dt.date, client: str) -> Decimal | None:
        """The credits a member spent with a client on a day, or None when not active."""
        rng = rng_for(self.seed, "kiro", member.index, day.isoformat(), client)
        active = {"KIRO_IDE": 0.8, "KIRO_CLI": 0.45, "PLUGIN": 0.25}[client]
        if day.weekday() >= 5:
            active /= 4
        if client == "PLUGIN" and member.index % 3 != 1:
            return None
        if rng.random() >= active:
            return None
        heavy = 4 if member.index % 4 == 0 else 1
        scale = {"PRO": 1, "PRO_PLUS": 2, "POWER": 8}[self.tier(member)]
        return Decimal(rng.randint(50, 3000) * heavy * scale) / 100

    @lru_cache(maxsize=4096)  # noqa: B019  (one small instance per simulation)
    def split(self, member: SimMember, day: dt.date, client: str) -> tuple[Decimal, Decimal] | None:
        """(included credits, overage credits) of a member's client on a day, or None."""
        raw = self._raw_credits(member, day, client)
        if raw is None:
            return None
        used = Decimal(0)  # what the member spent earlier this month (clients in CLIENTS order)
        order = CLIENTS.index(client)
        for earlier in day_range(day.replace(day=1), day):
            for c in CLIENTS if earlier < day else CLIENTS[:order]:
                credits = self._raw_credits(member, earlier, c)
                if credits is not None:
                    used += credits
        left = max(Decimal(ALLOWANCE[self.tier(member)]) - used, Decimal(0))
        included = min(raw, left)
        overage = raw - included if self.overage_enabled(member) else Decimal(0)
        return included, overage

    def row(self, member: SimMember, day: dt.date, client: str) -> dict[str, Any] | None:
        split = self.split(member, day, client)
        if split is None:
            return None
        included, overage = split
        rng = rng_for(self.seed, "kiro-messages", member.index, day.isoformat(), client)
        total = rng.randint(1, 60)
        models = rng.sample(MODELS, rng.randint(1, 3))
        per_model = {m: 0 for m in models}
        for _ in range(total):
            per_model[rng.choice(models)] += 1
        tier = self.tier(member)
        new_layout = day >= self.new_layout_from
        row = {
            "Date": day.isoformat() if new_layout else day.strftime("%m-%d-%Y"),
            "UserId": self.user_id(member),
            "Client_Type": client,
            "Chat_Conversations": str(max(1, total // 4)),
            "Credits_Used": f"{included:.2f}",
            "Overage_Cap": str(ALLOWANCE[tier] * 2 if self.overage_enabled(member) else 0),
            "Overage_Credits_Used": f"{overage:.2f}",
            "Overage_Enabled": "true" if self.overage_enabled(member) else "false",
            "ProfileId": f"arn:aws:codewhisperer:{REGION}:{ACCOUNT_ID}:profile/SIMKIRO",
            "Subscription_Tier": tier,
            "Total_Messages": str(total),
        }
        if new_layout:
            row["User_Email"] = self.email(member) or ""
            row["New_User"] = "false"
            row["Usage_Limit"] = str(ALLOWANCE[tier])
            row.update({f"{m}_messages": str(n) for m, n in per_model.items() if n})
        return row

    def legacy_row(self, member: SimMember, day: dt.date) -> dict[str, Any] | None:
        if all(self.split(member, day, c) is None for c in CLIENTS):
            return None
        rng = rng_for(self.seed, "kiro-legacy", member.index, day.isoformat())
        row = {"UserId": self.user_id(member), "Date": day.strftime("%m-%d-%Y")}
        row.update({metric: str(rng.randint(0, 80)) for metric in LEGACY_METRICS})
        return row

    # -- the truth --------------------------------------------------------------------------
    @lru_cache(maxsize=64)  # noqa: B019
    def _seated(self, month: dt.date) -> tuple[SimMember, ...]:
        """Members with any report in ``month`` within the simulated days."""
        span = [d for d in day_range(self.start, self.end) if d.replace(day=1) == month]
        return tuple(
            m
            for m in self.users
            if any(self.split(m, d, c) is not None for d in span for c in CLIENTS)
        )

    def expected_billed_micros(self, day: dt.date) -> int:
        """Seats (a month's price split over its days) plus overage credits at the price."""
        month = day.replace(day=1)
        last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        total = 0
        for member in self._seated(month):
            price = to_micros(SEAT_PRICES[self.tier(member)], unit="usd")
            total += dict(split_over_days(price, month, last))[day]
            if self.start <= day <= self.end:
                overage = sum(
                    (s[1] for c in CLIENTS if (s := self.split(member, day, c)) is not None),
                    Decimal(0),
                )
                total += to_micros(overage * PRICE_PER_CREDIT, unit="usd")
        return total

    def expected_tokens(self, day: dt.date) -> int:
        return 0  # Kiro reports credits and messages, no tokens

    # -- the files --------------------------------------------------------------------------
    def _folder(self, root: Path, report: str, written: dt.date) -> Path:
        return (
            root
            / "AWSLogs"
            / ACCOUNT_ID
            / "KiroLogs"
            / report
            / REGION
            / f"{written:%Y}"
            / f"{written:%m}"
            / f"{written:%d}"
            / "00"
        )

    def write(self, root: Path | str) -> int:
        """Write every report file under ``root`` (the synced bucket); returns the file count."""
        root = Path(root)
        count = 0
        for day in day_range(self.start, self.end):
            written = day + dt.timedelta(days=1)
            for client in CLIENTS:
                rows = [r for m in self.users if (r := self.row(m, day, client)) is not None]
                stamps = [f"{written:%Y%m%d}0200"]
                if day == self.redelivered_day and client == "KIRO_IDE":
                    stamps.append(f"{written:%Y%m%d}0300")
                for stamp in stamps:
                    name = f"{client}_{ACCOUNT_ID}_user_report_{stamp}.csv"
                    self._write_csv(
                        self._folder(root, "user_report", written) / name,
                        self._columns(day, client, rows),
                        rows,
                        bom=False,
                    )
                    count += 1
            legacy = [r for m in self.users if (r := self.legacy_row(m, day)) is not None]
            for part in range(0, max(len(legacy), 1), self.users_per_part):
                name = (
                    f"{ACCOUNT_ID}_by_user_analytic_{written:%Y%m%d}0000"
                    f"_part_{part // self.users_per_part + 1}.csv"
                )
                self._write_csv(
                    self._folder(root, "by_user_analytic", written) / name,
                    ["UserId", "Date", *LEGACY_METRICS],
                    legacy[part : part + self.users_per_part],
                    bom=True,
                )
                count += 1
        return count

    def _columns(self, day: dt.date, client: str, rows: list[dict[str, Any]]) -> list[str]:
        columns = list(OLD_COLUMNS)
        if day >= self.new_layout_from:
            columns += NEW_COLUMNS
            columns += sorted({k for r in rows for k in r if k.endswith("_messages")} - {*columns})
        rng_for(self.seed, "kiro-columns", day.isoformat(), client).shuffle(columns)
        return columns

    @staticmethod
    def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]], *, bom: bool):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, quoting=csv.QUOTE_ALL)
            writer.writeheader()
            writer.writerows(rows)

    def config(self, root: Path | str) -> dict[str, str]:
        """The connector config reading ``root`` (the simulator's prices are the defaults)."""
        return {"folder": str(root)}
