"""Reply actions in the browser: Regenerate and Edit & resend, the token and cost meter,
starter prompts, and a thumbs-down comment that survives a reload and reaches the export."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import (
    CHAT_MESSAGE,
    AppProcess,
    chat_messages,
    model_env,
    send_chat,
    sidebar_text,
    wait_for_app,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import Reply, ScriptedOpenAI, ToolCall, usage_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SYSTEM = ("system", "developer")


def open_app(page: Any, app: AppProcess) -> None:
    page.goto(app.url + "/")
    wait_for_app(page)


def click_and_settle(page: Any, locator: Any) -> None:
    locator.click()
    page.wait_for_timeout(300)  # let the click's rerun start before waiting for idle
    wait_for_idle(page)


def conversation_sent(request: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) of every non-system message of a chat request, tool calls by name."""
    out = []
    for message in request["messages"]:
        if message["role"] in SYSTEM:
            continue
        text = message.get("content") or ""
        if message.get("tool_calls"):
            text = " ".join(c["function"]["arguments"] for c in message["tool_calls"])
        out.append((message["role"], text if isinstance(text, str) else json.dumps(text)))
    return out


def stored_questions(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT content FROM messages WHERE role='user'")]


def test_regenerate_and_edit_and_resend_branch_off_the_latest_turn(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    app = app_factory(model_env(scripted_model))
    db = tmp_path / "app-0" / "app.db"
    open_app(page, app)
    send_chat(page, "My name is Ada")
    send_chat(page, "What is 6 * 7?")
    assert "The calculator returned: 42." in chat_messages(page)[3]
    # Only the latest turn can be replaced.
    assert page.get_by_role("button", name="🔄 Regenerate").count() == 1

    scripted_model.reset()
    click_and_settle(page, page.get_by_role("button", name="🔄 Regenerate"))
    kept = [("user", "My name is Ada"), ("assistant", "Nice to meet you, Ada!")]
    first = scripted_model.requests[0]
    # The model is asked again with exactly the turns before it: the earlier version of the
    # turn is kept in the store (a branch), not sent.
    assert conversation_sent(first) == [*kept, ("user", "What is 6 * 7?")]
    texts = chat_messages(page)
    assert len(texts) == 4, texts
    assert texts[3].count("calculator: 6 * 7") == 1 and "The calculator returned: 42." in texts[3]
    assert stored_questions(db) == ["My name is Ada", "What is 6 * 7?", "What is 6 * 7?"]

    scripted_model.reset()
    page.get_by_role("button", name="✏️ Edit & resend").click()
    box = page.get_by_label("Your question")
    box.fill("What is 5 * 5?")
    click_and_settle(page, page.get_by_role("button", name="Send edited question"))
    assert conversation_sent(scripted_model.requests[0]) == [*kept, ("user", "What is 5 * 5?")]
    texts = chat_messages(page)
    assert len(texts) == 4, texts
    assert "What is 5 * 5?" in texts[2] and "The calculator returned: 25." in texts[3]
    assert "6 * 7" not in " ".join(texts)

    # After a reload the next request holds the branch on screen and nothing of the others.
    page.reload()
    wait_for_app(page)
    assert "6 * 7" not in " ".join(chat_messages(page))
    scripted_model.reset()
    send_chat(page, "echo history")
    sent = conversation_sent(scripted_model.requests[0])
    assert sent[:2] == kept and sent[2] == ("user", "What is 5 * 5?")
    roles = ["user", "assistant", "user", "assistant", "tool", "assistant", "user"]
    assert [role for role, _ in sent] == roles
    assert all("6 * 7" not in text for _, text in sent)
    assert stored_questions(db) == [
        "My name is Ada",
        *["What is 6 * 7?"] * 2,
        "What is 5 * 5?",
        "echo history",
    ]


def test_edit_and_resend_refuses_an_empty_question_and_keeps_the_turn(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    open_app(page, app_factory(model_env(scripted_model)))
    send_chat(page, "My name is Grace")
    scripted_model.reset()
    page.get_by_role("button", name="✏️ Edit & resend").click()
    page.get_by_label("Your question").fill("   ")
    click_and_settle(page, page.get_by_role("button", name="Send edited question"))
    assert page.get_by_text("Type a question to send.").count() == 1
    assert scripted_model.requests == []
    texts = chat_messages(page)
    assert len(texts) == 2 and "Nice to meet you, Grace!" in texts[1]


METER = re.compile(r"🧮 ([\d,]+) in · ([\d,]+) out tokens(?: · ≈ \$([\d.]+))?")


def meter_of(text: str) -> tuple[int, int, float | None]:
    found = METER.search(text)
    assert found, text
    cost = float(found.group(3)) if found.group(3) else None
    return int(found.group(1).replace(",", "")), int(found.group(2).replace(",", "")), cost


def run_usage(requests: list[dict[str, Any]], replies: list[Reply]) -> tuple[int, int]:
    """What the scripted server reported for each call, summed over the run."""
    used = [
        usage_for(r["messages"], reply.content or "", reply.tool_calls)
        for r, reply in zip(requests, replies, strict=True)
    ]
    return sum(u["prompt_tokens"] for u in used), sum(u["completion_tokens"] for u in used)


def test_meter_sums_every_model_call_of_a_multi_step_run(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    # USD per 1M tokens for the scripted model, so the cost is checkable to the cent.
    prices = json.dumps({"scripted-model": {"input": 1000, "output": 3000}})
    open_app(page, app_factory(model_env(scripted_model, STREAMLIT_AGENT_PRICES=prices)))
    replies = [
        Reply.tool("calculator", {"expression": "37 * 41"}),
        Reply.tools(ToolCall("calculator", {"expression": "1517 + 1"})),
        Reply.text("37 * 41 is 1517, and one more is 1518."),
    ]
    scripted_model.enqueue(*replies)
    send_chat(page, "Work out 37 * 41 and add one")
    assert len(scripted_model.requests) == 3
    tokens_in, tokens_out = run_usage(scripted_model.requests, replies)
    expected_cost = (tokens_in * 1000 + tokens_out * 3000) / 1e6
    shown = meter_of(chat_messages(page)[1])
    assert shown[:2] == (tokens_in, tokens_out)
    assert shown[2] == pytest.approx(expected_cost, abs=5e-5)
    assert "This conversation: " in sidebar_text(page)
    assert meter_of("🧮 " + sidebar_text(page).split("This conversation: ")[1])[:2] == shown[:2]

    scripted_model.reset()
    send_chat(page, "My name is Ada")
    second = meter_of(chat_messages(page)[3])
    assert second[:2] == run_usage(scripted_model.requests, [Reply.text("Nice to meet you, Ada!")])
    total = meter_of("🧮 " + sidebar_text(page).split("This conversation: ")[1])
    assert total[:2] == (shown[0] + second[0], shown[1] + second[1])  # updated with the answer
    page.reload()  # the meter and the total come back from the store
    wait_for_app(page)
    assert meter_of(chat_messages(page)[1]) == shown
    total = meter_of("🧮 " + sidebar_text(page).split("This conversation: ")[1])
    assert total[:2] == (shown[0] + second[0], shown[1] + second[1])


def test_an_unpriced_model_shows_tokens_only(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    open_app(page, app_factory(model_env(scripted_model)))
    send_chat(page, "My name is Ada")
    tokens_in, tokens_out, cost = meter_of(chat_messages(page)[1])
    assert tokens_in > 0 and tokens_out > 0 and cost is None
    assert "$" not in page.locator('[data-testid="stApp"]').inner_text()


def test_starter_prompt_sends_and_the_starters_go(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    starters = json.dumps(["My name is Starla", {"text": "What is 2 + 3?", "tool": "calculator"}])
    open_app(page, app_factory(model_env(scripted_model, STREAMLIT_AGENT_STARTERS=starters)))
    assert page.get_by_role("button", name="What is 2 + 3?").count() == 1
    click_and_settle(page, page.get_by_role("button", name="My name is Starla"))
    texts = chat_messages(page)
    assert len(texts) == 2 and "Nice to meet you, Starla!" in texts[1], texts
    assert page.get_by_role("button", name="What is 2 + 3?").count() == 0
    assert "thread=" in page.url
    send_chat(page, "What is my name?")
    assert "Your name is Starla." in chat_messages(page)[3]


def test_default_starters_follow_the_enabled_tools(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    open_app(page, app_factory(model_env(scripted_model)))
    click_and_settle(page, page.get_by_role("button", name="What is 37 * 41?"))
    assert "The calculator returned: 1517." in chat_messages(page)[1]


def test_thumbs_down_comment_survives_a_reload_and_reaches_the_export(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    open_app(page, app_factory(model_env(scripted_model)))
    send_chat(page, "My name is Ada")
    reply = page.locator(CHAT_MESSAGE).nth(1)
    assert reply.get_by_label("What was wrong? (optional)").count() == 0  # only after 👎
    thumbs_down = reply.locator('[data-testid="stFeedback"] button', has_text="thumb_down")
    click_and_settle(page, thumbs_down)
    comment = "<b>Too</b> chatty"
    box = reply.get_by_label("What was wrong? (optional)")
    box.fill(comment)
    box.press("Enter")
    wait_for_idle(page)

    page.reload()
    wait_for_app(page)
    wait_for_chat_text(page, "Nice to meet you, Ada!")
    assert page.get_by_label("What was wrong? (optional)").input_value() == comment
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert document["turns"][0]["feedback"] == {"value": 0, "comment": comment}
    assert document["turns"][0]["meter"]["input_tokens"] > 0


def test_a_new_chats_actions_say_there_is_nothing_yet_then_act_once_it_is_asked(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    """Rename and Delete are offered on a new chat (its first answer comes without a
    whole-page run); before a question they say so instead of acting."""
    app = app_factory(model_env(scripted_model))
    open_app(page, app)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Open: New chat" in sidebar.inner_text()
    for action in ("Rename", "Delete"):
        click_and_settle(page, sidebar.get_by_role("button", name=action))
        expect_text = f"Nothing to {action.lower()} yet"
        page.get_by_text(expect_text).wait_for()
        page.keyboard.press("Escape")
        wait_for_idle(page)

    send_chat(page, "My name is Ada")
    assert "Open: My name is Ada" in sidebar.inner_text()
    click_and_settle(page, sidebar.get_by_role("button", name="Delete"))
    click_and_settle(page, page.get_by_role("button", name="Yes, delete it"))
    assert chat_messages(page) == []
    assert "My name is Ada" not in sidebar.inner_text()
