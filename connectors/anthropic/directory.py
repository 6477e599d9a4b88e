"""The organisation's users and API keys (vendor-apis.md §1d): who an account belongs to.

An API key maps to the person who *created* it (``created_by.id``); a Claude Code
``api_actor`` carries only the key's *name*, joined on ``name`` when exactly one key has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.anthropic.payloads import PATH_API_KEYS, PATH_USERS, VENDOR
from connectors.contract import Account
from connectors.http import VendorHttp
from connectors.payload import PayloadReader

DIRECTORY_PAGE = 1000  # users / api_keys: at most 1000 per page


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str | None
    creator_id: str | None


@dataclass
class Directory:
    """Users (email and name by id) and API keys of the organisation."""

    emails: dict[str, str] = field(default_factory=dict)  # user id -> email
    names: dict[str, str | None] = field(default_factory=dict)  # lower-case email -> name
    api_keys: list[ApiKey] = field(default_factory=list)

    def key_accounts(self) -> list[Account]:
        return [
            Account(
                account_key=key.id,
                display_name=key.name or key.id,
                email=self.emails.get(key.creator_id or ""),
                kind="api_key",
            )
            for key in self.api_keys
        ]

    def key_name_account(self, name: str) -> Account:
        """The Account of a Claude Code ``api_actor`` (known by key name only)."""
        matches = [k for k in self.api_keys if k.name == name]
        email = self.emails.get(matches[0].creator_id or "") if len(matches) == 1 else None
        return Account(account_key=name, display_name=name, email=email, kind="api_key")

    def user_account(self, email: str) -> Account:
        return Account(account_key=email, display_name=self.names.get(email.lower()), email=email)


def read_directory(http: VendorHttp) -> Directory:
    directory = Directory()
    users = PayloadReader(VENDOR, PATH_USERS)
    for body in http.paginate_after_id(PATH_USERS, {"limit": DIRECTORY_PAGE}):
        for user in users.body(body).list("data"):
            email = user.text("email")
            directory.emails[user.text("id")] = email
            directory.names[email.lower()] = user.opt_text("name")
    keys = PayloadReader(VENDOR, PATH_API_KEYS)
    for body in http.paginate_after_id(PATH_API_KEYS, {"limit": DIRECTORY_PAGE}):
        for key in keys.body(body).list("data"):
            creator = key.opt("created_by")
            directory.api_keys.append(
                ApiKey(
                    key.text("id"),
                    key.opt_text("name"),
                    creator.opt_text("id") if creator is not None else None,
                )
            )
    return directory
