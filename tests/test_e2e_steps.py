"""Steps and reasoning in Chromium: what shows live is what a reload shows, and a replay
recorded from a real run of the scripted server draws the same steps."""

from __future__ import annotations

import json
import re
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
from tests.scripted_openai import Reply, ScriptedOpenAI, ToolCall

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "What are 6 * 7 and 12 * 12?"
SAID = "Let me compute both."
ANSWER = "The calculator returned: 42. The calculator returned: 144."
STEP_THINKING = "Two products: both go to the calculator at once."
THINKING = "The user asks for the capital of France; that is Paris, no tool needed."
THINKING_LABEL = "Thinking"

# Every distinct state of the last bubble while it changes: its expander labels, the
# text of its expanders (collapsed ones included) and its visible text.
# A summary's text starts with its arrow icon's ligature name: the label is its last line.
_LABEL_JS = "s => s.innerText.trim().split('\\n').pop().trim()"
_WATCH_JS = (
    """() => {
  const label = """
    + _LABEL_JS
    + """;
  window.__states = [];
  const note = () => {
    const all = document.querySelectorAll('[data-testid="stChatMessage"]');
    if (!all.length) return;
    const bubble = all[all.length - 1];
    const expanders = [...bubble.querySelectorAll('[data-testid="stExpander"]')];
    const state = {
      labels: expanders.map(e => label(e.querySelector('summary'))),
      inside: expanders.map(e => e.textContent.replace(e.querySelector('summary').textContent, '')),
      text: bubble.innerText,
    };
    const seen = window.__states, key = JSON.stringify(state);
    if (!seen.length || JSON.stringify(seen[seen.length - 1]) !== key) seen.push(state);
  };
  new MutationObserver(note).observe(document.body,
    {subtree: true, childList: true, characterData: true});
}"""
)


def _watch(page: Any) -> None:
    page.evaluate(_WATCH_JS)


def _states(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("() => window.__states")


def _labels(page: Any, index: int) -> list[str]:
    summaries = page.locator(CHAT_MESSAGE).nth(index).locator('[data-testid="stExpander"] summary')
    return summaries.evaluate_all(f"els => els.map({_LABEL_JS})")


def _no_durations(text: str) -> str:
    return re.sub(r" · \d+\.\d\d s", "", text)


def _without_duration(labels: list[str]) -> list[str]:
    return [_no_durations(label) for label in labels]


def _open(page: Any, app: AppProcess) -> None:
    page.goto(app.url)
    wait_for_app(page)


def _two_calls_in_one_reply(scripted: ScriptedOpenAI) -> None:
    scripted.enqueue(
        Reply(
            content=SAID,
            reasoning=STEP_THINKING,
            tool_calls=(
                ToolCall("calculator", {"expression": "6 * 7"}),
                ToolCall("calculator", {"expression": "12 * 12"}),
            ),
        )
    )  # the answer comes from the brain: it reads both results back


def _ask_two_calls(page: Any, scripted: ScriptedOpenAI) -> list[dict[str, Any]]:
    _two_calls_in_one_reply(scripted)
    _watch(page)
    send_chat(page, QUESTION)
    wait_for_chat_text(page, ANSWER)
    wait_for_idle(page)
    return _states(page)


def _step_labels(labels: list[str]) -> list[str]:
    return [label for label in labels if THINKING_LABEL not in label]


def test_two_calls_in_one_reply_show_live_and_match_the_stored_steps(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    scripted_model.chunk_delay = 0.15  # each piece of the answer has time to be drawn
    app = app_factory(model_env(scripted_model))
    _open(page, app)
    states = _ask_two_calls(page, scripted_model)

    # Live, before the answer was complete: both steps, each finished with its duration,
    # the model's words and its reasoning before them.
    live = [s for s in states if ANSWER not in s["text"]]
    finished = [s for s in live if len(_step_labels(s["labels"])) == 2]
    assert finished, states
    last_live = finished[-1]
    steps_live = _step_labels(last_live["labels"])
    assert steps_live[0].startswith("🛠️ calculator: 6 * 7 · "), steps_live
    assert steps_live[1].startswith("🛠️ calculator: 12 * 12 · "), steps_live
    assert SAID in last_live["text"]
    assert THINKING_LABEL in last_live["labels"][0]
    assert STEP_THINKING in last_live["inside"][0]
    assert not any(":thinking_face:" in s["text"] or "{'" in s["text"] for s in states)
    # The answer streamed in below them.
    assert any(s["text"].count("The calculator returned") == 1 for s in live)

    page.reload()
    wait_for_app(page)
    stored = _labels(page, 1)
    assert _step_labels(stored) == steps_live  # same text, durations included
    assert SAID in chat_messages(page)[1] and ANSWER in chat_messages(page)[1]
    thinking = page.locator(CHAT_MESSAGE).nth(1).locator('[data-testid="stExpander"]').first
    thinking.locator("summary").click()
    assert STEP_THINKING in thinking.inner_text()
    assert "Current LLMThought is unexpectedly None" not in app.log_text()
    assert "Error in" not in app.log_text()


def test_reasoning_streams_live_is_kept_after_a_reload_and_not_sent_back(
    page: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI
) -> None:
    app = app_factory(model_env(scripted_model))
    _open(page, app)
    scripted_model.enqueue(Reply(content="The capital of France is Paris.", reasoning=THINKING))
    _watch(page)
    send_chat(page, "What is the capital of France?")
    wait_for_chat_text(page, "The capital of France is Paris.")
    states = _states(page)

    # The reasoning was on the page, in a collapsed block, before the answer began (how
    # much of it depends on how the browser batches the updates).
    early = [s for s in states if "The capital" not in s["text"] and s["labels"]]
    assert early, states
    assert early[0]["labels"] == ["💭 Thinking"]
    shown = [s["inside"][0].strip() for s in early if s["inside"][0].strip()]
    assert shown and THINKING.startswith(shown[0]), early
    assert any(THINKING in s["inside"][0] for s in states if s["inside"])
    assert THINKING not in chat_messages(page)[1]  # collapsed: not in the visible text

    page.reload()
    wait_for_app(page)
    block = page.locator(CHAT_MESSAGE).nth(1).locator('[data-testid="stExpander"]')
    assert block.count() == 1
    block.locator("summary").click()
    assert THINKING in block.inner_text()

    scripted_model.reset()
    send_chat(page, "echo history")
    assert "assistant: The capital of France is Paris." in chat_messages(page)[3]
    assert THINKING not in json.dumps(scripted_model.requests)


def test_a_replay_draws_the_steps_of_the_run_it_was_recorded_from(
    page: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    recorder_app = app_factory(model_env(scripted_model, STREAMLIT_AGENT_RECORD_DIR=str(folder)))
    _open(page, recorder_app)
    _ask_two_calls(page, scripted_model)
    recorded_labels = _labels(page, 1)
    recorded_text = chat_messages(page)[1]
    [replay_file] = folder.glob("*.json")
    assert json.loads(replay_file.read_text())["question"] == QUESTION
    requests = len(scripted_model.requests)

    replay_app = app_factory({"STREAMLIT_AGENT_REPLAY": str(replay_file)})
    _open(page, replay_app)
    assert f"Replay of a recorded run: {replay_file.name}" in sidebar_text(page)
    _watch(page)
    send_chat(page, "Play it back")
    wait_for_chat_text(page, ANSWER)
    wait_for_idle(page)

    replayed = _labels(page, 1)
    assert _without_duration(replayed) == _without_duration(recorded_labels)
    assert all(re.search(r" · \d+\.\d\d s$", lbl) for lbl in _step_labels(replayed))
    assert _no_durations(chat_messages(page)[1]) == _no_durations(recorded_text)
    states = _states(page)
    assert any(len(_step_labels(s["labels"])) == 2 and ANSWER not in s["text"] for s in states), (
        "the replay should draw its steps live before its answer"
    )
    assert len(scripted_model.requests) == requests  # no model was asked
