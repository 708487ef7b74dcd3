"""The page under Streamlit's AppTest, its model a scripted server on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from streamlit_agent.web.page_state import DELETE_PANEL_PREFIX, RENAME_PANEL_PREFIX
from tests.apptest_support import (
    OWNER,
    ask,
    opened,
    shown,
    start,
    step_labels,
    step_output,
    texts,
    thread_of,
)


def test_sidebar_names_the_bundled_model_when_nothing_is_configured(
    nothing_configured: Path,
) -> None:
    at = start()
    assert not at.exception
    assert at.sidebar.selectbox[0].value.label == "Bundled local model: SmolLM2-135M-Instruct"
    assert any("SmolLM2-135M is tiny" in c.value for c in at.sidebar.caption)  # says what it is
    assert at.sidebar.text_input(key="user_openai_api_key").value == ""


def test_sidebar_names_the_compatible_server(app_env: Any) -> None:
    at = start()
    chosen = at.sidebar.selectbox[0].value
    assert chosen.label == f"OpenAI-compatible at {app_env.base_url} (scripted-model)"
    assert not any("SmolLM2-135M is tiny" in c.value for c in at.sidebar.caption)


def test_answer_and_steps_survive_reruns_and_later_turns(app_env: Any) -> None:
    at = start()
    at = ask(at, "What is 37 * 41?")
    assert not at.exception
    assert any("The calculator returned: 1517." in t for t in texts(at))

    at.run()  # a plain rerun redraws from history
    assert any("The calculator returned: 1517." in t for t in texts(at))
    labels = step_labels(at)
    assert any(label.startswith("🛠️ calculator") and "37 * 41" in label for label in labels)
    step = next(e for e in at.main.expander if e.label.startswith("🛠️ calculator"))
    assert step_output(step) == "1517"

    at = ask(at, "My name is Ada")
    at = ask(at, "What is my name?")
    bubbles = texts(at)
    assert any("Your name is Ada." in t for t in bubbles)
    assert any(label.startswith("🛠️ calculator") for label in step_labels(at))
    assert sum("The calculator returned: 1517." in t for t in bubbles) == 1


def test_conversation_is_restored_from_the_store_with_its_tool_calls(app_env: Any) -> None:
    first = ask(start(), "What is 6 * 7?")

    second = start(thread_of(first))  # a new session: only the store remembers
    assert any("The calculator returned: 42." in t for t in texts(second))
    assert any(label.startswith("🛠️ calculator") for label in step_labels(second))

    ask(second, "echo history")
    last_request = app_env.requests[-1]
    roles = [m["role"] for m in last_request["messages"]]
    assert roles[-5:] == ["user", "assistant", "tool", "assistant", "user"]
    tool_message = next(m for m in last_request["messages"] if m["role"] == "tool")
    assert tool_message["content"] == "42"


def test_whitespace_message_is_ignored_and_not_stored(app_env: Any) -> None:
    at = start()
    at = ask(at, "   \n  ")
    assert texts(at) == []
    assert app_env.requests == []


def test_thumbs_on_an_answer_are_stored_and_shown_again(app_env: Any, tmp_path: Path) -> None:
    from streamlit_agent.store.database import ConversationStore

    at = ask(start(), "My name is Ada")
    thread = thread_of(at)
    thumbs = at.get("feedback")
    assert len(thumbs) == 1
    thumbs[0].set_value(1).run()
    store = ConversationStore(f"sqlite:///{tmp_path / 'chat.db'}")
    answer = store.load_messages(OWNER, thread)[-1]
    assert store.feedback_for(OWNER, thread) == {answer.id: 1}

    again = start(thread)  # a new session shows the stored thumb
    assert again.get("feedback")[0].value == 1


def _sidebar_buttons(at: AppTest) -> list[str]:
    return [shown(b.label) for b in at.sidebar.button]


def test_sidebar_lists_renames_and_deletes_conversations(app_env: Any) -> None:
    older = thread_of(ask(start(), "What is 2 + 2?"))
    at = ask(start(), "My name is Ada")
    newer = thread_of(at)
    labels = _sidebar_buttons(at)
    # Newest first, titled by the first question; the open one is marked.
    assert labels.index("▶ My name is Ada") < labels.index("What is 2 + 2?")

    at = opened(at, RENAME_PANEL_PREFIX + newer)
    at.sidebar.text_input(key=f"rename-{newer}").set_value("Introductions")
    at.sidebar.button(key=f"rename-save-{newer}").click().run()
    assert "▶ Introductions" in _sidebar_buttons(at)

    at.sidebar.button(key=f"open-{older}").click().run()
    assert at.query_params["thread"] == older
    assert any("The calculator returned: 4." in t for t in texts(at))

    at = opened(at, DELETE_PANEL_PREFIX + older)
    at.sidebar.button(key=f"delete-{older}").click().run()
    labels = _sidebar_buttons(at)
    assert "What is 2 + 2?" not in " ".join(labels)
    assert at.query_params.get("thread") != older
    assert texts(at) == []  # a new, empty conversation is open
    assert "Introductions" in labels


def test_a_broken_tool_module_is_reported_and_the_app_still_answers(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tools_dir = tmp_path / "my_tools"
    tools_dir.mkdir()
    (tools_dir / "broken.py").write_text("import not_a_real_module_xyz\n")
    monkeypatch.setenv("STREAMLIT_AGENT_TOOLS_DIR", str(tools_dir))
    at = start()
    warnings = shown(" ".join(w.value for w in at.sidebar.warning))
    assert "broken" in warnings and "not_a_real_module_xyz" in warnings
    at = ask(at, "What is 5 * 5?")
    assert any("The calculator returned: 25." in t for t in texts(at))


def test_api_key_is_not_kept_in_session_state(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-session-" + "7" * 24
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    at = start()
    at = ask(at, "[fault:500] hello")
    at = ask(at, "What is 1 + 2?")
    assert app_env.request_headers[-1].get("authorization") == f"Bearer {secret}"
    state = {key: at.session_state[key] for key in at.session_state}
    assert len(state["langchain_messages"]) == 6, "session state should hold the conversation"
    assert secret not in repr(state)
    assert secret not in " ".join(texts(at))


def test_waiting_approval_shows_the_question_once_and_a_new_question_abandons_it(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_NOTES_DIR", str(tmp_path / "notes"))
    at = start()
    at.sidebar.toggle(key=f"tool-enabled:{thread_of(at)}:save_note").set_value(True).run()
    at = ask(at, "Save a note titled groceries: milk and eggs")
    assert [b.label for b in at.main.button if "Approve" in b.label or "Deny" in b.label]
    assert texts(at)[0] == "Save a note titled groceries: milk and eggs"
    assert sum("Save a note" in t for t in texts(at)) == 1

    at = ask(at, "My name is Ada")
    assert not [b for b in at.main.button if "Approve" in b.label]
    bubbles = texts(at)
    assert sum("Save a note" in t for t in bubbles) == 1
    assert bubbles[-2:] == ["My name is Ada", "Nice to meet you, Ada!"]
    assert not (tmp_path / "notes").exists()


def test_a_long_conversation_shows_its_newest_turns_and_earlier_ones_on_request(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit_agent.web.ui.chat import SHOWN_STEP, SHOWN_TURNS

    monkeypatch.setenv("STREAMLIT_AGENT_MESSAGES_PER_MINUTE", "0")
    at = start()
    total = SHOWN_TURNS + SHOWN_STEP + 2
    first_shown = []  # the first turn drawn, after each answer
    for n in range(total):
        at = ask(at, f"My name is Person{n}")
        at.run()  # the next interaction draws from history
        first_shown.append(texts(at)[0])
    # Everything until the window moves; then it moves SHOWN_STEP turns at once, so
    # between moves each turn stays where it was drawn.
    moved = SHOWN_TURNS + SHOWN_STEP  # turns stored when the window first moves
    assert set(first_shown[: moved - 1]) == {"My name is Person0"}
    assert set(first_shown[moved - 1 :]) == {f"My name is Person{SHOWN_STEP}"}
    bubbles = texts(at)
    assert len(bubbles) == 2 * (total - SHOWN_STEP)
    assert bubbles[-1] == f"Nice to meet you, Person{total - 1}!"
    [earlier] = [b for b in at.main.button if b.label.startswith("⬆️ Show")]
    assert earlier.label == f"⬆️ Show {SHOWN_STEP} earlier turns"
    earlier.click().run()
    assert texts(at)[0] == "My name is Person0"
    assert len(texts(at)) == 2 * total


def test_a_picked_model_that_is_gone_falls_back_to_the_default_and_says_so(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from streamlit_agent.store.database import ConversationStore

    monkeypatch.setenv("STREAMLIT_AGENT_LOCAL_SERVERS", "off")
    store = ConversationStore(os.environ["STREAMLIT_AGENT_DB_URL"])
    thread = store.create_thread(OWNER)
    store.set_model_choice(OWNER, thread, "compatible|http://127.0.0.1:9/v1|stopped-model")
    store.close()
    at = start(thread)
    assert not at.exception
    assert at.sidebar.selectbox[0].value.model == "scripted-model"
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "cannot be reached now" in captions
    at = ask(at, "My name is Ada")
    assert any("Nice to meet you, Ada" in t for t in texts(at))
    assert len(app_env.requests) == 1  # the default answered
