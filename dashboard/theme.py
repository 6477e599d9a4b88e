"""How the dashboard looks: a warm default theme, a cool motion-free alternative, and charts
readable by colour-blind people.

The warm theme is the server's Streamlit theme (``server_theme_flags``: ``dashboard.run``
passes them as ``--theme.*`` flags, so no ``.streamlit/config.toml`` in the working directory
is needed); its categorical chart colours are Okabe–Ito. Streamlit cannot switch the server
theme per viewer, so the cool alternative is a stylesheet laid over it, chosen with a sidebar
toggle remembered for the session. Every page honours the browser's ``prefers-reduced-motion``
(no transitions or animations); the cool theme turns motion off whatever the browser says.

No Streamlit import at module level: ``dashboard.run`` (the server launcher) reads the flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")
COOL_THEME_KEY = "aispend_cool_theme"
COOL_THEME_LABEL = "Cool, motion-free theme"


@dataclass(frozen=True)
class Palette:
    primary: str
    background: str
    panel: str  # sidebar, cards
    text: str
    border: str


WARM = Palette("#C2571A", "#FFFAF3", "#F6EDE1", "#2F2A24", "#E6DED3")
COOL = Palette("#0072B2", "#F4F7FA", "#E6EDF3", "#1D2733", "#CBD6E0")

_NO_MOTION = (
    "*, *::before, *::after { animation: none !important; transition: none !important; "
    "scroll-behavior: auto !important; }"
)
REDUCED_MOTION_CSS = f"@media (prefers-reduced-motion: reduce) {{ {_NO_MOTION} }}"


def server_theme_flags(palette: Palette = WARM) -> list[str]:
    """``streamlit run`` flags for the server's (default, warm) theme."""
    return [
        "--theme.base", "light",
        "--theme.primaryColor", palette.primary,
        "--theme.backgroundColor", palette.background,
        "--theme.secondaryBackgroundColor", palette.panel,
        "--theme.textColor", palette.text,
        "--theme.borderColor", palette.border,
        "--theme.chartCategoricalColors", json.dumps(list(OKABE_ITO)),
    ]  # fmt: skip


def _cool_css(p: Palette = COOL) -> str:
    return (
        f".stApp, [data-testid='stHeader'] {{ background-color: {p.background} !important; "
        f"color: {p.text}; }}\n"
        f"[data-testid='stSidebar'] {{ background-color: {p.panel} !important; }}\n"
        f".stApp h1, .stApp h2, .stApp h3, .stApp p, .stApp label {{ color: {p.text}; }}\n"
        f".stApp .aispend-vendor-card {{ border-color: {p.border} !important; }}\n"
        f".stApp button[kind='primary'], .stApp button[kind='primaryFormSubmit'] "
        f"{{ background-color: {p.primary} !important; border-color: {p.primary} !important; }}\n"
        f".stApp button[kind^='secondary'], .stApp button[kind^='segmented_control'] "
        f"{{ background-color: #FFFFFF !important; border-color: {p.border} !important; }}\n"
        f".stApp button[kind$='Active'] {{ color: {p.primary} !important; "
        f"border-color: {p.primary} !important; }}\n"
        f"[data-testid='stSidebarNavLink'][aria-current='page'] "
        f"{{ background-color: {p.border} !important; }}\n"
        f".stApp :is([data-testid='stSelectbox'], [data-testid='stTextInput'], "
        f"[data-testid='stNumberInput'], [data-testid='stDateInput']) div "
        f"{{ background-color: #FFFFFF !important; }}\n"
        f"{_NO_MOTION}"
    )


def stylesheet(cool: bool) -> str:
    """The CSS laid over the server theme: reduced motion always honoured; the cool theme."""
    return REDUCED_MOTION_CSS + ("\n" + _cool_css() if cool else "")


def apply_theme() -> None:
    """Inject this session's stylesheet (call once per run, before the page draws)."""
    import streamlit as st

    st.html(f"<style>{stylesheet(bool(st.session_state.get(COOL_THEME_KEY)))}</style>")


def theme_toggle() -> None:
    """The sidebar switch between the warm and the cool theme, remembered for the session."""
    import streamlit as st

    st.toggle(
        COOL_THEME_LABEL,
        key=COOL_THEME_KEY,
        help="Cooler colours and no animations (motion is also off whenever your system asks "
        "for reduced motion).",
    )
