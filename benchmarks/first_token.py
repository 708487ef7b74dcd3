"""First token: milliseconds from the model sending an answer's first token to that token
being visible in the browser.

The scripted model waits `--gap` seconds after the first chunk, so the first token is on
screen alone; the server notes when it wrote that chunk, the page when the text showed
(both on this machine's wall clock).

    .venv/bin/python -m benchmarks.first_token [--turns 8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.e2e_support import (
    AppProcess,
    as_anonymous_browser,
    launch_chromium,
    send_chat,
    start_playwright,
    wait_for_app,
    wait_for_idle,
)
from tests.scripted_openai import Reply, ScriptedOpenAI

# Notes (in window.__seenAt) the wall-clock time a word first shows in the last bubble.
WATCH_JS = """(word) => {
  window.__seenAt = null;
  const check = () => {
    const all = document.querySelectorAll('[data-testid="stChatMessage"]');
    const last = all[all.length - 1];
    if (last && last.innerText.includes(word)) {
      observer.disconnect();
      window.__seenAt = Date.now();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


class TimedModel(ScriptedOpenAI):
    """The scripted model, noting when it wrote each answer's first content chunk."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.first_chunk_at: list[float] = []

    def _chunks(self, body: dict[str, Any], reply: Reply) -> Iterator[dict[str, Any]]:
        noted = False
        for index, chunk in enumerate(super()._chunks(body, reply)):
            delta = (chunk.get("choices") or [{}])[0].get("delta") or {}
            if not noted and delta.get("content"):
                noted = True
                # The server pauses `chunk_delay` after taking a chunk (but the first) and
                # before writing it: that is when it is sent.
                self.first_chunk_at.append(time.time() + (self.chunk_delay if index else 0.0))
            yield chunk


def measure(turns: int, gap_s: float) -> list[float]:
    work = Path(tempfile.mkdtemp(prefix="first-token-"))
    delays_ms: list[float] = []
    with TimedModel(chunk_delay=gap_s) as model:
        env = {
            "OPENAI_BASE_URL": model.base_url,
            "STREAMLIT_AGENT_MODEL": "scripted-model",
            "STREAMLIT_AGENT_DB_URL": f"sqlite:///{work / 'c.db'}",
            "STREAMLIT_AGENT_MESSAGES_PER_MINUTE": "0",
            "STREAMLIT_AGENT_ANON_MESSAGES_PER_MINUTE": "0",  # all sessions together
        }
        with AppProcess(env, log_dir=work) as app:
            playwright = start_playwright()
            browser = launch_chromium(playwright)
            try:
                context = browser.new_context()
                as_anonymous_browser(context, app.url)
                page = context.new_page()
                page.goto(app.url)
                wait_for_app(page)
                for n in range(turns):
                    word = f"Firstword{n}"
                    model.enqueue(Reply.text(f"{word} and then the rest of the answer"))
                    page.evaluate(WATCH_JS, word)
                    send_chat(page, f"Say something, please ({n})", wait=False)
                    shown_at = page.wait_for_function("() => window.__seenAt").json_value() / 1000
                    delays_ms.append((shown_at - model.first_chunk_at[-1]) * 1000)
                    wait_for_idle(page)
            finally:
                browser.close()
                playwright.stop()
    return delays_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds after the first chunk")
    args = parser.parse_args()
    delays = measure(args.turns, args.gap)
    print("first token visible after the model sent it (ms):", [round(d) for d in delays])
    print(f"median {statistics.median(delays):.0f} ms, max {max(delays):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
