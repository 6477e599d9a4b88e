"""How a connector is kept fresh, and where its configuration comes from: declarations only.

The pipeline reads these and nothing else (no connector is special anywhere):

``config_source`` (a ``Connector`` class attribute):

- ``"credentials"``: fields the admin stored with ``aispend vendor configure`` (credentials and
  settings). The tenants synced are those that configured the source. API connectors.
- ``"folder"``: the same stored fields, one of which is a ``SettingField(kind="path")`` naming a
  folder of files (e.g. CSV reports an admin syncs from S3). The pipeline watches the folder.
- ``"admin_input"``: data admins enter in aispend itself (``admin_input = "manual_entries"``);
  the warehouse builds the config from those tables for every tenant.

``schedule`` (a ``SyncSchedule``):

- ``POLL_API``: an hourly refresh of today and yesterday, and a daily sweep over the
  connector's ``revision_window_days`` (vendors revise recent days late).
- ``WATCH_FOLDER``: a sensor re-syncs when the folder's files change, plus the daily sweep.
- ``WATCH_INPUT``: a sensor re-syncs when the admin input changes; nothing on a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ConfigSource = Literal["credentials", "folder", "admin_input"]
CONFIG_SOURCES: tuple[str, ...] = ("credentials", "folder", "admin_input")

HOURLY_CRON = "7 * * * *"
DAILY_CRON = "30 3 * * *"


@dataclass(frozen=True)
class SyncSchedule:
    """When the pipeline syncs a connector.

    ``refresh_cron``: re-read today and yesterday (``None``: never on a clock).
    ``sweep_cron``: re-read the last ``revision_window_days`` days (``None``: no sweep).
    ``watch_input``: a sensor fingerprints the connector's input at rest (admin input, a
    folder: ``Connector.input_fingerprint``) and syncs the days it covers when it changes.
    """

    refresh_cron: str | None = HOURLY_CRON
    sweep_cron: str | None = DAILY_CRON
    watch_input: bool = False


POLL_API = SyncSchedule()
WATCH_FOLDER = SyncSchedule(refresh_cron=None, sweep_cron=DAILY_CRON, watch_input=True)
WATCH_INPUT = SyncSchedule(refresh_cron=None, sweep_cron=None, watch_input=True)
