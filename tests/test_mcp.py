"""Tools from MCP servers (streamlit_agent/mcp_servers/client.py) and ours served over MCP.

Every server here is real: tests/mcp_fixture_server.py over stdio, or over streamable
HTTP on a free 127.0.0.1 port.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from streamlit_agent.agent.tool_runner import guard_tool
from streamlit_agent.mcp_servers import client as mcp
from streamlit_agent.models.bundled.server import free_port
from streamlit_agent.tools import Registry

FIXTURE = str(Path(__file__).with_name("mcp_fixture_server.py"))
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _stop_servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A page waits READY_WAIT_S (2 s) for servers; a Python MCP server on a loaded CI
    # machine can take longer to start. Here discovery waits until each is up or failed
    # (the slow-server test sets its own, shorter wait).
    monkeypatch.setattr(mcp, "READY_WAIT_S", 60.0)
    yield
    mcp.close_all()


def start_http_fixture(port: int, *extra: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, FIXTURE, "--http", str(port), *extra])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the HTTP fixture server did not start")


@pytest.fixture
def http_server() -> Iterator[str]:
    port = free_port()
    proc = start_http_fixture(port, "--suffix", "_http")
    yield f"http://127.0.0.1:{port}/mcp"
    proc.kill()
    proc.wait()


def stdio(*extra: str, **entry: Any) -> dict[str, Any]:
    return {"command": sys.executable, "args": [FIXTURE, *extra], **entry}


def write_config(tmp_path: Path, servers: dict[str, Any]) -> str:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return str(path)


def call_step(registry: Registry, name: str, args: dict[str, Any] | None = None) -> ToolMessage:
    """The guarded tool called as the agent calls it: a ToolMessage with its step's status."""
    tool = guard_tool(registry.tools[name].tool, 20, 4000)
    return tool.invoke({"type": "tool_call", "name": name, "args": args or {}, "id": "c1"})


def call(registry: Registry, name: str, args: dict[str, Any] | None = None) -> str:
    return str(call_step(registry, name, args).content)


def wait_for(check: Callable[[], bool], timeout_s: float = 20) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_tools_from_a_stdio_and_an_http_server_are_found_and_callable(
    tmp_path: Path, http_server: str
) -> None:
    config = write_config(tmp_path, {"local": stdio(), "remote": {"url": http_server}})
    registry = mcp.discover_all_tools(mcp_config=config)

    assert registry.tools["echo"].source == "mcp:local"
    assert registry.tools["echo_http"].source == "mcp:remote"
    assert registry.tools["calculator"].source == "built-in"  # the others are still there
    assert registry.tools["echo"].tool.metadata["server"] == "local"
    assert call(registry, "echo", {"text": "abc"}) == "echo:cba"
    assert call(registry, "echo_http", {"text": "xyz"}) == "echo:zyx"
    assert registry.problems == []


def test_annotations_decide_approval_and_the_config_overrides_them(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        {"a": stdio(), "b": stdio("--suffix", "_b", approval={"wipe_b": False, "echo_b": True})},
    )
    tools = mcp.discover_all_tools(mcp_config=config).tools

    assert tools["echo"].requires_approval is False  # readOnlyHint
    assert tools["wipe"].requires_approval is True  # destructiveHint
    assert tools["plain"].requires_approval is True  # no annotations: ask first
    assert tools["wipe_b"].requires_approval is False  # the config wins
    assert tools["echo_b"].requires_approval is True


def test_a_server_that_crashes_mid_call_is_an_error_result_and_restarts(tmp_path: Path) -> None:
    marker = tmp_path / "crashed"
    registry = mcp.discover_all_tools(
        mcp_config=write_config(tmp_path, {"shaky": stdio("--crash-once", str(marker))})
    )

    result = call_step(registry, "crash")
    assert marker.exists()
    assert result.artifact["step_status"] == "error"
    assert str(result.content).startswith("Tool crash failed:") and "shaky" in result.content

    assert call(registry, "echo", {"text": "back"}) == "echo:kcab"  # a new process
    assert call(registry, "crash") == "still alive"
    assert wait_for(lambda: registry.problems == [])


def test_a_server_that_cannot_start_is_named_without_secrets_and_retried(
    tmp_path: Path,
) -> None:
    port = free_port()
    config = write_config(
        tmp_path,
        {
            "missing": {"command": str(tmp_path / "no-such-server"), "env": {"T": "env-s3cret"}},
            "later": {
                "url": f"http://127.0.0.1:{port}/mcp?token=query-s3cret",
                "headers": {"Authorization": "Bearer header-s3cret"},
            },
            "fine": stdio("--suffix", "_ok"),
        },
    )
    registry = mcp.discover_all_tools(mcp_config=config)

    text = " ".join(registry.problems)
    assert "'missing'" in text and "'later'" in text
    assert "s3cret" not in text
    assert call(registry, "echo_ok", {"text": "ok"}) == "echo:ko"  # the others work

    proc = start_http_fixture(port, "--suffix", "_later")
    try:
        again = mcp.discover_all_tools(mcp_config=config)  # a later look tries failed servers again
        assert wait_for(lambda: "echo_later" in again.tools)
        assert call(again, "echo_later", {"text": "hi"}) == "echo:ih"
        assert not any("'later'" in p for p in again.problems)
    finally:
        proc.kill()
        proc.wait()


def test_a_slow_server_does_not_hold_up_discovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mcp, "READY_WAIT_S", 0.5)
    config = write_config(tmp_path, {"slow": stdio("--slow-list", "4")})

    started = time.monotonic()
    registry = mcp.discover_all_tools(mcp_config=config)
    assert time.monotonic() - started < 3
    assert "calculator" in registry.tools and "echo" not in registry.tools
    assert any("'slow' is still starting" in p for p in registry.problems)

    assert wait_for(lambda: "echo" in registry.tools)  # joins the same registry later
    assert call(registry, "echo", {"text": "late"}) == "echo:etal"
    assert registry.problems == []


def test_no_config_means_no_mcp_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(mcp, "DEFAULT_CONFIG_PATH", tmp_path / "absent.json")
    assert mcp.config_path(None) is None
    assert mcp.config_path("") is None
    assert mcp.config_path("~/x.json") == Path.home() / "x.json"
    assert all(
        info.source == "built-in" for info in mcp.discover_all_tools(mcp_config="").tools.values()
    )


def test_bad_config_entries_are_reported_and_secrets_stay_out_of_repr(tmp_path: Path) -> None:
    servers, problems = mcp.parse_config(
        {
            "mcpServers": {
                "ok": {"url": "https://h/mcp", "headers": {"X-Key": "hdr-s3cret"}},
                "neither": {"args": []},
                "bad-approval": {"command": "x", "approval": {"t": "yes"}},
            }
        }
    )
    assert [s.name for s in servers] == ["ok"]
    assert "s3cret" not in repr(servers[0])
    assert len(problems) == 2 and "'neither'" in problems[0]

    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    registry = mcp.discover_all_tools(mcp_config=str(tmp_path / "broken.json"))
    assert any("could not be read" in p for p in registry.problems)


def test_the_readme_example_is_a_valid_config() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Tools from MCP servers", 1)[1]
    example = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert example, "README has no JSON example under 'Tools from MCP servers'"

    servers, problems = mcp.parse_config(json.loads(example.group(1)))
    assert problems == []
    by_name = {s.name: s for s in servers}
    assert by_name["files"].connection()["transport"] == "stdio"
    assert by_name["tickets"].connection()["transport"] == "streamable_http"
    assert mcp.requires_approval("close_ticket", {"readOnlyHint": True}, by_name["tickets"])


async def _list_and_call_our_server() -> tuple[list[str], str, bool]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "streamlit_agent.mcp_servers.server"], cwd=str(ROOT)
    )
    # errlog given: its default is the sys.stderr of whenever mcp was first imported, which
    # may be a capture file an earlier test has closed.
    async with (
        stdio_client(params, errlog=sys.stderr) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = (await session.list_tools()).tools
        result = await session.call_tool("calculator", {"expression": "37 * 41"})
        save_note = next(t for t in tools if t.name == "save_note")
        destructive = bool(save_note.annotations and save_note.annotations.destructiveHint)
        return [t.name for t in tools], result.content[0].text, destructive


def test_our_own_tools_are_served_over_mcp() -> None:
    # On a thread of its own: Playwright's sync API (the session's browser fixture) leaves
    # an event loop running on the main thread, where asyncio.run() refuses to start.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        run = pool.submit(asyncio.run, _list_and_call_our_server())
        names, answer, save_note_destructive = run.result(timeout=120)
    assert {"calculator", "current_datetime", "save_note"} <= set(names)
    assert answer == "1517"
    assert save_note_destructive


def test_the_model_calls_an_mcp_tool_and_the_page_shows_the_step(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.apptest_support import ask, start, step_labels, step_output, texts
    from tests.scripted_openai import Reply

    # The registry is cached per tools folder: an empty folder of its own gives this
    # test a registry built with its MCP config.
    (tmp_path / "no_tools").mkdir()
    monkeypatch.setenv("STREAMLIT_AGENT_TOOLS_DIR", str(tmp_path / "no_tools"))
    monkeypatch.setenv("STREAMLIT_AGENT_MCP_CONFIG", write_config(tmp_path, {"fx": stdio()}))
    at = start()
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "MCP server: fx" in sidebar

    app_env.enqueue(Reply.tool("echo", {"text": "streamlit"}), Reply.text("It said tilmaerts."))
    at = ask(at, "Echo streamlit, please")
    assert not at.exception
    step = next(e for e in at.main.expander if e.label.startswith("🛠️ echo"))
    assert "echo:tilmaerts" in step_output(step)
    assert any("It said tilmaerts." in t for t in texts(at))
    assert any(label.startswith("🛠️ echo") for label in step_labels(at))
