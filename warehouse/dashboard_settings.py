"""Per-tenant dashboard settings an admin changes on the Settings page.

- ``display_mode``: how the leaderboard names people to viewers — ``named``, ``initialed``
  ("A. L.") or ``anonymous`` (admins always see names);
- ``fresh_hours`` / ``stale_hours``: a vendor's data is fresh below the first, stale up to the
  second, old beyond it;
- ``viewers_see_only_own_detail``: viewers keep team totals but other members' detail is
  withheld by the query layer;
- ``badge_*``: the thresholds of the badges (``warehouse.badges`` says what each one means);
- ``leaderboard_metric``: what the leaderboard mart ranks by — ``spend`` (billed), ``tokens`` or
  ``active_days`` (the mart reads the stored row; a change refreshes it through its sensor).

Any signed-in user reads them (the viewer pages need them); only an admin changes them, audited.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warehouse import audit, sync_status
from warehouse.actors import Actor, require_admin, require_signed_in
from warehouse.errors import InvalidInput
from warehouse.models import Setting
from warehouse.tenants import TenantRef

DISPLAY_MODES = ("named", "initialed", "anonymous")
KEY_PREFIX = "dashboard."
LEADERBOARD_METRICS = ("spend", "tokens", "active_days")
MAX_HOURS = 24 * 90
MAX_THRESHOLD = 10**12
BADGE_MAXIMA = {"badge_early_adopter_days": 3650, "badge_daily_driver_days": 31}


class SettingsError(InvalidInput):
    pass


@dataclass(frozen=True)
class DashboardSettings:
    display_mode: str = "named"
    fresh_hours: int = sync_status.FRESH_HOURS
    stale_hours: int = sync_status.STALE_HOURS
    viewers_see_only_own_detail: bool = False
    badge_pioneer_first_n: int = 3
    badge_early_adopter_days: int = 30
    badge_token_titan_tokens: int = 10_000_000
    badge_big_spender_usd: int = 500
    badge_multi_tool_count: int = 3
    badge_daily_driver_days: int = 15
    badge_time_saver_hours: int = 10
    badge_model_explorer_count: int = 3
    leaderboard_metric: str = "spend"  # read by the leaderboard mart (dbt_like_sql)

    def validate(self) -> None:
        if self.leaderboard_metric not in LEADERBOARD_METRICS:
            raise SettingsError(
                f"the leaderboard ranks by one of {', '.join(LEADERBOARD_METRICS)}, "
                f"not {self.leaderboard_metric!r}"
            )
        if self.display_mode not in DISPLAY_MODES:
            raise SettingsError(
                f"display mode must be one of {', '.join(DISPLAY_MODES)}, not {self.display_mode!r}"
            )
        for name in ("fresh_hours", "stale_hours"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HOURS:
                raise SettingsError(f"{name} must be a whole number of hours, 1 to {MAX_HOURS}")
        if self.stale_hours <= self.fresh_hours:
            raise SettingsError(
                f"the stale threshold ({self.stale_hours} h) must be above the fresh one "
                f"({self.fresh_hours} h)"
            )
        if not isinstance(self.viewers_see_only_own_detail, bool):
            raise SettingsError("viewers_see_only_own_detail must be true or false")
        for name in BADGE_FIELDS:
            value, top = getattr(self, name), BADGE_MAXIMA.get(name, MAX_THRESHOLD)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
                raise SettingsError(f"{name} must be a whole number from 1 to {top:,}")


FIELDS = tuple(f.name for f in dataclasses.fields(DashboardSettings))
BADGE_FIELDS = tuple(name for name in FIELDS if name.startswith("badge_"))


def _stored(s: Session, tenant: TenantRef) -> dict[str, Any]:
    rows = s.scalars(
        select(Setting).where(Setting.tenant_id == tenant.id, Setting.key.startswith(KEY_PREFIX))
    )
    values = {r.key.removeprefix(KEY_PREFIX): r.value.get("value") for r in rows}
    return {k: v for k, v in values.items() if k in FIELDS}


def get_dashboard_settings(engine: Engine, tenant: TenantRef, actor: Actor) -> DashboardSettings:
    """The tenant's settings (defaults where none was saved). Any signed-in user."""
    require_signed_in(actor, "reading the dashboard settings", tenant)
    with Session(engine) as s:
        return DashboardSettings(**_stored(s, tenant))


def update_dashboard_settings(
    engine: Engine, tenant: TenantRef, actor: Actor, **changes: Any
) -> DashboardSettings:
    """Change some settings; refuses the whole change if any value is invalid. Audited."""
    require_admin(actor, "changing the dashboard settings", tenant)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
    with Session(engine) as s, s.begin():
        current = DashboardSettings(**_stored(s, tenant))
        updated = dataclasses.replace(current, **changes)
        updated.validate()
        changed = {k: v for k, v in changes.items() if getattr(current, k) != v}
        for name, value in changed.items():
            row = s.get(Setting, (tenant.id, KEY_PREFIX + name))
            if row is None:
                s.add(Setting(tenant_id=tenant.id, key=KEY_PREFIX + name, value={"value": value}))
            else:
                row.value = {"value": value}
        if changed:
            audit.record(
                s,
                tenant,
                actor,
                "settings.update",
                "dashboard",
                **{k: {"old": getattr(current, k), "new": v} for k, v in changed.items()},
            )
        return updated
