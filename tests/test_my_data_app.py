""" "Your data" in the sidebar under Streamlit's AppTest: confirmation, outage, success."""

from __future__ import annotations

from typing import Any

import pytest

from streamlit_agent.store.database import ConversationStore, StoreError
from streamlit_agent.web.page_state import DATA_PANEL_KEY, DELETE_CONFIRM_KEY
from tests.apptest_support import ask, opened, start

PREPARE = "📦 Prepare export of all my data"
DELETE = "🗑️ Delete all my data"


def _button(at: Any, label: str) -> Any:
    return next(b for b in at.sidebar.button if b.label == label)


def _confirm(at: Any, word: str) -> Any:
    at.sidebar.text_input(key=DELETE_CONFIRM_KEY).set_value(word)
    return at.run()


def _listed(at: Any) -> list[str]:
    return [b.label for b in at.sidebar.button if b.key and b.key.startswith("open-")]


def test_delete_needs_the_word_and_then_leaves_a_new_empty_chat(app_env: Any) -> None:
    at = ask(opened(start(), DATA_PANEL_KEY), "My name is Ada")
    assert len(_listed(at)) == 1
    assert _button(at, DELETE).disabled
    at = _confirm(at, "delete")  # the word, exactly
    assert _button(at, DELETE).disabled
    at = _confirm(at, "DELETE")
    assert not _button(at, DELETE).disabled
    _button(at, DELETE).click()
    at = at.run()
    assert not at.exception
    assert next(s.value for s in at.success).startswith(
        "All your data was deleted: 1 conversation, 2 messages"
    )
    assert _listed(at) == [] and len(at.chat_message) == 0
    assert "thread" not in at.query_params
    at = opened(at, DATA_PANEL_KEY)  # the new page's panel: the word is not kept
    assert at.sidebar.text_input(key=DELETE_CONFIRM_KEY).value == ""
    at = at.run()  # said once
    assert len(at.success) == 0 and _listed(at) == []


def test_a_store_outage_says_so_and_deletes_nothing(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = ask(opened(start(), DATA_PANEL_KEY), "My name is Ada")

    def down(*args: Any, **kwargs: Any) -> None:
        raise StoreError("The conversation store at sqlite:///secret/path is unavailable")

    working = ConversationStore.export_all, ConversationStore.delete_all
    monkeypatch.setattr(ConversationStore, "export_all", down)
    monkeypatch.setattr(ConversationStore, "delete_all", down)
    _button(at, PREPARE).click()
    at = at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.sidebar.error)
    assert "cannot be exported right now: the database is unavailable" in errors
    assert not any(b.label.startswith("⬇️ Download all") for b in at.sidebar.get("download_button"))

    at = _confirm(at, "DELETE")
    _button(at, DELETE).click()
    at = at.run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "Nothing was deleted: the database is unavailable" in shown
    assert "secret/path" not in shown
    # Back up: everything is still there, and the export now has it.
    monkeypatch.setattr(ConversationStore, "export_all", working[0])
    monkeypatch.setattr(ConversationStore, "delete_all", working[1])
    at = at.run()
    assert len(_listed(at)) == 1 and len(at.chat_message) == 2
    _button(at, PREPARE).click()
    at = at.run()
    assert [b.label for b in at.sidebar.get("download_button")][-1].startswith("⬇️ Download all")
