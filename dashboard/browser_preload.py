"""The sign-in page has the browser load the code of the page that follows while the user types;
every page load starts on the sign-in form's code at once (``form_preload_script``).

Streamlit's frontend loads the code of each kind of element (a chart, a dataframe, a metric…)
the first time one arrives. In a fresh browser that made a cold sign-in wait ≈ 0.5-1 s after
the server had sent the page: fetching and evaluating Vega and about 80 other modules before
the chart could be drawn (measured on the issue 8 benchmark, 2 shared cores). The sign-in page
imports those modules once the browser is idle, from the same addresses Streamlit imports them
from, so they are already evaluated when the page's elements arrive. Nothing is drawn; a name
this Streamlit's build does not have is skipped.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import streamlit as st

STATIC_JS = Path(st.__file__).parent / "static" / "static" / "js"
# The frontend modules of what the pages draw (a bundle file is "<name>.<hash>.js"): charts,
# tables, metrics, the month selectbox, the view switch, buttons, toggles, the login cookie's
# component and markdown with HTML. Each imports what it needs.
ELEMENTS = (
    "ArrowVegaLiteChart",
    "loadVegaEmbed",
    "DataFrame",
    "Metric",
    "Selectbox",
    "ButtonGroup",
    "Button",
    "Checkbox",
    "ComponentInstance",
    "rehype-raw",
)

# What the sign-in page draws beyond Streamlit's main bundle: the stylesheet's st.html and the
# form's text inputs. Streamlit fetches their code only once the first of them arrives over the
# websocket, ≈ 0.1-0.2 s before the form could show (measured, issue 8 benchmark).
FORM_ELEMENTS = ("Html", "TextInput")


@cache
def bundle_files(
    directory: Path = STATIC_JS, elements: tuple[str, ...] = ELEMENTS
) -> tuple[str, ...]:
    """The bundle files of ``elements`` in this Streamlit's build."""
    if not directory.is_dir():
        return ()
    names = {p.name for p in directory.glob("*.js")}
    return tuple(
        name
        for element in elements
        for name in sorted(names)
        if re.fullmatch(rf"{re.escape(element)}\.[A-Za-z0-9_-]+\.js", name)
    )


def form_preload_script() -> str:
    """For Streamlit's index.html: a module script importing the sign-in form's code while the
    main bundle loads (cached after the first page load; an import of a missing file is
    ignored)."""
    files = bundle_files(elements=FORM_ELEMENTS)
    return (
        f'<script type="module">for (const f of {json.dumps(list(files))}) '
        'import(new URL("./static/js/" + f, document.baseURI).href).catch(() => {});</script>'
    )


LOADED_FLAG = "aispendPageCodeLoaded"  # set on window once every import has settled


def preload_script(files: tuple[str, ...]) -> str:
    """A script importing ``files`` from Streamlit's static/js once the browser is idle; each
    import settles once its module and everything it imports are loaded and evaluated."""
    return (
        "<script>(window.requestIdleCallback || setTimeout)(() => {"
        f"Promise.allSettled({json.dumps(list(files))}.map((f) => "
        'import(new URL("./static/js/" + f, document.baseURI).href)))'
        f".then(() => {{ window.{LOADED_FLAG} = true; }});"
        "});</script>"
    )


def preload_page_code() -> None:
    """Draw nothing; have the browser load the pages' element code in the background."""
    files = bundle_files()
    if files:
        st.html(preload_script(files), unsafe_allow_javascript=True)
