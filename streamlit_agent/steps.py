"""Recording what the agent did, as chat messages, and reading steps back out of them.

One record serves both the UI and the model: a turn is stored as
`HumanMessage, AIMessage(tool_calls), ToolMessage..., AIMessage(answer)`. Redrawing
the steps and giving the model its earlier tool calls on the next turn read the
same messages. Timings, errors and the untruncated output ride along in
`ToolMessage.response_metadata`, which providers never receive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from langchain_core.agents import AgentAction
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import LLMResult

from streamlit_agent.tool_runner import UNREADABLE_ARGS_KEY

STATUS_COMPLETE = "complete"
STATUS_INTERRUPTED = "interrupted"
STATUS_ERROR = "error"


@dataclass
class Step:
    """One tool call as the UI and exports show it."""

    tool: str
    input: Any
    output: str = ""
    error: str | None = None
    duration_s: float | None = None
    status: str = "ok"  # ok | error | denied | interrupted
    call_id: str = ""


@dataclass
class Turn:
    """A user message and everything the assistant did in reply."""

    user: HumanMessage | None
    steps: list[Step] = field(default_factory=list)
    answer: AIMessage | None = None
    messages: list[BaseMessage] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.answer is None:
            return STATUS_INTERRUPTED
        return self.answer.response_metadata.get("status", STATUS_COMPLETE)


def new_message_id() -> str:
    return uuid4().hex


def shown_input(args: Any) -> Any:
    """A call's arguments as a person reads them: a lone or unreadable value as itself."""
    if isinstance(args, dict) and len(args) == 1:
        key = next(iter(args))
        if key in ("input", UNREADABLE_ARGS_KEY):
            return args[key]
    return args


def _call_args(tool_input: Any) -> dict[str, Any]:
    return tool_input if isinstance(tool_input, dict) else {"input": tool_input}


@dataclass
class _Call:
    action: AgentAction
    call_id: str
    thought: str
    started: float | None = None
    step: Step | None = None
    sent: str | None = None  # what the model received, when capped shorter than the step


class StepRecorder(BaseCallbackHandler):
    """Callback handler that records a run's tool calls, timings and streamed answer."""

    def __init__(self) -> None:
        self.calls: list[_Call] = []
        self._by_run: dict[UUID, _Call] = {}
        self.partial_answer = ""
        self.usage: dict[str, int] = {}

    # --- events ---------------------------------------------------------
    def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
        self.partial_answer = ""

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.partial_answer = ""

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.partial_answer += token

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
                for key in ("input_tokens", "output_tokens", "total_tokens"):
                    if usage and usage.get(key):
                        self.usage[key] = self.usage.get(key, 0) + int(usage[key])

    def on_agent_action(self, action: AgentAction, **kwargs: Any) -> None:
        call_id = getattr(action, "tool_call_id", None) or f"call_{new_message_id()[:12]}"
        thought = ""
        log = getattr(action, "message_log", None) or []
        if log:
            thought = str(log[0].content or "")
        self.calls.append(_Call(action, call_id, thought))
        self.partial_answer = ""

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kwargs: Any) -> None:
        call = self._open_call()
        if call is not None:
            call.started = time.perf_counter()
            self._by_run[kwargs["run_id"]] = call

    def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        call = self._by_run.get(kwargs["run_id"])
        if call is not None:
            text = str(getattr(output, "content", output))
            full = getattr(output, "full_output", None)
            call.sent = text if full else None
            call.step = self._step(call, output=full or text, status=_status_of(output))

    def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        call = self._by_run.get(kwargs["run_id"])
        if call is not None:
            reason = f"{type(error).__name__}: {error}"
            call.step = self._step(call, output=reason, error=reason, status="error")

    def _open_call(self) -> _Call | None:
        for call in reversed(self.calls):
            if call.step is None and call.started is None:
                return call
        return None

    def _step(self, call: _Call, output: str, status: str, error: str | None = None) -> Step:
        duration = time.perf_counter() - call.started if call.started is not None else None
        if status == "error" and error is None:
            error = output
        return Step(
            tool=call.action.tool,
            input=shown_input(call.action.tool_input),
            output=output,
            error=error,
            duration_s=duration,
            status=status,
            call_id=call.call_id,
        )

    def record_observation(self, action: AgentAction, observation: str) -> None:
        """Attach a result the executor produced without running a tool (e.g. parse errors)."""
        for call in self.calls:
            if call.action is action and call.step is None:
                call.step = self._step(call, output=observation, status="error")

    # --- results --------------------------------------------------------
    def messages(
        self, answer: str, status: str = STATUS_COMPLETE, **metadata: Any
    ) -> list[BaseMessage]:
        """The turn's assistant-side messages, ready to append to history."""
        out: list[BaseMessage] = []
        group: list[_Call] = []

        def flush() -> None:
            if not group:
                return
            out.append(
                AIMessage(
                    content=group[0].thought,
                    id=new_message_id(),
                    tool_calls=[
                        {
                            "name": c.action.tool,
                            "args": _call_args(c.action.tool_input),
                            "id": c.call_id,
                        }
                        for c in group
                    ],
                )
            )
            out.extend(_tool_message(c) for c in group)
            group.clear()

        previous_log: object = None
        for call in self.calls:
            log = getattr(call.action, "message_log", None)
            log_key = id(log[0]) if log else None
            if group and (log_key is None or log_key != previous_log):
                flush()
            group.append(call)
            previous_log = log_key
        flush()
        meta = {"status": status, **metadata}
        if self.usage:
            meta["usage"] = dict(self.usage)
        out.append(AIMessage(content=answer, id=new_message_id(), response_metadata=meta))
        return out


def _status_of(output: Any) -> str:
    status = getattr(output, "status", None)
    return status if status in ("error", "denied") else "ok"


def _tool_message(call: _Call) -> ToolMessage:
    step = call.step or Step(
        tool=call.action.tool,
        input=call.action.tool_input,
        output="Not run: the answer was stopped before this tool finished.",
        status="interrupted",
        call_id=call.call_id,
    )
    meta: dict[str, Any] = {
        "step_status": step.status,
        "error": step.error,
        "duration_s": step.duration_s,
    }
    if call.sent is not None:
        meta["full_output"] = step.output
    return ToolMessage(
        content=call.sent if call.sent is not None else step.output,
        tool_call_id=call.call_id,
        name=step.tool,
        id=new_message_id(),
        status="error" if step.status != "ok" else "success",
        response_metadata=meta,
    )


def steps_from_messages(ai: AIMessage, tool_messages: dict[str, ToolMessage]) -> list[Step]:
    """Steps of one tool-calling AI message, paired with their results by call id."""
    steps = []
    for call in ai.tool_calls:
        result = tool_messages.get(call["id"] or "")
        meta = result.response_metadata if result is not None else {}
        steps.append(
            Step(
                tool=call["name"],
                input=shown_input(call["args"]),
                output=meta.get("full_output") or (str(result.content) if result else ""),
                error=meta.get("error"),
                duration_s=meta.get("duration_s"),
                status=meta.get("step_status", "ok") if result else "interrupted",
                call_id=call["id"] or "",
            )
        )
    return steps


def group_turns(messages: list[BaseMessage]) -> list[Turn]:
    """Split a flat history into turns for drawing and exporting."""
    results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    turns: list[Turn] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            turns.append(Turn(user=message, messages=[message]))
            continue
        if not turns:
            turns.append(Turn(user=None))
        turn = turns[-1]
        turn.messages.append(message)
        if isinstance(message, AIMessage):
            if message.tool_calls:
                turn.steps.extend(steps_from_messages(message, results))
            else:
                turn.answer = message
    return turns
