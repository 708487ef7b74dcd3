"""Settings, read once from the environment and `.streamlit/secrets.toml`.

The environment wins over secrets so that a deployment can override a checked-in
secrets file without editing it. Nothing here imports Streamlit at module level:
the store, providers and tests use settings without a running app.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: price and starter files in JSON only
    tomllib = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
DEFAULT_DB_PATH = Path.home() / ".streamlit-agent" / "conversations.db"
MAX_MESSAGE_CHARS = 20_000
FEEDBACK_COMMENT_MAX_CHARS = 2000
MIN_SECRET_CHARS = 32  # STREAMLIT_AGENT_SECRET: a shorter one could be guessed

# USD per 1M (input, output) tokens, from OpenAI's price list; an estimate only. A model
# name the provider reports with a date suffix (gpt-4.1-mini-2025-04-14) matches its
# base name. Override with STREAMLIT_AGENT_PRICES (README "Token and cost meter").
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "o4-mini": (1.10, 4.40),
}

# Buttons on an empty conversation: (question, tool it shows off or "" for memory).
# A starter whose tool is off in the conversation is not offered.
DEFAULT_STARTERS: tuple[tuple[str, str], ...] = (
    ("My name is Ada. Remember it, and tell me what you can do.", ""),
    ("What is 37 * 41?", "calculator"),
    ("What time is it?", "current_datetime"),
    ("Search for the tallest building in the world", "web_search"),
)
MAX_STARTERS = 4


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
    local_servers: str | None = None  # unset: the usual ports (model_catalog.server_urls)
    local_servers_timeout_s: float = 1.0  # per probe, off the page's thread
    auth_header: str | None = None  # trusted only when set: see identity.py
    legacy_owner: str | None = None  # who gets conversations from before owners existed
    messages_per_minute: int = 20  # per user; 0 turns the limit off
    daily_tokens: int = 0  # per user when the server's key pays; 0 is no budget
    # Anonymous visitors together (a new cookie is a new user, so per-user limits alone
    # bound nothing): per instance in-process and across instances in the store.
    anon_messages_per_minute: int = 30  # 0 turns the ceiling off
    anon_daily_tokens: int = 0  # when the server's key pays; 0: 10 x daily_tokens
    address_messages_per_minute: int = 20  # anonymous, per client address; 0: off
    # Signs the anonymous identity cookie; unset: a key the store makes once and keeps.
    secret: str | None = field(default=None, repr=False)
    # (model, USD per 1M input tokens, per 1M output tokens): a tuple keeps Settings hashable.
    prices: tuple[tuple[str, float, float], ...] = tuple(
        (model, *price) for model, price in DEFAULT_PRICES.items()
    )
    starters: tuple[tuple[str, str], ...] = DEFAULT_STARTERS
    problems: tuple[str, ...] = ()  # settings that could not be read (defaults used)
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

    problems: list[str] = []

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
        local_servers=get("STREAMLIT_AGENT_LOCAL_SERVERS"),
        local_servers_timeout_s=_as_float(get("STREAMLIT_AGENT_LOCAL_SERVERS_TIMEOUT"), 1.0),
        auth_header=get("STREAMLIT_AGENT_AUTH_HEADER"),
        legacy_owner=get("STREAMLIT_AGENT_LEGACY_OWNER"),
        messages_per_minute=_as_int(get("STREAMLIT_AGENT_MESSAGES_PER_MINUTE"), 20),
        daily_tokens=_as_int(get("STREAMLIT_AGENT_DAILY_TOKENS"), 0),
        anon_messages_per_minute=_as_int(get("STREAMLIT_AGENT_ANON_MESSAGES_PER_MINUTE"), 30),
        anon_daily_tokens=_as_int(get("STREAMLIT_AGENT_ANON_DAILY_TOKENS"), 0),
        address_messages_per_minute=_as_int(get("STREAMLIT_AGENT_ADDRESS_MESSAGES_PER_MINUTE"), 20),
        secret=get("STREAMLIT_AGENT_SECRET"),
        prices=_read_setting(
            parse_prices, get("STREAMLIT_AGENT_PRICES"), Settings.prices, problems
        ),
        starters=_read_setting(
            parse_starters, get("STREAMLIT_AGENT_STARTERS"), DEFAULT_STARTERS, problems
        ),
        problems=tuple(problems),
        replay_file=get("STREAMLIT_AGENT_REPLAY"),
        record_dir=get("STREAMLIT_AGENT_RECORD_DIR"),
    )


class SettingError(ValueError):
    """A setting's value cannot be used; the message names the setting, never a secret."""


def _structured(raw: str, setting: str) -> Any:
    """A JSON value given inline, or read from a .json or .toml file named by `raw`."""
    text = raw.strip()
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise SettingError(f"{setting} is not valid JSON ({exc}).") from None
    path = Path(text).expanduser()
    if path.suffix == ".toml" and tomllib is None:
        raise SettingError(f"{setting}: TOML files need Python 3.11; use a .json file.")
    try:
        content = path.read_text(encoding="utf-8")
        return tomllib.loads(content) if path.suffix == ".toml" else json.loads(content)
    except OSError as exc:
        raise SettingError(f"{setting}: cannot read {path} ({exc.strerror}).") from None
    except ValueError as exc:
        raise SettingError(f"{setting}: {path} is not valid ({exc}).") from None


def parse_prices(raw: str) -> tuple[tuple[str, float, float], ...]:
    """`{"model": {"input": usd_per_1m, "output": usd_per_1m}}` (or `[input, output]`),
    merged over DEFAULT_PRICES; raises SettingError naming what is wrong."""
    data = _structured(raw, "STREAMLIT_AGENT_PRICES")
    if not isinstance(data, dict):
        raise SettingError("STREAMLIT_AGENT_PRICES must map model names to prices.")
    prices = dict(DEFAULT_PRICES)
    for model, price in data.items():
        if isinstance(price, dict):
            price = (price.get("input"), price.get("output"))
        try:
            pair = tuple(float(p) for p in price)
        except (TypeError, ValueError):
            pair = ()
        if len(pair) != 2 or min(pair) < 0:
            raise SettingError(
                f"STREAMLIT_AGENT_PRICES: the price of {str(model)[:60]!r} needs an input "
                "and an output price in USD per 1M tokens."
            )
        prices[str(model)] = (pair[0], pair[1])
    return tuple((model, *price) for model, price in prices.items())


def parse_starters(raw: str) -> tuple[tuple[str, str], ...]:
    """A JSON list of questions, each a string or `{"text": ..., "tool": ...}`."""
    data = _structured(raw, "STREAMLIT_AGENT_STARTERS")
    if not isinstance(data, list):
        raise SettingError("STREAMLIT_AGENT_STARTERS must be a list of questions.")
    starters = []
    for item in data:
        text, tool = (item, "") if isinstance(item, str) else (None, "")
        if isinstance(item, dict):
            text, tool = item.get("text"), item.get("tool") or ""
        if not isinstance(text, str) or not text.strip() or not isinstance(tool, str):
            raise SettingError(
                "STREAMLIT_AGENT_STARTERS: each starter is a question, or "
                '{"text": question, "tool": tool name}.'
            )
        starters.append((text.strip(), tool))
    return tuple(starters)


def _read_setting(parse: Callable[[str], T], raw: str | None, default: T, problems: list[str]) -> T:
    """`parse(raw)`, or `default` when unset; a value that cannot be used keeps the default
    and its problem is named in the sidebar (`configuration_problems`)."""
    if not raw:
        return default
    try:
        return parse(raw)
    except SettingError as exc:
        logger.warning("%s", exc)
        problems.append(str(exc))
        return default


def configuration_problems(settings: Settings) -> list[str]:
    """Settings that cannot work, each named, so the sidebar can say which to fix."""
    from urllib.parse import urlsplit

    problems = list(settings.problems)
    if settings.openai_base_url:
        parts = urlsplit(settings.openai_base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                "OPENAI_BASE_URL is not an http(s) URL; expected something like "
                "http://127.0.0.1:11434/v1."
            )
    if settings.secret is not None and len(settings.secret.strip()) < MIN_SECRET_CHARS:
        problems.append(
            f"STREAMLIT_AGENT_SECRET is shorter than {MIN_SECRET_CHARS} characters; "
            "anonymous identities are signed with the database's own key instead."
        )
    if settings.openai_api_key is not None and not settings.openai_api_key.strip():
        problems.append("OPENAI_API_KEY is blank.")
    if settings.db_url and "://" not in settings.db_url:
        problems.append(
            "STREAMLIT_AGENT_DB_URL is not a database URL; expected e.g. "
            "sqlite:///path/to/file.db or postgresql+psycopg://user@host/db."
        )
    if settings.record_dir and not Path(settings.record_dir).is_dir():
        problems.append("STREAMLIT_AGENT_RECORD_DIR is not a folder; no run is recorded.")
    return problems
