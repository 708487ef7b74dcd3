"""The scripted OpenAI server, through the clients the app really uses."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

import openai
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from tests.scripted_openai import (
    BAD_JSON_ARGUMENTS,
    FAULTS,
    HTML_PAYLOAD,
    Fault,
    Reply,
    ScriptedOpenAI,
    ToolCall,
    default_brain,
    spawn,
    split_text,
)


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression."""
    return str(eval(expression))  # never called here; only its schema is sent


@tool
def web_search(query: str) -> str:
    """Search the web."""
    return query


@tool
def current_datetime() -> str:
    """The current date and time."""
    return "now"


TOOLS = [calculator, web_search, current_datetime]
OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "Evaluate an arithmetic expression.",
            "parameters": {
                "type": "object",
                "properties": {"expression": {"type": "string"}},
                "required": ["expression"],
            },
        },
    }
]


def client(server: ScriptedOpenAI, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, **kwargs)


def chat_model(server: ScriptedOpenAI, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=server.base_url,
        api_key="test",
        model="scripted-model",
        streaming=True,
        max_retries=0,
        **kwargs,
    )


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post_json(url: str, payload: Any = None) -> Any:
    data = json.dumps(payload if payload is not None else {}).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def server() -> Any:
    # Fast chunks keep the suite quick; streaming tests set their own delay where it matters.
    with ScriptedOpenAI(chunk_delay=0.0) as running:
        yield running


# --------------------------------------------------------------------------- raw client


def test_models_endpoint_lists_the_scripted_model(server: ScriptedOpenAI) -> None:
    assert [m.id for m in client(server).models.list()] == ["scripted-model"]


def test_non_streaming_text_answer(server: ScriptedOpenAI) -> None:
    response = client(server).chat.completions.create(
        model="scripted-model", messages=[user("hello there")]
    )
    assert response.object == "chat.completion"
    choice = response.choices[0]
    assert choice.message.content == "You said: hello there"
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    assert response.usage is not None and response.usage.total_tokens > 0


def test_streaming_text_arrives_in_several_chunks_with_usage_last(server: ScriptedOpenAI) -> None:
    stream = client(server).chat.completions.create(
        model="scripted-model",
        messages=[user("stream these words please")],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) >= 3
    assert "".join(pieces) == "You said: stream these words please"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0


def test_streaming_chunks_are_spaced_out_in_time() -> None:
    with ScriptedOpenAI(chunk_delay=0.05) as slow:
        stream = client(slow).chat.completions.create(
            model="scripted-model", messages=[user("one two three four")], stream=True
        )
        arrivals = [time.monotonic() for chunk in stream]
    # role, six words, finish: seven gaps of 50 ms, so a browser can see text grow.
    assert arrivals[-1] - arrivals[0] >= 0.3


def test_streaming_tool_call_arguments_arrive_in_pieces(server: ScriptedOpenAI) -> None:
    stream = client(server).chat.completions.create(
        model="scripted-model",
        messages=[user("What is 37 * 41?")],
        tools=OPENAI_TOOLS,
        stream=True,
    )
    deltas = [c.choices[0] for c in stream if c.choices]
    calls = [d.delta.tool_calls[0] for d in deltas if d.delta.tool_calls]
    assert calls[0].id == "call_1" and calls[0].type == "function"
    assert calls[0].function.name == "calculator"
    fragments = [c.function.arguments for c in calls[1:]]
    assert len(fragments) >= 2 and all(c.index == 0 for c in calls)
    assert json.loads("".join(fragments)) == {"expression": "37 * 41"}
    assert deltas[-1].finish_reason == "tool_calls"


def test_tool_call_ids_are_unique_per_server(server: ScriptedOpenAI) -> None:
    ids = set()
    for _ in range(3):
        response = client(server).chat.completions.create(
            model="scripted-model", messages=[user("2 + 2")], tools=OPENAI_TOOLS
        )
        ids.add(response.choices[0].message.tool_calls[0].id)
    assert ids == {"call_1", "call_2", "call_3"}


def test_tool_choice_none_hides_the_tools_from_the_brain(server: ScriptedOpenAI) -> None:
    response = client(server).chat.completions.create(
        model="scripted-model", messages=[user("2 + 2")], tools=OPENAI_TOOLS, tool_choice="none"
    )
    assert response.choices[0].message.content == "You said: 2 + 2"


# --------------------------------------------------------------------------- ChatOpenAI


def test_chat_openai_gets_a_tool_call_with_parsed_arguments(server: ScriptedOpenAI) -> None:
    message = chat_model(server).bind_tools(TOOLS).invoke("What is 37 * 41?")
    assert isinstance(message, AIMessage)
    assert message.tool_calls == [
        {
            "name": "calculator",
            "args": {"expression": "37 * 41"},
            "id": "call_1",
            "type": "tool_call",
        }
    ]
    offered = [t["function"]["name"] for t in server.requests[0]["tools"]]
    assert offered == ["calculator", "web_search", "current_datetime"]
    assert server.requests[0]["stream"] is True


def test_chat_openai_streams_text_in_several_tokens(server: ScriptedOpenAI) -> None:
    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.tokens.append(token)

    tokens = Tokens()
    message = chat_model(server).invoke("tell me things", config={"callbacks": [tokens]})
    assert message.content == "You said: tell me things"
    assert len([t for t in tokens.tokens if t]) >= 3

    chunks = [c.content for c in chat_model(server).stream("tell me more things") if c.content]
    assert len(chunks) >= 3 and "".join(chunks) == "You said: tell me more things"


def test_chat_openai_reports_usage_when_asked(server: ScriptedOpenAI) -> None:
    message = chat_model(server, stream_usage=True).invoke("count me")
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] > 0
    assert server.requests[0]["stream_options"] == {"include_usage": True}


def test_tool_result_round_trip_and_echo_history(server: ScriptedOpenAI) -> None:
    model = chat_model(server).bind_tools(TOOLS)
    history: list[Any] = [SystemMessage("be brief"), HumanMessage("What is 37 * 41?")]
    call = model.invoke(history)
    history += [call, ToolMessage("1517", tool_call_id=call.tool_calls[0]["id"])]
    answer = model.invoke(history)
    assert answer.content == "The calculator returned: 1517."
    assert answer.tool_calls == []

    history += [answer, HumanMessage("Echo history, please")]
    echo = model.invoke(history).content
    assert echo.splitlines() == [
        "I received 4 earlier messages:",
        "user: What is 37 * 41?",
        'assistant: [tool_calls: calculator({"expression": "37 * 41"})]',
        "tool(calculator): 1517",
        "assistant: The calculator returned: 1517.",
    ]


def test_bad_json_arguments_become_an_invalid_tool_call(server: ScriptedOpenAI) -> None:
    message = chat_model(server).bind_tools(TOOLS).invoke("[fault:badjson] add things")
    assert message.tool_calls == []
    [invalid] = message.invalid_tool_calls
    assert invalid["name"] == "calculator" and invalid["args"] == BAD_JSON_ARGUMENTS
    with pytest.raises(ValueError):
        json.loads(invalid["args"])


def test_unknown_tool_and_loop_faults(server: ScriptedOpenAI) -> None:
    model = chat_model(server).bind_tools(TOOLS)
    unknown = model.invoke("[fault:unknown_tool] hi")
    assert unknown.tool_calls[0]["name"] == "no_such_tool"

    history: list[Any] = [HumanMessage("[fault:loop] go")]
    for _ in range(3):  # still calling after each result, where rule (a) would have answered
        call = model.invoke(history)
        assert call.tool_calls[0]["name"] == "calculator"
        assert call.tool_calls[0]["args"] == {"expression": "loop"}
        history += [call, ToolMessage("error", tool_call_id=call.tool_calls[0]["id"])]


def test_html_fault_answers_with_markup(server: ScriptedOpenAI) -> None:
    assert HTML_PAYLOAD in chat_model(server).invoke("[fault:html]").content


# --------------------------------------------------------------------------- HTTP faults


def test_rate_limit_raises_rate_limit_error(server: ScriptedOpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        client(server).chat.completions.create(
            model="scripted-model", messages=[user("[fault:429] hi")]
        )
    assert caught.value.status_code == 429
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.body["type"] == "rate_limit_error"

    with pytest.raises(openai.RateLimitError):
        chat_model(server).invoke("[fault:429] again")


def test_server_error_and_context_length(server: ScriptedOpenAI) -> None:
    with pytest.raises(openai.InternalServerError):
        client(server).chat.completions.create(
            model="scripted-model", messages=[user("[fault:500]")], stream=True
        )
    with pytest.raises(openai.BadRequestError) as caught:
        client(server).chat.completions.create(
            model="scripted-model", messages=[user("[fault:context]")]
        )
    assert caught.value.code == "context_length_exceeded"


def test_hang_times_out_the_client_and_stop_releases_it() -> None:
    server = ScriptedOpenAI(chunk_delay=0.0).start()
    try:
        with pytest.raises(openai.APITimeoutError):
            client(server, timeout=0.5).chat.completions.create(
                model="scripted-model", messages=[user("[fault:hang]")]
            )
        outcome: list[BaseException] = []

        def call() -> None:
            try:
                client(server, timeout=30).chat.completions.create(
                    model="scripted-model", messages=[user("[fault:hang]")]
                )
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=call)
        worker.start()
        server.wait_for_requests(2)
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 3
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert isinstance(outcome[0], openai.APIConnectionError)


def test_stall_streams_a_little_then_goes_quiet(server: ScriptedOpenAI) -> None:
    stream = client(server, timeout=1.0).chat.completions.create(
        model="scripted-model", messages=[user("[fault:stall]")], stream=True
    )
    pieces = []
    with pytest.raises(openai.APITimeoutError):
        for chunk in stream:
            pieces.append(chunk.choices[0].delta.content or "")
    assert "".join(pieces) == "This answer starts "


# --------------------------------------------------------------------------- overriding


def test_enqueued_replies_come_first_then_the_brain(server: ScriptedOpenAI) -> None:
    server.enqueue(
        Reply.text("forced answer"),
        Reply.tools(ToolCall("web_search", {"query": "x"}), ToolCall("calculator", "{}")),
    )
    openai_client = client(server)

    def ask(text: str) -> Any:
        return openai_client.chat.completions.create(
            model="scripted-model", messages=[user(text)]
        ).choices[0]

    assert ask("anything").message.content == "forced answer"
    calls = ask("anything").message.tool_calls
    assert [(c.id, c.function.name) for c in calls] == [
        ("call_1", "web_search"),
        ("call_2", "calculator"),
    ]
    assert ask("anything").message.content == "You said: anything"


def test_brain_can_be_replaced_and_its_failures_surface(server: ScriptedOpenAI) -> None:
    server.brain = lambda messages, tools: Reply.text(f"{len(messages)} messages")
    reply = client(server).chat.completions.create(
        model="scripted-model", messages=[user("a"), user("b")]
    )
    assert reply.choices[0].message.content == "2 messages"

    def broken(messages: list[Any], tools: list[Any]) -> Reply:
        raise RuntimeError("brain broke")

    server.brain = broken
    with pytest.raises(openai.InternalServerError, match="brain broke"):
        client(server).chat.completions.create(model="scripted-model", messages=[user("a")])
    assert "RuntimeError: brain broke" in server.errors[0]


def test_log_reset_and_enqueue_over_http(server: ScriptedOpenAI) -> None:
    client(server).chat.completions.create(model="scripted-model", messages=[user("logged")])
    root = server.base_url.removesuffix("/v1")
    log = get_json(f"{root}/_log")
    assert [entry["messages"] for entry in log] == [[user("logged")]]
    assert server.requests == log
    assert server.request_headers[0]["authorization"] == "Bearer test"

    assert post_json(f"{root}/_reset") == {"ok": True}
    assert get_json(f"{root}/_log") == [] and server.requests == []

    post_json(f"{root}/_enqueue", Reply.tool("calculator", {"expression": "1+1"}).to_json())
    message = client(server).chat.completions.create(model="scripted-model", messages=[user("hi")])
    assert message.choices[0].message.tool_calls[0].function.arguments == '{"expression": "1+1"}'


def test_standalone_process_serves_until_terminated() -> None:
    process, base_url = spawn(chunk_delay=0.0)
    try:
        assert base_url.startswith("http://127.0.0.1:")
        remote = openai.OpenAI(base_url=base_url, api_key="test", max_retries=0)
        answer = remote.chat.completions.create(
            model="scripted-model", messages=[user("My name is Ada")]
        )
        assert answer.choices[0].message.content == "Nice to meet you, Ada!"
        log = get_json(base_url.removesuffix("/v1") + "/_log")
        assert log[0]["messages"] == [user("My name is Ada")]
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


# --------------------------------------------------------------------------- the brain's rules


def test_brain_rules() -> None:
    tools = [{"type": "function", "function": {"name": n}} for n in ("web_search", "calculator")]
    tools.append({"type": "function", "function": {"name": "current_datetime"}})

    def answer(*texts: str, offered: list[Any] = tools) -> Reply:
        return default_brain([user(t) for t in texts], offered)

    assert answer("What is (2 + 3) × 4?").tool_calls[0].arguments == {"expression": "(2 + 3) × 4"}
    assert answer("compute 2^10 for me").tool_calls[0].arguments == {"expression": "2^10"}
    assert answer("What is 2 + 2?", offered=[]).content == "You said: What is 2 + 2?"
    assert answer("Search for streamlit chat apps?").tool_calls[0] == ToolCall(
        "web_search", {"query": "streamlit chat apps"}
    )
    assert answer("search langchain").tool_calls[0].arguments == {"query": "langchain"}
    assert answer("What time is it?").tool_calls[0] == ToolCall("current_datetime", {})
    assert answer("what's today's date").tool_calls[0].name == "current_datetime"
    assert answer("My name is Ada").content == "Nice to meet you, Ada!"
    assert answer("My name is Ada", "hi", "What is my name?").content == "Your name is Ada."
    assert answer("what's my name").content == "I don't know your name yet."
    assert answer("first!", "second", "What was my first question?").content == (
        'Your first question was: "first!"'
    )
    assert answer("[fault:nope]").content == "Unknown fault directive: nope."
    assert answer("just chatting").content == "You said: just chatting"
    assert answer("echo history").content == "I received 0 earlier messages:"


def test_tool_results_are_named_from_the_matching_call() -> None:
    messages = [
        user("two things"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "calculator"}},
                {"id": "b", "type": "function", "function": {"name": "web_search"}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "4"},
        {"role": "tool", "tool_call_id": "b", "content": [{"type": "text", "text": "found"}]},
    ]
    assert default_brain(messages, []).content == (
        "The calculator returned: 4. The web_search returned: found."
    )
    orphan = [user("x"), {"role": "tool", "tool_call_id": "zz", "content": "7"}]
    assert default_brain(orphan, []).content == "The tool returned: 7."


def test_split_text_keeps_every_character() -> None:
    text = "  line one\nline two  with   gaps "
    assert "".join(split_text(text)) == text
    long = " ".join(f"w{n}" for n in range(200))
    pieces = split_text(long)
    assert "".join(pieces) == long and 3 <= len(pieces) <= 40


def test_fault_table_is_extensible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        FAULTS, "teapot", Fault(lambda messages, tools: Reply.failure(418, "I'm a teapot"))
    )
    with ScriptedOpenAI(chunk_delay=0.0) as server, pytest.raises(openai.APIStatusError) as caught:
        client(server).chat.completions.create(
            model="scripted-model", messages=[user("[fault:teapot] brew")]
        )
    assert caught.value.status_code == 418
