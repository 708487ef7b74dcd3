"""Reasoning and two-call replies recorded from the scripted server through the real
ChatOpenAI path; recordings saved as JSON and replayed without a model."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from streamlit_agent.agent.build import build_agent, run_turn
from streamlit_agent.config import Settings
from streamlit_agent.conversation.steps import Step, StepRecorder, Turn, group_turns
from streamlit_agent.models.providers import ModelChoice, build_chat_model
from streamlit_agent.models.replay import (
    NO_MORE_REPLIES,
    Recording,
    ReplayChatModel,
    ReplayError,
    RunRecorder,
    load_problem,
    replay_tools,
)
from streamlit_agent.tools.calculator import calculator
from tests.scripted_openai import Reply, ScriptedOpenAI, ToolCall
from tests.test_agent import ListHistory

THINKING = "The user wants two products, so both go to the calculator at once."
FINAL_THINKING = "Both results are in; say them plainly."


@pytest.fixture
def scripted() -> Any:
    with ScriptedOpenAI(chunk_delay=0.01) as server:
        yield server


def _agent(llm: Any, tools: list[Any]) -> tuple[Any, ListHistory]:
    history = ListHistory()
    return build_agent(llm, tools, Settings(), lambda _: history), history


def _scripted_agent(server: ScriptedOpenAI) -> tuple[Any, ListHistory]:
    choice = ModelChoice("compatible", "scripted-model", server.base_url)
    return _agent(build_chat_model(choice, Settings(openai_base_url=server.base_url)), [calculator])


def _two_calls_with_reasoning(server: ScriptedOpenAI) -> None:
    server.enqueue(
        Reply(
            content="Let me compute both.",
            reasoning=THINKING,
            tool_calls=(
                ToolCall("calculator", {"expression": "6 * 7"}),
                ToolCall("calculator", {"expression": "12 * 12"}),
            ),
        ),
        Reply(content="They are 42 and 144.", reasoning=FINAL_THINKING),
    )


def _run(agent: Any, question: str, *handlers: Any) -> StepRecorder:
    recorder = StepRecorder()
    run_turn(agent, "t1", HumanMessage(question, id=f"q-{time.monotonic_ns()}"), recorder, handlers)
    return recorder


def _shape(turn: Turn) -> list[tuple[Any, ...]]:
    return [(s.tool, s.input, s.output, s.status, s.said, s.reasoning) for s in turn.steps]


def test_reasoning_and_two_calls_in_one_reply_are_stored_and_not_sent_back(
    scripted: ScriptedOpenAI,
) -> None:
    agent, history = _scripted_agent(scripted)
    _two_calls_with_reasoning(scripted)
    _run(agent, "What are 6 * 7 and 12 * 12?")

    [turn] = group_turns(history.messages)
    assert _shape(turn) == [
        ("calculator", {"expression": "6 * 7"}, "42", "ok", "Let me compute both.", THINKING),
        ("calculator", {"expression": "12 * 12"}, "144", "ok", "", ""),
    ]
    assert turn.answer is not None and turn.answer.content == "They are 42 and 144."
    assert turn.reasoning == FINAL_THINKING
    # Inside the turn and on the next one, the model never gets its reasoning back.
    _run(agent, "My name is Ada")
    bodies = json.dumps(scripted.requests)
    assert THINKING not in bodies and FINAL_THINKING not in bodies
    assert "Let me compute both." in bodies  # what it said is history; reasoning is not


def test_watchers_get_each_step_running_then_as_stored(scripted: ScriptedOpenAI) -> None:
    agent, history = _scripted_agent(scripted)
    _two_calls_with_reasoning(scripted)
    recorder = StepRecorder()
    seen: list[Step] = []
    recorder.watch(seen.append)
    run_turn(agent, "t1", HumanMessage("6 * 7 and 12 * 12?", id="q1"), recorder)

    [turn] = group_turns(history.messages)
    assert [(s.input["expression"], s.status) for s in seen] == [
        ("6 * 7", "running"),
        ("6 * 7", "ok"),
        ("12 * 12", "running"),
        ("12 * 12", "ok"),
    ]
    assert seen[0].said == "Let me compute both." and seen[0].reasoning == THINKING
    assert seen[0].duration_s is None and seen[1].duration_s is not None
    assert [seen[1], seen[3]] == turn.steps  # durations and all: what a reload draws


def _record(scripted: ScriptedOpenAI, tmp_path: Path) -> tuple[Path, list[Any], Turn, float]:
    agent, history = _scripted_agent(scripted)
    _two_calls_with_reasoning(scripted)
    recording = RunRecorder()
    started = time.perf_counter()
    _run(agent, "What are 6 * 7 and 12 * 12?", recording)
    elapsed = time.perf_counter() - started
    path = tmp_path / "run.json"
    recording.recording("What are 6 * 7 and 12 * 12?").save(path)
    [turn] = group_turns(history.messages)
    return path, history.messages, turn, elapsed


def test_a_replay_gives_the_same_steps_answer_and_reasoning_at_the_recorded_pace(
    scripted: ScriptedOpenAI, tmp_path: Path
) -> None:
    path, _, recorded, recorded_s = _record(scripted, tmp_path)
    requests_before = len(scripted.requests)
    recording = Recording.load(path)
    assert [len(call) > 0 for call in recording.model_calls] == [True, True]
    assert [r.name for r in recording.tool_results] == ["calculator", "calculator"]

    agent, history = _agent(ReplayChatModel(recording=recording), replay_tools(recording))
    started = time.perf_counter()
    _run(agent, "anything at all")
    replayed_s = time.perf_counter() - started
    [turn] = group_turns(history.messages)

    assert len(scripted.requests) == requests_before  # no model was asked
    assert _shape(turn) == _shape(recorded)
    assert turn.answer is not None and recorded.answer is not None
    assert turn.answer.content == recorded.answer.content
    assert turn.reasoning == recorded.reasoning == FINAL_THINKING
    # Recorded pace: the scripted server streamed ~40 chunks 10 ms apart.
    assert replayed_s >= 0.7 * recorded_s, (replayed_s, recorded_s)
    # The token meter shows what the recorded run used (the provider's usage, replayed).
    assert recorded.answer.response_metadata["usage"]["input_tokens"] > 0
    assert turn.answer.response_metadata["usage"] == recorded.answer.response_metadata["usage"]


def test_a_replay_past_its_recorded_replies_says_so(
    scripted: ScriptedOpenAI, tmp_path: Path
) -> None:
    path, *_ = _record(scripted, tmp_path)
    recording = Recording.load(path)
    only_first = Recording(recording.question, recording.model_calls[:1], recording.tool_results)
    agent, history = _agent(ReplayChatModel(recording=only_first), replay_tools(only_first))
    _run(agent, "again")
    [turn] = group_turns(history.messages)
    assert turn.answer is not None and turn.answer.content == NO_MORE_REPLIES


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not valid JSON"),
        ('{"format": "other"}', "not a streamlit-agent-replay file"),
        ('{"format": "streamlit-agent-replay", "version": 9}', "version 9"),
        (
            '{"format": "streamlit-agent-replay", "version": 1, "model_calls": [[{"text": 1}]]}',
            "missing or of the wrong type",
        ),
        ('{"format": "streamlit-agent-replay", "version": 1, "model_calls": []}', "no model"),
    ],
)
def test_a_bad_replay_file_is_named_with_its_problem(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ReplayError, match=reason):
        Recording.load(path)
    problem = load_problem(str(path))
    assert problem is not None and "bad.json" in problem and reason in problem
    assert load_problem(str(tmp_path / "missing.json")) is not None


def test_reasoning_of_an_unstreamed_reply_is_kept_too(scripted: ScriptedOpenAI) -> None:
    choice = ModelChoice("compatible", "scripted-model", scripted.base_url)
    llm = build_chat_model(choice, Settings(openai_base_url=scripted.base_url))
    scripted.enqueue(Reply(content="Paris.", reasoning=THINKING))
    reply = llm.invoke("Capital of France?", stream=False)
    assert reply.content == "Paris."
    assert reply.additional_kwargs["reasoning_content"] == THINKING
    assert scripted.requests[-1].get("stream") is not True


def test_a_run_whose_calls_were_not_streamed_replays_the_same(
    scripted: ScriptedOpenAI, tmp_path: Path
) -> None:
    # The bundled model's forced tool call is not streamed: no tokens reach the
    # recorder, which must still keep the call (from its end) for the replay.
    choice = ModelChoice("compatible", "scripted-model", scripted.base_url)
    llm = build_chat_model(choice, Settings(openai_base_url=scripted.base_url))
    agent, history = _agent(llm.model_copy(update={"streaming": False}), [calculator])
    _two_calls_with_reasoning(scripted)
    recording = RunRecorder()
    _run(agent, "What are 6 * 7 and 12 * 12?", recording)
    [recorded] = group_turns(history.messages)
    path = tmp_path / "unstreamed.json"
    recording.recording("What are 6 * 7 and 12 * 12?").save(path)

    loaded = Recording.load(path)
    assert len(loaded.model_calls) == 2
    again, replayed_history = _agent(ReplayChatModel(recording=loaded), replay_tools(loaded))
    _run(again, "anything")
    [turn] = group_turns(replayed_history.messages)
    assert [(s.tool, s.input, s.output) for s in turn.steps] == [
        (s.tool, s.input, s.output) for s in recorded.steps
    ]
    assert turn.answer is not None and recorded.answer is not None
    assert turn.answer.content == recorded.answer.content == "They are 42 and 144."
