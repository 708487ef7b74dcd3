"""Voice input without the page: the transcription client against the scripted server on
loopback (success, a server error, a timeout, a recording too large), which service and key
it uses, the question's text, and a recording kept as an audio attachment."""

from __future__ import annotations

import io
import time
import wave

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamlit_agent.config import Settings, configuration_problems, load_settings
from streamlit_agent.files.kinds import AUDIO_KIND, Incoming, Limits, sort_batch
from streamlit_agent.models.transcription import (
    NO_KEY_PLACEHOLDER,
    Transcriber,
    TranscriptionFailed,
    transcribe,
    transcriber_for,
)
from streamlit_agent.web import voice
from tests.scripted_openai import DEFAULT_TRANSCRIPT, Reply, ScriptedOpenAI

KEY = "sk-test-" + "k" * 40


def wav(seconds: float = 0.2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x01" * int(16000 * seconds))
    return out.getvalue()


def _transcriber(server: ScriptedOpenAI, **changes: object) -> Transcriber:
    fields: dict = {
        "model": "whisper-1",
        "base_url": server.base_url,
        "api_key": KEY,
        "timeout_s": 5.0,
        "max_bytes": 1_000_000,
    }
    return Transcriber(**{**fields, **changes})


def test_a_recording_is_sent_as_a_form_and_its_transcript_returned(
    scripted_model: ScriptedOpenAI,
) -> None:
    data = wav()
    scripted_model.enqueue_transcript(Reply.text("  How tall is Everest?\n"))
    assert transcribe(_transcriber(scripted_model), "rec.wav", data) == "How tall is Everest?"
    [seen] = scripted_model.transcriptions
    assert seen["model"] == "whisper-1"
    assert seen["file"] == {"name": "rec.wav", "content_type": "audio/wav", "data": data}
    assert seen["headers"]["authorization"] == f"Bearer {KEY}"
    # Without a queued reply the server's own transcript answers.
    assert transcribe(_transcriber(scripted_model), "b.wav", data) == DEFAULT_TRANSCRIPT


def test_a_server_error_names_the_recording_and_hides_the_key(
    scripted_model: ScriptedOpenAI,
) -> None:
    said = f"model overloaded; your key {KEY} was rate limited " + "x" * 500
    scripted_model.enqueue_transcript(Reply.failure(503, said))
    with pytest.raises(TranscriptionFailed) as failed:
        transcribe(_transcriber(scripted_model), "rec.wav", wav())
    assert failed.value.name == "rec.wav"
    assert "HTTP 503" in failed.value.reason and "model overloaded" in failed.value.reason
    assert KEY not in str(failed.value) and len(failed.value.reason) < 300
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_a_service_that_does_not_answer_times_out() -> None:
    with ScriptedOpenAI(hang_seconds=30) as server:
        server.enqueue_transcript(Reply.hanging())
        started = time.monotonic()
        with pytest.raises(TranscriptionFailed) as failed:
            transcribe(_transcriber(server, timeout_s=0.5), "rec.wav", wav())
        assert time.monotonic() - started < 5
    assert "did not answer within 0.5 s" in failed.value.reason


def test_a_service_that_is_not_there_is_named() -> None:
    with ScriptedOpenAI() as server:
        gone = _transcriber(server)
    with pytest.raises(TranscriptionFailed) as failed:
        transcribe(gone, "rec.wav", wav())
    assert "cannot be reached" in failed.value.reason


def test_too_large_or_empty_is_refused_before_anything_is_sent(
    scripted_model: ScriptedOpenAI,
) -> None:
    with pytest.raises(TranscriptionFailed) as failed:
        transcribe(_transcriber(scripted_model, max_bytes=1000), "long.wav", wav(1.0))
    assert "at most 1000 bytes" in failed.value.reason
    with pytest.raises(TranscriptionFailed, match="empty"):
        transcribe(_transcriber(scripted_model), "none.wav", b"")
    scripted_model.enqueue_transcript(Reply.text("   "))
    with pytest.raises(TranscriptionFailed, match="no speech"):
        transcribe(_transcriber(scripted_model), "quiet.wav", wav())
    assert len(scripted_model.transcriptions) == 1  # only the quiet one reached it


def test_which_service_and_key_transcribe() -> None:
    assert transcriber_for(Settings(openai_api_key=KEY)) is None  # no model: no microphone
    assert transcriber_for(Settings(transcribe_model="whisper-1")) is None  # nowhere to send
    openai = transcriber_for(Settings(transcribe_model="whisper-1", openai_api_key=KEY))
    assert openai is not None and openai.base_url is None and openai.api_key == KEY
    assert KEY not in repr(openai)
    own = transcriber_for(
        Settings(
            transcribe_model="whisper",
            openai_base_url="http://127.0.0.1:1/v1",
            openai_api_key=KEY,
            file_max_bytes=123,
            request_timeout_s=7,
        )
    )
    assert own is not None and own.base_url == "http://127.0.0.1:1/v1" and own.api_key == KEY
    assert (own.max_bytes, own.timeout_s) == (123, 7)
    # A separate Whisper server never gets the key meant for the model's service.
    whisper = transcriber_for(
        Settings(
            transcribe_model="whisper",
            transcribe_base_url="http://127.0.0.1:2/v1",
            openai_api_key=KEY,
        )
    )
    assert whisper is not None and whisper.base_url == "http://127.0.0.1:2/v1"
    assert whisper.api_key == NO_KEY_PLACEHOLDER


def test_transcription_settings_are_read_and_checked() -> None:
    env = {
        "STREAMLIT_AGENT_TRANSCRIBE_MODEL": "whisper-1",
        "STREAMLIT_AGENT_TRANSCRIBE_BASE_URL": "localhost:8000",
    }
    settings = load_settings(env=env)
    assert settings.transcribe_model == "whisper-1"
    problems = configuration_problems(settings)
    assert any("STREAMLIT_AGENT_TRANSCRIBE_BASE_URL is not an http(s) URL" in p for p in problems)
    alone = configuration_problems(load_settings(env={"STREAMLIT_AGENT_TRANSCRIBE_MODEL": "w"}))
    assert any("no microphone is offered" in p for p in alone)
    assert not voice.offered(load_settings(env={}))


def test_the_question_says_which_part_was_transcribed(scripted_model: ScriptedOpenAI) -> None:
    scripted_model.enqueue_transcript(Reply.text("and in Paris?"))
    heard = voice.hear(
        "What time is it in Tokyo",
        Incoming("rec.wav", wav(), recording=True),
        _transcriber(scripted_model),
        20_000,
    )
    assert heard.problem is None
    said = "What time is it in Tokyo\n\n🎤 transcribed from the recording:\nand in Paris?"
    assert heard.text == said


def test_a_failed_transcription_keeps_what_was_typed(scripted_model: ScriptedOpenAI) -> None:
    scripted_model.enqueue_transcript(Reply.failure(500, "boom"))
    recording = Incoming("rec.wav", wav(), recording=True)
    heard = voice.hear("typed words", recording, _transcriber(scripted_model), 20_000)
    assert heard.text == "typed words"
    assert heard.problem is not None and heard.problem.startswith("rec.wav could not be")
    unconfigured = voice.hear("typed", recording, None, 20_000)
    assert unconfigured.text == "typed" and "not transcribed" in str(unconfigured.problem)


@given(typed=st.text(max_size=300), transcript=st.text(min_size=1, max_size=400))
def test_the_question_never_passes_the_message_limit(typed: str, transcript: str) -> None:
    limit = 250
    text = voice.combined(typed, transcript, limit)
    if len(typed.rstrip()) + 40 <= limit:
        assert len(text) <= limit
    if typed.strip():
        assert text.startswith(typed.rstrip())  # what was typed comes first, whole
    assert voice.CAPTION in text


LIMITS = Limits(
    file_bytes=100_000,
    conversation_bytes=1_000_000,
    person_bytes=1_000_000,
    files_per_message=1,
    image_pixels=1000,
)


def test_a_recording_is_kept_as_audio_and_an_uploaded_audio_file_is_not() -> None:
    recording = Incoming("rec.wav", wav(), recording=True)
    uploaded = Incoming("song.wav", wav())
    text = Incoming("a.txt", b"hello")
    out = sort_batch([recording, text, uploaded], LIMITS, conversation_used=0, person_used=0)
    # The recording does not count against the one file this message may carry.
    assert [(f.name, kind) for f, kind in out.accepted] == [
        ("rec.wav", AUDIO_KIND),
        ("a.txt", "text"),
    ]
    assert [r.name for r in out.rejected] == ["song.wav"]
    fake = Incoming("rec.wav", b"not audio at all", recording=True)
    out = sort_batch([fake], LIMITS, conversation_used=0, person_used=0)
    assert "not audio" in out.rejected[0].reason
    big = Incoming("rec.wav", wav(5.0), recording=True)
    out = sort_batch([big], LIMITS, conversation_used=0, person_used=0)
    assert "at most" in out.rejected[0].reason
