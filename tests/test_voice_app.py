"""Voice input through the page (AppTest), with the scripted server transcribing and
answering on loopback: a recording becomes the question with its transcript, the audio is
kept with it, and a recording that cannot be transcribed is named, what was typed kept.

AppTest cannot record, so the chat box's recording is handed in at the one place the page
reads it (`voice.recording_of`); everything after that is the page's own."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from streamlit_agent.files.kinds import AUDIO_KIND, Incoming
from streamlit_agent.store.database import ConversationStore
from streamlit_agent.web import voice
from tests.apptest_support import OWNER, shown, start, texts, thread_of
from tests.scripted_openai import Reply, ScriptedOpenAI, last_user_text
from tests.test_transcription import wav

RECORDING = wav()


@pytest.fixture
def microphone(app_env: ScriptedOpenAI, monkeypatch: pytest.MonkeyPatch) -> ScriptedOpenAI:
    monkeypatch.setenv("STREAMLIT_AGENT_TRANSCRIBE_MODEL", "whisper-1")
    monkeypatch.setattr(
        voice, "recording_of", lambda value: Incoming("recording.wav", RECORDING, True)
    )
    return app_env


def _say(at: Any, typed: str) -> Any:
    at.chat_input[0].set_value(typed)
    return at.run()


def _captions(at: Any) -> list[str]:
    """Each chat bubble's captions (a question's files are listed there)."""
    return [shown(" ".join(c.value for c in message.caption)) for message in at.chat_message]


def _files(tmp: Path, thread: str) -> list[Any]:
    store = ConversationStore(f"sqlite:///{tmp / 'chat.db'}")
    try:
        return store.files_of(OWNER, thread, False)
    finally:
        store.close()


def test_no_microphone_without_a_transcription_service(app_env: ScriptedOpenAI) -> None:
    at = start()
    assert not at.exception and not at.chat_input[0].proto.accept_audio


def test_a_recording_becomes_the_question_and_is_kept(
    microphone: ScriptedOpenAI, nothing_configured: Path
) -> None:
    at = start()
    assert at.chat_input[0].proto.accept_audio
    at = _say(at, "")  # only spoken: the scripted transcript is "What is 37 * 41?"
    assert not at.exception
    [sent] = microphone.transcriptions
    assert sent["model"] == "whisper-1" and sent["file"]["data"] == RECORDING
    question, answer = texts(at)[-2:]
    assert "🎤 transcribed from the recording:" in question and "What is 37 * 41?" in question
    assert "recording.wav · AUDIO" in _captions(at)[-2]  # kept, shown like other files
    assert "1517" in answer  # the model was asked the transcript
    model_got = last_user_text(microphone.requests[-1]["messages"])
    assert "What is 37 * 41?" in model_got and "RIFF" not in model_got  # text, not audio
    [kept] = _files(nothing_configured, thread_of(at))
    assert (kept.name, kept.kind, kept.size) == ("recording.wav", AUDIO_KIND, len(RECORDING))


def test_typed_text_and_a_recording_make_one_question(microphone: ScriptedOpenAI) -> None:
    microphone.enqueue_transcript(Reply.text("What is 6 * 7?"))
    at = _say(start(), "Please answer in digits.")
    question = texts(at)[-2]
    assert question.index("Please answer in digits.") < question.index("transcribed from")
    assert "What is 6 * 7?" in question and "42" in texts(at)[-1]


def test_a_recording_that_cannot_be_transcribed_is_named_and_typing_kept(
    microphone: ScriptedOpenAI, nothing_configured: Path
) -> None:
    microphone.enqueue_transcript(Reply.failure(503, "busy"), Reply.failure(503, "busy"))
    at = _say(start(), "What is 2 * 21?")
    assert not at.exception
    [warning] = [w.value for w in at.warning if "recording.wav" in w.value]
    assert "could not be transcribed" in warning and "HTTP 503" in warning
    assert "What is 2 * 21?" in texts(at)[-2] and "42" in texts(at)[-1]
    # Nothing typed: the question is kept with the recording and the reason, unanswered.
    asked = len(microphone.requests)
    at = _say(at, "")
    assert not at.exception and len(microphone.requests) == asked
    question, notice = texts(at)[-2:]
    assert "🎤 recording.wav" in question and "recording.wav · AUDIO" in _captions(at)[-2]
    assert "could not be transcribed" in notice and "record it again" in notice
    assert len(_files(nothing_configured, thread_of(at))) == 2


def test_the_recording_is_read_from_the_chat_box_value() -> None:
    audio = SimpleNamespace(name="chat.wav", getvalue=lambda: RECORDING)
    assert voice.recording_of(SimpleNamespace(text="", audio=audio)) == Incoming(
        "chat.wav", RECORDING, True
    )
    assert voice.recording_of(SimpleNamespace(text="", audio=None)) is None
    assert voice.recording_of("typed only") is None
