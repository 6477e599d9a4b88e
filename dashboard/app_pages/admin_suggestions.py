"""Admin → Suggestions: what writing members' suggestions cost (tokens, estimated dollars) and
how they are written (model, token limit, monthly budget)."""

from __future__ import annotations

from dashboard.admin_page import admin_page
from dashboard.components.suggestion_admin import show_suggestion_admin

ctx, actor = admin_page("Suggestions", "One suggestion per member and month; cached by inputs.")
show_suggestion_admin(ctx, actor)
