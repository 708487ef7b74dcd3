"""The real app, with every service it talks to failing while holding credentials: MCP
servers (one answering 401 and quoting the URL, one on a closed port, a stdio one that
prints its env secret), a PostgreSQL URL with a password to a closed port, a model
server URL with user info to a closed port. No credential is on the page or in the
app's log (everything the process wrote, Streamlit's and the libraries' records too)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streamlit_agent.models.bundled.server import free_port
from tests.e2e_support import AppProcess, new_page, open_url, send_chat, sidebar_text
from tests.test_mcp_secrets import (
    ENV_SECRET,
    HEADER_SECRET,
    QUERY_KEY,
    URL_PASSWORD,
    _servers,
    rejecting_port,  # noqa: F401 - the fixture
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DB_PASSWORD = "pgPa55-e2e-7"
MODEL_PASSWORD = "mdlPa55-e2e-8"
MODEL_KEY = "e2e-openai-Key-9xyz"
SECRETS = (
    URL_PASSWORD,
    QUERY_KEY,
    HEADER_SECRET,
    ENV_SECRET,
    DB_PASSWORD,
    MODEL_PASSWORD,
    MODEL_KEY,
)


def _wait_for_text(read: Callable[[], str], needle: str, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        text = read()
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.25)


def test_no_credential_of_a_failing_service_reaches_the_page_or_the_log(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    rejecting_port: int,  # noqa: F811
    tmp_path: Path,
) -> None:
    servers = _servers(rejecting_port)
    del servers["noisy"]["env"]["FROM_APP"]  # type: ignore[index]
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    app = app_factory(
        {
            "STREAMLIT_AGENT_MCP_CONFIG": str(config),
            "STREAMLIT_AGENT_DB_URL": f"postgresql://agent:{DB_PASSWORD}@127.0.0.1:1/test",
            "OPENAI_BASE_URL": f"http://mdluser:{MODEL_PASSWORD}@127.0.0.1:{free_port()}/v1",
            "OPENAI_API_KEY": MODEL_KEY,
            "STREAMLIT_AGENT_MODEL": "scripted-model",
        }
    )
    page = new_page(browser)
    open_url(page, app.url)
    sidebar = _wait_for_text(lambda: sidebar_text(page), "'rejecting'")
    assert "'rejecting'" in sidebar and "'closed'" in sidebar, sidebar
    send_chat(page, "Hello there")
    shown = _wait_for_text(
        lambda: page.locator('[data-testid="stApp"]').inner_text(), "Could not connect"
    )
    assert "Could not connect to the model server" in shown, shown
    log = _wait_for_text(app.log_text, "stderr: starting with token")

    for secret in SECRETS:
        assert secret not in page.content(), secret
        assert secret not in shown and secret not in sidebar_text(page), secret
        assert secret not in log, (secret, log)
    assert "MCP server 'noisy' stderr: starting with token [redacted]" in log
