"""Driving the page under Streamlit's AppTest, its model a scripted server on loopback."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_agent" / "app.py")


def start(thread: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if thread:
        at.query_params["thread"] = thread
    return at.run()


def ask(at: AppTest, text: str) -> AppTest:
    at.chat_input[0].set_value(text)
    return at.run()


def texts(at: AppTest) -> list[str]:
    """What each chat bubble says, its markdown and captions joined."""
    out = []
    for message in at.chat_message:
        parts = [m.value for m in message.markdown] + [e.value for e in message.error]
        out.append(" ".join(parts))
    return out


def step_labels(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]
