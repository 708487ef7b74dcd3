"""Branches on the page without a browser (AppTest): Regenerate keeps the earlier answer,
‹ n / m › switches between them, the model gets the branch on screen, a new session
(a reload, a restart) shows the branch chosen last."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from streamlit_agent.web.page_state import EDIT_PANEL_PREFIX
from tests.apptest_support import ask, opened, start, step_labels, texts, thread_of
from tests.scripted_openai import Reply

TOPIC = "Name a colour"


def buttons(at: AppTest, prefix: str) -> list[Any]:
    return [b for b in at.button if b.key and b.key.startswith(prefix)]


def position(at: AppTest) -> list[str]:
    """The ‹ n / m › captions drawn."""
    return [c.value for c in at.main.caption if " / " in c.value and len(c.value) < 12]


def user_texts_sent(request: dict[str, Any]) -> list[str]:
    return [
        str(m.get("content"))
        for m in request["messages"]
        if m["role"] in ("user", "assistant") and m.get("content")
    ]


def test_regenerate_keeps_the_first_answer_a_click_away(app_env) -> None:
    app_env.enqueue(Reply.text("Red, the first answer."))
    at = ask(start(), TOPIC)
    assert "Red, the first answer." in texts(at)[1]
    assert position(at) == []  # one version: no switch

    app_env.enqueue(Reply.text("Blue, the second answer."))
    buttons(at, "regenerate-")[0].click().run()
    assert "Blue, the second answer." in texts(at)[1] and len(texts(at)) == 2
    assert position(at) == ["2 / 2"]  # drawn with the new answer, not only on a rerun
    at.run()
    assert position(at) == ["2 / 2"]
    back = buttons(at, "branch-back-")
    assert len(back) == 1 and not back[0].disabled
    assert buttons(at, "branch-forward-")[0].disabled

    back[0].click().run()
    assert "Red, the first answer." in texts(at)[1]
    assert "Blue" not in " ".join(texts(at))
    assert position(at) == ["1 / 2"]

    # The model is sent the branch on screen only.
    sent = len(app_env.requests)
    at = ask(at, "And another?")
    history = user_texts_sent(app_env.requests[sent])
    assert history[:2] == [TOPIC, "Red, the first answer."]
    assert all("Blue" not in text for text in history)

    # A new session (a reload or a restart) opens on the branch chosen last.
    again = start(thread_of(at))
    shown = " ".join(texts(again))
    assert "Red, the first answer." in shown and "Blue" not in shown
    assert position(again) == ["1 / 2"]
    buttons(again, "branch-forward-")[0].click().run()
    shown = " ".join(texts(again))
    assert "Blue, the second answer." in shown and "And another?" not in shown
    assert position(again) == ["2 / 2"]


def _latest_question_id(at) -> str:
    """The latest question's id, as its Regenerate button's key names it."""
    [button] = buttons(at, "regenerate-")
    return button.key.removeprefix("regenerate-")


def test_edit_and_resend_keeps_the_old_question_and_answer(app_env) -> None:
    at = ask(start(), "My name is Ada")
    at = opened(at, EDIT_PANEL_PREFIX + _latest_question_id(at))
    edit = next(t for t in at.text_area if t.key and t.key.startswith("edit-"))
    edit.set_value("My name is Grace")
    buttons(at, "resend-")[0].click().run()
    assert "Nice to meet you, Grace!" in texts(at)[1]
    assert position(at) == ["2 / 2"]
    buttons(at, "branch-back-")[0].click().run()
    assert texts(at)[0] == "My name is Ada" and "Nice to meet you, Ada!" in texts(at)[1]


def test_steps_stay_with_their_answer_on_every_branch(app_env) -> None:
    at = ask(start(), "What is 6 * 7?")
    at = opened(at, EDIT_PANEL_PREFIX + _latest_question_id(at))
    edit = next(t for t in at.text_area if t.key and t.key.startswith("edit-"))
    edit.set_value("What is 5 * 5?")
    buttons(at, "resend-")[0].click().run()
    at.run()
    assert [label.split(" · ")[0] for label in step_labels(at)] == ["🛠️ calculator: 5 * 5"]
    assert "The calculator returned: 25." in texts(at)[1]
    buttons(at, "branch-back-")[0].click().run()
    assert [label.split(" · ")[0] for label in step_labels(at)] == ["🛠️ calculator: 6 * 7"]
    assert "The calculator returned: 42." in texts(at)[1]
