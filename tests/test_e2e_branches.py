"""Branches in the browser: Regenerate, then ‹ 1 / 2 › switches the answer shown; Edit &
resend keeps the old question and answer as a sibling; a reload shows the branch chosen;
the model's next request holds only the branch on screen."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import AppProcess, chat_messages, model_env, send_chat, wait_for_app
from tests.scripted_openai import Reply, ScriptedOpenAI
from tests.test_e2e_actions import click_and_settle, conversation_sent, open_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIRST, SECOND = "Red, the first answer.", "Blue, the second answer."


def position(page: Any) -> str:
    """The ‹ n / m › caption's text (the one drawn), e.g. "1 / 2"."""
    found = page.get_by_text(" / 2", exact=False)
    assert found.count() == 1, found.count()
    return found.inner_text().strip()


def test_versions_of_a_turn_are_kept_switched_and_followed(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    env = model_env(scripted_model, STREAMLIT_AGENT_DB_URL=f"sqlite:///{tmp_path / 'c.db'}")
    app = app_factory(env)
    open_app(page, app)
    scripted_model.enqueue(Reply.text(FIRST))
    send_chat(page, "Name a colour")
    assert FIRST in chat_messages(page)[1]
    assert page.get_by_role("button", name="‹").count() == 0

    scripted_model.enqueue(Reply.text(SECOND))
    click_and_settle(page, page.get_by_role("button", name="🔄 Regenerate"))
    texts = chat_messages(page)
    assert len(texts) == 2 and SECOND in texts[1] and FIRST not in texts[1]
    assert position(page) == "2 / 2"

    click_and_settle(page, page.get_by_role("button", name="‹"))
    texts = chat_messages(page)
    assert len(texts) == 2 and FIRST in texts[1] and SECOND not in texts[1]
    assert position(page) == "1 / 2"

    page.reload()
    wait_for_app(page)
    texts = chat_messages(page)
    assert len(texts) == 2 and FIRST in texts[1] and SECOND not in " ".join(texts)
    assert position(page) == "1 / 2"

    # A restart of the server too: the choice is in the store.
    url = page.url
    app.kill()
    app_factory(env, port=app.port)
    page.goto(url)
    wait_for_app(page)
    texts = chat_messages(page)
    assert len(texts) == 2 and FIRST in texts[1] and SECOND not in " ".join(texts)
    assert position(page) == "1 / 2"

    # The JSON export holds the branch on screen, and every branch beside it.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [t["answer"] for t in document["turns"]] == [FIRST]
    every = [m["data"]["content"] for m in document["branches"]["messages"]]
    assert every == ["Name a colour", FIRST, "Name a colour", SECOND]
    parents = [m["parent_id"] for m in document["branches"]["messages"]]
    assert parents[0] is None and parents[2] is None

    scripted_model.reset()
    send_chat(page, "echo history")
    sent = conversation_sent(scripted_model.requests[0])
    assert sent == [("user", "Name a colour"), ("assistant", FIRST), ("user", "echo history")]

    # Edit & resend keeps the question it replaces, with its answer, as a sibling.
    scripted_model.reset()
    page.get_by_role("button", name="✏️ Edit & resend").click()
    page.get_by_label("Your question").fill("My name is Ada")
    click_and_settle(page, page.get_by_role("button", name="Send edited question"))
    texts = chat_messages(page)
    assert len(texts) == 4 and "Nice to meet you, Ada!" in texts[3]
    assert conversation_sent(scripted_model.requests[0])[-1] == ("user", "My name is Ada")
    assert all(
        "echo history" not in text for _, text in conversation_sent(scripted_model.requests[0])
    )
    back = page.get_by_role("button", name="‹")
    assert back.count() == 2  # the first turn's (now 1 / 2, disabled) and the edited one's
    click_and_settle(page, back.nth(1))
    texts = chat_messages(page)
    assert len(texts) == 4 and "echo history" in texts[2] and "I received 2 earlier" in texts[3]


def test_an_export_right_after_a_switch_holds_the_branch_on_screen(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    """‹ and › rerun the conversation alone (the sidebar's export is not drawn again):
    the Markdown taken at once is still the branch on the page, not the one left."""
    open_app(page, app_factory(model_env(scripted_model)))
    scripted_model.enqueue(Reply.text(FIRST))
    send_chat(page, "Name a colour")
    scripted_model.enqueue(Reply.text(SECOND))
    click_and_settle(page, page.get_by_role("button", name="🔄 Regenerate"))
    for shown, left, arrow in ((FIRST, SECOND, "‹"), (SECOND, FIRST, "›")):
        click_and_settle(page, page.get_by_role("button", name=arrow))
        assert shown in chat_messages(page)[1]
        with page.expect_download() as download:
            page.get_by_role("button", name="Export Markdown").click()
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        assert shown in markdown and left not in markdown, markdown
