"""Running tools safely: time limit, contained failures, capped output.

Every tool the agent gets is wrapped here. A failure or timeout becomes the
sentence "Tool X failed: <reason>" for the model and an error step for the user;
output longer than the cap is cut for the model (with a note saying so) while the
step keeps the whole text.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool


class ToolOutput(str):
    """A tool result string that also carries what the step should show."""

    status: str = "ok"
    full_output: str | None = None

    @classmethod
    def make(cls, text: str, status: str = "ok", full_output: str | None = None) -> ToolOutput:
        output = cls(text)
        output.status = status
        output.full_output = full_output
        return output


def cap_output(text: str, limit: int) -> ToolOutput:
    if limit <= 0 or len(text) <= limit:
        return ToolOutput.make(text)
    note = f"\n[Output truncated: showing {limit:,} of {len(text):,} characters.]"
    return ToolOutput.make(text[:limit] + note, full_output=text)


def _run_with_timeout(tool: BaseTool, args: dict[str, Any], timeout_s: float) -> Any:
    # A daemon thread, not a pool: a tool stuck past its limit must not block exit.
    results: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def target() -> None:
        try:
            results.put((True, tool.invoke(args)))
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


def guard_tool(tool: BaseTool, timeout_s: float, output_cap: int) -> BaseTool:
    """`tool` with a time limit, contained failures and capped output."""
    limit = float((tool.metadata or {}).get("timeout_s", timeout_s))

    def run(**kwargs: Any) -> str:
        try:
            result = _run_with_timeout(tool, kwargs, limit)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
            return ToolOutput.make(f"Tool {tool.name} failed: {reason}", status="error")
        text = str(getattr(result, "content", result))
        return cap_output(text, output_cap)

    return StructuredTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        func=run,
        metadata=tool.metadata,
    )
