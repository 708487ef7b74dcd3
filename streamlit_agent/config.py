"""Settings, read once from the environment and `.streamlit/secrets.toml`.

Each setting is declared once, as a field of `Settings`: its variable, type, default,
bounds and a one-line description. The environment wins over secrets so that a
deployment can override a checked-in secrets file without editing it. A value that
cannot be used does not stop the app: its default is used and `problems` names the
variable. Nothing here imports Streamlit at module level: the store, providers and
tests use settings without a running app.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic.fields import FieldInfo

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
# "Export all my data" holds at most this much, newest conversations first, and says what
# it left out: the document is built in memory, so its size is bounded, not streamed.
EXPORT_MAX_CONVERSATIONS = 1000
EXPORT_MAX_STORED_CHARS = 8_000_000  # stored message payloads; the document is ~2-3x
EXPORT_MAX_USAGE_RECORDS = 10_000
MB = 1024 * 1024
MIN_SECRET_CHARS = 32  # STREAMLIT_AGENT_SECRET: a shorter one could be guessed
# Long-term memory (store/memories.py): a memory is one fact, a person keeps at most so
# many, and a turn's model is shown at most so many tokens of them (the bundled model,
# with its small context, a short list).
MEMORY_MAX_CHARS = 500
MEMORY_MAX_PER_PERSON = 200
MEMORY_CONTEXT_TOKENS = 600
MEMORY_CONTEXT_ITEMS = 40
BUNDLED_MEMORY_CONTEXT_TOKENS = 120
BUNDLED_MEMORY_CONTEXT_ITEMS = 5

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


# The longest wait a timeout setting accepts: a day is already a mistake, and much larger
# values overflow the timers they are handed to (threading's and the socket's).
MAX_WAIT_S = 86_400.0


class _Unfit(ValueError):
    """A value of the right type that cannot work; `expected` says what would."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _from_text(parse: Callable[[str], T]) -> Callable[[object], object]:
    """Parse a string from the environment; a value given by field name is taken as is."""
    return lambda value: parse(value) if isinstance(value, str) else value


def _real_key(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise _Unfit("a key, not only spaces")
    return value


def _long_secret(value: str | None) -> str | None:
    # identity.py would not sign with a shorter one either; here it is named, once.
    if value is not None and len(value.strip()) < MIN_SECRET_CHARS:
        raise _Unfit(f"at least {MIN_SECRET_CHARS} characters long")
    return value


def _bucket_url(value: str | None) -> str | None:
    # store/blobs.py reads it the same way: the scheme, then a bucket name.
    if value is not None and (not value.startswith("s3://") or not value[5:].strip("/")):
        raise _Unfit("s3://bucket or s3://bucket/prefix")
    return value


ApiKey = Annotated[str | None, AfterValidator(_real_key)]
BucketUrl = Annotated[str | None, AfterValidator(_bucket_url)]
Secret = Annotated[str | None, AfterValidator(_long_secret)]
Prices = Annotated[tuple[tuple[str, float, float], ...], BeforeValidator(_from_text(parse_prices))]
Starters = Annotated[tuple[tuple[str, str], ...], BeforeValidator(_from_text(parse_starters))]


def _setting(
    default: Any,
    variable: str | tuple[str, ...],
    description: str,
    *,
    secret: bool = False,
    default_text: str | None = None,
    **bounds: float,
) -> Any:
    """One setting's whole declaration: `variable` (or several, the first set wins), its
    default, one line for README "Configuration", and `bounds` (ge, gt, le) for numbers.
    A `secret` is left out of repr; `default_text` names the default in problems."""
    names = (variable,) if isinstance(variable, str) else variable
    if isinstance(default, float):
        bounds.setdefault("allow_inf_nan", False)  # "nan" and "inf" parse but cannot work
    return Field(
        default,
        validation_alias=AliasChoices(*names),
        description=description,
        repr=not secret,
        json_schema_extra={"default_text": default_text},
        **bounds,  # type: ignore[arg-type]
    )


class Settings(BaseModel):
    """Everything the app can be configured with, each setting declared once, below.

    Frozen and hashable (a `st.cache_resource` key). Built by field name it reads nothing,
    so `Settings(max_iterations=3)` has the defaults for the rest whatever the environment
    holds: `load_settings` is the one reader of the environment and secrets.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )

    openai_api_key: ApiKey = _setting(
        None,
        "OPENAI_API_KEY",
        "use OpenAI with this key (can also be typed into the sidebar; never shown or stored)",
        secret=True,
        default_text="no key",
    )
    openai_base_url: str | None = _setting(
        None, "OPENAI_BASE_URL", "use any OpenAI-compatible server: Ollama, vLLM, LM Studio..."
    )
    model_name: str | None = _setting(
        None,
        ("STREAMLIT_AGENT_MODEL", "OPENAI_MODEL"),
        f"model name; unset: {DEFAULT_OPENAI_MODEL}",
    )
    db_url: str | None = _setting(
        None, "STREAMLIT_AGENT_DB_URL", "SQLAlchemy URL of the conversation store"
    )
    history_key: str = _setting(
        "langchain_messages", "STREAMLIT_AGENT_HISTORY_KEY", "session-state key of the history"
    )
    request_timeout_s: float = _setting(
        60.0,
        "STREAMLIT_AGENT_REQUEST_TIMEOUT",
        "seconds to wait for the model; more than 0 (0 would fail every request)",
        gt=0,
        le=MAX_WAIT_S,
    )
    max_iterations: int = _setting(
        8,
        "STREAMLIT_AGENT_MAX_ITERATIONS",
        "agent steps per answer; at least 1 (with 0 the agent cannot answer at all)",
        ge=1,
    )
    max_execution_time_s: float = _setting(
        120.0,
        "STREAMLIT_AGENT_MAX_RUN_SECONDS",
        "seconds one answer may take; more than 0 (0 stops the agent before its first step)",
        gt=0,
        le=MAX_WAIT_S,
    )
    history_token_budget: int = _setting(
        0,
        "STREAMLIT_AGENT_HISTORY_TOKENS",
        "tokens of earlier turns and question sent to the model; 0 follows the model",
        ge=0,
    )
    tool_timeout_s: float = _setting(
        30.0,
        "STREAMLIT_AGENT_TOOL_TIMEOUT",
        "seconds a tool call may take; more than 0 (0 would time every call out)",
        gt=0,
        le=MAX_WAIT_S,
    )
    tool_output_cap: int = _setting(
        4000,
        "STREAMLIT_AGENT_TOOL_OUTPUT_CAP",
        "characters of tool output sent to the model; 0 sends it whole",
        ge=0,
    )
    tools_dir: str | None = _setting(
        None, "STREAMLIT_AGENT_TOOLS_DIR", "a folder of your own tool modules"
    )
    mcp_config: str | None = _setting(
        None,
        "STREAMLIT_AGENT_MCP_CONFIG",
        "JSON file of MCP servers; unset: ~/.streamlit-agent/mcp.json when it exists",
    )
    local_model_path: str | None = _setting(
        None, "STREAMLIT_AGENT_LOCAL_MODEL", "another GGUF file for the local model"
    )
    local_servers: str | None = _setting(
        None,
        "STREAMLIT_AGENT_LOCAL_SERVERS",
        "base URLs of local model servers to look for; unset: the usual ports; off: none",
    )
    local_servers_timeout_s: float = _setting(
        1.0,
        "STREAMLIT_AGENT_LOCAL_SERVERS_TIMEOUT",
        "seconds each local server gets to answer (off the page's thread); more than 0",
        gt=0,
        le=MAX_WAIT_S,
    )
    auth_header: str | None = _setting(
        None,
        "STREAMLIT_AGENT_AUTH_HEADER",
        "trust this header from an authenticating proxy as the user (see identity.py)",
    )
    legacy_owner: str | None = _setting(
        None,
        "STREAMLIT_AGENT_LEGACY_OWNER",
        "the user who gets conversations stored before owners existed",
    )
    messages_per_minute: int = _setting(
        20,
        "STREAMLIT_AGENT_MESSAGES_PER_MINUTE",
        "messages one user may send a minute; 0 turns the limit off",
        ge=0,
    )
    daily_tokens: int = _setting(
        0,
        "STREAMLIT_AGENT_DAILY_TOKENS",
        "tokens one user may spend a UTC day on the server's key; 0 is no budget",
        ge=0,
    )
    # Anonymous visitors together (a new cookie is a new user, so per-user limits alone
    # bound nothing): per instance in-process and across instances in the store.
    anon_messages_per_minute: int = _setting(
        30,
        "STREAMLIT_AGENT_ANON_MESSAGES_PER_MINUTE",
        "messages a minute from all anonymous visitors together; 0 turns it off",
        ge=0,
    )
    anon_daily_tokens: int = _setting(
        0,
        "STREAMLIT_AGENT_ANON_DAILY_TOKENS",
        "tokens a day on the server's key for all anonymous visitors; 0: 10 x DAILY_TOKENS",
        ge=0,
    )
    address_messages_per_minute: int = _setting(
        20,
        "STREAMLIT_AGENT_ADDRESS_MESSAGES_PER_MINUTE",
        "messages a minute from anonymous visitors at one client address; 0 turns it off",
        ge=0,
    )
    secret: Secret = _setting(
        None,
        "STREAMLIT_AGENT_SECRET",
        "signs anonymous identity cookies; at least 32 characters; unset: a stored key",
        secret=True,
        default_text="the database's own key to sign anonymous identities",
    )
    # (model, USD per 1M input tokens, per 1M output tokens): a tuple keeps Settings hashable.
    prices: Prices = _setting(
        tuple((model, *price) for model, price in DEFAULT_PRICES.items()),
        "STREAMLIT_AGENT_PRICES",
        "prices for the cost meter, merged over the built-in table (JSON or a file)",
        default_text="the built-in prices",
    )
    starters: Starters = _setting(
        DEFAULT_STARTERS,
        "STREAMLIT_AGENT_STARTERS",
        "example questions on an empty conversation (a JSON list or a file)",
        default_text="the built-in starters",
    )
    # Not a setting: what load_settings could not use (and used the default for instead).
    problems: tuple[str, ...] = ()
    replay_file: str | None = _setting(
        None, "STREAMLIT_AGENT_REPLAY", "a replay file played instead of a model (replay.py)"
    )
    record_dir: str | None = _setting(
        None, "STREAMLIT_AGENT_RECORD_DIR", "save every finished run here as a replay file"
    )
    # Files attached in the chat (files/kinds.py, store/files.py).
    file_max_bytes: int = _setting(
        20 * MB,
        "STREAMLIT_AGENT_FILE_MAX_BYTES",
        "bytes one attached file may have; at least 1",
        ge=1,
    )
    conversation_files_max_bytes: int = _setting(
        100 * MB,
        "STREAMLIT_AGENT_CONVERSATION_FILES_MAX_BYTES",
        "bytes of files one conversation may keep; at least 1",
        ge=1,
    )
    person_files_max_bytes: int = _setting(
        500 * MB,
        "STREAMLIT_AGENT_PERSON_FILES_MAX_BYTES",
        "bytes of files one person may keep in all their conversations; at least 1",
        ge=1,
    )
    files_per_message: int = _setting(
        20,
        "STREAMLIT_AGENT_FILES_PER_MESSAGE",
        "files one message may carry; 0 turns attaching off",
        ge=0,
        le=1000,
    )
    image_max_pixels: int = _setting(
        40_000_000,
        "STREAMLIT_AGENT_IMAGE_MAX_PIXELS",
        "pixels (width x height) an attached image may have; at least 1",
        ge=1,
    )
    files_bucket: BucketUrl = _setting(
        None,
        "STREAMLIT_AGENT_FILES_BUCKET",
        "keep attached files in this S3-compatible bucket (s3://bucket/prefix); unset: database",
    )
    files_bucket_endpoint: str | None = _setting(
        None,
        "STREAMLIT_AGENT_FILES_BUCKET_ENDPOINT",
        "the bucket's endpoint URL for S3-compatible servers (MinIO, Ceph, R2...); unset: AWS",
    )
    vision_models: str | None = _setting(
        None,
        "STREAMLIT_AGENT_VISION_MODELS",
        "comma-separated names of OpenAI-compatible models that take images (all: every one)",
    )
    # Voice input (models/transcription.py): the chat box offers a microphone only then.
    transcribe_model: str | None = _setting(
        None,
        "STREAMLIT_AGENT_TRANSCRIBE_MODEL",
        "speech-to-text model (whisper-1...); set: the chat box offers a microphone",
    )
    transcribe_base_url: str | None = _setting(
        None,
        "STREAMLIT_AGENT_TRANSCRIBE_BASE_URL",
        "a separate OpenAI-compatible Whisper server (sent no key); unset: the model's",
    )

    @property
    def resolved_db_url(self) -> str:
        if self.db_url:
            return self.db_url
        DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_DB_PATH}"

    def with_api_key(self, api_key: str | None) -> Settings:
        return self.model_copy(update={"openai_api_key": api_key or self.openai_api_key})


def setting_variables() -> dict[str, str]:
    """Every environment variable a setting is read from, mapped to its field's name."""
    return {
        variable: name
        for name, info in Settings.model_fields.items()
        for variable in _variables(info)
    }


def _variables(info: FieldInfo) -> tuple[str, ...]:
    alias = info.validation_alias
    return tuple(str(a) for a in alias.choices) if isinstance(alias, AliasChoices) else ()


def load_settings(
    env: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None
) -> Settings:
    """Build settings from `env` (default: os.environ) and `secrets` (default: none).

    A value that cannot be used never stops the app: its default is used instead and
    `problems` says which variable was wrong and what it should be (`configuration_problems`
    shows them in the sidebar)."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, info in Settings.model_fields.items():
        found = _raw_value(_variables(info), env, secrets)
        if found is None:
            continue
        variable, raw = found
        try:
            # The whole model validates one field here, so its bounds and parsers apply.
            values[name] = getattr(Settings.model_validate({name: raw}), name)
        except ValidationError as exc:
            problem = _problem(variable, info, raw, exc)
            logger.warning("%s", problem)
            problems.append(problem)
    return Settings(**values, problems=tuple(problems))


def _raw_value(
    variables: tuple[str, ...], env: Mapping[str, str], secrets: Mapping[str, object]
) -> tuple[str, str] | None:
    """(variable, value) of the first variable set, the environment before secrets; a
    blank value counts as unset, so an empty export does not hide the secrets file."""
    for variable in variables:
        value = env.get(variable)
        if value in (None, ""):
            raw = secrets.get(variable)
            value = None if raw in (None, "") else str(raw)
        if value is not None:
            return variable, value
    return None


def _problem(variable: str, info: FieldInfo, raw: str, error: ValidationError) -> str:
    """'<VARIABLE> must be <what works> (got <value>); using <default>.'"""
    cause = (error.errors()[0].get("ctx") or {}).get("error")
    if isinstance(cause, SettingError):  # the parser's sentence already names the variable
        said = str(cause).rstrip(".")
    else:
        expected = cause.expected if isinstance(cause, _Unfit) else _expected(info)
        # Only a number is quoted back: any other value may be a key, a password in a
        # URL or a signing secret, and the sidebar shows problems to every visitor.
        got = f" (got {_quoted(raw)})" if info.annotation in (int, float) else ""
        said = f"{variable} must be {expected}{got}"
    return f"{said}; using {_default_text(info)}."


def _expected(info: FieldInfo) -> str:
    kinds = {int: "a whole number", float: "a number"}
    kind = kinds.get(info.annotation, "a valid value")  # type: ignore[call-overload]
    bounds = [
        f"{symbol} {getattr(m, attr):g}"
        for m in info.metadata
        for attr, symbol in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))
        if hasattr(m, attr)
    ]
    return " ".join([kind, " and ".join(bounds)]).strip()


def _quoted(raw: str, limit: int = 40) -> str:
    return repr(raw if len(raw) <= limit else raw[:limit] + "…")


def _default_text(info: FieldInfo) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    default = info.default
    if extra.get("default_text"):
        return str(extra["default_text"])
    if isinstance(default, float):
        return f"{default:g}"  # 60, not 60.0
    return "none" if default is None else str(default)


def configuration_problems(settings: Settings) -> list[str]:
    """Settings that cannot work, each named, so the sidebar can say which to fix.

    `load_settings` replaced each unusable value by its default (`settings.problems`). The
    checks below keep the value instead, because the default would do harm: without
    OPENAI_BASE_URL a key meant for that server would go to OpenAI, and the default store
    would quietly split conversations from the one named; a record folder may appear later.
    """
    from urllib.parse import urlsplit

    problems = list(settings.problems)
    if settings.openai_base_url:
        parts = urlsplit(settings.openai_base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                "OPENAI_BASE_URL is not an http(s) URL; expected something like "
                "http://127.0.0.1:11434/v1."
            )
    if settings.transcribe_base_url:
        parts = urlsplit(settings.transcribe_base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                "STREAMLIT_AGENT_TRANSCRIBE_BASE_URL is not an http(s) URL; expected something "
                "like http://127.0.0.1:8000/v1."
            )
    if (
        settings.transcribe_model
        and not settings.transcribe_base_url
        and not settings.openai_base_url
        and not settings.openai_api_key
    ):
        problems.append(
            "STREAMLIT_AGENT_TRANSCRIBE_MODEL needs OPENAI_API_KEY or a server's base URL "
            "(STREAMLIT_AGENT_TRANSCRIBE_BASE_URL); no microphone is offered."
        )
    if settings.db_url and "://" not in settings.db_url:
        problems.append(
            "STREAMLIT_AGENT_DB_URL is not a database URL; expected e.g. "
            "sqlite:///path/to/file.db or postgresql+psycopg://user@host/db."
        )
    if settings.record_dir and not Path(settings.record_dir).is_dir():
        problems.append("STREAMLIT_AGENT_RECORD_DIR is not a folder; no run is recorded.")
    return problems
