"""Faults and bad input, through the real page (AppTest) and a scripted model on loopback.

README "What happens when things go wrong" lists each case; those tested elsewhere:
stop and new-message interrupts, HTML from the model and keys kept off the page in the
browser tests, huge calculator input in test_calculator.py, and the store side of
unicode and outages in test_store.py.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from langchain_core.messages import AIMessage, HumanMessage
from streamlit.testing.v1 import AppTest

from streamlit_agent.conversation.export import export_json, export_markdown
from streamlit_agent.store.database import ConversationStore
from tests.apptest_support import OWNER, ask, start, step_labels, step_output, texts, thread_of
from tests.pg_support import PG_URL, pg_admin
from tests.scripted_openai import Reply


def stored(tmp_path: Path, thread: str) -> list[Any]:
    store = ConversationStore(f"sqlite:///{tmp_path / 'chat.db'}")
    try:
        return store.load_messages(OWNER, thread)
    finally:
        store.close()


def errors(at: AppTest) -> list[str]:
    return [e.value for m in at.chat_message for e in m.error]


def retry_buttons(at: AppTest) -> list[Any]:
    return [b for b in at.button if b.key and b.key.startswith("retry-")]


def no_traceback(at: AppTest) -> None:
    assert not at.exception
    page = " ".join(texts(at) + [w.value for w in at.warning] + [e.value for e in at.error])
    assert "Traceback" not in page and 'File "' not in page


# --- the model provider fails ----------------------------------------------------


def test_rate_limit_is_retried_then_explained_with_retry_and_the_question_kept(
    app_env: Any, tmp_path: Path
) -> None:
    at = ask(start(), "[fault:429] Hello there")
    no_traceback(at)
    # One request and the client's two retries (with backoff) before giving up.
    assert len(app_env.requests) == 3
    [error] = errors(at)
    assert "rate-limiting" in error and "Retry" in error
    assert len(retry_buttons(at)) == 1
    messages = stored(tmp_path, thread_of(at))
    assert [type(m) for m in messages] == [HumanMessage, AIMessage]
    assert messages[0].content == "[fault:429] Hello there"
    assert messages[1].response_metadata["status"] == "error"


def test_server_error_gives_a_plain_reason_and_retry(app_env: Any) -> None:
    at = ask(start(), "[fault:500] Hello")
    no_traceback(at)
    [error] = errors(at)
    assert "HTTP 500" in error and "Press Retry" in error
    assert len(retry_buttons(at)) == 1


def test_connection_refused_names_the_base_url(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit_agent.models.bundled.server import free_port

    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    at = ask(start(), "Hello")
    no_traceback(at)
    [error] = errors(at)
    assert "Could not connect to the model server" in error and "OPENAI_BASE_URL" in error
    assert len(retry_buttons(at)) == 1


def test_a_hanging_model_times_out_and_the_app_keeps_answering(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_REQUEST_TIMEOUT", "1")
    at = ask(start(), "[fault:hang] Hello")
    no_traceback(at)
    [error] = errors(at)
    assert "did not answer in time" in error and "STREAMLIT_AGENT_REQUEST_TIMEOUT" in error
    at = ask(at, "My name is Ada")
    assert "Nice to meet you, Ada!" in texts(at)[-1]


# --- the model misbehaves ------------------------------------------------------


def test_malformed_tool_call_json_is_fed_back_and_the_step_shows_it(
    app_env: Any,
) -> None:
    at = ask(start(), "[fault:badjson] add one and one")
    no_traceback(at)
    [label] = step_labels(at)
    assert label.startswith("⚠️ calculator")
    step = at.main.expander[0]
    assert "not valid JSON" in step_output(step)
    # The model received the problem as the result of its call and answered from it.
    last_request = app_env.requests[-1]["messages"]
    assert last_request[-1]["role"] == "tool"
    assert "not valid JSON" in last_request[-1]["content"]
    assert "not valid JSON" in texts(at)[-1]


def test_unknown_tool_name_is_fed_back_and_the_step_shows_it(app_env: Any) -> None:
    at = ask(start(), "[fault:unknown_tool] do something")
    no_traceback(at)
    assert any(label.startswith("⚠️ no_such_tool") for label in step_labels(at))
    answer = texts(at)[-1]
    assert "no_such_tool is not a valid tool" in answer and "calculator" in answer


def test_a_looping_agent_stops_after_max_iterations(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_MAX_ITERATIONS", "3")
    at = ask(start(), "[fault:loop] go")
    no_traceback(at)
    assert "Stopped after 3 steps without a final answer" in texts(at)[-1]
    # Counted on the page as drawn from the store: AppTest's tree keeps the live turn's
    # steps beside the stored turn drawn over them (a browser shows only the latter).
    assert len(step_labels(at.run())) == 3


def test_a_looping_agent_stops_at_the_run_time_limit(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_MAX_ITERATIONS", "1000")
    monkeypatch.setenv("STREAMLIT_AGENT_MAX_RUN_SECONDS", "1")
    at = ask(start(), "[fault:loop] go")
    no_traceback(at)
    steps = len(step_labels(at))
    assert 1 <= steps < 1000  # the steps that finished are kept
    captions = " ".join(c.value for c in at.main.caption)
    assert "Stopped at the time limit of 1 s" in captions


def test_history_is_trimmed_to_the_token_budget_before_sending(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A turn here is about 190 tokens (four characters a token): one fits in 300.
    monkeypatch.setenv("STREAMLIT_AGENT_HISTORY_TOKENS", "300")
    at = start()
    for n in range(1, 5):
        at = ask(at, f"Turn {n}: " + "words " * 60)
    at = ask(at, "echo history")
    sent = app_env.requests[-1]["messages"]
    users = [m["content"] for m in sent if m["role"] == "user"]
    assert users[-1] == "echo history"
    assert not any(u.startswith(("Turn 1:", "Turn 2:", "Turn 3:")) for u in users)
    assert any(u.startswith("Turn 4:") for u in users)
    # Trimmed for the model only: every turn is still on the page and in the store.
    assert sum(t.startswith("Turn ") for t in texts(at)) == 4
    assert len([m for m in stored(tmp_path, thread_of(at)) if isinstance(m, HumanMessage)]) == 5


def test_context_refused_by_the_provider_is_explained_and_nothing_is_lost(
    app_env: Any, tmp_path: Path
) -> None:
    at = ask(start(), "My name is Ada")
    at = ask(at, "[fault:context] a very long question")
    no_traceback(at)
    [error] = errors(at)
    assert "too long for the model's context window" in error
    messages = stored(tmp_path, thread_of(at))
    assert [m.content for m in messages if isinstance(m, HumanMessage)] == [
        "My name is Ada",
        "[fault:context] a very long question",
    ]


# --- a tool's backend fails ------------------------------------------------------


@pytest.mark.parametrize("backend", ["tests.fake_search:failing_backend", "no_such_module:nothing"])
def test_search_failure_is_one_sentence_and_the_answer_continues(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_SEARCH_BACKEND", backend)
    at = ask(start(), "search for streamlit release notes")
    no_traceback(at)
    [label] = step_labels(at)
    assert label.startswith("🛠️ web_search")
    assert "Web search is unavailable" in step_output(at.main.expander[0])
    assert texts(at)[-1].startswith("The web_search returned: Web search is unavailable")


# --- retry ----------------------------------------------------------------------


def test_retry_leaves_exactly_one_question_and_one_answer(app_env: Any, tmp_path: Path) -> None:
    failure = Reply.failure(500, "Temporary trouble.")
    app_env.enqueue(failure, failure, failure)  # the first try and both client retries
    at = ask(start(), "My name is Ada")
    assert len(errors(at)) == 1
    retry_buttons(at)[0].click()
    at.run()
    no_traceback(at)
    assert errors(at) == [] and retry_buttons(at) == []
    assert texts(at) == ["My name is Ada", "Nice to meet you, Ada!"]
    messages = stored(tmp_path, thread_of(at))
    assert [(type(m), m.content) for m in messages] == [
        (HumanMessage, "My name is Ada"),
        (AIMessage, "Nice to meet you, Ada!"),
    ]
    assert [m for m in at.session_state["langchain_messages"]] == messages


# --- unusual input -----------------------------------------------------------


def test_a_100k_character_message_is_refused_with_a_reason(app_env: Any, tmp_path: Path) -> None:
    at = ask(start(), "x" * 100_000)
    no_traceback(at)
    refusal = " ".join(e.value for e in at.main.error)
    assert "100,000 characters" in refusal and "limit is 20,000" in refusal
    assert app_env.requests == [] and stored(tmp_path, thread_of(at)) == []
    at = ask(at, "My name is Ada")
    assert texts(at) == ["My name is Ada", "Nice to meet you, Ada!"]


def test_unicode_round_trips_through_the_page_history_and_store(
    app_env: Any, tmp_path: Path
) -> None:
    question = "emoji 🤖👩‍👩‍👧 RTL مرحبا שלום CJK 你好，世界 NUL a\x00b"
    at = ask(start(), question)
    no_traceback(at)
    assert texts(at)[0] == question
    assert texts(at)[1] == f"You said: {question}"
    assert app_env.requests[-1]["messages"][-1]["content"] == question
    assert [m.content for m in stored(tmp_path, thread_of(at))] == [
        question,
        f"You said: {question}",
    ]
    again = start(thread_of(at))  # a new session reads it back from the store
    assert texts(again) == [question, f"You said: {question}"]


def test_lone_surrogates_from_the_model_are_shown_replaced_and_stored_as_sent(
    app_env: Any, tmp_path: Path
) -> None:
    # The browser cannot send a lone surrogate (the page speaks UTF-8), but a model or a
    # tool can return one; the page must still draw, and the store keep what came.
    answer = "broken text \ud800 and \udfff end"
    app_env.enqueue(Reply.text(answer))
    at = ask(start(), "Say something odd")
    no_traceback(at)
    assert texts(at)[-1] == "broken text \ufffd and \ufffd end"
    assert stored(tmp_path, thread_of(at))[-1].content == answer
    again = start(thread_of(at))
    no_traceback(again)
    assert texts(again)[-1] == "broken text \ufffd and \ufffd end"
    # The page drew its export buttons; their files are UTF-8 (JSON keeps the text exactly).
    messages = stored(tmp_path, thread_of(at))
    assert "broken text \ufffd and \ufffd end" in export_markdown(None, messages)
    exported = export_json(None, messages)
    exported.encode("utf-8")
    assert json.loads(exported)["messages"][-1]["data"]["content"] == answer


# --- the store fails ------------------------------------------------------------


def test_corrupt_store_warns_chat_continues_and_writes_land_once_it_is_back(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not a database " * 200)
    monkeypatch.setenv("STREAMLIT_AGENT_DB_URL", f"sqlite:///{db}")
    at = ask(start(), "My name is Ada")
    no_traceback(at)
    assert texts(at) == ["My name is Ada", "Nice to meet you, Ada!"]
    banner = " ".join(w.value for w in at.main.warning)
    assert "not being saved right now" in banner
    at = ask(at, "What is 6 * 7?")
    assert texts(at)[-1] == "The calculator returned: 42."
    # Away and back while the store is down: the waiting messages show once each.
    thread = thread_of(at)
    at.sidebar.button[0].click().run()  # New chat
    assert texts(at) == []
    at.query_params["thread"] = thread
    at.run()
    assert texts(at) == [
        "My name is Ada",
        "Nice to meet you, Ada!",
        "What is 6 * 7?",
        "The calculator returned: 42.",
    ]

    db.unlink()  # the operator replaces the broken file
    at.run()
    assert not any("not being saved" in w.value for w in at.main.warning)
    store = ConversationStore(f"sqlite:///{db}")
    stored_messages = store.load_messages(OWNER, thread)
    store.close()
    assert [m.content for m in stored_messages if not getattr(m, "tool_calls", None)] == [
        "My name is Ada",
        "Nice to meet you, Ada!",
        "What is 6 * 7?",
        "42",
        "The calculator returned: 42.",
    ]
    assert len(stored_messages) == len({m.id for m in stored_messages}) == 6


@pytest.fixture
def pg_database() -> Iterator[tuple[str, sa.Engine]]:
    """A database of its own on the local PostgreSQL, dropped afterwards."""
    admin = pg_admin(isolation_level="AUTOCOMMIT")
    name = f"sa_down_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, admin
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _take_down(admin: sa.Engine, name: str, down: bool) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not down).lower()}'))
        if down:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )


def test_database_going_down_mid_chat_loses_nothing(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, pg_database: tuple[str, sa.Engine]
) -> None:
    url, admin = pg_database
    name = sa.make_url(url).database or ""
    monkeypatch.setenv("STREAMLIT_AGENT_DB_URL", url)
    at = ask(start(), "My name is Ada")
    assert not any("not being saved" in w.value for w in at.main.warning)

    _take_down(admin, name, down=True)
    at = ask(at, "What is 6 * 7?")
    no_traceback(at)
    assert "not being saved right now" in " ".join(w.value for w in at.main.warning)
    assert texts(at)[-1] == "The calculator returned: 42."

    _take_down(admin, name, down=False)
    at.run()
    assert not any("not being saved" in w.value for w in at.main.warning)
    store = ConversationStore(url)
    messages = store.load_messages(OWNER, thread_of(at))
    store.close()
    assert [m.content for m in messages if isinstance(m, HumanMessage)] == [
        "My name is Ada",
        "What is 6 * 7?",
    ]
    assert messages[-1].content == "The calculator returned: 42."
    assert len(messages) == len({m.id for m in messages}) == 6


# --- the model cannot be reached as configured -------------------------------


def test_missing_bundled_model_names_the_fix(
    nothing_configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_LOCAL_MODEL", str(nothing_configured / "gone.gguf"))
    at = start()
    # The model loads in the background from the first page on; the sidebar says how it went.
    for _ in range(20):
        captions = " ".join(c.value for c in at.sidebar.caption)
        if "could not start" in captions:
            break
        time.sleep(0.1)
        at.run()
    assert "could not start" in captions
    at = ask(at, "Hello")
    no_traceback(at)
    [error] = errors(at)
    assert "STREAMLIT_AGENT_LOCAL_MODEL" in error and "which is missing" in error
    assert "OPENAI_API_KEY" in error
    assert len(retry_buttons(at)) == 1


@pytest.mark.parametrize(
    ("status", "setting", "phrase"),
    [
        (401, "OPENAI_API_KEY", "rejected the API key"),
        (404, "STREAMLIT_AGENT_MODEL", "does not know this model"),
    ],
)
def test_wrong_key_or_unknown_model_names_the_setting(
    app_env: Any, status: int, setting: str, phrase: str
) -> None:
    app_env.enqueue(Reply.failure(status, "Nope.", type="invalid_request_error"))
    at = ask(start(), "Hello")
    no_traceback(at)
    [error] = errors(at)
    assert phrase in error and setting in error
    assert len(app_env.requests) == 1  # not retried: retrying cannot help


def test_a_bad_base_url_is_named_in_the_sidebar_and_chat_stays_usable(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "localhost:11434")
    at = start()
    sidebar_errors = " ".join(e.value for e in at.sidebar.error)
    assert "OPENAI_BASE_URL is not an http(s) URL" in sidebar_errors
    at = ask(at, "Hello")
    no_traceback(at)
    assert len(errors(at)) == 1
