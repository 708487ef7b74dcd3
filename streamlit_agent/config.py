"""Settings, read once from the environment and `.streamlit/secrets.toml`.

The environment wins over secrets so that a deployment can override a checked-in
secrets file without editing it. Nothing here imports Streamlit at module level:
the store, providers and tests use settings without a running app.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
DEFAULT_DB_PATH = Path.home() / ".streamlit-agent" / "conversations.db"


def _as_float(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def _as_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Settings:
    """Everything the app can be configured with; see README "Configuration"."""

    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    model_name: str | None = None
    db_url: str | None = None
    history_key: str = "langchain_messages"
    request_timeout_s: float = 60.0
    max_iterations: int = 8
    max_execution_time_s: float = 120.0
    history_token_budget: int = 0  # 0: follow the model's context (providers.history_budget)
    tool_timeout_s: float = 30.0
    tool_output_cap: int = 4000
    tools_dir: str | None = None
    mcp_config: str | None = None  # unset: ~/.streamlit-agent/mcp.json when it exists
    local_model_path: str | None = None
    auth_header: str | None = None  # trusted only when set: see identity.py
    legacy_owner: str | None = None  # who gets conversations from before owners existed
    messages_per_minute: int = 20  # per user; 0 turns the limit off
    daily_tokens: int = 0  # per user when the server's key pays; 0 is no budget
    replay_file: str | None = None  # a recorded run played instead of a model (replay.py)
    record_dir: str | None = None  # where each finished run is saved as a replay file

    @property
    def resolved_db_url(self) -> str:
        if self.db_url:
            return self.db_url
        DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_DB_PATH}"

    def with_api_key(self, api_key: str | None) -> Settings:
        return replace(self, openai_api_key=api_key or self.openai_api_key)


def load_settings(
    env: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None
) -> Settings:
    """Build settings from `env` (default: os.environ) and `secrets` (default: none)."""
    env = os.environ if env is None else env
    secrets = secrets or {}

    def get(name: str) -> str | None:
        value = env.get(name)
        if value in (None, ""):
            raw = secrets.get(name)
            value = None if raw in (None, "") else str(raw)
        return value

    return Settings(
        openai_api_key=get("OPENAI_API_KEY"),
        openai_base_url=get("OPENAI_BASE_URL"),
        model_name=get("STREAMLIT_AGENT_MODEL") or get("OPENAI_MODEL"),
        db_url=get("STREAMLIT_AGENT_DB_URL"),
        history_key=get("STREAMLIT_AGENT_HISTORY_KEY") or "langchain_messages",
        request_timeout_s=_as_float(get("STREAMLIT_AGENT_REQUEST_TIMEOUT"), 60.0),
        max_iterations=_as_int(get("STREAMLIT_AGENT_MAX_ITERATIONS"), 8),
        max_execution_time_s=_as_float(get("STREAMLIT_AGENT_MAX_RUN_SECONDS"), 120.0),
        history_token_budget=_as_int(get("STREAMLIT_AGENT_HISTORY_TOKENS"), 0),
        tool_timeout_s=_as_float(get("STREAMLIT_AGENT_TOOL_TIMEOUT"), 30.0),
        tool_output_cap=_as_int(get("STREAMLIT_AGENT_TOOL_OUTPUT_CAP"), 4000),
        tools_dir=get("STREAMLIT_AGENT_TOOLS_DIR"),
        mcp_config=get("STREAMLIT_AGENT_MCP_CONFIG"),
        local_model_path=get("STREAMLIT_AGENT_LOCAL_MODEL"),
        auth_header=get("STREAMLIT_AGENT_AUTH_HEADER"),
        legacy_owner=get("STREAMLIT_AGENT_LEGACY_OWNER"),
        messages_per_minute=_as_int(get("STREAMLIT_AGENT_MESSAGES_PER_MINUTE"), 20),
        daily_tokens=_as_int(get("STREAMLIT_AGENT_DAILY_TOKENS"), 0),
        replay_file=get("STREAMLIT_AGENT_REPLAY"),
        record_dir=get("STREAMLIT_AGENT_RECORD_DIR"),
    )


def configuration_problems(settings: Settings) -> list[str]:
    """Settings that cannot work, each named, so the sidebar can say which to fix."""
    from urllib.parse import urlsplit

    problems = []
    if settings.openai_base_url:
        parts = urlsplit(settings.openai_base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                "OPENAI_BASE_URL is not an http(s) URL; expected something like "
                "http://127.0.0.1:11434/v1."
            )
    if settings.openai_api_key is not None and not settings.openai_api_key.strip():
        problems.append("OPENAI_API_KEY is blank.")
    if settings.db_url and "://" not in settings.db_url:
        problems.append(
            "STREAMLIT_AGENT_DB_URL is not a database URL; expected e.g. "
            "sqlite:///path/to/file.db or postgresql+psycopg://user@host/db."
        )
    if settings.replay_file:
        from streamlit_agent.replay import load_problem

        problem = load_problem(settings.replay_file)
        if problem:
            problems.append(problem)
    if settings.record_dir and not Path(settings.record_dir).is_dir():
        problems.append("STREAMLIT_AGENT_RECORD_DIR is not a folder; no run is recorded.")
    return problems
