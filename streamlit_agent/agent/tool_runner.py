"""Running tools safely: approval, time limit, contained failures, capped output.

Every tool the agent gets is wrapped here. A failure or timeout becomes the
sentence "Tool X failed: <reason>" for the model and an error step for the user;
output longer than the cap is cut for the model (with a note saying so) while the
step keeps up to `STEP_OUTPUT_CHARS` of it.

A tool with `metadata["requires_approval"]` runs only once the user has approved
that call. Streamlit cannot wait for a click in the middle of a script run, so an
undecided call raises `ApprovalRequired`; the page asks, records the decision in an
`ApprovalGate` (handed to the run in its config, `APPROVAL_GATE_KEY`) and runs the turn
again. Decisions are per call, not per tool and
arguments: the second identical call in a turn asks again, and a call approved
earlier is not run a second time when the turn runs again (its result is kept).
"""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool, ToolException

from streamlit_agent.conversation.steps import UNREADABLE_ARGS_KEY, ApprovalRequired
from streamlit_agent.safety.redact import scrub

# What the model and the step are told of a tool's own error text.
MAX_REASON_CHARS = 1_000


class ToolOutput(str):
    """A tool result string that also carries what the step should show (a guarded
    tool hands both on, as its ToolMessage's content and artifact)."""

    status: str = "ok"
    full_output: str | None = None

    @classmethod
    def make(cls, text: str, status: str = "ok", full_output: str | None = None) -> ToolOutput:
        output = cls(text)
        output.status = status
        output.full_output = full_output
        return output


def approval_key(tool_name: str, args: dict[str, Any]) -> str:
    return f"{tool_name}:{json.dumps(args, sort_keys=True, default=str)}"


@dataclass
class ApprovalGate:
    """One run of a turn: the user's decisions and the approved calls' results, by call.

    A call is its tool, arguments and how many identical calls came before it in the
    run, so the same key means the same call when the turn runs again.
    """

    decisions: dict[str, bool] = field(default_factory=dict)
    results: dict[str, ToolOutput] = field(default_factory=dict)
    _seen: dict[str, int] = field(default_factory=dict)

    def call_key(self, tool_name: str, args: dict[str, Any]) -> str:
        base = approval_key(tool_name, args)
        self._seen[base] = self._seen.get(base, 0) + 1
        return f"{base}#{self._seen[base]}"


APPROVAL_GATE_KEY = "approval_gate"  # the turn's ApprovalGate, in the run's `configurable`


def gate_in(config: RunnableConfig | None) -> ApprovalGate | None:
    gate = ((config or {}).get("configurable") or {}).get(APPROVAL_GATE_KEY)
    return gate if isinstance(gate, ApprovalGate) else None


def _check_approval(
    tool: BaseTool, args: dict[str, Any], gate: ApprovalGate | None
) -> tuple[ToolOutput | None, str]:
    """(None, key) to go ahead, (result, key) to return without running, or
    ApprovalRequired while undecided; `key` is "" for tools that need no approval."""
    if not (tool.metadata or {}).get("requires_approval"):
        return None, ""
    gate = gate or ApprovalGate()
    key = gate.call_key(tool.name, args)
    if key in gate.results:
        return gate.results[key], key  # approved and run in an earlier run of this turn
    decision = gate.decisions.get(key)
    if decision is None:
        raise ApprovalRequired(tool.name, args, key)
    if decision:
        return None, key
    denied = ToolOutput.make(
        f"The user denied this call to {tool.name}; it was not run. "
        "Do not retry it; tell the user what you could not do.",
        status="denied",
    )
    return denied, key


# What a step keeps of a tool's output for the page and the store, whatever the tool
# returned: the model's share (`output_cap`) is smaller still.
STEP_OUTPUT_CHARS = 100_000


def _cut(text: str, limit: int) -> str:
    note = f"\n[Output truncated: showing {limit:,} of {len(text):,} characters.]"
    return text[:limit] + note


def cap_output(text: str, limit: int) -> ToolOutput:
    """`text` cut to `limit` characters for the model; the step keeps up to
    `STEP_OUTPUT_CHARS` of it."""
    shown = text if len(text) <= STEP_OUTPUT_CHARS else _cut(text, STEP_OUTPUT_CHARS)
    if limit <= 0 or len(text) <= limit:
        return ToolOutput.make(shown)
    return ToolOutput.make(_cut(text, limit), full_output=shown)


def _run_with_timeout(
    tool: BaseTool, args: dict[str, Any], timeout_s: float, context: RunnableConfig | None = None
) -> Any:
    # A daemon thread, not a pool: a tool stuck past its limit must not block exit.
    results: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def target() -> None:
        try:
            results.put((True, tool.invoke(args, context)))
        except BaseException as exc:
            results.put((False, exc))

    threading.Thread(target=target, name=f"tool-{tool.name}", daemon=True).start()
    try:
        ok, value = results.get(timeout=timeout_s)
    except queue.Empty:
        raise TimeoutError(f"timed out after {timeout_s:g} s") from None
    if not ok:
        raise value
    return value


class GuardedTool(StructuredTool):
    """A wrapped tool whose bad arguments come back to the model as an error result."""

    def _parse_input(self, tool_input: str | dict, tool_call_id: str | None) -> Any:
        if isinstance(tool_input, dict) and UNREADABLE_ARGS_KEY in tool_input:
            raw = str(tool_input[UNREADABLE_ARGS_KEY])[:300]
            raise ToolException(f"its arguments are not valid JSON: {raw!r}")
        return super()._parse_input(tool_input, tool_call_id)


def _not_run(tool_name: str) -> Any:
    def explain(error: Exception) -> ToolOutput:
        reason = str(error)
        if not isinstance(error, ToolException):
            # Pydantic's text ends with a documentation URL the model has no use for.
            lines = [line for line in reason.splitlines() if "errors.pydantic.dev" not in line]
            reason = "its arguments do not fit the schema: " + " ".join(lines)[:400]
        return ToolOutput.make(
            f"Tool {tool_name} was not run: {reason}. Call it again with valid arguments.",
            status="error",
        )

    return explain


def guard_tool(tool: BaseTool, timeout_s: float, output_cap: int) -> BaseTool:
    """`tool` with a time limit, contained failures, capped output and argument checks."""
    limit = float((tool.metadata or {}).get("timeout_s", timeout_s))

    def run(turn_config: RunnableConfig, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        # LangChain hands the run's config to the parameter typed RunnableConfig.
        output = _guarded_run(kwargs, turn_config)
        return str(output), {"step_status": output.status, "full_output": output.full_output}

    def _guarded_run(kwargs: dict[str, Any], turn_config: RunnableConfig) -> ToolOutput:
        gate = gate_in(turn_config)
        earlier, approved_key = _check_approval(tool, kwargs, gate)
        if earlier is not None:
            return earlier
        # The tool gets the turn's `configurable` (what the run carries, e.g. the document
        # tools' conversation), not its callbacks: the guarded call is the step.
        context: RunnableConfig = {"configurable": dict(turn_config.get("configurable") or {})}
        try:
            result = _run_with_timeout(tool, kwargs, limit, context)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
            # A library's error text can quote a URL or header with credentials in it.
            reason = scrub(reason[:MAX_REASON_CHARS])
            output = ToolOutput.make(f"Tool {tool.name} failed: {reason}", status="error")
        else:
            output = cap_output(str(getattr(result, "content", result)), output_cap)
        if approved_key and gate is not None:
            gate.results[approved_key] = output
        return output

    return GuardedTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        func=run,
        metadata=tool.metadata,
        response_format="content_and_artifact",
        handle_tool_error=_not_run(tool.name),
        handle_validation_error=_not_run(tool.name),
    )
