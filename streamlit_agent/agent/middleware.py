"""The agent's middleware: what this app adds around each model call and tool call.

- `TurnLimits` ends a turn that reaches its step or time limit with a marked reply,
  instead of LangGraph's recursion error;
- `TurnSteps` tells the turn's `StepRecorder` each model reply and tool call (the graph
  has no agent-action events, and unknown or unreadable calls fire no tool events);
- `RepairToolCalls` keeps a call whose arguments are unreadable JSON as a call the tool
  runner refuses, so the model is told what was wrong instead of the turn ending empty;
- `MemoryContext` adds the person's long-term memories (the block `prepare_turn` read,
  conversation/memory.py) to the system prompt, one system message as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, NotRequired

from langchain.agents.middleware import AgentMiddleware, AgentState, hook_config
from langchain.agents.middleware.types import ModelResponse, PrivateStateAttr
from langchain_core.messages import AIMessage, SystemMessage, ToolMessage
from langgraph.channels.untracked_value import UntrackedValue
from langgraph.config import get_config

from streamlit_agent.agent.run_state import STOPPED_AFTER_KEY, recorder_in, steps_this_turn
from streamlit_agent.conversation.memory import memory_in
from streamlit_agent.conversation.steps import UNREADABLE_ARGS_KEY, new_message_id


def keep_unreadable_calls(message: AIMessage) -> AIMessage:
    """Turn tool calls with unreadable arguments into calls the tool runner refuses.

    Left alone, a call whose JSON does not parse is dropped and the turn ends with an
    empty answer. Kept as a call, the model is told what was wrong in that call's
    result and can correct itself, and the user sees the failed step.
    """
    if not message.invalid_tool_calls:
        return message
    calls = list(message.tool_calls)
    for bad in message.invalid_tool_calls:
        calls.append(
            {
                "name": bad.get("name") or "unnamed_tool",
                "args": {UNREADABLE_ARGS_KEY: bad.get("args") or ""},
                "id": bad.get("id") or f"call_{new_message_id()[:12]}",
                "type": "tool_call",
            }
        )
    return message.model_copy(update={"tool_calls": calls, "invalid_tool_calls": []})


def _replies(response: Any, change: Callable[[AIMessage], AIMessage]) -> Any:
    """`response` (a ModelResponse or a bare AIMessage) with `change` applied to its replies."""
    if isinstance(response, AIMessage):
        return change(response)
    if isinstance(response, ModelResponse):
        fixed = [change(m) if isinstance(m, AIMessage) else m for m in response.result]
        return ModelResponse(result=fixed, structured_response=response.structured_response)
    return response


class _TurnState(AgentState):
    turn_started: NotRequired[Annotated[float, UntrackedValue, PrivateStateAttr]]


class TurnLimits(AgentMiddleware):
    """At most `max_steps` tool-calling replies and `max_seconds` a turn (as AgentExecutor's
    max_iterations and max_execution_time): past either, the turn ends with a reply that
    `stopped_after` recognises, and no further model call."""

    state_schema = _TurnState

    def __init__(self, max_steps: int, max_seconds: float) -> None:
        super().__init__()
        self.max_steps = max_steps
        self.max_seconds = max_seconds

    def before_agent(self, state: Any, runtime: Any) -> dict[str, Any]:
        return {"turn_started": time.monotonic()}

    @hook_config(can_jump_to=["end"])
    def before_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        steps = steps_this_turn(state["messages"])
        started = state.get("turn_started")
        late = started is not None and time.monotonic() - started >= self.max_seconds
        if steps < self.max_steps and not late:
            return None
        closing = AIMessage("", id=new_message_id(), response_metadata={STOPPED_AFTER_KEY: steps})
        return {"jump_to": "end", "messages": [closing]}


class TurnSteps(AgentMiddleware):
    """Feeds the turn's StepRecorder: each reply's tool calls, then each call's start and end."""

    def wrap_model_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        response = handler(request)
        recorder = recorder_in(get_config())
        if recorder is not None:
            _replies(response, lambda reply: (recorder.model_reply(reply), reply)[1])
        return response

    def wrap_tool_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        runtime = getattr(request, "runtime", None)
        recorder = recorder_in(getattr(runtime, "config", None))
        if recorder is None:
            return handler(request)
        recorder.call_started(request.tool_call)
        try:
            result = handler(request)
        except BaseException as exc:
            recorder.call_failed(request.tool_call, exc)
            raise
        if isinstance(result, ToolMessage):
            return recorder.call_ended(request.tool_call, result)
        return result


class RepairToolCalls(AgentMiddleware):
    """Keeps unreadable tool calls (`keep_unreadable_calls`) in every model reply."""

    def wrap_model_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        return _replies(handler(request), keep_unreadable_calls)


class MemoryContext(AgentMiddleware):
    """Appends the turn's memory block to the system prompt of every model call."""

    def wrap_model_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        memory = memory_in(get_config())
        block = memory.prepared if memory is not None else ""
        if block:
            prompt = f"{request.system_prompt or ''}\n\n{block}".strip()
            request = request.override(system_message=SystemMessage(content=prompt))
        return handler(request)
