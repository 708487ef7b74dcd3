"""Shared-deployment safeguards through the page (AppTest): per-user limits that hold across
app instances, unreadable stored rows, and store banners that name nothing of the setup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from langchain_core.messages import AIMessage, HumanMessage

from streamlit_agent.store.database import ConversationStore
from streamlit_agent.store.schema import messages
from tests.apptest_support import OWNER, ask, start, texts, thread_of


def _errors(at: Any) -> list[str]:
    return [e.value for m in at.chat_message for e in m.error]


def _store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(f"sqlite:///{tmp_path / 'chat.db'}")


def test_messages_per_minute_hold_across_sessions_and_keep_the_refused_question(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_MESSAGES_PER_MINUTE", "2")
    first = ask(start(), "My name is Ada")
    # A second session of the same person (another tab, or another app instance on the
    # same database) counts against the same limit.
    second = ask(start(), "What is 6 * 7?")
    assert texts(second)[-1] == "The calculator returned: 42."
    requests_before = len(app_env.requests)
    second = ask(second, "What is my name?")
    [refusal] = _errors(second)
    assert "2 messages in the last minute" in refusal and "the limit is 2" in refusal
    assert len(app_env.requests) == requests_before  # the model was not asked
    assert [b for b in second.button if b.key and b.key.startswith("retry-")]
    stored = _store(tmp_path).load_messages(OWNER, thread_of(second))
    assert [m.content for m in stored if isinstance(m, HumanMessage)] == [
        "What is 6 * 7?",
        "What is my name?",  # nothing lost: the question waits with Retry
    ]
    # Someone else is not limited by it.
    other = ask(start(owner="anon:another-browser"), "My name is Grace")
    assert texts(other)[-1] == "Nice to meet you, Grace!"
    assert texts(first)[-1] == "Nice to meet you, Ada!"


def test_daily_token_budget_applies_when_the_servers_key_pays(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_DAILY_TOKENS", "50")
    at = ask(start(), "My name is Ada " + "and more words " * 20)
    assert _errors(at) == []
    at = ask(at, "What is 6 * 7?")
    [refusal] = _errors(at)
    assert "today's budget of 50 tokens" in refusal


def test_an_unreadable_stored_message_is_skipped_with_a_notice(
    app_env: Any, tmp_path: Path
) -> None:
    at = ask(start(), "My name is Ada")
    at = ask(at, "What is 6 * 7?")
    thread = thread_of(at)
    store = _store(tmp_path)
    first_answer = store.load_messages(OWNER, thread)[1]
    assert isinstance(first_answer, AIMessage)
    with store.engine.begin() as conn:
        conn.execute(
            messages.update().where(messages.c.id == first_answer.id).values(payload="{broken")
        )

    again = start(thread)
    notice = " ".join(w.value for w in again.main.warning)
    assert "could not be read: 1" in notice
    assert "not being saved" not in notice
    assert texts(again)[0] == "My name is Ada"
    assert texts(again)[-1] == "The calculator returned: 42."
    again = ask(again, "My name is Grace")
    assert texts(again)[-1] == "Nice to meet you, Grace!"
    assert store.load_messages(OWNER, thread)[-1].content == "Nice to meet you, Grace!"


def test_the_store_banner_names_no_host_user_or_password(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql+psycopg://agent:hunter2@127.0.0.1:1/chats?password=hunter3"
    monkeypatch.setenv("STREAMLIT_AGENT_DB_URL", url)
    at = ask(start(), "My name is Ada")
    assert texts(at) == ["My name is Ada", "Nice to meet you, Ada!"]
    page = " ".join(w.value for w in at.warning) + " ".join(e.value for e in at.error)
    assert "not being saved right now" in page
    for secret in ("hunter2", "hunter3", "agent", "127.0.0.1", ":1/"):
        assert secret not in page, secret


def test_a_conversation_id_from_the_url_is_never_adopted(app_env: Any, tmp_path: Path) -> None:
    at = start("made-up-id")
    assert "Conversation not found" in " ".join(e.value for e in at.main.error)
    assert not at.chat_input
    with _store(tmp_path).engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM conversations")).scalar() == 0
