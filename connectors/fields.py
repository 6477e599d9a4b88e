"""What an admin configures for a connector: secret credentials and plain settings.

- ``CredentialField``: a secret (or identifying) value the vendor gave the admin: an API key,
  an organisation name. Stored encrypted; shown masked.
- ``SettingField``: a non-secret choice of the team about *how* to read the vendor: a price per
  credit (Kiro), a seat plan (Copilot), the folder an S3 export is synced to. Stored beside the
  credentials (encrypted too, but shown in clear), typed, with a default.

Both are set with ``aispend vendor configure SOURCE --set name=value``; the connector reads a
setting with ``self.setting(config, "name")`` (parsed, defaulted, validated).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

SettingKind = Literal["text", "decimal", "integer", "path", "json", "choice"]


@dataclass(frozen=True)
class CredentialField:
    """A credential the vendor issued (``secret=False`` for identifiers such as an org name)."""

    name: str
    secret: bool = True
    help: str = ""
    required: bool = True


@dataclass(frozen=True)
class SettingField:
    """A non-secret connector setting, parsed to its ``kind``.

    ``kind``: ``text``; ``decimal`` (exact, e.g. ``"0.04"`` USD per credit); ``integer``;
    ``path`` (a folder or file; ``~`` expanded); ``json`` (a structured value such as a list of
    seat prices with valid-from dates); ``choice`` (one of ``choices``). ``default`` is the
    value used when the admin set nothing (as the admin would type it, a string); with no
    default and ``required=True`` the source is not configured until it is set.
    """

    name: str
    kind: SettingKind = "text"
    help: str = ""
    default: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()

    secret = False  # settings are shown in clear (they are still stored encrypted)

    def parse(self, raw: Any) -> Any:
        """The typed value of ``raw`` (a stored string); raises ``ValueError`` naming the setting."""
        text = raw if isinstance(raw, str) else json.dumps(raw) if self.kind == "json" else raw
        try:
            if self.kind == "text":
                return str(text)
            if self.kind == "decimal":
                value = Decimal(str(text).strip())
                if not value.is_finite():
                    raise ValueError
                return value
            if self.kind == "integer":
                return int(str(text).strip())
            if self.kind == "path":
                return Path(str(text)).expanduser()
            if self.kind == "json":
                return json.loads(text, parse_float=Decimal)
            if self.kind == "choice":
                if text not in self.choices:
                    raise ValueError
                return text
        except (ValueError, InvalidOperation, TypeError, json.JSONDecodeError):
            pass
        else:
            raise ValueError(f"setting {self.name!r} has an unknown kind {self.kind!r}")
        expected = {
            "decimal": "a decimal number",
            "integer": "a whole number",
            "json": "JSON",
            "choice": f"one of {', '.join(self.choices)}",
        }.get(self.kind, self.kind)
        raise ValueError(f"setting {self.name!r} must be {expected}, not {raw!r}")
