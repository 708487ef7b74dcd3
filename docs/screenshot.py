"""Take README's screenshot from a real run: the app on the bundled model, in Chromium.

    .venv/bin/python docs/screenshot.py            # writes docs/screenshot.png

Nothing is staged: the app starts with no key, so the bundled SmolLM2 answers.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e_support import (  # noqa: E402
    AppProcess,
    launch_chromium,
    send_chat,
    start_playwright,
    wait_for_app,
)

QUESTIONS = ["What is 37 * 41?"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = AppProcess({"STREAMLIT_AGENT_DB_URL": f"sqlite:///{tmp}/shot.db"}, log_dir=tmp)
        app.startup_timeout = 120
        with app:
            playwright = start_playwright()
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(app.url)
            wait_for_app(page, timeout_ms=180_000)
            for question in QUESTIONS:
                send_chat(page, question, timeout_ms=180_000)
            # Open the first step so the picture shows a tool's input and output.
            page.locator('[data-testid="stExpander"] summary').first.click()
            page.wait_for_timeout(500)
            page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))
            browser.close()
            playwright.stop()
    print("wrote docs/screenshot.png")


if __name__ == "__main__":
    main()
