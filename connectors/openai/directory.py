"""Who an OpenAI account is: organisation users and project API keys (vendor-apis.md §4).

- ``GET /v1/organization/users`` (paged with ``after=<last_id>``): people with their email.
  User ids are opaque (the spec mixes ``user-abc`` and ``user_abc``).
- ``GET /v1/organization/projects/{project_id}/api_keys``: each key's owner. A key owned by a
  user maps to that user (``owner.user``, with id and email, even for someone no longer in
  the users list); a key owned by a service account maps to the service account
  (``owner.service_account.id``, an account of kind ``service_account`` that an admin may
  link to whoever runs it). A key whose owner cannot be told (no owner, an unknown owner
  type, a service account without an id) maps to ``unattributed``.

A key the project no longer lists (revoked or deleted) has no known owner: its costs are
shared among the users its usage rows name (``connectors.openai.allocation``).
Projects are read lazily: only those that appear in the fetched costs and usage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.contract import UNATTRIBUTED, Account
from connectors.http import VendorHttp
from connectors.openai.payloads import PATH_PROJECT_KEYS, PATH_USERS, VENDOR
from connectors.payload import Node, PayloadReader

LIST_LIMIT = 100  # users and project API keys: at most 100 per page


@dataclass
class Directory:
    """The organisation's people and key owners, filled as the fetch goes."""

    accounts: dict[str, Account] = field(default_factory=dict)  # account key -> Account
    key_owners: dict[str, str] = field(default_factory=dict)  # api key id -> account key
    projects_read: set[str] = field(default_factory=set)

    # -- resolving ---------------------------------------------------------------------------
    def key_owner(self, api_key_id: str) -> str | None:
        """The account that owns a key, or ``None`` when no project lists the key."""
        return self.key_owners.get(api_key_id)

    def user_account(self, user_id: str | None) -> str:
        """The account of a usage row's ``user_id`` (``unattributed`` when there is none)."""
        if user_id is None:
            return UNATTRIBUTED
        self.accounts.setdefault(user_id, Account(user_id, kind="user"))
        return user_id

    # -- reading -----------------------------------------------------------------------------
    def read_users(self, http: VendorHttp) -> None:
        reader = PayloadReader(VENDOR, PATH_USERS)
        pages = http.paginate_after_id(PATH_USERS, {"limit": LIST_LIMIT}, after_param="after")
        for body in pages:
            for user in reader.body(body).list("data"):
                self._add_user(user, from_users_list=True)

    def read_project_keys(self, http: VendorHttp, project_ids: set[str]) -> None:
        """The owners of every key of the projects not read yet."""
        for project_id in sorted(project_ids - self.projects_read):
            path = PATH_PROJECT_KEYS.format(project_id=project_id)
            reader = PayloadReader(VENDOR, path)
            pages = http.paginate_after_id(path, {"limit": LIST_LIMIT}, after_param="after")
            for body in pages:
                for key in reader.body(body).list("data"):
                    self.key_owners[key.text("id")] = self._owner(key)
            self.projects_read.add(project_id)

    def _add_user(self, user: Node, *, from_users_list: bool) -> str:
        user_id = user.text("id")
        service = user.opt_boolean("is_service_account") if from_users_list else None
        account = Account(
            user_id,
            display_name=user.opt_text("name"),
            email=user.opt_text("email"),
            kind="service_account" if service else "user",
        )
        known = self.accounts.get(user_id)
        if known is None or from_users_list or known.email is None:
            self.accounts[user_id] = account
        return user_id

    def _owner(self, key: Node) -> str:
        owner = key.opt("owner")
        if owner is None:
            return UNATTRIBUTED
        kind = owner.opt_text("type")
        if kind == "user":
            user = owner.opt("user")
            return self._add_user(user, from_users_list=False) if user is not None else UNATTRIBUTED
        if kind == "service_account":
            service = owner.opt("service_account")
            service_id = service.opt_text("id") if service is not None else None
            if service is None or service_id is None:
                return UNATTRIBUTED
            name = service.opt_text("name")
            self.accounts.setdefault(
                service_id,
                Account(service_id, display_name=name, kind="service_account"),
            )
            return service_id
        return UNATTRIBUTED
