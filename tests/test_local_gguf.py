"""Bring your own GGUF: STREAMLIT_AGENT_LOCAL_MODEL names the file, and its chat format
comes from the chat template in its metadata. The only GGUF on this machine is the
bundled SmolLM2, so the "own" file is a link to it under another name."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.messages import HumanMessage

from streamlit_agent.agent.build import build_agent, run_turn
from streamlit_agent.config import load_settings
from streamlit_agent.conversation.steps import StepRecorder, group_turns
from streamlit_agent.models.bundled import server as local_model
from streamlit_agent.models.bundled.server import (
    CHAT_FORMAT,
    CHATML_MARKER,
    LocalModelError,
    LocalModelServer,
    chat_format_for,
    find_bundled_model,
    gguf_chat_template,
)
from streamlit_agent.models.providers import build_chat_model, choose_model
from streamlit_agent.tools.calculator import calculator

pytestmark = pytest.mark.slow

# Llama 3's template (abridged): not ChatML.
LLAMA3_TEMPLATE = (
    "{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>"
    "\n\n{{ message['content'] | trim }}<|eot_id|>{% endfor %}"
)


@pytest.fixture
def own_gguf(tmp_path: Path) -> Path:
    own = tmp_path / "my-instruct-q4_k_m.gguf"
    own.symlink_to(find_bundled_model())
    return own


def test_the_chat_format_follows_the_template() -> None:
    assert chat_format_for("{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}") == (
        CHAT_FORMAT
    )
    assert chat_format_for(None) == CHAT_FORMAT
    assert chat_format_for(LLAMA3_TEMPLATE) is None  # the file's own template, no tools


def test_a_file_that_is_not_a_gguf_names_the_setting(tmp_path: Path) -> None:
    fake = tmp_path / "weights.gguf"
    fake.write_bytes(b"not a gguf at all")
    with pytest.raises(LocalModelError, match="STREAMLIT_AGENT_LOCAL_MODEL"):
        gguf_chat_template(fake)


def _ask(server: LocalModelServer, question: str) -> tuple[list, str]:
    settings = load_settings(env={"STREAMLIT_AGENT_LOCAL_MODEL": str(server.model_path)})
    choice = choose_model(settings)
    llm = build_chat_model(choice, settings, server.base_url, server.api_key)
    history = InMemoryChatMessageHistory()
    agent = build_agent(llm, [calculator], settings, lambda _: history)
    result = run_turn(agent, "byo", HumanMessage(question), StepRecorder())
    [turn] = group_turns(history.messages)
    return turn.steps, str(result["output"])


def test_own_gguf_with_a_chatml_template_calls_tools(own_gguf: Path) -> None:
    settings = load_settings(env={"STREAMLIT_AGENT_LOCAL_MODEL": str(own_gguf)})
    assert choose_model(settings).label == "Local model: my-instruct-q4_k_m.gguf"
    assert CHATML_MARKER in (gguf_chat_template(own_gguf) or "")  # read from its metadata

    server = LocalModelServer(local_model.find_bundled_model(settings.local_model_path))
    try:
        server.start()
        assert server.chat_format == CHAT_FORMAT and server.calls_tools
        steps, answer = _ask(server, "What is 37 * 41?")
    finally:
        server.stop()
    assert [s.output for s in steps if s.tool == "calculator"] == ["1517"], answer


def test_own_gguf_with_another_template_gets_forced_tool_calls_only(
    own_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the file's template were Llama 3's: the server is started without a chat
    # format, so llama-cpp-python formats with the template in the file.
    monkeypatch.setattr(local_model, "gguf_chat_template", lambda path: LLAMA3_TEMPLATE)
    server = LocalModelServer(own_gguf)
    try:
        server.start()
        assert server.chat_format is None and not server.calls_tools
        steps, answer = _ask(server, "What is 37 * 41?")
    finally:
        server.stop()
    # The model cannot choose a tool itself, but the turn's tool, picked by the app and
    # forced, still runs: llama-cpp-python's generic handler holds it to the schema.
    assert [s.output for s in steps if s.tool == "calculator"] == ["1517"], answer
    assert answer.strip()
