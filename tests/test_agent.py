"""Agent wiring with a deterministic chat model that emits tool calls."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import Field

from streamlit_agent.agent.build import build_agent, run_turn
from streamlit_agent.config import Settings
from streamlit_agent.conversation.budget import trim_history
from streamlit_agent.conversation.steps import STATUS_INTERRUPTED, StepRecorder, group_turns


class ListHistory(BaseChatMessageHistory):
    def __init__(self) -> None:
        self.messages: list[BaseMessage] = []

    def add_messages(self, messages: Any) -> None:
        self.messages.extend(messages)

    def clear(self) -> None:
        self.messages = []


class ScriptedChatModel(FakeMessagesListChatModel):
    """Replies from a list and remembers every prompt it was given."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


@tool
def multiply(a: int, b: int) -> str:
    """Multiply two integers."""
    return str(a * b)


@tool
def broken(text: str) -> str:
    """Always fails."""
    raise RuntimeError("disk on fire")


def call(name: str, args: dict[str, Any], call_id: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id}])


def make(responses: list[AIMessage], tools: list[Any] | None = None, **settings: Any) -> Any:
    model = ScriptedChatModel(responses=responses)
    history = ListHistory()
    agent = build_agent(model, tools or [multiply], Settings(**settings), lambda _: history)
    return agent, history, model


def test_tool_call_then_answer_is_recorded_as_messages() -> None:
    agent, history, _ = make([call("multiply", {"a": 37, "b": 41}, "c1"), AIMessage("1517.")])
    result = run_turn(agent, "t1", HumanMessage("37*41?"), StepRecorder())

    assert result["output"] == "1517."
    kinds = [type(m).__name__ for m in history.messages]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    tool_message = history.messages[2]
    assert isinstance(tool_message, ToolMessage)
    assert tool_message.content == "1517"
    assert tool_message.tool_call_id == "c1"
    assert tool_message.response_metadata["duration_s"] >= 0
    [turn] = group_turns(history.messages)
    assert [(s.tool, s.input, s.output, s.status) for s in turn.steps] == [
        ("multiply", {"a": 37, "b": 41}, "1517", "ok")
    ]


def test_finished_tool_calls_are_checkpointed_with_the_ids_the_turn_keeps() -> None:
    two_at_once = AIMessage(
        "",
        tool_calls=[
            {"name": "multiply", "args": {"a": 2, "b": 3}, "id": "c1"},
            {"name": "multiply", "args": {"a": 4, "b": 5}, "id": "c2"},
        ],
    )
    agent, history, _ = make(
        [two_at_once, call("multiply", {"a": 6, "b": 20}, "c3"), AIMessage("120.")]
    )
    checkpoints: list[list[BaseMessage]] = []
    run_turn(agent, "t1", HumanMessage("go"), StepRecorder(on_step=checkpoints.append))

    # One checkpoint a finished call; a message asking for two calls waits for both.
    assert [len(c) for c in checkpoints] == [0, 3, 5]
    kinds = [type(m).__name__ for m in checkpoints[-1]]
    assert kinds == ["AIMessage", "ToolMessage", "ToolMessage", "AIMessage", "ToolMessage"]
    assert [m.content for m in checkpoints[-1] if isinstance(m, ToolMessage)] == ["6", "20", "120"]
    # The turn's final messages are the same records (same ids), then the answer.
    final = history.messages[1:]
    assert [m.id for m in final[:-1]] == [m.id for m in checkpoints[-1]]
    assert final[-1].content == "120."


def test_second_turn_receives_earlier_tool_calls_and_results() -> None:
    agent, _, model = make(
        [call("multiply", {"a": 2, "b": 3}, "c1"), AIMessage("6."), AIMessage("Yes, 6.")]
    )
    run_turn(agent, "t1", HumanMessage("2*3?"), StepRecorder())
    run_turn(agent, "t1", HumanMessage("Are you sure?"), StepRecorder())

    last_prompt = model.seen[-1]
    assert any(isinstance(m, ToolMessage) and m.content == "6" for m in last_prompt)
    assert any(isinstance(m, AIMessage) and m.tool_calls for m in last_prompt)
    assert isinstance(last_prompt[-1], HumanMessage)
    assert last_prompt[-1].content == "Are you sure?"


def test_tool_exception_is_contained_and_marked_as_error() -> None:
    agent, history, model = make(
        [call("broken", {"text": "x"}, "c1"), AIMessage("It failed.")], tools=[broken]
    )
    result = run_turn(agent, "t1", HumanMessage("go"), StepRecorder())

    assert result["output"] == "It failed."
    fed_back = model.seen[-1][-1]
    assert isinstance(fed_back, ToolMessage)
    assert fed_back.content == "Tool broken failed: RuntimeError: disk on fire"
    [step] = group_turns(history.messages)[0].steps
    assert step.status == "error"
    assert "disk on fire" in (step.error or "")


def test_unreadable_tool_arguments_are_fed_back_and_the_step_shows_them() -> None:
    unreadable = AIMessage(
        "",
        invalid_tool_calls=[
            {
                "name": "multiply",
                "args": '"a": 6, "b": 7}',
                "id": "c1",
                "error": "bad JSON",
                "type": "invalid_tool_call",
            }
        ],
    )
    agent, history, model = make(
        [unreadable, call("multiply", {"a": 6, "b": 7}, "c2"), AIMessage("It is 42.")]
    )
    result = run_turn(agent, "t1", HumanMessage("6 times 7?"), StepRecorder())

    assert result["output"] == "It is 42."
    first_result = model.seen[1][-1]
    assert isinstance(first_result, ToolMessage) and first_result.tool_call_id == "c1"
    assert "not valid JSON" in str(first_result.content)
    assert '"a": 6, "b": 7}' in str(first_result.content)
    bad, good = group_turns(history.messages)[0].steps
    assert (bad.status, bad.input) == ("error", '"a": 6, "b": 7}')
    assert "not valid JSON" in (bad.error or "")
    assert (good.status, good.output) == ("ok", "42")


def test_arguments_that_do_not_fit_the_schema_are_refused_not_raised() -> None:
    agent, history, model = make(
        [call("multiply", {"a": "six"}, "c1"), AIMessage("I could not multiply.")]
    )
    result = run_turn(agent, "t1", HumanMessage("go"), StepRecorder())

    assert result["output"] == "I could not multiply."
    fed_back = str(model.seen[-1][-1].content)
    assert fed_back.startswith("Tool multiply was not run: its arguments do not fit the schema")
    assert "errors.pydantic.dev" not in fed_back
    [step] = group_turns(history.messages)[0].steps
    assert step.status == "error"


def test_unknown_tool_name_is_answered_with_the_tools_there_are() -> None:
    agent, history, model = make(
        [call("no_such_tool", {"x": 1}, "c1"), AIMessage("Sorry, no such tool.")]
    )
    result = run_turn(agent, "t1", HumanMessage("go"), StepRecorder())

    assert result["output"] == "Sorry, no such tool."
    fed_back = str(model.seen[-1][-1].content)
    assert "no_such_tool is not a valid tool" in fed_back and "multiply" in fed_back
    [step] = group_turns(history.messages)[0].steps
    assert step.tool == "no_such_tool"


def test_tool_timeout_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as time_module

    @tool
    def slow(seconds: float) -> str:
        """Sleeps."""
        time_module.sleep(seconds)
        return "done"

    slow.metadata = {"timeout_s": 0.2}
    agent, history, model = make(
        [call("slow", {"seconds": 5}, "c1"), AIMessage("Too slow.")], tools=[slow]
    )
    started = time_module.perf_counter()
    run_turn(agent, "t1", HumanMessage("go"), StepRecorder())
    assert time_module.perf_counter() - started < 4
    assert model.seen[-1][-1].content == "Tool slow failed: timed out after 0.2 s"
    assert group_turns(history.messages)[0].steps[0].status == "error"


def test_long_output_is_capped_for_the_model_but_kept_for_the_step() -> None:
    @tool
    def chatty() -> str:
        """Talks a lot."""
        return "y" * 500

    agent, history, model = make(
        [call("chatty", {}, "c1"), AIMessage("ok")], tools=[chatty], tool_output_cap=100
    )
    run_turn(agent, "t1", HumanMessage("go"), StepRecorder())
    sent = str(model.seen[-1][-1].content)
    assert sent.startswith("y" * 100) and "truncated: showing 100 of 500" in sent
    assert group_turns(history.messages)[0].steps[0].output == "y" * 500


@pytest.mark.parametrize("limit", [3, 40])
def test_iteration_limit_gives_a_clear_answer(limit: int) -> None:
    # 40: far past LangGraph's own step count for a small limit, so the graph's backstop
    # must follow the setting rather than end the turn with a recursion error.
    looping = [call("multiply", {"a": 1, "b": i}, f"c{i}") for i in range(limit + 5)]
    agent, history, _ = make(looping, max_iterations=limit)
    result = run_turn(agent, "t1", HumanMessage("loop"), StepRecorder())
    assert result["output"].startswith(f"Stopped after {limit} steps")
    assert len(group_turns(history.messages)[0].steps) == limit


def test_interrupted_recording_pairs_every_tool_call() -> None:
    recorder = StepRecorder()
    recorder.model_reply(call("multiply", {"a": 1, "b": 2}, "c1"))
    out = recorder.messages("partial", status=STATUS_INTERRUPTED)
    assert isinstance(out[0], AIMessage) and out[0].tool_calls[0]["id"] == "c1"
    assert isinstance(out[1], ToolMessage) and out[1].tool_call_id == "c1"
    assert out[1].response_metadata["step_status"] == "interrupted"
    assert out[-1].response_metadata["status"] == STATUS_INTERRUPTED


def test_trim_history_keeps_newest_whole_turns() -> None:
    history: list[BaseMessage] = []
    for i in range(20):
        history += [HumanMessage(f"question {i} " + "x" * 200), AIMessage(f"answer {i}")]
    trimmed = trim_history(history, budget=300)
    assert trimmed, "at least the newest turn fits"
    assert isinstance(trimmed[0], HumanMessage)
    assert trimmed[-1].content == "answer 19"
    assert len(trimmed) < len(history)


@tool
def send_money(amount: int) -> str:
    """Sends money."""
    return f"sent {amount}"


send_money.metadata = {"requires_approval": True}


def test_call_needing_approval_stops_until_decided() -> None:
    from streamlit_agent.agent.tool_runner import ApprovalRequired

    agent, history, _ = make([call("send_money", {"amount": 5}, "c1")], tools=[send_money])
    with pytest.raises(ApprovalRequired) as raised:
        run_turn(agent, "t1", HumanMessage("pay"), StepRecorder())
    assert raised.value.tool_name == "send_money"
    assert raised.value.call_args == {"amount": 5}
    assert history.messages == []


@pytest.mark.parametrize("approved", [True, False])
def test_decided_call_runs_or_is_refused(approved: bool) -> None:
    from streamlit_agent.agent.tool_runner import ApprovalGate, approval_key

    agent, history, model = make(
        [call("send_money", {"amount": 5}, "c1"), AIMessage("done")], tools=[send_money]
    )
    gate = ApprovalGate({approval_key("send_money", {"amount": 5}) + "#1": approved})
    run_turn(agent, "t1", HumanMessage("pay"), StepRecorder(), approval_gate=gate)
    fed_back = str(model.seen[-1][-1].content)
    step = group_turns(history.messages)[0].steps[0]
    if approved:
        assert fed_back == "sent 5"
        assert step.status == "ok"
    else:
        assert fed_back.startswith("The user denied this call to send_money")
        assert step.status == "denied"


def test_one_approve_runs_exactly_one_call_and_a_repeated_call_asks_again() -> None:
    from streamlit_agent.agent.tool_runner import ApprovalGate, ApprovalRequired

    runs: list[int] = []

    @tool
    def pay(amount: int) -> str:
        """Pays."""
        runs.append(amount)
        return f"paid {amount}"

    pay.metadata = {"requires_approval": True}
    twice = AIMessage(
        "",
        tool_calls=[
            {"name": "pay", "args": {"amount": 5}, "id": "c1"},
            {"name": "pay", "args": {"amount": 5}, "id": "c2"},
        ],
    )
    decisions: dict[str, bool] = {}
    results: dict[str, Any] = {}

    def attempt() -> Any:
        # The page runs the whole turn again after each decision, as the app does.
        agent, history, _ = make([twice, AIMessage("done")], tools=[pay])
        gate = ApprovalGate(decisions, results)
        question = HumanMessage("pay twice")
        return run_turn(agent, "t1", question, StepRecorder(), approval_gate=gate), history

    with pytest.raises(ApprovalRequired) as first:
        attempt()
    decisions[first.value.key] = True
    with pytest.raises(ApprovalRequired) as second:
        attempt()
    assert runs == [5], "one Approve ran exactly one call"
    assert second.value.key != first.value.key
    decisions[second.value.key] = True
    result, history = attempt()
    assert runs == [5, 5], "the first call was not run again when the turn ran again"
    assert result["output"] == "done"
    assert [s.output for s in group_turns(history.messages)[0].steps] == ["paid 5", "paid 5"]


def test_each_turn_is_stored_once_and_the_next_turn_sees_its_tool_call() -> None:
    """The graph returns every message it was shown (earlier turns included); the history
    wrapper must still store only the turn's own messages, each once."""
    agent, history, model = make(
        [call("multiply", {"a": 6, "b": 7}, "c1"), AIMessage("42."), AIMessage("Yes, 42.")]
    )
    run_turn(agent, "t1", HumanMessage("6*7?", id="q1"), StepRecorder())
    run_turn(agent, "t1", HumanMessage("Sure?", id="q2"), StepRecorder())

    kinds = [type(m).__name__ for m in history.messages]
    assert kinds == [
        "HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "HumanMessage", "AIMessage"
    ]  # fmt: skip
    assert len({m.id for m in history.messages}) == len(history.messages)
    shown = model.seen[-1]  # the second turn's prompt: system, turn one whole, the question
    assert [type(m).__name__ for m in shown] == [
        "SystemMessage", "HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "HumanMessage"
    ]  # fmt: skip
    assert shown[2].tool_calls[0]["id"] == shown[3].tool_call_id == "c1"


def test_history_listener_sees_the_turn_not_each_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The history wrapper's listener stores the turn at its end; it is kept away from the
    graph's model calls, where as a tracer it would serialise every prompt."""
    from langchain_core.tracers.root_listeners import RootListenersTracer

    prompts_seen: list[object] = []
    original = RootListenersTracer.on_chat_model_start

    def counting(self: RootListenersTracer, *args: Any, **kwargs: Any) -> Any:
        prompts_seen.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RootListenersTracer, "on_chat_model_start", counting)
    agent, history, model = make([call("multiply", {"a": 2, "b": 3}, "c1"), AIMessage("6.")])
    run_turn(agent, "t1", HumanMessage("2*3?", id="q1"), StepRecorder())

    assert len(model.seen) == 2  # both model calls ran
    assert prompts_seen == []
    assert [type(m).__name__ for m in history.messages] == [
        "HumanMessage", "AIMessage", "ToolMessage", "AIMessage"
    ]  # fmt: skip
