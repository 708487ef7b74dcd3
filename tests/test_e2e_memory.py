"""Long-term memory in a real browser: the Memory panel (add, edit, delete, switch off),
the model saving a memory ("Saved to memory: …" in the chat), a new conversation's first
model request carrying it, and another person's never."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e_support import (
    AppProcess,
    model_env,
    new_page,
    open_url,
    send_chat,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import Reply, ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SIDEBAR = '[data-testid="stSidebar"]'


def click_and_settle(page: Any, locator: Any) -> None:
    locator.click()
    page.wait_for_timeout(300)  # let the click's rerun start before waiting for idle
    wait_for_idle(page)


def open_memory(page: Any) -> Any:
    sidebar = page.locator(SIDEBAR)
    add = sidebar.get_by_role("button", name="Add to memory")
    if not add.is_visible():
        sidebar.get_by_text("🧠 Memory", exact=True).click()
    add.wait_for(state="visible")
    return sidebar


def type_into(page: Any, box: Any, text: str) -> None:
    box.fill(text)
    box.press("Control+Enter")  # a text area sends its value on Ctrl+Enter
    wait_for_idle(page)


def system_text(request: dict[str, Any]) -> str:
    return "\n".join(
        str(m.get("content") or "") for m in request["messages"] if m["role"] == "system"
    )


def offered(request: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in request.get("tools") or []]


def use_the_panel(page: Any, sidebar: Any) -> None:
    """Add a memory, have one too long refused (the typed text stays), delete one, edit
    one: what is left is "I prefer imperial units"."""
    new = sidebar.get_by_role("textbox", name="Add a memory")
    type_into(page, new, "I prefer metric units")
    click_and_settle(page, sidebar.get_by_role("button", name="Add to memory"))
    sidebar.get_by_text("Saved to memory.").wait_for()
    expect(sidebar.get_by_role("textbox", name="Memory 1")).to_have_value("I prefer metric units")
    assert "1 of 200 memories" in sidebar.inner_text()

    type_into(page, new, "x" * 501)
    click_and_settle(page, sidebar.get_by_role("button", name="Add to memory"))
    sidebar.get_by_text("at most 500 characters").wait_for()
    expect(new).to_have_value("x" * 501)  # nothing typed is lost
    type_into(page, new, "Temporary fact")
    click_and_settle(page, sidebar.get_by_role("button", name="Add to memory"))
    assert "2 of 200 memories" in sidebar.inner_text()

    newest = sidebar.get_by_role("textbox", name="Memory 1")
    expect(newest).to_have_value("Temporary fact")
    # The panel's own Delete (the open conversation has one too, above it).
    panel = sidebar.locator('[data-testid="stExpander"]').filter(has_text="🧠 Memory")
    click_and_settle(page, panel.get_by_role("button", name="🗑️ Delete", exact=True).first)
    sidebar.get_by_text("Memory deleted.").wait_for()
    assert "1 of 200 memories" in sidebar.inner_text()

    type_into(page, sidebar.get_by_role("textbox", name="Memory 1"), "I prefer imperial units")
    click_and_settle(page, panel.get_by_role("button", name="💾 Save", exact=True).first)
    sidebar.get_by_text("Memory updated.").wait_for()
    edited = sidebar.get_by_role("textbox", name="Memory 1")
    expect(edited).to_have_value("I prefer imperial units")


def test_memory_panel_model_saves_and_a_new_conversation_gets_it_but_nobody_else(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    tmp_path: Path,
) -> None:
    db = tmp_path / "memory.db"
    app = app_factory(model_env(scripted_model, STREAMLIT_AGENT_DB_URL=f"sqlite:///{db}"))
    alice, bob = new_page(browser), new_page(browser)
    open_url(alice, app.url)

    sidebar = open_memory(alice)
    use_the_panel(alice, sidebar)

    # The model saves a memory with its tool; the chat says so.
    scripted_model.reset()
    scripted_model.enqueue(
        Reply.tool("save_memory", {"text": "My cat is called Tom"}), Reply.text("I'll remember.")
    )
    send_chat(alice, "Remember that my cat is called Tom")
    wait_for_chat_text(alice, "Saved to memory: My cat is called Tom")
    first = scripted_model.requests[0]
    assert "I prefer imperial units" in system_text(first)  # the memory reached this turn
    assert "save_memory" in offered(first)
    # The panel, drawn after the turn, lists it already (newest first).
    saved = sidebar.get_by_role("textbox", name="Memory 1")
    expect(saved).to_have_value("My cat is called Tom")

    # A new conversation: its first model request carries both memories.
    click_and_settle(alice, alice.get_by_role("button", name="➕ New chat"))
    scripted_model.reset()
    send_chat(alice, "hello")
    wait_for_chat_text(alice, "You said: hello")
    sent = system_text(scripted_model.requests[0])
    assert "My cat is called Tom" in sent and "I prefer imperial units" in sent

    # Memory off for this conversation: no memories shown, no memory tools offered.
    open_memory(alice)
    toggle = sidebar.locator('[data-testid="stCheckbox"]').filter(
        has_text="Use memory in this conversation"
    )
    click_and_settle(alice, toggle.locator("label"))
    scripted_model.reset()
    send_chat(alice, "hello again")
    wait_for_chat_text(alice, "You said: hello again")
    request = scripted_model.requests[0]
    assert "Tom" not in system_text(request) and "imperial" not in system_text(request)
    assert not set(offered(request)) & {"save_memory", "update_memory", "forget_memory"}

    # Another person (another browser) never gets Alice's memories.
    scripted_model.reset()
    open_url(bob, app.url)
    send_chat(bob, "hello from Bob")
    wait_for_chat_text(bob, "You said: hello from Bob")
    bobs = scripted_model.requests[0]
    assert "Tom" not in system_text(bobs) and "imperial" not in system_text(bobs)
    assert "Tom" not in open_memory(bob).inner_text()
    assert "0 of 200 memories" in bob.locator(SIDEBAR).inner_text()


def test_on_postgresql_a_memory_saved_on_one_instance_reaches_another_for_its_owner_only(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    shared_postgres_url: str,
) -> None:
    env = model_env(scripted_model, STREAMLIT_AGENT_DB_URL=shared_postgres_url)
    first, second = app_factory(env), app_factory(env)
    alice, bob = new_page(browser), new_page(browser)

    open_url(alice, first.url)
    sidebar = open_memory(alice)
    type_into(alice, sidebar.get_by_role("textbox", name="Add a memory"), "My dog is Rex")
    click_and_settle(alice, sidebar.get_by_role("button", name="Add to memory"))
    sidebar.get_by_text("Saved to memory.").wait_for()

    # The same person on the other instance: a new conversation's first request has it.
    scripted_model.reset()
    open_url(alice, second.url)
    send_chat(alice, "hello")
    wait_for_chat_text(alice, "You said: hello")
    assert "My dog is Rex" in system_text(scripted_model.requests[0])
    memory_box = open_memory(alice).get_by_role("textbox", name="Memory 1")
    # The panel opens in the browser before the run that fills it has drawn the box's text.
    expect(memory_box).to_have_value("My dog is Rex")

    # Someone else on that instance: never.
    scripted_model.reset()
    open_url(bob, second.url)
    send_chat(bob, "hello")
    wait_for_chat_text(bob, "You said: hello")
    assert "Rex" not in system_text(scripted_model.requests[0])
    assert "0 of 200 memories" in open_memory(bob).inner_text()
