"""What one run of the agent carries, read by both the graph's middleware and the code
around the graph (kept apart from the middleware so the page need not import LangGraph's
agent package, about a second, before it is drawn)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from streamlit_agent.conversation.steps import StepRecorder

RECORDER_KEY = "step_recorder"  # the turn's StepRecorder, in the run's `configurable`
HISTORY_KEY = "turn_history"  # the history a run reads and writes, when it brings its own
TRACE_KEY = "trace_run_id"  # the turn's root run id, when LangSmith tracing is on
ANSWER_NOTE_KEY = "answer_note"  # said first in the answer (a text-only model sent images)
STOPPED_AFTER_KEY = "stopped_after_steps"  # response_metadata of TurnLimits' closing reply
UNTRUSTED_KEY = "untrusted_read"  # the turn's UntrustedRead, in the run's `configurable`


def trusts_output(metadata: Mapping[str, Any] | None) -> bool:
    """A tool whose result is the app's own text (metadata `trusted_output`): every
    other tool's result (web pages, documents, MCP servers, plugins) counts as untrusted."""
    return bool((metadata or {}).get("trusted_output"))


@dataclass
class UntrustedRead:
    """Which tools' untrusted output the model has seen in this turn: results of this
    turn's calls, and of earlier turns' calls in the history it is shown. A tool with
    metadata `approval_after_untrusted` (the memory tools) asks the person first once
    any is seen, so text from elsewhere cannot make it act unasked."""

    tools: list[str] = field(default_factory=list)

    @property
    def seen(self) -> bool:
        return bool(self.tools)

    def note(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self.tools:
                self.tools.append(name)

    def reason(self) -> str:
        shown = ", ".join(self.tools[:5])
        return (
            f"This conversation's model has read text from elsewhere ({shown}): text "
            "like that must not change your memory unasked, so this call asks first."
        )


def untrusted_in(config: Mapping[str, Any] | None) -> UntrustedRead | None:
    found = ((config or {}).get("configurable") or {}).get(UNTRUSTED_KEY)
    return found if isinstance(found, UntrustedRead) else None


def recorder_in(config: Mapping[str, Any] | None) -> StepRecorder | None:
    """The turn's StepRecorder, from a run's config."""
    recorder = ((config or {}).get("configurable") or {}).get(RECORDER_KEY)
    return recorder if isinstance(recorder, StepRecorder) else None


def steps_this_turn(messages: list[BaseMessage]) -> int:
    """Tool-calling replies since the question (the last user message)."""
    steps = 0
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, AIMessage) and message.tool_calls:
            steps += 1
    return steps


def stopped_after(message: BaseMessage) -> int | None:
    """How many steps a turn took before `TurnLimits` ended it; None for a real answer."""
    if isinstance(message, AIMessage):
        return message.response_metadata.get(STOPPED_AFTER_KEY)
    return None
