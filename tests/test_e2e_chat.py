"""The app under `streamlit run`, driven in Chromium, its model a scripted server on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import (
    CHAT_MESSAGE,
    AppProcess,
    chat_messages,
    chat_roles,
    model_env,
    record_chat_text_changes,
    recorded_chat_texts,
    send_chat,
    wait_for_app,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def open_app(page: Any, app: AppProcess, thread: str | None = None) -> None:
    page.goto(app.url + (f"/?thread={thread}" if thread else "/"))
    wait_for_app(page)


def bubble(page: Any, index: int) -> str:
    return chat_messages(page)[index]


def test_core_scenario_memory_live_steps_and_streaming(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    scripted_model.chunk_delay = 0.15  # each piece of the answer has time to be drawn
    app = app_factory(model_env(scripted_model))
    open_app(page, app)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert f"OpenAI-compatible at {scripted_model.base_url} (scripted-model)" in sidebar

    send_chat(page, "My name is Ada")
    assert "Nice to meet you, Ada!" in bubble(page, 1)
    # The answer took over a second, so "⏳ Working…" was drawn meanwhile; it went with it.
    assert "Working" not in bubble(page, 1)

    record_chat_text_changes(page)
    send_chat(page, "What is 37 * 41?", wait=False)
    wait_for_chat_text(page, "The calculator returned: 1517.")
    wait_for_idle(page)
    seen = [t for t in recorded_chat_texts(page) if "37" not in t or "calculator" in t]
    answer = "The calculator returned: 1517."
    # The step was on screen before the answer had fully arrived...
    assert any("calculator" in t and answer not in t for t in seen), seen
    # ...and the answer grew in several visible pieces.
    partial = {t.split("calculator: 37 * 41")[-1] for t in seen if "The calculator" in t}
    assert len(partial) >= 3, seen

    send_chat(page, "What is my name?")
    texts = chat_messages(page)
    assert chat_roles(page) == ["user", "assistant"] * 3
    assert "Your name is Ada." in texts[5]
    assert "calculator: 37 * 41" in texts[3]  # the earlier step is still drawn, collapsed
    assert answer in texts[3]
    expander = page.locator(CHAT_MESSAGE).nth(3).locator('[data-testid="stExpander"]')
    assert expander.count() == 1
    expander.locator("summary").click()
    assert "1517" in expander.inner_text()


def _three_turns(page: Any) -> None:
    send_chat(page, "My name is Grace")
    send_chat(page, "What is 6 * 7?")
    send_chat(page, "What is my name?")


def _assert_three_turns(page: Any) -> None:
    texts = chat_messages(page)
    assert len(texts) == 6, texts
    assert "Nice to meet you, Grace!" in texts[1]
    assert "calculator: 6 * 7" in texts[3] and "The calculator returned: 42." in texts[3]
    assert "Your name is Grace." in texts[5]


def test_reload_and_restart_keep_turns_steps_and_model_memory(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'kept.db'}"
    env = model_env(scripted_model, STREAMLIT_AGENT_DB_URL=db_url)
    app = app_factory(env)
    open_app(page, app)
    _three_turns(page)
    url = page.url
    assert "thread=" in url

    page.reload()
    wait_for_app(page)
    _assert_three_turns(page)

    port = app.port
    app.stop()
    restarted = app_factory(env, port=port)
    page.goto(url)
    wait_for_app(page)
    _assert_three_turns(page)
    assert restarted.url in url

    scripted_model.reset()
    send_chat(page, "echo history")
    echoed = bubble(page, 7)
    assert "I received 8 earlier messages:" in echoed
    for line in (
        "user: My name is Grace",
        "assistant: Nice to meet you, Grace!",
        "user: What is 6 * 7?",
        'calculator({"expression": "6 * 7"})',
        "tool(calculator): 42",
        "assistant: The calculator returned: 42.",
        "user: What is my name?",
        "assistant: Your name is Grace.",
    ):
        assert line in echoed, (line, echoed)


def test_a_crash_mid_answer_keeps_the_finished_steps(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    env = model_env(scripted_model, STREAMLIT_AGENT_DB_URL=f"sqlite:///{tmp_path / 'c.db'}")
    app = app_factory(env)
    open_app(page, app)
    send_chat(page, "Work it out [fault:tool_then_hang]", wait=False)
    wait_for_chat_text(page, "calculator")
    scripted_model.wait_for_requests(2)  # the tool has run; the answer never comes
    url = page.url
    app.kill()

    app_factory(env, port=app.port)
    page.goto(url)
    wait_for_app(page)
    texts = chat_messages(page)
    assert len(texts) == 2, texts
    assert "Work it out" in texts[0]
    assert "calculator: 6 * 7" in texts[1] and "cut off" in texts[1]
    step = page.locator(CHAT_MESSAGE).nth(1).locator('[data-testid="stExpander"]')
    step.locator("summary").click()
    assert "42" in step.inner_text()
    page.get_by_role("button", name="↻ Retry").wait_for()


def test_two_app_processes_share_one_postgresql(
    page: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    shared_postgres_url: str,
) -> None:
    env = model_env(scripted_model, STREAMLIT_AGENT_DB_URL=shared_postgres_url)
    first = app_factory(env)
    second = app_factory(env)
    open_app(page, first)
    send_chat(page, "What is 12 * 12?")
    thread = page.url.split("thread=")[1].split("&")[0]

    open_app(page, second, thread=thread)
    texts = chat_messages(page)
    assert len(texts) == 2
    assert "calculator: 12 * 12" in texts[1] and "The calculator returned: 144." in texts[1]
    send_chat(page, "What was my first question?")
    assert 'Your first question was: "What is 12 * 12?"' in bubble(page, 3)
    # The conversation is listed, titled by its first question, in both processes.
    open_app(page, first, thread=thread)
    assert len(chat_messages(page)) == 4, chat_messages(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("What is 12 * 12?").count() >= 1


def test_approval_approve_runs_the_tool_and_deny_does_not(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    notes = tmp_path / "notes"
    app = app_factory(model_env(scripted_model, STREAMLIT_AGENT_NOTES_DIR=str(notes)))
    open_app(page, app)

    send_chat(page, "Save a note titled groceries: milk and eggs")
    approval = page.get_by_text("save_note", exact=False).first
    approval.wait_for()
    assert not notes.exists()
    # While it waits, the question shows once, above the prompt: not also as a cut-off turn.
    assert chat_messages(page)[0] == "Save a note titled groceries: milk and eggs"
    assert len(chat_messages(page)) == 2, chat_messages(page)
    assert "cut off" not in page.locator(CHAT_MESSAGE).last.inner_text()
    page.get_by_role("button", name="Approve").click()
    wait_for_chat_text(page, "The save_note returned: Saved the note 'groceries'")
    wait_for_idle(page)
    assert (notes / "groceries.md").read_text() == "# groceries\n\nmilk and eggs\n"

    send_chat(page, "Save a note titled secrets: do not write this")
    page.get_by_role("button", name="Deny").click()
    wait_for_chat_text(page, "The save_note returned:")
    wait_for_idle(page)
    assert not (notes / "secrets.md").exists()
    last = chat_messages(page)[-1]
    assert "denied" in last.lower(), last
    assert len(chat_messages(page)) == 4, chat_messages(page)


def test_turning_search_off_removes_it_from_the_tools_the_model_is_offered(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    app = app_factory(
        model_env(scripted_model, STREAMLIT_AGENT_SEARCH_BACKEND="tests.fake_search:results")
    )
    open_app(page, app)
    send_chat(page, "hello")
    offered = [t["function"]["name"] for t in scripted_model.requests[-1]["tools"]]
    assert "web_search" in offered and "calculator" in offered

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stCheckbox"]').filter(has_text="web_search").locator(
        "label"
    ).click()
    wait_for_idle(page)
    send_chat(page, "search for streamlit")
    offered = [t["function"]["name"] for t in scripted_model.requests[-1]["tools"]]
    assert "web_search" not in offered and "calculator" in offered
    assert "You said: search for streamlit" in chat_messages(page)[-1]

    # The choice is stored with the conversation: a reload (a new session) keeps it.
    page.reload()
    wait_for_app(page)
    send_chat(page, "search for tea")
    offered = [t["function"]["name"] for t in scripted_model.requests[-1]["tools"]]
    assert "web_search" not in offered

    # The choice belongs to this conversation: a new chat starts with every tool on.
    sidebar.get_by_role("button", name="New chat").click()
    wait_for_idle(page)
    send_chat(page, "hello again")
    offered = [t["function"]["name"] for t in scripted_model.requests[-1]["tools"]]
    assert "web_search" in offered


def test_html_and_script_from_the_model_show_as_text_and_never_run(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    app = app_factory(model_env(scripted_model))
    open_app(page, app)
    send_chat(page, "<script>alert('typed')</script><img src=x onerror=alert(4)> [fault:html]")
    page.wait_for_timeout(500)
    texts = chat_messages(page)
    assert "<script>alert('typed')</script>" in texts[0]
    assert "<script>alert(1)</script>" in texts[1]
    assert "onerror=alert(2)" in texts[1]
    assert dialogs == []
    main = page.locator('[data-testid="stApp"]')
    assert main.locator("script").count() == 0
    assert main.locator("img[onerror]").count() == 0
    assert main.locator('a[href^="javascript:"]').count() == 0

    page.reload()
    wait_for_app(page)
    page.wait_for_timeout(500)
    assert dialogs == []
    assert "<script>alert(1)</script>" in chat_messages(page)[1]


def test_stop_saves_the_partial_answer_marked_stopped(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    app = app_factory(model_env(scripted_model))
    open_app(page, app)
    send_chat(page, "Tell me a story [fault:stall]", wait=False)
    wait_for_chat_text(page, "This answer starts")
    page.get_by_role("button", name="⏹ Stop").click()
    wait_for_idle(page)
    page.reload()
    wait_for_app(page)
    texts = chat_messages(page)
    assert len(texts) == 2, texts
    assert "Tell me a story" in texts[0]
    assert "This answer starts" in texts[1]
    assert "stopped" in texts[1].lower()
    # The app answers again straight away.
    send_chat(page, "What is 2 + 3?")
    assert "The calculator returned: 5." in chat_messages(page)[-1]


def test_stop_and_a_new_message_interrupt_a_later_turn_too(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    """After the first answer a question reruns only the conversation (a fragment), whose
    clicks Streamlit would otherwise hold until the run ends: Stop and a new message must
    still cut the running turn short, keeping what arrived."""
    app = app_factory(model_env(scripted_model))
    open_app(page, app)
    send_chat(page, "What is 2 + 3?")
    send_chat(page, "Tell me a story [fault:stall]", wait=False)
    page.locator(CHAT_MESSAGE).nth(3).filter(has_text="This answer starts").wait_for()
    page.get_by_role("button", name="⏹ Stop").click()
    page.locator(CHAT_MESSAGE).nth(3).filter(has_text="Stopped").wait_for(timeout=5_000)
    send_chat(page, "Another one [fault:stall]", wait=False)
    page.locator(CHAT_MESSAGE).nth(5).filter(has_text="This answer starts").wait_for()
    send_chat(page, "What is 3 + 4?", wait=False)
    wait_for_chat_text(page, "The calculator returned: 7.", timeout_ms=5_000)
    wait_for_idle(page)
    page.reload()
    wait_for_app(page)
    texts = chat_messages(page)
    assert chat_roles(page) == ["user", "assistant"] * 4, texts
    assert "stopped" in texts[3].lower() and "stopped" in texts[5].lower(), texts
    assert "This answer starts" in texts[5]
    assert "The calculator returned: 7." in texts[7]


def test_new_message_while_running_stops_the_old_run_without_losing_either(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    app = app_factory(model_env(scripted_model))
    open_app(page, app)
    send_chat(page, "First [fault:stall]", wait=False)
    wait_for_chat_text(page, "This answer starts")
    send_chat(page, "What is 3 + 4?")
    wait_for_chat_text(page, "The calculator returned: 7.")
    wait_for_idle(page)
    page.reload()
    wait_for_app(page)
    texts = chat_messages(page)
    assert chat_roles(page) == ["user", "assistant", "user", "assistant"], texts
    assert "stopped" in texts[1].lower()
    assert "The calculator returned: 7." in texts[3]


def test_api_key_never_reaches_the_page_logs_or_exports(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    secret = "sk-test-" + uuid.uuid4().hex
    app = app_factory(model_env(scripted_model, OPENAI_API_KEY=secret))
    open_app(page, app)
    send_chat(page, "What is 1 + 1?")
    send_chat(page, "[fault:500] please")
    send_chat(page, "[fault:429] please")
    assert scripted_model.request_headers[-1].get("authorization") == f"Bearer {secret}"

    html = page.content()
    assert secret not in html
    for name in ("Export JSON", "Export Markdown"):
        with page.expect_download() as download:
            page.get_by_role("button", name=name).click()
        path = download.value.path()
        assert secret not in Path(path).read_text(encoding="utf-8")
    assert secret not in app.log_text()
    db = tmp_path / "app-0" / "app.db"
    assert secret.encode() not in db.read_bytes()
    assert os.environ.get("OPENAI_API_KEY") != secret


def _deltas(frames: list[Any]) -> list[Any]:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    deltas = []
    for frame in frames:
        if isinstance(frame, bytes | bytearray):
            message = ForwardMsg()
            message.ParseFromString(bytes(frame))
            if message.WhichOneof("type") == "delta":
                deltas.append(message.delta)
    return deltas


def test_a_new_chats_first_answer_runs_the_conversation_alone(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    """On a server that has started, a new chat's first question reruns only the
    conversation's fragment (the sidebar is neither run nor sent), yet the sidebar names
    the new conversation and exports it."""
    app = app_factory(model_env(scripted_model))
    open_app(page, app)  # the server's first page: its box came before the imports
    frames: list[Any] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
    page.reload()  # a new session on a warm server
    wait_for_app(page)

    start = len(frames)
    send_chat(page, "What is 12 * 12?")
    assert "The calculator returned: 144." in bubble(page, 1)
    deltas = _deltas(frames[start:])
    assert deltas and all(delta.fragment_id for delta in deltas)  # no whole-page run

    sidebar = page.locator('[data-testid="stSidebar"]')
    wait_for_idle(page)
    assert "Open: What is 12 * 12?" in sidebar.inner_text()
    with page.expect_download() as download:
        sidebar.get_by_role("button", name="Export Markdown").click()
    assert "The calculator returned: 144." in Path(download.value.path()).read_text("utf-8")
