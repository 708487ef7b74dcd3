"""Recording a finished agent run as a JSON file, and replaying it without a model.

A recording holds what the model streamed in each of its calls (text, reasoning and
tool-call pieces, each at its time from the call's start) and each tool call's result
and duration. Replaying puts `ReplayChatModel` and stand-in tools (`replay_tools`) in
place of the model and the real tools, so the same agent, step recorder and page draw
the run, at the pace it was recorded: for demos, bug reports and tests.

Started by the operator, never by a visitor: `STREAMLIT_AGENT_RECORD_DIR` saves every
finished turn there as `<message id>.json`; `STREAMLIT_AGENT_REPLAY=<file>` makes that
file the model (any question then plays it). The file is validated when loaded; a bad
one is named in the sidebar and in the answer's error, without a traceback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import ConfigDict

from streamlit_agent.conversation.steps import REASONING_DELTA_KEY, reasoning_of

REPLAY_FORMAT = "streamlit-agent-replay"
REPLAY_VERSION = 1
MAX_REPLAY_BYTES = 5_000_000
# Past its recorded replies the replay says so instead of failing the turn.
NO_MORE_REPLIES = "This replay has no more recorded model replies."


class ReplayError(ValueError):
    """A recording that cannot be read; the message says what is wrong with it."""


@dataclass(frozen=True)
class Piece:
    """One streamed chunk of a model call, `at_s` seconds after the call started."""

    at_s: float
    text: str = ""
    reasoning: str = ""
    tool_calls: tuple[dict[str, Any], ...] = ()  # tool-call chunks: index, id, name, args
    usage: dict[str, int] | None = None  # the call's token use, as the provider reported it


@dataclass(frozen=True)
class ToolResult:
    name: str
    args: dict[str, Any]
    output: str
    duration_s: float


@dataclass(frozen=True)
class Recording:
    question: str
    model_calls: tuple[tuple[Piece, ...], ...]
    tool_results: tuple[ToolResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REPLAY_FORMAT,
            "version": REPLAY_VERSION,
            "question": self.question,
            "model_calls": [[asdict(p) for p in call] for call in self.model_calls],
            "tool_results": [asdict(r) for r in self.tool_results],
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=True, indent=1))

    @classmethod
    def from_json(cls, data: Any) -> Recording:
        if not isinstance(data, dict) or data.get("format") != REPLAY_FORMAT:
            raise ReplayError(f"it is not a {REPLAY_FORMAT} file")
        if data.get("version") != REPLAY_VERSION:
            raise ReplayError(f"version {data.get('version')!r} is not {REPLAY_VERSION}")
        try:
            calls = tuple(tuple(_piece(p) for p in call) for call in data["model_calls"])
            results = tuple(_tool_result(r) for r in data.get("tool_results") or ())
            question = str(data.get("question") or "")
        except (KeyError, TypeError, ValueError) as exc:
            raise ReplayError(f"a field is missing or of the wrong type ({exc})") from None
        if not calls:
            raise ReplayError("it holds no model call")
        return cls(question, calls, results)

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        file = Path(path)
        try:
            if file.stat().st_size > MAX_REPLAY_BYTES:
                raise ReplayError(f"it is larger than {MAX_REPLAY_BYTES:,} bytes")
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ReplayError(f"it cannot be read ({exc.strerror or exc})") from None
        except ValueError as exc:
            raise ReplayError(f"it is not valid JSON ({exc})") from None
        return cls.from_json(data)


def _piece(data: dict[str, Any]) -> Piece:
    calls = data.get("tool_calls") or ()
    if not all(isinstance(c, dict) for c in calls):
        raise TypeError("tool_calls must be objects")
    return Piece(
        at_s=max(0.0, float(data["at_s"])),
        text=_string(data.get("text")),
        reasoning=_string(data.get("reasoning")),
        tool_calls=tuple(calls),
        usage=_usage(data.get("usage")),
    )


def _usage(data: Any) -> dict[str, int] | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TypeError("usage must be an object")
    counts = {k: int(data.get(k) or 0) for k in ("input_tokens", "output_tokens")}
    return {**counts, "total_tokens": counts["input_tokens"] + counts["output_tokens"]}


def _tool_result(data: dict[str, Any]) -> ToolResult:
    if not isinstance(data.get("args"), dict):
        raise TypeError("tool args must be an object")
    return ToolResult(
        name=_string(data["name"]) or "unnamed_tool",
        args=data["args"],
        output=_string(data.get("output")),
        duration_s=max(0.0, float(data.get("duration_s") or 0.0)),
    )


def _string(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def load_problem(path: str) -> str | None:
    """Why the replay file at `path` cannot be used, or None when it can."""
    try:
        Recording.load(path)
    except ReplayError as exc:
        return f"STREAMLIT_AGENT_REPLAY file {Path(path).name}: {exc}."
    return None


# --- recording ------------------------------------------------------------------------


def replay_problems(path: str | None) -> list[str]:
    """The STREAMLIT_AGENT_REPLAY setting's problem, for the sidebar's list."""
    problem = load_problem(path) if path else None
    return [problem] if problem else []


@dataclass
class _OpenTool:
    name: str
    args: dict[str, Any]
    started: float


class RunRecorder(BaseCallbackHandler):
    """Records one run's model stream and tool results, for `recording()`."""

    def __init__(self) -> None:
        self.model_calls: list[list[Piece]] = []
        self.tool_results: list[ToolResult] = []
        self._call_started = 0.0
        self._tools: dict[UUID, _OpenTool] = {}

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.model_calls.append([])
        self._call_started = time.perf_counter()

    on_llm_start = on_chat_model_start

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        if not self.model_calls:
            return
        message = getattr(kwargs.get("chunk"), "message", None)
        calls = tuple(
            {k: c.get(k) for k in ("index", "id", "name", "args")}
            for c in getattr(message, "tool_call_chunks", None) or ()
        )
        piece = Piece(
            at_s=round(time.perf_counter() - self._call_started, 4),
            text=token if isinstance(token, str) else "",
            reasoning=reasoning_of(message),
            tool_calls=calls,
            usage=_usage(getattr(message, "usage_metadata", None)),
        )
        if piece.text or piece.reasoning or piece.tool_calls or piece.usage:
            self.model_calls[-1].append(piece)

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        # A call that was not streamed (the bundled model's forced tool call) sent no
        # tokens: its whole reply is recorded as one piece at the time it ended.
        if not self.model_calls or self.model_calls[-1]:
            return
        generations = getattr(response, "generations", None) or [[]]
        message = getattr(generations[0][0], "message", None) if generations[0] else None
        if message is None:
            return
        calls = tuple(
            {"index": i, "id": c.get("id"), "name": c["name"], "args": json.dumps(c["args"])}
            for i, c in enumerate(getattr(message, "tool_calls", None) or ())
        )
        text = message.content if isinstance(message.content, str) else ""
        piece = Piece(
            at_s=round(time.perf_counter() - self._call_started, 4),
            text=text,
            reasoning=reasoning_of(message),
            tool_calls=calls,
            usage=_usage(getattr(message, "usage_metadata", None)),
        )
        if piece.text or piece.reasoning or piece.tool_calls or piece.usage:
            self.model_calls[-1].append(piece)

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kwargs: Any) -> None:
        inputs = kwargs.get("inputs")
        args = inputs if isinstance(inputs, dict) else {"input": input_str}
        name = str((serialized or {}).get("name") or kwargs.get("name") or "")
        self._tools[kwargs["run_id"]] = _OpenTool(name, dict(args), time.perf_counter())

    def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        tool = self._tools.pop(kwargs["run_id"], None)
        if tool is None:
            return
        # The uncapped text, so the replayed tool's output is capped as the real one was.
        artifact = getattr(output, "artifact", None)
        full = artifact.get("full_output") if isinstance(artifact, dict) else None
        text = full or str(getattr(output, "content", output))
        duration = round(time.perf_counter() - tool.started, 4)
        self.tool_results.append(ToolResult(tool.name, tool.args, text, duration))

    def recording(self, question: str) -> Recording:
        calls = tuple(tuple(call) for call in self.model_calls if call)
        return Recording(question, calls, tuple(self.tool_results))


# --- replaying ------------------------------------------------------------------------


def _model_round(messages: Sequence[BaseMessage]) -> int:
    """Which of the turn's model calls this is: one per tool-calling reply since the question."""
    last_question = max(
        (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1
    )
    return sum(
        1 for m in messages[last_question + 1 :] if isinstance(m, AIMessage) and m.tool_calls
    )


class ReplayChatModel(BaseChatModel):
    """A chat model that streams a recording's model calls at their recorded pace.

    It keeps no state between calls (agents are shared by sessions): the number of
    tool-calling replies since the question picks the recorded call.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    recording: Recording

    @property
    def _llm_type(self) -> str:
        return "replay"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ReplayChatModel:  # type: ignore[override]
        return self  # the recorded calls already say which tools were called

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        index = _model_round(messages)
        calls = self.recording.model_calls
        pieces = calls[index] if index < len(calls) else (Piece(0.0, NO_MORE_REPLIES),)
        started = time.perf_counter()
        for piece in pieces:
            wait = piece.at_s - (time.perf_counter() - started)
            if wait > 0:
                time.sleep(wait)
            extra = {REASONING_DELTA_KEY: piece.reasoning} if piece.reasoning else {}
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(
                    content=piece.text,
                    additional_kwargs=extra,
                    tool_call_chunks=[{**c, "type": "tool_call_chunk"} for c in piece.tool_calls],
                    usage_metadata=piece.usage,  # type: ignore[arg-type]
                )
            )
            if run_manager is not None:
                run_manager.on_llm_new_token(piece.text, chunk=chunk)
            yield chunk

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))


def replay_tools(recording: Recording) -> list[BaseTool]:
    """Stand-ins for the recorded tools: each returns its recorded result for the same
    arguments after the recorded time. A tool's failure replays as its recorded text."""
    by_name: dict[str, list[ToolResult]] = {}
    for result in recording.tool_results:
        by_name.setdefault(result.name, []).append(result)
    return [_replay_tool(name, results) for name, results in by_name.items()]


def _replay_tool(name: str, results: list[ToolResult]) -> BaseTool:
    def run(**kwargs: Any) -> str:
        match = next((r for r in results if r.args == kwargs), None)
        if match is None:
            return f"This replay has no recorded result of {name} for these arguments."
        time.sleep(match.duration_s)
        return match.output

    keys = {key for r in results for key in r.args}
    schema = {"type": "object", "properties": {key: {} for key in sorted(keys)}}
    return StructuredTool.from_function(
        run, name=name, description=f"Replays the recorded results of {name}.", args_schema=schema
    )
