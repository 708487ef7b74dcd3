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
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import LLMResult

from streamlit_agent.conversation.meter import USAGE_ESTIMATED_KEY

logger = logging.getLogger(__name__)

# Set by the agent on a call whose arguments the model sent as unreadable JSON.
UNREADABLE_ARGS_KEY = "__unreadable_arguments__"


class ApprovalRequired(Exception):
    """A tool call that needs the user's decision before it may run."""

    def __init__(self, tool_name: str, args: dict[str, Any], key: str, reason: str = "") -> None:
        super().__init__(f"{tool_name} needs approval")
        self.tool_name = tool_name
        self.call_args = args
        self.key = key
        self.reason = reason  # why this call asks, when the tool does not always ask


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
    tool: str
    tool_input: Any
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
    """Records a run's tool calls, timings and streamed answer: the streamed text, reasoning
    and usage as a callback handler; each model reply and tool call as the agent's
    middleware tells it (`model_reply`, `call_started`, `call_ended`, `call_failed`).

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
        self._lock = threading.Lock()
        self.partial_answer = ""
        self.partial_reasoning = ""
        self.usage: dict[str, int] = {}
        self.model_name: str | None = None  # as the provider reports it, for the cost meter
        self.usage_estimated = False  # some reply's tokens were estimated (meter.py)

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
                self.usage_estimated = self.usage_estimated or bool(meta.get(USAGE_ESTIMATED_KEY))
                for key in ("input_tokens", "output_tokens", "total_tokens"):
                    if usage and usage.get(key):
                        self.usage[key] = self.usage.get(key, 0) + int(usage[key])

    def watch(self, watcher: StepWatcher) -> None:
        self.watchers.append(watcher)

    def model_reply(self, reply: AIMessage) -> None:
        """A model reply arrived: each tool call it asks for is a step to come. Every call
        of the reply is registered now, so the group is known whole from the start. A reply
        without calls is the answer, already streamed: nothing to register."""
        if not reply.tool_calls:
            return
        reasoning = reasoning_of(reply) or self.partial_reasoning
        group_id, thought = new_message_id(), _text_of(reply)
        with self._lock:
            for index, asked in enumerate(reply.tool_calls):
                call_id = asked.get("id") or f"call_{new_message_id()[:12]}"
                self.calls.append(
                    _Call(
                        asked["name"],
                        asked.get("args", {}),
                        call_id,
                        thought,
                        reasoning,
                        first=index == 0,
                        group_id=group_id,
                    )
                )
        self.partial_answer = self.partial_reasoning = ""

    def _call_for(self, tool_call: Mapping[str, Any]) -> _Call | None:
        with self._lock:
            for call in reversed(self.calls):
                if call.call_id == tool_call.get("id"):
                    return call
        return None

    def call_started(self, tool_call: Mapping[str, Any]) -> None:
        call = self._call_for(tool_call)
        if call is not None:
            call.started = time.perf_counter()
            self._tell(self._step(call, output="", status="running", timed=False))

    def call_ended(self, tool_call: Mapping[str, Any], result: ToolMessage) -> ToolMessage:
        """Record the call's result; the result is handed back marked an error when the
        step is one (a denied or failed call), so the model is told so too."""
        call = self._call_for(tool_call)
        if call is None:
            return result
        artifact = result.artifact if isinstance(result.artifact, dict) else {}
        status = artifact.get("step_status") or ("error" if result.status == "error" else "ok")
        text = str(result.content)
        full = artifact.get("full_output")
        call.sent = text if full else None
        call.step = self._step(call, output=full or text, status=status)
        self._tell(call.step)
        self._checkpoint()
        return result if status == "ok" else result.model_copy(update={"status": "error"})

    def call_failed(self, tool_call: Mapping[str, Any], error: BaseException) -> None:
        call = self._call_for(tool_call)
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

    def _step(
        self, call: _Call, output: str, status: str, error: str | None = None, timed: bool = True
    ) -> Step:
        started = call.started if timed else None
        duration = time.perf_counter() - started if started is not None else None
        if status == "error" and error is None:
            error = output
        return Step(
            tool=call.tool,
            input=shown_input(call.tool_input),
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
            if any(call.step is None for call in group):
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
        if self.usage and self.usage_estimated:
            meta[USAGE_ESTIMATED_KEY] = True
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
            {"name": c.tool, "args": _call_args(c.tool_input), "id": c.call_id} for c in group
        ],
        response_metadata={REASONING_KEY: reasoning} if reasoning else {},
    )
    return [ask, *(_tool_message(c) for c in group)]


def _text_of(message: BaseMessage | None) -> str:
    """A model message's text; typed content parts (reasoning blocks among them) left out."""
    if message is None:
        return ""
    return str(message.text)


def _tool_message(call: _Call) -> ToolMessage:
    step = call.step or Step(
        tool=call.tool,
        input=call.tool_input,
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
