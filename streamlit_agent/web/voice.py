"""The page side of voice input: the chat box's recording becomes the question's text
(what was typed, then the transcript, marked as transcribed) and is kept with it as an
audio attachment through the usual attach path; the model gets the text, not the audio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from streamlit_agent.config import MAX_MESSAGE_CHARS, Settings
from streamlit_agent.files.kinds import Incoming
from streamlit_agent.models.transcription import (
    Transcriber,
    TranscriptionFailed,
    transcribe,
    transcriber_for,
)
from streamlit_agent.web.ui.text import markdown_text

MIC = "🎤"
RECORDING_NAME = "recording.wav"
# Without the recording's name: the browser names it by the time (audio-2026-12-04T23-…),
# which the model would read as part of the question; the name is listed under it.
CAPTION = f"{MIC} transcribed from the recording:"


@dataclass(frozen=True)
class Heard:
    """A recording's outcome: the question's text, and `problem` (a sentence naming the
    recording) when it could not be transcribed; `text` then holds only what was typed."""

    text: str
    problem: str | None = None


def offered(settings: Settings) -> bool:
    """Whether the chat box offers a microphone: only with a transcription service."""
    return transcriber_for(settings) is not None


def recording_of(value: Any) -> Incoming | None:
    """The chat box's recording (Streamlit's UploadedFile, a WAV) as a file to keep."""
    audio = getattr(value, "audio", None)  # absent without accept_audio: getattr says None
    if audio is None:
        return None
    name = str(getattr(audio, "name", "") or RECORDING_NAME)
    return Incoming(name, bytes(audio.getvalue()), recording=True)


def combined(typed: str, transcript: str, max_chars: int) -> str:
    """What was typed, then the transcript under a caption saying it was transcribed; the
    transcript is cut so the whole stays within `max_chars` (the message limit)."""
    head = f"{typed.rstrip()}\n\n" if typed.strip() else ""
    head += CAPTION + "\n"
    room = max(max_chars - len(head), 0)
    if len(transcript) > room:
        cut = " …(cut: too long)"
        transcript = transcript[: max(room - len(cut), 0)] + cut
        transcript = transcript[:room]
    return head + transcript


def hear(typed: str, recording: Incoming, transcriber: Transcriber | None, max_chars: int) -> Heard:
    """The question's text for `typed` plus `recording`: nothing typed is ever lost, and a
    recording that cannot be transcribed is named with the reason, never a traceback."""
    if transcriber is None:
        reason = "no transcription service is configured"
        return Heard(typed, f"{recording.name} was not transcribed: {reason}.")
    try:
        transcript = transcribe(transcriber, recording.name, recording.data)
    except TranscriptionFailed as failed:
        return Heard(typed, f"{failed.name} could not be transcribed: {failed.reason}.")
    return Heard(combined(typed, transcript, max_chars))


def question_text(typed: str, recording: Incoming, settings: Settings) -> tuple[str, str | None]:
    """(the question's text, why it cannot be asked now or None), for what was typed and
    the chat box's `recording`. A recording that cannot be transcribed is named on the
    page; with nothing typed the question is kept with it (and the reason), unanswered."""
    with st.spinner("Transcribing your recording…"):
        heard = hear(typed, recording, transcriber_for(settings), MAX_MESSAGE_CHARS)
    if heard.problem is None:
        return heard.text, None
    if typed.strip():
        st.warning(markdown_text(f"{heard.problem} Your typed question is sent without it."))
        return heard.text, None
    kept = " The recording is kept with this question; record it again, or type the question."
    return f"{MIC} {recording.name}", heard.problem + kept
