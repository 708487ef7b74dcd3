"""Plain-language descriptions of failures, with secrets scrubbed.

Everything shown to the user or logged about a failed run goes through
`describe_error`, so no traceback or API key reaches the page; its scrubbing is
`redact.scrub`, the one scrubber for text from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from streamlit_agent.models.bundled.server import LocalModelError
from streamlit_agent.safety.redact import scrub

if TYPE_CHECKING:
    import openai


def _provider_message(error: openai.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error", body) if isinstance(body, dict) else {}
    message = inner.get("message") if isinstance(inner, dict) else None
    return str(message or error.message or "").strip()


def is_context_overflow(error: BaseException) -> bool:
    text = str(error).lower()
    return (
        "context_length_exceeded" in text or "context length" in text or "too many tokens" in text
    )


def describe_error(error: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """One or two sentences saying what went wrong and what to do about it."""
    import openai  # here, not at the top: the first page need not wait for the SDK

    if isinstance(error, LocalModelError):
        text = str(error)
    elif isinstance(error, openai.RateLimitError):
        text = (
            "The model provider is rate-limiting requests (HTTP 429). "
            "Wait a moment, then press Retry."
        )
    elif isinstance(error, openai.AuthenticationError):
        text = (
            "The model provider rejected the API key (HTTP 401). "
            "Check OPENAI_API_KEY or the key in the sidebar."
        )
    elif isinstance(error, openai.NotFoundError):
        text = (
            f"The model provider does not know this model (HTTP 404: {_provider_message(error)}). "
            "Check the model name setting (STREAMLIT_AGENT_MODEL)."
        )
    elif isinstance(error, openai.BadRequestError) and is_context_overflow(error):
        text = (
            "The conversation is too long for the model's context window, even after trimming "
            "older turns. Start a new chat or lower STREAMLIT_AGENT_HISTORY_TOKENS."
        )
    elif isinstance(error, openai.APITimeoutError):
        text = (
            "The model did not answer in time (STREAMLIT_AGENT_REQUEST_TIMEOUT). "
            "It may be overloaded; press Retry."
        )
    elif isinstance(error, openai.APIConnectionError):
        text = (
            "Could not connect to the model server. Check that it is running and that "
            "OPENAI_BASE_URL is right, then press Retry."
        )
    elif isinstance(error, openai.APIStatusError):
        text = (
            f"The model provider answered with an error (HTTP {error.status_code}: "
            f"{_provider_message(error)[:200]}). Press Retry."
        )
    else:
        text = f"Something went wrong while answering ({type(error).__name__}: {error})."
    return scrub(text, secrets)
