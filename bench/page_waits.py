"""Waits in a page for the dashboard benchmarks, checked on every animation frame in the page
itself (``wait_for_function(..., polling="raf")``), and the browser-window settling that comes
before a cold page is opened. Used by bench/dashboard.py and the timeline diagnostics.
"""

from __future__ import annotations

import time

# In the page, on every animation frame: at least n elements matching a selector are visible
# (a box, not visibility:hidden: what Playwright calls visible), none is, or a text is shown.
VISIBLE = """([selector, n]) => [...document.querySelectorAll(selector)].filter((e) => {
  const box = e.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(e).visibility !== "hidden";
}).length >= n"""
NONE = "(selector) => document.querySelectorAll(selector).length === 0"
TEXT = "(text) => document.body.innerText.includes(text)"
WAIT_MS = 120_000


def settle_window(timeout_s: float = 10.0) -> None:
    """Wait until the browser UI of the window just opened has finished starting: the CPU time
    of this process's ``--top-chrome-webui`` renderers stays the same for 0.3 s."""
    import psutil

    def spent() -> float:
        total = 0.0
        for child in psutil.Process().children(recursive=True):
            try:
                if "--top-chrome-webui" in child.cmdline():
                    times = child.cpu_times()
                    total += times.user + times.system
            except psutil.Error:  # gone meanwhile
                continue
        return total

    deadline = time.monotonic() + timeout_s
    last = spent()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = spent()
        if now == last:
            return
        last = now


def until(page, predicate: str, arg: object) -> None:
    page.wait_for_function(predicate, arg=arg, polling="raf", timeout=WAIT_MS)


def shown(page, selector: str, count: int = 1) -> None:
    until(page, VISIBLE, [selector, count])


# The same wait, in the page's own clock: from the user's press on a control (the first
# pointerdown after ``arm_click``) to the frame that first shows the selector. Playwright's
# ``click`` first scrolls, waits for the target to hold still over two frames and checks what
# would receive the click (~100-200 ms measured here, before the page sees any press): a
# person's click has none of that, so this is the figure a person waits for.
ARM_CLICK = """() => { window.__aispendPress = null; window.__aispendShown = null;
  document.addEventListener("pointerdown", () => { window.__aispendPress ??= performance.now(); },
    {capture: true, once: true}); }"""
VISIBLE_MARKED = (
    """([selector, n]) => { const shown = ("""
    + VISIBLE
    + """)([selector, n]);
  if (shown && window.__aispendShown === null) window.__aispendShown = performance.now();
  return shown; }"""
)


def arm_click(page) -> None:
    page.evaluate(ARM_CLICK)


def pressed_to_shown(page) -> float:
    """Seconds from the armed press to the first frame ``VISIBLE_MARKED`` saw its selector
    shown, in the page's clock."""
    press, shown = page.evaluate("() => [window.__aispendPress, window.__aispendShown]")
    return (shown - press) / 1000
