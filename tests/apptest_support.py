"""Driving the page under Streamlit's AppTest, its model a scripted server on loopback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from streamlit_agent.web.identity import BROWSER_KEY

APP = str(Path(__file__).resolve().parents[1] / "streamlit_agent" / "app.py")
# AppTest sends no cookies, so each AppTest would be a new anonymous browser; tests that
# reopen a conversation in a new session act for this one instead.
OWNER = "anon:apptest-browser"


def start(thread: str | None = None, owner: str = OWNER) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[BROWSER_KEY] = owner
    if thread:
        at.query_params["thread"] = thread
    return at.run()


def thread_of(at: AppTest) -> str:
    """The open conversation's id: in the URL once used, else the session's new chat."""
    return at.query_params.get("thread") or at.session_state["draft_thread_id"]


_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """Markdown text as a reader sees it: the page escapes untrusted punctuation."""
    return _ESCAPE.sub(r"\1", markdown)


def opened(at: AppTest, key: str) -> AppTest:
    """Open a panel or popover drawn only while open (what a click on it does)."""
    at.session_state[key] = True
    return at.run()


def ask(at: AppTest, text: str) -> AppTest:
    at.chat_input[0].set_value(text)
    return at.run()


def texts(at: AppTest) -> list[str]:
    """What each chat bubble says, its markdown and captions joined; collapsed steps and
    thoughts (expanders) left out."""
    out = []
    for message in at.chat_message:
        folded = {id(m) for e in message.expander for m in e.markdown}
        said = [m.value for m in message.markdown if id(m) not in folded]
        parts = said + [e.value for e in message.error]
        out.append(shown(" ".join(parts)))
    return out


def step_labels(at: AppTest) -> list[str]:
    """The labels of the steps drawn in the chat (the sidebar has expanders of its own)."""
    return [shown(e.label) for e in at.main.expander]


def step_output(step: Any) -> str:
    """What a drawn step shows under its Output (or Error) heading."""
    body = "\n".join(m.value for m in step.markdown)
    _, found, output = body.partition("**Output**" if "**Output**" in body else "**Error**")
    assert found, f"no output in the step: {body!r}"
    return output.strip().strip("`").strip()
