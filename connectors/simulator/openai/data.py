"""The simulated OpenAI organisation's data, generated per UTC day on demand.

Nothing is stored: each day is drawn from ``rng_for(seed, "openai", ..., day)``; a bounded
cache keeps recent days so the usage and the costs requests of a window agree cheaply.

The organisation (every quirk vendor-apis.md §4 warns about, on purpose):

- three projects; each member has a key in their project (``index % 3``), owned by them;
- members ``index % 5 == 2`` also used a key that was **revoked**: no project lists it any
  more, but its usage rows still name the member (``user_id``), so its cost can only reach
  them through per-user usage;
- two **service accounts** (projects 2 and 3) own a key each (usage rows: ``user_id`` null),
  plus a revoked legacy service-account key whose cost nobody can carry (``unattributed``);
- members ``index % 4 == 1`` also use the **Playground** (usage without API key, cost lines
  with ``api_key_id`` null, shared between the users of a project and model);
- user ids are opaque: most ``user-…``, members ``index % 6 == 5`` ``user_…`` (the spec's
  example mixes both);
- ``input_tokens`` **includes** cached and cache-write tokens, and the ``*_text_tokens``
  breakdowns repeat them: a connector adding them up counts tokens twice;
- cost ``amount.value`` is a **float** computed the way a vendor's float code would (token
  counts times a per-token price, accumulated; ``0.1`` added three times), so the JSON holds
  ``0.30000000000000004``, ``1.2e-05`` and values that truncating float code gets wrong;
- the cached-input ``line_item`` label is undocumented: ``"<model>, cached input"`` on odd
  days, ``"<model>, input, cached"`` on even ones;
- costs no key or model can carry: vector store storage (per project, key null).

``expected_billed_micros(day)`` sums the day's finest-grain cost lines (project, line item,
API key) exactly as their JSON numbers read, each to the micro-dollar (half-even), which is
what a connector grouping by all three sees; ``expected_tokens(day)`` is every token
processed that day, each once (``input_tokens + output_tokens`` of every usage row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from connectors.money import to_micros
from connectors.simulator.team import SimMember, rng_for

#: USD per million tokens: input, cached input, output.
PRICES: dict[str, tuple[str, str, str]] = {
    "gpt-4.1-2025-04-14": ("2.00", "0.50", "8.00"),
    "gpt-4.1-mini-2025-04-14": ("0.40", "0.10", "1.60"),
    "o3-2025-04-16": ("2.00", "0.50", "8.00"),
    "gpt-5-2025-08-07": ("1.25", "0.125", "10.00"),
}
MODELS = tuple(PRICES)
MODEL_WEIGHTS = (4, 2, 1, 3)
CACHE_WRITE_MODELS = frozenset({"gpt-5-2025-08-07"})  # report input_cache_write_tokens
PLAYGROUND_MODELS = ("gpt-4.1-2025-04-14", "gpt-5-2025-08-07")
SERVICE_MODEL = "gpt-4.1-2025-04-14"
WEB_SEARCH_USD_PER_CALL = 0.01  # a float on purpose: the vendor accumulates it
STORAGE_USD_PER_STORE_DAY = 0.1
WEB_SEARCH_ITEM = "web search tool calls"
STORAGE_ITEM = "vector store storage"
PROJECT_NAMES = ("Default project", "Platform", "Research")
SERVICE_ACCOUNT_NAMES = ("ci-bot", "eval-runner")


def per_token(price_per_mtok: str) -> float:
    """A price per token as the vendor's float code holds it."""
    return float(price_per_mtok) / 1_000_000


def cached_label(day: dt.date) -> str:
    """The undocumented cached-input label, in one of two plausible spellings."""
    return "cached input" if day.toordinal() % 2 else "input, cached"


def json_micros(amount: float) -> int:
    """What an exact reader makes of a float as the JSON spells it (``repr``)."""
    return to_micros(Decimal(repr(amount)), unit="usd")


@dataclass(frozen=True)
class SimProject:
    id: str
    name: str


@dataclass(frozen=True)
class SimKey:
    """A project API key; ``listed`` is False for a revoked key (no project lists it)."""

    id: str
    name: str
    project_id: str
    owner_user: SimMember | None  # None: a service account owns it
    service_account: tuple[str, str] | None  # (id, name)
    listed: bool = True


@dataclass(frozen=True)
class UsageRow:
    project_id: str
    api_key_id: str | None
    user_id: str | None
    model: str
    input_tokens: int  # inclusive of cached and cache-write tokens
    cached: int
    cache_write: int
    output: int
    requests: int


@dataclass(frozen=True)
class CostLine:
    project_id: str
    api_key_id: str | None
    line_item: str
    amount: float  # USD, a binary float as the vendor computes it
    quantity: float | int | None
    unit: str | None


def _hex(seed: int, *parts: object, length: int = 24) -> str:
    return f"{rng_for(seed, 'openai', 'id', *parts).getrandbits(4 * length):0{length}x}"


class OpenAIData:
    """The generated organisation; mixed into ``OpenAIVendor``."""

    team: list[SimMember]
    seed: int
    in_range: Any  # SimulatedVendor.in_range

    def _init_data(self) -> None:
        seed = self.seed
        self.admin_key = "sk-admin-sim" + _hex(seed, "admin-key", length=40)
        self.projects = tuple(
            SimProject(f"proj_{_hex(seed, 'project', i)}", name)
            for i, name in enumerate(PROJECT_NAMES)
        )
        self.user_ids = {
            m.index: ("user_" if m.index % 6 == 5 else "user-") + _hex(seed, "user", m.index)
            for m in self.team
        }
        keys: list[SimKey] = []
        for m in self.team:
            project = self.project_of(m).id
            slug = m.email.split("@")[0].replace(".", "-")
            keys.append(
                SimKey(f"key_{_hex(seed, 'key', m.index)}", f"{slug}-dev", project, m, None)
            )
            if m.index % 5 == 2:
                revoked = f"key_{_hex(seed, 'revoked', m.index)}"
                keys.append(SimKey(revoked, f"{slug}-old", project, m, None, listed=False))
        for i, name in enumerate(SERVICE_ACCOUNT_NAMES):
            service = (f"svc_acct_{_hex(seed, 'service', i)}", name)
            project = self.projects[i + 1].id
            keys.append(SimKey(f"key_{_hex(seed, 'svc-key', i)}", name, project, None, service))
        legacy = (f"svc_acct_{_hex(seed, 'service', 'legacy')}", "legacy-batch")
        keys.append(
            SimKey(
                f"key_{_hex(seed, 'legacy')}", "legacy", self.projects[2].id, None, legacy, False
            )
        )
        self.keys = tuple(keys)
        self.day_rows = lru_cache(maxsize=64)(self._compute_day_rows)
        self.day_costs = lru_cache(maxsize=64)(self._compute_day_costs)

    def project_of(self, member: SimMember) -> SimProject:
        return self.projects[member.index % len(self.projects)]

    def user_id(self, member: SimMember) -> str:
        return self.user_ids[member.index]

    # -- usage -------------------------------------------------------------------------------
    def _row(
        self, rng: Any, key: SimKey | None, project: str, user: str | None, model: str
    ) -> UsageRow:
        inclusive = rng.randint(20_000, 1_500_000)
        cached = rng.randint(0, inclusive * 6 // 10)
        write = rng.randint(0, (inclusive - cached) // 10) if model in CACHE_WRITE_MODELS else 0
        output = rng.randint(2_000, 150_000)
        key_id = key.id if key else None
        return UsageRow(project, key_id, user, model, inclusive, cached, write, output,
                        rng.randint(1, 400))  # fmt: skip

    def _compute_day_rows(self, day: dt.date) -> tuple[UsageRow, ...]:
        """Every usage row of one day at the finest grain (project, key, user, model)."""
        if not self.in_range(day):
            return ()
        rows: list[UsageRow] = []
        for key in self.keys:
            rng = rng_for(self.seed, "openai", "usage", key.id, day.isoformat())
            member = key.owner_user
            if member is None:  # a service account's key: no user on its rows
                if rng.random() < (0.8 if key.listed else 0.4):
                    rows.append(self._row(rng, key, key.project_id, None, SERVICE_MODEL))
                continue
            if rng.random() >= (0.7 if key.listed else 0.5):
                continue
            for model in sorted(set(rng.choices(MODELS, MODEL_WEIGHTS, k=rng.randint(1, 2)))):
                rows.append(self._row(rng, key, key.project_id, self.user_id(member), model))
        for member in self.team:
            rng = rng_for(self.seed, "openai", "playground", member.index, day.isoformat())
            if member.index % 4 == 1 and rng.random() < 0.6:
                model = rng.choice(PLAYGROUND_MODELS)
                rows.append(self._row(rng, None, self.projects[0].id, self.user_id(member), model))
        return tuple(rows)

    # -- costs -------------------------------------------------------------------------------
    def _compute_day_costs(self, day: dt.date) -> tuple[CostLine, ...]:
        """The finest-grain cost lines of one day (project, line item, API key)."""
        rows = self.day_rows(day)
        if not rows:
            return ()
        amounts: dict[tuple[str, str | None, str], float] = {}
        quantities: dict[tuple[str, str | None, str], int] = {}

        def add(project: str, key: str | None, item: str, tokens: int, price: str) -> None:
            if tokens:
                slot = (project, key, item)
                amounts[slot] = amounts.get(slot, 0.0) + tokens * per_token(price)
                quantities[slot] = quantities.get(slot, 0) + tokens

        label = cached_label(day)
        for row in rows:
            price_in, price_cached, price_out = PRICES[row.model]
            uncached = row.input_tokens - row.cached  # cache writes are billed as input
            add(row.project_id, row.api_key_id, f"{row.model}, input", uncached, price_in)
            add(row.project_id, row.api_key_id, f"{row.model}, {label}", row.cached, price_cached)
            add(row.project_id, row.api_key_id, f"{row.model}, output", row.output, price_out)
        lines = [
            CostLine(project, key, item, amount, quantities[(project, key, item)], "tokens")
            for (project, key, item), amount in amounts.items()
        ]
        for key in self.keys:
            member = key.owner_user
            rng = rng_for(self.seed, "openai", "web-search", key.id, day.isoformat())
            calls = rng.randint(0, 12) if member is not None and member.index % 3 == 0 else 0
            if calls and any(r.api_key_id == key.id for r in rows):
                amount = 0.0
                for _ in range(calls):
                    amount += WEB_SEARCH_USD_PER_CALL
                lines.append(CostLine(key.project_id, key.id, WEB_SEARCH_ITEM, amount, calls, None))
        for i, project in enumerate(self.projects):
            amount = 0.0
            for _ in range(i + 1):  # 0.1, 0.2, 0.30000000000000004
                amount += STORAGE_USD_PER_STORE_DAY
            lines.append(CostLine(project.id, None, STORAGE_ITEM, amount, 24 * (i + 1),
                                  "gibibyte_hours"))  # fmt: skip
        return tuple(lines)

    # -- truths ------------------------------------------------------------------------------
    def expected_billed_micros(self, day: dt.date) -> int:
        """The day's finest-grain cost lines as their JSON numbers read, to the micro-dollar."""
        return sum(json_micros(line.amount) for line in self.day_costs(day))

    def expected_tokens(self, day: dt.date) -> int:
        """Every token processed that day, once (cached and cache writes are in input)."""
        return sum(row.input_tokens + row.output for row in self.day_rows(day))
