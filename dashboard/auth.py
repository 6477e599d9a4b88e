"""Login for the dashboard: streamlit-authenticator over the users stored in the warehouse.

Username is the user's email. The authenticator gets a fresh credentials dict on every run
(it mutates what it is given), built from `warehouse.users.login_directory`, so a user removed
or re-roled in the warehouse is seen on the next run. Whatever went wrong at login, the user
sees only INVALID_LOGIN: never which of email or password was wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit_authenticator as stauth

from warehouse.actors import Actor
from warehouse.users import LoginUser

COOKIE_NAME = "aispend_auth"
COOKIE_EXPIRY_DAYS = 7.0
INVALID_LOGIN = "Invalid email or password"
# streamlit-authenticator sleeps this long on every logged-out run (its cookie component needs a
# moment to answer). Tests set it to 0.
LOGIN_SLEEP_TIME_S = 0.7
LOGIN_FIELDS = {
    "Form name": "Sign in to aispend",
    "Username": "Email",
    "Password": "Password",
    "Login": "Sign in",
}


def credentials_for(users: Iterable[LoginUser]) -> dict[str, Any]:
    """The credentials dict streamlit-authenticator expects, keyed by lower-cased email."""
    return {
        "usernames": {
            u.email.strip().lower(): {
                "email": u.email,
                "name": u.name,
                "password": u.password_hash,
                "roles": [u.role],
            }
            for u in users
        }
    }


def build_authenticator(
    users: Iterable[LoginUser], cookie_key: str, login_sleep_time: float | None = None
) -> stauth.Authenticate:
    """An Authenticate over a fresh copy of the warehouse users (bcrypt hashes, never re-hashed)."""
    return stauth.Authenticate(
        credentials_for(users),
        cookie_name=COOKIE_NAME,
        cookie_key=cookie_key,
        cookie_expiry_days=COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=LOGIN_SLEEP_TIME_S if login_sleep_time is None else login_sleep_time,
    )


def actor_for(users: Iterable[LoginUser], username: str | None) -> Actor | None:
    """The warehouse's view of a logged-in username (role included), or None if it is gone."""
    if not username:
        return None
    wanted = username.strip().lower()
    for u in users:
        if u.email.strip().lower() == wanted:
            return Actor(email=u.email, role=u.role)
    return None
