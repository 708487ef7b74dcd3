"""The app's ChatOpenAI sends exactly what LangChain's does, by another way through the SDK."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_openai import ChatOpenAI

from streamlit_agent.conversation.meter import USAGE_ESTIMATED_KEY, answer_usage, describe
from streamlit_agent.conversation.steps import StepRecorder
from streamlit_agent.models.openai_client import AppChatOpenAI, ReasoningChatOpenAI
from tests.scripted_openai import Reply, ScriptedOpenAI

HISTORY = [
    SystemMessage("You are terse."),
    HumanMessage('What is 37*41? Also, ünïcödé \u2028 and a quote " here.'),
    AIMessage(
        content="",
        tool_calls=[{"name": "calculator", "args": {"expression": "37*41"}, "id": "call_1"}],
    ),
    ToolMessage("1517", tool_call_id="call_1"),
    AIMessage("37*41 = 1517."),
    HumanMessage([{"type": "text", "text": "And twice that?"}]),
]
TOOL = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate arithmetic.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}},
    },
}


def _request_body(model_class: type[ChatOpenAI], server: ScriptedOpenAI) -> dict:
    server.enqueue(Reply.text("3034"))
    llm = model_class(
        base_url=server.base_url, api_key="sk-test", model="scripted-model", streaming=True
    ).bind_tools([TOOL])
    answer = "".join(str(chunk.content) for chunk in llm.stream(HISTORY))
    assert answer == "3034"
    return server.requests[-1]


def test_same_request_body_as_langchain_chatopenai() -> None:
    with ScriptedOpenAI() as server:
        plain = _request_body(ChatOpenAI, server)
        ours = _request_body(AppChatOpenAI, server)
    assert ours == plain
    assert [m["role"] for m in ours["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert ours["messages"][2]["tool_calls"][0]["function"]["name"] == "calculator"


def test_a_subclass_sees_the_messages_in_its_payload() -> None:
    # Subclasses (the bundled model's repairs) edit payload["messages"]: the swap to
    # extra_body must come after them, at the client.
    llm = AppChatOpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-test", model="m")
    payload = llm._get_request_payload(HISTORY)
    assert len(payload["messages"]) == len(HISTORY) and "extra_body" not in payload


def test_history_skips_the_sdk_transform(monkeypatch: pytest.MonkeyPatch) -> None:
    import openai.resources.chat.completions.completions as completions

    seen: list[int] = []
    original = completions.maybe_transform

    def spy(data, expected_type):  # type: ignore[no-untyped-def]
        if isinstance(data, dict) and "messages" in data:
            seen.append(len(data["messages"]))
        return original(data, expected_type)

    monkeypatch.setattr(completions, "maybe_transform", spy)
    with ScriptedOpenAI() as server:
        _request_body(ChatOpenAI, server)
        _request_body(AppChatOpenAI, server)
    assert seen == [len(HISTORY), 0]


@pytest.mark.parametrize("reports", [True, False])
def test_a_server_that_reports_no_usage_still_gets_a_counted_meter(reports: bool) -> None:
    with ScriptedOpenAI(report_usage=reports) as server:
        server.enqueue(Reply.text("Forty-two, as everyone knows."))
        llm = ReasoningChatOpenAI(
            base_url=server.base_url,
            api_key="sk-test",
            model="scripted-model",
            streaming=True,
            stream_usage=True,
        )
        recorder = StepRecorder()
        message = llm.invoke([HumanMessage("What is six times seven?")], {"callbacks": [recorder]})
    usage = message.usage_metadata
    assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert bool(message.response_metadata.get(USAGE_ESTIMATED_KEY)) is not reports
    [answer] = recorder.messages(str(message.content))
    used = answer_usage(answer, ())
    assert used is not None and used.total_tokens == usage["total_tokens"]
    assert used.estimated == (0 if reports else 1)
    assert describe(used).endswith("out tokens" if reports else "out tokens (estimated)")
