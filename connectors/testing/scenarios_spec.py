"""Conformance scenarios: the declared spec, and ``check`` with good, bad and missing credentials."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.contract import Connector, CredentialField, SettingField, SyncSchedule, UnitPrice
from connectors.schedule import CONFIG_SOURCES
from connectors.testing.base import KitBase
from connectors.testing.targets import ConformanceTarget


class SpecScenarios(KitBase):
    def test_spec_is_declared(self) -> None:
        cls = self.connector
        assert isinstance(cls, type) and issubclass(cls, Connector), (
            "connector must subclass Connector"
        )
        assert isinstance(cls.name, str) and cls.name.isidentifier(), "name must be an identifier"
        assert cls.name == cls.name.lower(), "name must be lower-case"
        assert isinstance(cls.provider, str) and cls.provider.strip(), "provider must be set"
        assert isinstance(cls.services, tuple) and cls.services, (
            "services must be a non-empty tuple"
        )
        assert all(isinstance(s, str) and s for s in cls.services)
        assert cls.source_type in ("api", "file", "manual")
        assert cls.default_confidence in ("high", "medium", "low")
        assert isinstance(cls.credential_fields, tuple)
        assert all(isinstance(f, CredentialField) for f in cls.credential_fields)
        assert isinstance(cls.settings_fields, tuple)
        assert all(isinstance(f, SettingField) for f in cls.settings_fields)
        names = [f.name for f in cls.config_fields()]
        assert len(names) == len(set(names)), "credential and setting names must be unique"
        assert all(n.isidentifier() for n in names)
        for setting in cls.settings_fields:
            if setting.default is not None:
                setting.parse(setting.default)  # a default that does not parse is a bug
        assert isinstance(cls.revision_window_days, int) and cls.revision_window_days >= 0
        assert isinstance(cls.max_window_days, int) and cls.max_window_days >= 1
        assert isinstance(cls.future_days, int) and cls.future_days >= 0
        assert (cls.__doc__ or "").strip(), "the connector class needs a docstring"
        self._assert_declarations(cls)

    @staticmethod
    def _assert_declarations(cls: type[Connector]) -> None:
        assert cls.config_source in CONFIG_SOURCES, (
            f"config_source must be one of {CONFIG_SOURCES}, not {cls.config_source!r}"
        )
        if cls.config_source == "admin_input":
            assert cls.admin_input, "config_source 'admin_input' needs admin_input = '<name>'"
        else:
            assert cls.admin_input is None, "admin_input is only for config_source 'admin_input'"
        if cls.config_source == "folder":
            assert any(f.kind == "path" for f in cls.settings_fields), (
                "config_source 'folder' needs a SettingField(kind='path') naming the folder"
            )
        assert isinstance(cls.schedule, SyncSchedule), "schedule must be a SyncSchedule"
        if cls.config_source != "credentials":
            assert cls.schedule.watch_input or cls.schedule.sweep_cron, (
                "input at rest needs watch_input (or at least a sweep) to be synced"
            )
        assert isinstance(cls.unit_prices, tuple)
        for price in cls.unit_prices:
            assert isinstance(price, UnitPrice)
            assert isinstance(price.min_usd, Decimal) and isinstance(price.max_usd, Decimal)
            assert 0 <= price.min_usd <= price.max_usd, f"{price}: min must be <= max"

    def test_check_accepts_good_credentials(self, conformance_target: ConformanceTarget) -> None:
        result = self.make_connector().check(conformance_target.config(good=True))
        assert result.ok, f"check failed with good credentials: {result.reason}"

    def test_check_rejects_bad_credentials(self, conformance_target: ConformanceTarget) -> None:
        config = conformance_target.config(good=False)
        result = self.make_connector().check(config)
        assert result.ok is False, "check passed with bad credentials"
        assert result.reason.strip(), "check must say why it failed"
        for secret in self.secrets_of(config) + self.secrets_of(conformance_target.config()):
            assert secret not in result.reason, "the reason contains a secret"

    def test_check_reports_missing_credentials(self, conformance_target: ConformanceTarget) -> None:
        required = [f.name for f in self.connector.credential_fields if f.required]
        if not required:
            pytest.skip("the connector declares no required credential")
        config = {k: v for k, v in conformance_target.config().items() if k not in required}
        result = self.make_connector().check(config)
        assert result.ok is False
        assert any(name in result.reason for name in required), (
            f"the reason should name the missing field(s) {required}: {result.reason!r}"
        )
