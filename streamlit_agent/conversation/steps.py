"""Recording what the agent did, as chat messages, and reading steps back out of them.

One record serves both the UI and the model: a turn is stored as
`HumanMessage, AIMessage(tool_calls), ToolMessage..., AIMessage(answer)`. Redrawing
the steps and giving the model its earlier tool calls on the next turn read the
same messages. Timings, errors and the untruncated output ride along in
`ToolMessage.response_metadata`, which providers never receive; so does the model's
reasoning, in its AI message's `response_metadata["reasoning"]`, so it is kept with
the answer but never sent back as history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from langchain_core.agents import AgentAction
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import LLMResult

logger = logging.getLogger(__name__)

# Set by the agent on a call whose arguments the model sent as unreadable JSON.
UNREADABLE_ARGS_KEY = "__unreadable_arguments__"


class ApprovalRequired(Exception):
    """A tool call that needs the user's decision before it may run."""

    def __init__(self, tool_name: str, args: dict[str, Any], key: str) -> None:
        super().__init__(f"{tool_name} needs approval")
        self.tool_name = tool_name
        self.call_args = args
        self.key = key


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
    status: str = "ok"  # ok | error | denied | interrupted | running
    call_id: str = ""
    # What the model said and reasoned before asking for this call: kept on the first
    # step of the calls one reply asked for, drawn above it.
    said: str = ""
    reasoning: str = ""


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

    @property
    def reasoning(self) -> str:
        """The model's reasoning before its answer, as it streamed it."""
        return stored_reasoning(self.answer) if self.answer is not None else ""


def new_message_id() -> str:
    return uuid4().hex


REASONING_KEY = "reasoning"
# Where OpenAI-compatible servers put streamed reasoning (vLLM, Ollama, DeepSeek); the
# provider copies it into the message's additional_kwargs under this name.
REASONING_DELTA_KEY = "reasoning_content"


def reasoning_of(message: Any) -> str:
    """Reasoning text a model message (or streamed chunk) carries, if any: the
    `reasoning_content` of OpenAI-compatible servers, or the reasoning summaries of
    OpenAI's Responses API."""
    if message is None:
        return ""
    extra = getattr(message, "additional_kwargs", None) or {}
    text = extra.get(REASONING_DELTA_KEY)
    parts = [text] if isinstance(text, str) else []
    content = getattr(message, "content", None)
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and block.get("type") == "reasoning":
                summaries = block.get("summary") or []
                parts += [s.get("text", "") for s in summaries if isinstance(s, dict)]
    return "".join(p for p in parts if p)


def stored_reasoning(message: BaseMessage) -> str:
    value = message.response_metadata.get(REASONING_KEY)
    return value if isinstance(value, str) else ""


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
    reasoning: str = ""
    first: bool = True  # the first of the calls one reply asked for
    started: float | None = None
    step: Step | None = None
    sent: str | None = None  # what the model received, when capped shorter than the step
    # Ids fixed when the call is made, so a checkpoint and the final write of the same
    # call are one record (the store keys messages by id).
    group_id: str = field(default_factory=new_message_id)  # the AI message asking for it
    result_id: str = field(default_factory=new_message_id)  # its ToolMessage


Checkpoint = Callable[[list[BaseMessage]], None]
StepWatcher = Callable[[Step], None]


class StepRecorder(BaseCallbackHandler):
    """Callback handler that records a run's tool calls, timings and streamed answer.

    `on_step`, when given, receives the turn's finished tool calls and results (as
    messages) each time a call finishes, so they can be stored before the answer is:
    a crash mid-answer then loses at most the answer text.

    Watchers (`watch`) get each step when its call starts (status "running") and again
    when it ends: the page draws a live step from the very `Step` that is stored, so
    it cannot read differently after a reload. They are called by the recorder itself,
    so they never see a step before the recorder has it, whatever order LangChain
    calls its handlers in.
    """

    def __init__(self, on_step: Checkpoint | None = None) -> None:
        self.on_step = on_step
        self.watchers: list[StepWatcher] = []
        self.calls: list[_Call] = []
        self._by_run: dict[UUID, _Call] = {}
        self.partial_answer = ""
        self.partial_reasoning = ""
        self.usage: dict[str, int] = {}
        self.model_name: str | None = None  # as the provider reports it, for the cost meter

    # --- events ---------------------------------------------------------
    def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
        self.partial_answer = self.partial_reasoning = ""

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.partial_answer = self.partial_reasoning = ""

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.partial_answer += token
        self.partial_reasoning += reasoning_of(getattr(kwargs.get("chunk"), "message", None))

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                usage = getattr(message, "usage_metadata", None)
                meta = getattr(message, "response_metadata", None) or {}
                self.model_name = meta.get("model_name") or self.model_name
                for key in ("input_tokens", "output_tokens", "total_tokens"):
                    if usage and usage.get(key):
                        self.usage[key] = self.usage.get(key, 0) + int(usage[key])

    def on_agent_action(self, action: AgentAction, **kwargs: Any) -> None:
        call_id = getattr(action, "tool_call_id", None) or f"call_{new_message_id()[:12]}"
        log = getattr(action, "message_log", None) or []
        asked = log[0] if log else None
        reasoning = reasoning_of(asked) or self.partial_reasoning
        call = _Call(action, call_id, _text_of(asked), reasoning)
        previous = self.calls[-1] if self.calls else None
        previous_log = getattr(previous.action, "message_log", None) if previous else None
        if previous is not None and log and previous_log and previous_log[0] is log[0]:
            call.group_id = previous.group_id  # several calls asked for in one message
            call.first = False
        self.calls.append(call)
        self.partial_answer = self.partial_reasoning = ""

    def watch(self, watcher: StepWatcher) -> None:
        self.watchers.append(watcher)

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kwargs: Any) -> None:
        call = self._open_call()
        if call is not None:
            call.started = time.perf_counter()
            self._by_run[kwargs["run_id"]] = call
            self._tell(self._step(call, output="", status="running", timed=False))

    def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        call = self._by_run.get(kwargs["run_id"])
        if call is not None:
            text = str(getattr(output, "content", output))
            full = getattr(output, "full_output", None)
            call.sent = text if full else None
            call.step = self._step(call, output=full or text, status=_status_of(output))
            self._tell(call.step)
            self._checkpoint()

    def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        call = self._by_run.get(kwargs["run_id"])
        if call is not None:
            reason = f"{type(error).__name__}: {error}"
            call.step = self._step(call, output=reason, error=reason, status="error")
            if not isinstance(error, ApprovalRequired):  # the page asks instead
                self._tell(call.step)
            self._checkpoint()

    def _tell(self, step: Step) -> None:
        for watcher in self.watchers:
            try:
                watcher(step)
            except Exception:  # drawing is a view of the run, never a reason to end it
                logger.warning("a step watcher failed", exc_info=True)

    def _open_call(self) -> _Call | None:
        for call in reversed(self.calls):
            if call.step is None and call.started is None:
                return call
        return None

    def _step(
        self, call: _Call, output: str, status: str, error: str | None = None, timed: bool = True
    ) -> Step:
        started = call.started if timed else None
        duration = time.perf_counter() - started if started is not None else None
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
            said=call.thought if call.first else "",
            reasoning=call.reasoning if call.first else "",
        )

    def _checkpoint(self) -> None:
        if self.on_step is None:
            return
        try:
            self.on_step(self.finished_calls())
        except Exception:  # a failed checkpoint must not end the run; the turn is stored at the end
            logger.warning("could not checkpoint the finished tool calls", exc_info=True)

    # --- results --------------------------------------------------------
    def _groups(self) -> list[list[_Call]]:
        groups: list[list[_Call]] = []
        for call in self.calls:
            if groups and groups[-1][0].group_id == call.group_id:
                groups[-1].append(call)
            else:
                groups.append([call])
        return groups

    def finished_calls(self) -> list[BaseMessage]:
        """Tool-call messages whose calls have all finished, with their results."""
        out: list[BaseMessage] = []
        for group in self._groups():
            # The executor announces a message's calls one at a time, so a group is
            # finished only when every call its message asked for has a result.
            log = getattr(group[0].action, "message_log", None) or []
            asked = {c.get("id") for c in getattr(log[0], "tool_calls", [])} if log else set()
            done = {c.call_id for c in group if c.step is not None}
            if len(done) < len(group) or not asked <= done:
                break
            out += _call_messages(group)
        return out

    def messages(
        self, answer: str, status: str = STATUS_COMPLETE, **metadata: Any
    ) -> list[BaseMessage]:
        """The turn's assistant-side messages, ready to append to history."""
        out: list[BaseMessage] = []
        for group in self._groups():
            out += _call_messages(group)
        meta = {"status": status, **metadata}
        if self.usage:
            meta["usage"] = dict(self.usage)
        if self.model_name:
            meta["model_name"] = self.model_name
        if self.partial_reasoning:
            meta[REASONING_KEY] = self.partial_reasoning
        out.append(AIMessage(content=answer, id=new_message_id(), response_metadata=meta))
        return out


def _call_messages(group: list[_Call]) -> list[BaseMessage]:
    """One AI message asking for the group's calls, then each call's result."""
    reasoning = group[0].reasoning
    ask = AIMessage(
        content=group[0].thought,
        id=group[0].group_id,
        tool_calls=[
            {"name": c.action.tool, "args": _call_args(c.action.tool_input), "id": c.call_id}
            for c in group
        ],
        response_metadata={REASONING_KEY: reasoning} if reasoning else {},
    )
    return [ask, *(_tool_message(c) for c in group)]


def _text_of(message: BaseMessage | None) -> str:
    """A model message's text; typed content parts (reasoning blocks among them) left out."""
    if message is None:
        return ""
    return str(message.text)


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
        id=call.result_id,
        status="error" if step.status != "ok" else "success",
        response_metadata=meta,
    )


def steps_from_messages(ai: AIMessage, tool_messages: dict[str, ToolMessage]) -> list[Step]:
    """Steps of one tool-calling AI message, paired with their results by call id."""
    steps = []
    for index, call in enumerate(ai.tool_calls):
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
                said="" if index else _text_of(ai),
                reasoning="" if index else stored_reasoning(ai),
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
