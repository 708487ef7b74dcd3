"""The sidebar search under Streamlit's AppTest, its model a scripted server on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from streamlit_agent.store.database import ConversationStore, StoreError
from streamlit_agent.web.ui.sidebar import SEARCH_KEY
from tests.apptest_support import ask, shown, start, thread_of


def _search(at: Any, query: str) -> Any:
    at.sidebar.text_input(key=SEARCH_KEY).set_value(query)
    return at.run()


def _hits(at: Any) -> list[Any]:
    return [b for b in at.sidebar.button if b.label.startswith("🔎")]


def test_a_result_opens_its_conversation_at_the_message(app_env: Any) -> None:
    first = ask(start(), "Where do quokkas live?")
    thread = thread_of(first)
    ask(first, "My name is Ada")

    question = first.session_state["langchain_messages"][0]

    at = _search(start(), "quokkas")  # a new session: the store finds it
    assert not at.exception
    hits = _hits(at)
    assert {shown(h.label) for h in hits} == {"🔎 Where do quokkas live?"}
    captions = shown(" ".join(c.value for c in at.sidebar.caption))
    assert "You: Where do quokkas live?" in captions
    at.sidebar.button(key=f"search-hit-{thread}-{question.id}").click()
    at = at.run()
    assert at.query_params["thread"] == thread
    assert at.query_params["message"] == question.id
    assert any("Found by your search" in c.value for c in at.caption)
    assert any(b.label.startswith("⬇️ Show 1 later turn") for b in at.button)


def test_nothing_found_and_a_store_that_is_down_are_said_plainly(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _search(ask(start(), "Where do quokkas live?"), 'NEAR("*')
    assert not at.exception
    assert any("Nothing found for" in c.value for c in at.sidebar.caption)

    def down(*args: Any, **kwargs: Any) -> None:
        raise StoreError("The conversation store at sqlite:///secret/path is unavailable")

    monkeypatch.setattr(ConversationStore, "search", down)
    at = _search(at, "quokkas")
    assert not at.exception
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Search is unavailable while the store is down." in captions
    assert "secret/path" not in captions
