"""Two browser sessions on one app process never see each other's messages, toggles or keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e_support import (
    AppProcess,
    chat_messages,
    send_chat,
    wait_for_app,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _sidebar(page: Any) -> Any:
    return page.locator('[data-testid="stSidebar"]')


def _offered_tools(request: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in request.get("tools", [])]


def test_concurrent_sessions_keep_messages_and_toggles_apart(
    browser: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    app = app_factory(
        {"OPENAI_BASE_URL": scripted_model.base_url, "STREAMLIT_AGENT_MODEL": "scripted-model"}
    )
    contexts = [browser.new_context() for _ in range(2)]
    try:
        alice, bob = (context.new_page() for context in contexts)
        for page in (alice, bob):
            page.goto(app.url)
            wait_for_app(page)
        # Alice turns web search off in her conversation only.
        _sidebar(alice).locator('[data-testid="stCheckbox"]').filter(has_text="web_search").locator(
            "label"
        ).click()
        wait_for_idle(alice)

        # Both ask at once; each answer streams into its own page.
        send_chat(alice, "My name is Alice and search for apples", wait=False)
        send_chat(bob, "My name is Bob", wait=False)
        wait_for_chat_text(alice, "Nice to meet you, Alice!")
        wait_for_chat_text(bob, "Nice to meet you, Bob!")
        for page in (alice, bob):
            wait_for_idle(page)
        send_chat(alice, "What is my name?", wait=False)
        send_chat(bob, "What is my name?", wait=False)
        wait_for_chat_text(alice, "Your name is Alice.")
        wait_for_chat_text(bob, "Your name is Bob.")
        for page in (alice, bob):
            wait_for_idle(page)

        alice_text, bob_text = " ".join(chat_messages(alice)), " ".join(chat_messages(bob))
        assert "Bob" not in alice_text and "Alice" not in bob_text
        assert alice.url != bob.url  # separate conversations

        by_user = {"Alice": [], "Bob": []}
        for request in scripted_model.requests:
            users = " ".join(
                str(m.get("content")) for m in request["messages"] if m["role"] == "user"
            )
            assert not ("Alice" in users and "Bob" in users), "a request mixed both sessions"
            for name in by_user:
                if name in users:
                    by_user[name].append(_offered_tools(request))
        assert by_user["Alice"] and all("web_search" not in t for t in by_user["Alice"])
        assert by_user["Bob"] and all("web_search" in t for t in by_user["Bob"])
    finally:
        for context in contexts:
            context.close()


def test_a_key_typed_in_one_session_stays_in_that_session(
    browser: Any, app_factory: Callable[..., AppProcess]
) -> None:
    # Nothing configured: the bundled model is named and the sidebar offers a key field.
    app = app_factory({})
    secret = "sk-typed-" + uuid.uuid4().hex
    contexts = [browser.new_context() for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        for page in (first, second):
            page.goto(app.url)
            wait_for_app(page)
        key_field = _sidebar(first).locator('input[type="password"]')
        key_field.fill(secret)
        key_field.press("Enter")
        # The key reaches the server with Enter and the page runs again: wait for that run
        # (under load it can start after a first idle moment).
        expect(_sidebar(first)).to_contain_text("OpenAI gpt-", timeout=30_000)
        wait_for_idle(first)
        second.reload()
        wait_for_app(second)
        assert "Bundled local model: SmolLM2-135M-Instruct" in _sidebar(second).inner_text()
        assert _sidebar(second).locator('input[type="password"]').input_value() == ""
        assert secret not in second.content()
        assert secret not in app.log_text()
    finally:
        for context in contexts:
            context.close()
