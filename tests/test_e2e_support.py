"""The e2e harness itself: `streamlit run` of a tiny echo app, driven through Chromium."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import (
    AppProcess,
    app_env,
    chat_messages,
    chat_roles,
    free_port,
    record_chat_text_changes,
    recorded_chat_texts,
    send_chat,
    wait_for_app,
    wait_for_chat_text,
)
from tests.scripted_openai import ScriptedOpenAI

ECHO_APP = textwrap.dedent(
    """
    import os

    import streamlit as st

    st.caption(f"key={os.environ.get('OPENAI_API_KEY', '<unset>')}")
    if "history" not in st.session_state:
        st.session_state.history = []
    for role, text in st.session_state.history:
        with st.chat_message(role):
            st.markdown(text)

    if prompt := st.chat_input("Say something"):
        st.session_state.history.append(("user", prompt))
        with st.chat_message("user"):
            st.markdown(prompt)
        with st.chat_message("assistant"):
            if prompt.startswith("model:"):
                import openai

                client = openai.OpenAI(max_retries=0)  # base URL and key from the env
                stream = client.chat.completions.create(
                    model="scripted-model",
                    messages=[{"role": "user", "content": prompt.removeprefix("model:").strip()}],
                    stream=True,
                )
                answer = st.write_stream(
                    c.choices[0].delta.content or "" for c in stream if c.choices
                )
            else:
                answer = f"Echo: {prompt}"
                st.markdown(answer)
        st.session_state.history.append(("assistant", answer))
    """
)


@pytest.fixture
def echo_script(tmp_path: Path) -> Path:
    script = tmp_path / "echo_app.py"
    script.write_text(ECHO_APP)
    return script


def test_app_env_drops_inherited_secrets_but_keeps_what_is_given() -> None:
    outer = {"PATH": "/bin", "OPENAI_API_KEY": "sk-outer", "HTTPS_PROXY": "http://proxy:1"}
    env = app_env({"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}, base=outer)
    assert "OPENAI_API_KEY" not in env and "HTTPS_PROXY" not in env
    assert env["OPENAI_BASE_URL"] == "http://127.0.0.1:1/v1"
    assert env["PATH"] == "/bin" and env["PYTHONUNBUFFERED"] == "1"
    assert app_env({"OPENAI_API_KEY": "given"}, base=outer)["OPENAI_API_KEY"] == "given"


def test_a_start_that_fails_raises_with_the_log(tmp_path: Path) -> None:
    app = AppProcess(script=tmp_path / "missing.py", log_dir=tmp_path, startup_timeout=30)
    with pytest.raises(RuntimeError, match=r"missing\.py"):
        app.start()
    assert not app.is_running()


def test_free_port_is_bindable_on_loopback() -> None:
    assert 1024 <= free_port() <= 65535


@pytest.mark.e2e
@pytest.mark.slow
def test_echo_app_under_streamlit_run_answers_in_the_browser(
    app_factory: Callable[..., AppProcess],
    page: Any,
    echo_script: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-outer-environment")
    app = app_factory({}, script=echo_script)
    assert app.is_running()

    page.goto(app.url)
    wait_for_app(page)
    assert page.get_by_text("key=<unset>").is_visible()  # the outer key did not leak in

    send_chat(page, "hello browser")
    assert chat_messages(page) == ["hello browser", "Echo: hello browser"]
    assert chat_roles(page) == ["user", "assistant"]

    send_chat(page, "second turn")
    assert chat_messages(page)[-2:] == ["second turn", "Echo: second turn"]
    assert "Uncaught" not in app.log_text()


@pytest.mark.e2e
@pytest.mark.slow
def test_streamed_model_answer_grows_in_the_browser(
    app_factory: Callable[..., AppProcess],
    page: Any,
    echo_script: Path,
    scripted_model: ScriptedOpenAI,
) -> None:
    # The stream holds after three pieces until the page has drawn them: on a loaded two-core
    # machine timed pauses alone let the app read the stream in one burst.
    scripted_model.hold_streams(before_piece=3)
    app = app_factory(
        {"OPENAI_BASE_URL": scripted_model.base_url, "OPENAI_API_KEY": "test"},
        script=echo_script,
    )
    page.goto(app.url)
    wait_for_app(page)

    record_chat_text_changes(page)
    send_chat(page, "model: one two three", wait=False)
    wait_for_chat_text(page, "You said: one")
    held = chat_messages(page)[-1]
    scripted_model.release_streams()
    final = "You said: one two three"
    wait_for_chat_text(page, final)

    assert held.strip() == "You said: one", held
    seen = recorded_chat_texts(page)
    assert seen[-1] == final
    partial = [t for t in seen if t.startswith("You said:") and t != final]
    assert partial, f"no partial answer was ever shown: {seen}"
    assert all(final.startswith(t.strip()) for t in partial)
    assert scripted_model.requests[-1]["messages"] == [{"role": "user", "content": "one two three"}]
    assert scripted_model.request_headers[-1]["authorization"] == "Bearer test"
