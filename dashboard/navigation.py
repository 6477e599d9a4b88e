"""The dashboard's pages and how they are registered.

Every page is registered on every run, logged in or not, so a deep link or a reload keeps the
page asked for: on the first run of a reload the login cookie has not been read yet, and a page
missing from that run's navigation would send the browser to the default page. What the user
sees is decided separately: logged out, no navigation at all; a viewer sees the viewer pages
(admin pages stay registered but hidden, and each one refuses a viewer itself); an admin sees
everything. An unknown path gets a friendly "page not found" page at that same path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from warehouse.actors import Actor

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"
UNKNOWN_PATHS_KEY = "aispend_unknown_paths"
ADMIN_SECTION = "Admin"
DEFAULT_TITLE = "Opening the overview…"
DEFAULT_SHIM_PATH = "opening-overview"  # the hidden default page's own path (see build_navigation)


@dataclass(frozen=True)
class PageSpec:
    script: str  # file name in app_pages/
    title: str
    url_path: str
    admin_only: bool = False
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.py", "Overview", "overview", default=True),
    PageSpec("my_progress.py", "My progress", "my-progress"),
    PageSpec("analytics.py", "Analytics", "analytics"),
    PageSpec("admin.py", "Admin", "admin", admin_only=True),
    PageSpec("admin_members.py", "Members & identities", "members", admin_only=True),
    PageSpec("admin_manual_entries.py", "Manual entries", "manual-entries", admin_only=True),
    PageSpec("admin_import.py", "Import a file", "import", admin_only=True),
    PageSpec("admin_vendors.py", "Vendors", "vendors", admin_only=True),
    PageSpec("admin_users.py", "Users", "users", admin_only=True),
    PageSpec("admin_budgets.py", "Budgets", "budgets", admin_only=True),
    PageSpec("admin_tags.py", "Tags", "tags", admin_only=True),
    PageSpec("admin_seat_plans.py", "Seat plans", "seat-plans", admin_only=True),
    PageSpec("admin_prices.py", "Prices", "prices", admin_only=True),
    PageSpec("admin_settings.py", "Settings", "settings", admin_only=True),
    PageSpec("admin_suggestions.py", "Suggestions", "suggestions", admin_only=True),
    PageSpec("admin_audit_log.py", "Audit log", "audit-log", admin_only=True),
)
KNOWN_PATHS = frozenset(p.url_path for p in PAGES)


def page_path(url_path: str) -> str:
    """The script path (as AppTest.switch_page and st.page_link take it) of a registered page."""
    spec = next(p for p in PAGES if p.url_path == url_path)
    return str(PAGES_DIR / spec.script)


def requested_path() -> str | None:
    """The path the browser asked for on this run (e.g. "vendors"), or None when it named none.

    Streamlit keeps it in the run's page manager; it has no public accessor for it.
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        name = ctx.pages_manager.intended_page_name if ctx is not None else None
    except AttributeError:  # a Streamlit without it: unknown paths fall back to its own dialog
        return None
    if not name:
        return None
    return name.strip("/") or None


def _not_found() -> None:
    st.title("Page not found")
    st.write("There is no page at this address. It may have moved, or the link may be mistyped.")
    st.page_link(page_path("overview"), label="Go to the overview")


def _to_default() -> None:
    """Serves "/" while the overview is registered at its own path (see build_navigation)."""
    st.switch_page(page_path(next(p.url_path for p in PAGES if p.default)))


def build_navigation(actor: Actor | None) -> dict[str, list[st.Page]]:
    """Sections of pages for st.navigation: every page, visible or hidden for this actor."""
    sections: dict[str, list[st.Page]] = {"": []}
    asked = requested_path()
    default_path = next(p.url_path for p in PAGES if p.default)
    # Streamlit serves the default page at "/" only, yet reserves its path: a second page at
    # that path is refused (an exception on the run). Asked for by its own path, the default
    # page is registered there as an ordinary page, and a hidden default serves "/".
    by_path = asked == default_path
    for spec in PAGES:
        visible = actor is not None and (actor.is_admin or not spec.admin_only)
        page = st.Page(
            str(PAGES_DIR / spec.script),
            title=spec.title,
            url_path=spec.url_path,
            default=spec.default and not by_path,
            visibility="visible" if visible else "hidden",
        )
        section = ADMIN_SECTION if spec.admin_only and visible else ""
        sections.setdefault(section, []).append(page)
    unknown: set[str] = st.session_state.setdefault(UNKNOWN_PATHS_KEY, set())
    if asked and asked not in KNOWN_PATHS and "/" not in asked:
        unknown.add(asked)  # remembered, so reruns on that page (login, cookie) stay on it
    if by_path:
        sections[""].append(
            st.Page(
                _to_default,
                title=DEFAULT_TITLE,
                url_path=DEFAULT_SHIM_PATH,
                default=True,
                visibility="hidden",
            )
        )
    for path in sorted(unknown):
        sections[""].append(
            st.Page(_not_found, title="Page not found", url_path=path, visibility="hidden")
        )
    return sections
