"""Hostile text in a real browser never freezes the server (issue 19, finding 1).

A message, and an answer repeating it, that made the old Markdown rewrite backtrack held
the GIL for seconds: every session on the server stopped, health checks included. Here a
thread polls the app's health endpoint the whole time and no poll may wait a second.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.e2e_support import (
    AppProcess,
    chat_messages,
    http_get,
    model_env,
    send_chat,
    wait_for_app,
)
from tests.scripted_openai import Reply, ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_WAIT_S = 1.0
# Each took the old rewrite seconds per call (13 s, 4 s, 7 s), and a streamed answer is
# rewritten once per chunk drawn. All are within the app's 20,000-character limit.
PAYLOADS = [
    "[a]:" + " " * 400 + "(",
    "[a](" + " " * 19_990 + "x",
    "[a]:" * 600,
]


@contextmanager
def health_polled(app: AppProcess) -> Iterator[list[float]]:
    """Polls /_stcore/health until the block ends; yields each poll's wait in seconds."""
    waits: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            start = time.monotonic()
            # A refused or timed-out poll still counts as the time it waited.
            with contextlib.suppress(OSError):
                http_get(f"{app.url}/_stcore/health", timeout=30)
            waits.append(time.monotonic() - start)
            done.wait(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield waits
    finally:
        done.set()
        poller.join(timeout=60)


def test_pathological_messages_and_answers_never_stall_the_server(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    app = app_factory(model_env(scripted_model))
    page.goto(app.url)
    wait_for_app(page)
    with health_polled(app) as waits:
        for number, payload in enumerate(PAYLOADS):
            scripted_model.enqueue(Reply.text(payload))  # the answer repeats the message
            send_chat(page, payload, timeout_ms=180_000)
            texts = chat_messages(page)
            assert len(texts) == 2 * (number + 1)
            assert texts[-1].startswith("[a]")  # the answer is drawn, as text
    assert len(waits) > 10, waits  # the poller ran throughout
    assert max(waits) < MAX_WAIT_S, sorted(waits)[-5:]
