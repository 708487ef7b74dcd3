"""Speech to text through an OpenAI-compatible `/audio/transcriptions` endpoint: OpenAI's,
or a Whisper server of your own (`STREAMLIT_AGENT_TRANSCRIBE_BASE_URL`).

A recording is held to the per-file byte limit before anything is sent, the request to the
model timeout, and a failure becomes `TranscriptionFailed` naming the recording with a
reason a person can act on (the server's own words scrubbed of secrets), never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streamlit_agent.config import Settings
from streamlit_agent.files.kinds import describe_size
from streamlit_agent.safety import redact

# Not providers.NO_KEY_PLACEHOLDER: providers imports LangChain, and this module is loaded
# with the chat box, before the page imports LangChain (app.py).
NO_KEY_PLACEHOLDER = "not-needed"

# What of a server's error message is shown: enough to act on, not a page of HTML.
SERVER_MESSAGE_CHARS = 200
OPENAI_URL = "https://api.openai.com/v1"


class TranscriptionFailed(Exception):
    """A recording that was not turned into text; `name` is the recording's (untrusted,
    shown as plain text), `reason` a sentence for the person who recorded it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Transcriber:
    """Where and how recordings are transcribed; `transcriber_for` builds it from settings."""

    model: str
    base_url: str | None  # None: OpenAI's own
    api_key: str = field(repr=False)
    timeout_s: float
    max_bytes: int


def transcriber_for(settings: Settings) -> Transcriber | None:
    """The configured transcription service, or None (then no microphone is offered).

    A separate transcription server never gets the configured key: it may be a Whisper
    server on another machine, and the key is OpenAI's (or OPENAI_BASE_URL's) alone."""
    model = (settings.transcribe_model or "").strip()
    if not model:
        return None
    own_url = settings.transcribe_base_url
    if own_url and own_url != settings.openai_base_url:
        base_url, key = own_url, None
    elif settings.openai_base_url:
        base_url, key = settings.openai_base_url, settings.openai_api_key
    elif settings.openai_api_key:
        base_url, key = None, settings.openai_api_key
    else:
        return None  # OpenAI's endpoint without a key would refuse every recording
    return Transcriber(
        model=model,
        base_url=base_url,
        api_key=key or NO_KEY_PLACEHOLDER,
        timeout_s=settings.request_timeout_s,
        max_bytes=settings.file_max_bytes,
    )


def transcribe(transcriber: Transcriber, name: str, data: bytes, mime: str = "audio/wav") -> str:
    """The text spoken in the recording `data` (called `name`); raises TranscriptionFailed."""
    if not data:
        raise TranscriptionFailed(name, "the recording is empty")
    if len(data) > transcriber.max_bytes:
        raise TranscriptionFailed(
            name,
            f"it is {describe_size(len(data))}; a recording may be at most "
            f"{describe_size(transcriber.max_bytes)} (record a shorter one)",
        )
    # Here, not at the top: the openai SDK costs the first page time (see providers.py).
    import openai

    client = openai.OpenAI(
        api_key=transcriber.api_key,
        # Named even for OpenAI: with None the SDK would read OPENAI_BASE_URL itself.
        base_url=transcriber.base_url or OPENAI_URL,
        timeout=transcriber.timeout_s,
        max_retries=0,  # a person is waiting; they can record again
    )
    try:
        result = client.audio.transcriptions.create(
            model=transcriber.model, file=(name, data, mime)
        )
    except openai.APITimeoutError:
        raise TranscriptionFailed(
            name, f"the transcription service did not answer within {transcriber.timeout_s:g} s"
        ) from None
    except openai.APIConnectionError:
        raise TranscriptionFailed(name, "the transcription service cannot be reached") from None
    except openai.APIStatusError as exc:
        said = _server_message(exc.body, transcriber.api_key)
        raise TranscriptionFailed(
            name, f"the transcription service refused it (HTTP {exc.status_code}{said})"
        ) from None
    except openai.OpenAIError:
        raise TranscriptionFailed(
            name, "the transcription service's answer was not understood"
        ) from None
    finally:
        client.close()
    text = _text_of(result).strip()
    if not text:
        raise TranscriptionFailed(name, "no speech was recognised in it")
    return text


def _text_of(result: Any) -> str:
    # OpenAI answers {"text": ...}; a server asked for JSON may still answer plain text.
    if isinstance(result, str):
        return result
    text = getattr(result, "text", None)
    return text if isinstance(text, str) else ""


def _server_message(body: object, key: str) -> str:
    """`: <the server's message>`, shortened and scrubbed of secrets, or nothing."""
    if isinstance(body, dict):
        body = body.get("error", body)
    if isinstance(body, dict):
        body = body.get("message")
    if not isinstance(body, str) or not body.strip():
        return ""
    # Scrubbed whole, then cut: a cut through a key would leave a piece no rule knows.
    text = redact.scrub(" ".join(body.split()), [key])
    if len(text) > SERVER_MESSAGE_CHARS:
        text = text[:SERVER_MESSAGE_CHARS] + "…"
    return ": " + text
