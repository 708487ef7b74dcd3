"""Voice input in a real browser: Chromium's fake microphone plays a WAV file, the chat
box's microphone records it, the scripted server transcribes it, and the transcript is
the question (the recording kept with it) and answered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e_support import (
    CHAT_MESSAGE,
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    AppProcess,
    chromium_available,
    model_env,
    new_page,
    open_url,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import ScriptedOpenAI
from tests.test_transcription import wav

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _browser_with_microphone(playwright: Any, sound: Path) -> Any:
    if not chromium_available():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM_PATH}")
    fake_microphone = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",  # the permission prompt answered yes
        f"--use-file-for-fake-audio-capture={sound}",
    ]
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, args=[*CHROMIUM_ARGS, *fake_microphone]
    )


def test_the_microphone_records_and_the_transcript_is_answered(
    playwright: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    tmp_path: Path,
) -> None:
    sound = tmp_path / "voice.wav"
    sound.write_bytes(wav(2.0))
    browser = _browser_with_microphone(playwright, sound)
    try:
        env = model_env(
            scripted_model,
            STREAMLIT_AGENT_DB_URL=f"sqlite:///{tmp_path / 'chat.db'}",
            STREAMLIT_AGENT_TRANSCRIBE_MODEL="whisper-1",
        )
        page = new_page(browser)
        open_url(page, app_factory(env).url)
        mic = page.locator('[data-testid="stChatInputMicButton"]')
        expect(mic).to_be_visible(timeout=30_000)
        mic.click()
        page.wait_for_timeout(1500)  # a second and a half of the fake microphone
        page.locator('[data-testid="stChatInputApproveButton"]').click()
        wait_for_chat_text(page, "1517", timeout_ms=60_000)  # "What is 37 * 41?", answered
        wait_for_idle(page)
        [sent] = scripted_model.transcriptions
        assert sent["model"] == "whisper-1" and sent["file"]["data"][:4] == b"RIFF"
        question = page.locator(CHAT_MESSAGE).first.inner_text()
        assert "transcribed from" in question and "What is 37 * 41?" in question
        assert "AUDIO" in question  # the recording is kept with the question
    finally:
        browser.close()
