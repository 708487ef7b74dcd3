"""MCP tools in a real browser: a stdio and a streamable-HTTP server (tests/mcp_fixture_server.py)
side by side, their steps shown and kept across a reload, the HTTP header secret never shown."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import (
    AppProcess,
    chat_messages,
    model_env,
    new_page,
    open_url,
    send_chat,
    sidebar_text,
    wait_for_app,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import Reply, ScriptedOpenAI
from tests.test_mcp import FIXTURE, free_port, start_http_fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "hdr-s3cret-e2e-7f3a"


@pytest.fixture
def http_server() -> Iterator[str]:
    port = free_port()
    proc: subprocess.Popen[bytes] = start_http_fixture(port, "--suffix", "_http")
    yield f"http://127.0.0.1:{port}/mcp"
    proc.kill()
    proc.wait()


def wait_for_servers(page: Any, url: str, names: tuple[str, ...], timeout_s: float = 60) -> str:
    """The sidebar once it lists every server in `names`; returns its text.

    A page waits 2 s for servers; one slower than that (a Python server on a loaded CI
    machine) is shown as still starting and joins on a later run, as a reload gives.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        sidebar = sidebar_text(page)
        if all(f"MCP server: {name}" in sidebar for name in names):
            return sidebar
        assert "is still starting" in sidebar, sidebar
        assert time.monotonic() < deadline, sidebar
        time.sleep(1)
        open_url(page, url)


def open_step(page: Any, tool_input: str) -> str:
    """Expand the step whose label names `tool_input`; returns its text."""
    step = page.locator('[data-testid="stExpander"]').filter(
        has=page.locator("summary", has_text=tool_input)
    )
    assert step.count() == 1, f"one step for {tool_input!r}"
    step.locator("summary").click()
    step.locator("code").last.wait_for(state="visible")  # a code span or block
    return step.inner_text()


def assert_steps_and_answers(page: Any) -> None:
    local = open_step(page, "alpha-stdio")
    assert "alpha-stdio" in local and "echo:oidts-ahpla" in local
    remote = open_step(page, "bravo-http")
    assert "bravo-http" in remote and "echo:ptth-ovarb" in remote
    text = "\n".join(chat_messages(page))
    assert "The echo returned: echo:oidts-ahpla." in text
    assert "The echo_http returned: echo:ptth-ovarb." in text


def test_tools_of_a_stdio_and_an_http_mcp_server_run_and_their_steps_survive_a_reload(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    http_server: str,
    tmp_path: Path,
) -> None:
    config_path = tmp_path / "mcp.json"
    servers = {
        "local_fx": {"command": sys.executable, "args": [FIXTURE]},
        "remote_fx": {"url": http_server, "headers": {"Authorization": f"Bearer {SECRET}"}},
    }
    config_path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    app = app_factory(
        model_env(
            scripted_model,
            STREAMLIT_AGENT_DB_URL=f"sqlite:///{tmp_path / 'c.db'}",
            STREAMLIT_AGENT_MCP_CONFIG=str(config_path),
        )
    )
    page = new_page(browser)
    open_url(page, app.url)
    sidebar = wait_for_servers(page, app.url, ("local_fx", "remote_fx"))
    assert "echo_http" in sidebar, sidebar

    # No text reply queued: the scripted model's default answer repeats the tool's result.
    scripted_model.enqueue(Reply.tool("echo", {"text": "alpha-stdio"}))
    send_chat(page, "Echo alpha-stdio, please")
    wait_for_chat_text(page, "The echo returned: echo:oidts-ahpla.")
    assert "echo:oidts-ahpla" in open_step(page, "alpha-stdio")

    scripted_model.enqueue(Reply.tool("echo_http", {"text": "bravo-http"}))
    send_chat(page, "Echo bravo-http over HTTP, please")
    wait_for_chat_text(page, "The echo_http returned: echo:ptth-ovarb.")
    wait_for_idle(page)
    assert "thread=" in page.url
    assert_steps_and_answers(page)

    page.reload()
    wait_for_app(page)
    assert_steps_and_answers(page)

    assert SECRET not in page.content()
    assert SECRET not in page.locator('[data-testid="stApp"]').inner_text()
    assert SECRET not in app.log_text()
