"""Cold start: seconds from `streamlit run` until the page takes a question (its chat box
is there), until the whole first page is drawn (the script has finished and the page is
idle), and until the bundled model (loading in the background meanwhile) is ready.

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
    wait_for_idle,
)

READY_TEXT = "Loading the bundled model"


# Seen by the page itself: when its script stopped running, the whole page being drawn.
DRAWN_JS = """
() => new Promise((resolve) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const check = () => {
    if (app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-testid="stSidebar"] h3')) {
      resolve(performance.timeOrigin + performance.now());
    } else {
      requestAnimationFrame(check);
    }
  };
  check();
})
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
        page.goto(app.url)
        page.locator(CHAT_INPUT).first.wait_for(state="visible", timeout=60_000)
        interactive = time.monotonic() - began
        drawn = page.evaluate(DRAWN_JS) / 1000 - began_epoch  # timed by the page's clock
        wait_for_idle(page)
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
