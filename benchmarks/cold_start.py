"""Cold start: seconds from `streamlit run` until the page takes a question (its chat box
is there), until the whole first page is drawn (the script has finished and the page is
idle), and until the bundled model (loading in the background meanwhile) is ready (seen
by reloading the page until its status line goes: coarse, the reloads are counted in).

    .venv/bin/python -m benchmarks.cold_start [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.e2e_support import (
    CHAT_INPUT,
    AppProcess,
    launch_chromium,
    start_playwright,
    wait_for_app,
)

READY_TEXT = "Loading the bundled model"


# Before the app's own scripts: the page's clock at its latest DOM change.
LAST_CHANGE_JS = """
window.__lastChange = performance.now();
new MutationObserver(() => { window.__lastChange = performance.now(); }).observe(
  document, {subtree: true, childList: true, characterData: true});
"""


def one_run(browser: object) -> tuple[float, float, float]:
    """(page takes a question, page drawn, bundled model ready), seconds after
    `streamlit run`."""
    work = Path(tempfile.mkdtemp(prefix="cold-start-"))
    app = AppProcess({"STREAMLIT_AGENT_DB_URL": f"sqlite:///{work / 'c.db'}"}, log_dir=work)
    began, began_epoch = time.monotonic(), time.time()
    app.start()  # returns once /_stcore/health answers
    try:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.add_init_script(LAST_CHANGE_JS)
        page.goto(app.url)
        page.locator(CHAT_INPUT).first.wait_for(state="visible", timeout=60_000)
        interactive = time.monotonic() - began
        wait_for_app(page)  # the script has ended and the page stayed still after it
        last_change = page.evaluate("performance.timeOrigin + window.__lastChange")
        drawn = last_change / 1000 - began_epoch
        sidebar = page.locator('[data-testid="stSidebar"]')
        while READY_TEXT in sidebar.inner_text() and time.monotonic() - began < 180:
            page.reload()  # the status line is drawn on each run of the page
            wait_for_app(page)
        return interactive, drawn, time.monotonic() - began
    finally:
        app.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    playwright = start_playwright()
    browser = launch_chromium(playwright)
    try:
        results = [one_run(browser) for _ in range(args.runs)]
    finally:
        browser.close()
        playwright.stop()
    for n, (page, drawn, model) in enumerate(results, 1):
        print(
            f"run {n}: page takes a question at {page:.2f} s, is drawn at {drawn:.2f} s; "
            f"bundled model at {model:.2f} s"
        )
    print(
        f"median: takes a question {statistics.median(r[0] for r in results):.2f} s, "
        f"drawn {statistics.median(r[1] for r in results):.2f} s, "
        f"model {statistics.median(r[2] for r in results):.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
