"""The model picker in Chromium: a model server running on this machine is found, listed
and picked; the next question goes to it; the choice is the conversation's, across a
reload; a port with nothing behind it, or a hung one, is not listed and holds up nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streamlit_agent.models.bundled.server import free_port
from tests.e2e_support import (
    AppProcess,
    model_env,
    send_chat,
    wait_for_app,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.hung_server import Unanswering
from tests.scripted_openai import ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PICKER = '[data-testid="stSidebar"] [data-testid="stSelectbox"]'
SECRET_KEY = "sk-picker-secret-0123456789abcdef"


def picker_options(page: Any) -> list[str]:
    page.locator(PICKER).click()
    options = page.get_by_role("option")
    options.first.wait_for()
    texts = [t.strip() for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def shown_choice(page: Any) -> str:
    """The picker's current option and the full name of the model in use under it."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    return page.locator(PICKER).inner_text() + "\n" + sidebar.inner_text()


def wait_until_listed(page: Any, label: str, timeout_s: float = 15.0) -> list[str]:
    """The picker's options once `label` is among them (the page redraws when found)."""
    for _ in range(int(timeout_s * 2)):
        options = picker_options(page)
        if label in options:
            return options
        page.wait_for_timeout(500)
    raise AssertionError(f"{label!r} never listed; options were {options}")


def test_a_local_server_is_listed_picked_used_and_kept_per_conversation(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    hung = Unanswering()
    closed = f"http://127.0.0.1:{free_port()}/v1"
    with ScriptedOpenAI(model="local-llama") as local:
        env = model_env(
            scripted_model,
            OPENAI_API_KEY=SECRET_KEY,
            STREAMLIT_AGENT_LOCAL_SERVERS=",".join([local.base_url, closed, hung.base_url]),
            # The hung server holds its probe all through the test: whatever the page
            # does meanwhile, it did without waiting for it.
            STREAMLIT_AGENT_LOCAL_SERVERS_TIMEOUT="120",
        )
        app = app_factory(env)
        page.goto(app.url)
        wait_for_app(page)
        configured = f"OpenAI-compatible at {scripted_model.base_url} (scripted-model)"
        found = f"OpenAI-compatible at {local.base_url} (local-llama)"
        assert configured in shown_choice(page)  # a new conversation starts on the default

        found_option = f"local-llama (127.0.0.1:{local.port})"
        options = wait_until_listed(page, found_option)
        assert hung.connected.wait(10), "the hung server was never probed"
        assert options == [
            f"scripted-model (127.0.0.1:{scripted_model.port})",
            "SmolLM2-135M-Instruct (on this computer)",
            found_option,
        ]  # neither the closed port nor the hung one

        page.locator(PICKER).click()
        page.get_by_role("option", name=found_option).click()
        wait_for_idle(page)
        assert found in shown_choice(page)

        send_chat(page, "My name is Ada")
        wait_for_chat_text(page, "Nice to meet you, Ada")
        assert len(local.requests) == 1 and scripted_model.requests == []
        # The configured key is for the configured server only.
        assert all(SECRET_KEY not in str(h) for h in local.request_headers)

        page.reload()  # the URL names the conversation now
        wait_for_app(page)
        assert found in shown_choice(page)
        send_chat(page, "What is my name?")
        wait_for_chat_text(page, "Your name is Ada")
        assert len(local.requests) == 2 and scripted_model.requests == []

        # Another conversation starts on the default again.
        page.get_by_role("button", name="New chat").click()
        wait_for_app(page)
        assert configured in shown_choice(page)
        send_chat(page, "What is 6 * 7?")
        assert len(scripted_model.requests) >= 1 and len(local.requests) == 2

        assert not hung.closed.is_set(), "the hung probe ended: the test proves nothing"
        assert SECRET_KEY not in page.content()
    hung.stop()
    assert SECRET_KEY not in app.log_text()
