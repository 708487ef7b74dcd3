"""Model providers: which chat model to talk to, and the one `ChatOpenAI` path to it.

Three providers share one code path because each speaks the OpenAI API:
OpenAI itself, any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp),
and the bundled SmolLM2 model served by llama-cpp-python on loopback.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_openai import ChatOpenAI

from streamlit_agent.config import DEFAULT_OPENAI_MODEL, Settings

BUNDLED_MODEL_NAME = "SmolLM2-135M-Instruct"
# OpenAI-compatible servers that need no key still require the client to send one.
NO_KEY_PLACEHOLDER = "not-needed"

ProviderKind = Literal["openai", "compatible", "bundled"]


@dataclass(frozen=True)
class ModelChoice:
    """Which model the app talks to; `label` is what the sidebar shows."""

    kind: ProviderKind
    model: str
    base_url: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "bundled":
            return f"Bundled local model: {BUNDLED_MODEL_NAME}"
        if self.kind == "openai":
            return f"OpenAI {self.model}"
        return f"OpenAI-compatible at {redact_url(self.base_url or '')} ({self.model})"


def redact_url(url: str) -> str:
    """Drop credentials from a URL before showing or logging it."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        parts = parts._replace(netloc=host)
    return urlunsplit(parts)


def choose_model(settings: Settings) -> ModelChoice:
    """Base URL beats key beats nothing: the most specific setting wins."""
    if settings.openai_base_url:
        return ModelChoice(
            "compatible", settings.model_name or DEFAULT_OPENAI_MODEL, settings.openai_base_url
        )
    if settings.openai_api_key:
        return ModelChoice("openai", settings.model_name or DEFAULT_OPENAI_MODEL)
    return ModelChoice("bundled", "smollm2")


def build_chat_model(
    choice: ModelChoice, settings: Settings, local_base_url: str | None = None
) -> BaseChatModel:
    """A streaming `ChatOpenAI` for `choice`; the bundled model needs `local_base_url`."""
    common: dict[str, Any] = {
        "model": choice.model,
        "streaming": True,
        "stream_usage": True,
        "timeout": settings.request_timeout_s,
        "max_retries": 2,
    }
    if choice.kind == "bundled":
        if not local_base_url:
            raise ValueError("the bundled model needs its local server's base URL")
        return SmallModelChatOpenAI(
            base_url=local_base_url, api_key=NO_KEY_PLACEHOLDER, temperature=0.0, **common
        )
    if choice.kind == "compatible":
        return ChatOpenAI(
            base_url=choice.base_url,
            api_key=settings.openai_api_key or NO_KEY_PLACEHOLDER,
            **common,
        )
    return ChatOpenAI(api_key=settings.openai_api_key, **common)


def unescape_tool_args(message: AIMessage) -> AIMessage:
    """llama.cpp's function-calling format can HTML-escape argument strings (`&#39;`)."""
    if not message.tool_calls:
        return message
    fixed = []
    for call in message.tool_calls:
        args = {
            key: html.unescape(value) if isinstance(value, str) else value
            for key, value in call["args"].items()
        }
        fixed.append({**call, "args": args})
    return message.model_copy(update={"tool_calls": fixed})


class SmallModelChatOpenAI(ChatOpenAI):
    """ChatOpenAI with the repairs a 135M-parameter model needs to drive tools.

    Measured with SmolLM2 under llama-cpp-python's `chatml-function-calling` format:
    tools are only called with `tool_choice="auto"`, arguments may come HTML-escaped,
    and some turns come back empty. An empty reply is asked again without tools,
    so the user always gets text.
    """

    def bind_tools(  # type: ignore[override]
        self,
        tools: Sequence[Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable:
        with_tools = super().bind_tools(tools, tool_choice=tool_choice or "auto", **kwargs)
        return RunnableLambda(_repairing_call(with_tools, self), name="SmallModelWithTools")


def _repairing_call(with_tools: Runnable, plain: Runnable) -> Callable[..., AIMessage]:
    def call(prompt: Any, config: RunnableConfig) -> AIMessage:
        message = unescape_tool_args(with_tools.invoke(prompt, config))
        if not message.tool_calls and not str(message.content).strip():
            message = plain.invoke(prompt, config)
        return message

    return call
