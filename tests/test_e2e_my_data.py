"""Everything of mine in a real browser: export all my data, then delete all of it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import (
    AppProcess,
    chat_messages,
    model_env,
    new_page,
    open_url,
    send_chat,
    sidebar_text,
    wait_for_app,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SIDEBAR = '[data-testid="stSidebar"]'


def click_and_settle(page: Any, locator: Any) -> None:
    locator.click()
    page.wait_for_timeout(300)  # let the click's rerun start before waiting for idle
    wait_for_idle(page)


def open_your_data(page: Any) -> None:
    prepare = page.get_by_role("button", name="Prepare export of all my data")
    if not prepare.is_visible():
        page.locator(SIDEBAR).get_by_text("🗂️ Your data", exact=True).click()
    prepare.wait_for(state="visible")


def stored(db: Path, owner_like: str = "%") -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            "conversations": conn.execute(
                "SELECT count(*) FROM conversations WHERE owner LIKE ?", (owner_like,)
            ).fetchone()[0],
            "messages": conn.execute(
                "SELECT count(*) FROM messages m JOIN conversations c "
                "ON c.id = m.conversation_id WHERE c.owner LIKE ?",
                (owner_like,),
            ).fetchone()[0],
        }


def test_export_all_then_delete_all_leaves_an_empty_page_and_spares_others(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    tmp_path: Path,
) -> None:
    db = tmp_path / "my-data.db"
    app = app_factory(model_env(scripted_model, STREAMLIT_AGENT_DB_URL=f"sqlite:///{db}"))
    alice, bob = new_page(browser), new_page(browser)

    # Bob chats too: nothing of his may reach Alice's export or go with her delete.
    open_url(bob, app.url)
    send_chat(bob, "My name is Bob")
    wait_for_chat_text(bob, "Nice to meet you, Bob")

    open_url(alice, app.url)
    send_chat(alice, "My name is Ada")
    wait_for_chat_text(alice, "Nice to meet you, Ada")
    click_and_settle(alice, alice.get_by_role("button", name="➕ New chat"))
    assert chat_messages(alice) == []  # a new chat right after the first one's answer
    send_chat(alice, "What is 6 * 7?")
    wait_for_chat_text(alice, "The calculator returned: 42.")
    assert "My name is Ada" in sidebar_text(alice) and "What is 6 * 7?" in sidebar_text(alice)

    # Export: prepared on request, downloaded, one document with both conversations.
    open_your_data(alice)
    click_and_settle(alice, alice.get_by_role("button", name="Prepare export of all my data"))
    with alice.expect_download() as download:
        alice.get_by_role("button", name="Download all my data (JSON)").click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert document["format_version"] == 1
    section = document["sections"]["conversations"]
    questions = {item["turns"][0]["question"] for item in section["items"]}
    assert questions == {"My name is Ada", "What is 6 * 7?"} and section["complete"]
    steps = [s["tool"] for item in section["items"] for t in item["turns"] for s in t["steps"]]
    assert steps == ["calculator"]
    assert "Bob" not in json.dumps(document)
    assert document["sections"]["usage"]["totals"]["message"] == 2

    # Delete: the button stays off until the word is typed.
    delete = alice.get_by_role("button", name="Delete all my data")
    assert delete.is_disabled()
    confirm = alice.get_by_role("textbox", name="Type DELETE to delete all your data")
    confirm.fill("DELETE")
    confirm.press("Enter")
    wait_for_idle(alice)
    click_and_settle(alice, delete)
    notice = alice.get_by_text("All your data was deleted")
    notice.wait_for()
    said = notice.inner_text()
    assert "2 conversations, 6 messages, 1 tool step" in said
    # The per-minute message limit is on by default: its last minute's counts stay.
    assert "cannot reset your limits" in said
    assert chat_messages(alice) == []
    assert "thread=" not in alice.url
    listed = sidebar_text(alice)
    assert "My name is Ada" not in listed and "What is 6 * 7?" not in listed
    assert stored(db, "anon:%")["conversations"] == 1  # Bob's alone

    alice.reload()
    wait_for_app(alice)
    assert chat_messages(alice) == []
    listed = sidebar_text(alice)
    assert "My name is Ada" not in listed and "What is 6 * 7?" not in listed
    assert alice.get_by_text("All your data was deleted").count() == 0  # said once

    # Bob's conversation is all there.
    bob.reload()
    wait_for_app(bob)
    assert "My name is Bob" in sidebar_text(bob)
    assert "Nice to meet you, Bob" in chat_messages(bob)[1]
