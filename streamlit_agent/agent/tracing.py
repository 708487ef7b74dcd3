"""Tracing with LangSmith, only when its own variables ask for it."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any
from uuid import UUID

logger = logging.getLogger(__name__)


def tracing_enabled() -> bool:
    """LangSmith's own switch (LANGSMITH_TRACING or LANGCHAIN_TRACING_V2): when it is
    off, LangChain creates no tracer and nothing here talks to LangSmith."""
    from langsmith.utils import tracing_is_enabled

    return bool(tracing_is_enabled())


_TRACE_RETRY_S = 30.0
_trace_project: dict[str, Any] = {"base": None, "retry_at": 0.0}
_trace_lock = threading.Lock()


def _ask_project_base() -> str | None:
    try:
        from langsmith import Client
        from langsmith.utils import get_tracer_project

        # The client reads LANGSMITH_ENDPOINT / LANGSMITH_API_KEY itself; the project's
        # page is on that LangSmith's own web host (its ids are parsed as UUIDs).
        project = Client().read_project(project_name=get_tracer_project())
        return project.url
    except Exception as exc:  # no link is better than a failed page
        logger.warning("no LangSmith trace link: %s", type(exc).__name__)
        return None


def _project_base() -> str | None:
    """`<LangSmith web host>/o/<tenant>/projects/p/<project>`: asked of LangSmith once,
    and again at most every 30 s while it cannot say (the project is made by the first
    trace it receives)."""
    with _trace_lock:
        if _trace_project["base"] is None and time.monotonic() >= _trace_project["retry_at"]:
            _trace_project["base"] = _ask_project_base()
            _trace_project["retry_at"] = time.monotonic() + _TRACE_RETRY_S
        return _trace_project["base"]


def tracing_secrets() -> list[str]:
    """LangSmith's keys, for error messages to hide like the model's key."""
    return [v for n in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY") if (v := os.environ.get(n))]


def trace_url(run_id: str) -> str | None:
    """The LangSmith page of a traced answer's run, on the configured LangSmith host."""
    if not tracing_enabled():
        return None
    try:
        run = UUID(run_id)
    except ValueError:
        return None  # stored text, not an id we made
    base = _project_base()
    return f"{base}/r/{run}?poll=true" if base else None
