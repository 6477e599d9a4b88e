"""Conformance scenarios about credentials: they reach the configured origin and nothing else."""

from __future__ import annotations

import base64

import pytest

from connectors.contract import ConnectorError
from connectors.http import MIN_SECRET_PREFIX
from connectors.testing.base import KitBase
from connectors.testing.hostile import RecordingServer, RedirectingServer
from connectors.testing.targets import ConformanceTarget


class SecretScenarios(KitBase):
    def test_credentials_never_follow_a_redirect_to_another_origin(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """The base URL answers 302 to another origin for every request: ``check`` says no,
        ``fetch`` raises a ``ConnectorError``, and no credential reaches the other origin."""
        config = conformance_target.config()
        if "base_url" not in config and not self.connector.default_base_url:
            pytest.skip("the connector calls no base URL (not an HTTP vendor): nothing to redirect")
        secrets = self.secrets_of(config)
        assert secrets, "the target's config holds no secret, so nothing could leak"
        with RecordingServer() as elsewhere, RedirectingServer(elsewhere.url) as hijacked:
            hostile = {**config, "base_url": hijacked.url}
            result = self.make_connector().check(hostile)
            assert not result.ok, "check passed although every answer was a cross-origin redirect"
            with pytest.raises(ConnectorError):
                self.fetch_all(conformance_target, config=hostile)
            assert hijacked.requests, "the connector never called the configured base URL"
            leaked = [
                form
                for secret in secrets
                for form in _forms(secret)
                for request in elsewhere.requests
                if form in request
            ]
            assert not leaked, "a credential reached an origin other than the configured one"


def _forms(secret: str) -> list[str]:
    """What of a secret must never appear: its leading characters, raw and Basic-encoded."""
    basic = base64.b64encode(f"{secret}:".encode()).decode()
    return [secret[:MIN_SECRET_PREFIX], basic[:MIN_SECRET_PREFIX]]
