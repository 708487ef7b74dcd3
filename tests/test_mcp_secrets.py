"""No credential of an MCP server reaches the sidebar's problems or the log when it fails:
not the URL's user info or credential query values, not its headers, not what a stdio
server writes to its stderr (real servers: a rejecting HTTP one, a closed port, a stdio
process that prints its env secret and exits)."""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from streamlit_agent.mcp_servers import client as mcp
from streamlit_agent.models.bundled.server import free_port
from tests.test_mcp import wait_for, write_config

URL_USER, URL_PASSWORD, QUERY_KEY = "mcpuser", "url-Pa55-word-1", "query-K3y-2"
HEADER_SECRET, ENV_SECRET, EXPANDED_SECRET = "hdr-T0ken-3", "env-S3cret-4", "expanded-S3cret-5"
SECRETS = (URL_PASSWORD, QUERY_KEY, HEADER_SECRET, ENV_SECRET, EXPANDED_SECRET)

# A stdio "server" that writes its secrets to stderr, as a crashing one dumps its config.
NOISY = (
    "import hashlib, os, sys\n"
    "sys.stderr.write('starting with token ' + os.environ['SERVICE_TOKEN'] + '\\n')\n"
    "sys.stderr.write('expanded ' + os.environ['FROM_APP'] + ' sha '"
    " + hashlib.sha256(os.environ['FROM_APP'].encode()).hexdigest() + '\\n')\n"
    "sys.stderr.write('x' * 5000)\n"  # one long line without a newline, then exit
    "sys.exit(3)\n"
)


class _Rejecting(BaseHTTPRequestHandler):
    """Answers 401 and, as some servers do, quotes the request it refused."""

    def do_POST(self) -> None:
        body = f"invalid credentials for {self.path}".encode()
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_DELETE = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rejecting_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Rejecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _stop_servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(mcp, "READY_WAIT_S", 60.0)
    yield
    mcp.close_all()


def _servers(port: int) -> dict[str, object]:
    auth = f"{URL_USER}:{URL_PASSWORD}"
    return {
        "rejecting": {
            "url": f"http://{auth}@127.0.0.1:{port}/mcp?api_key={QUERY_KEY}&v=1",
            "headers": {"X-Api-Key": HEADER_SECRET},
        },
        "closed": {"url": f"http://{auth}@127.0.0.1:{free_port()}/mcp?token={QUERY_KEY}"},
        "noisy": {
            "command": sys.executable,
            "args": ["-c", NOISY],
            "env": {"SERVICE_TOKEN": ENV_SECRET, "FROM_APP": "${MCP_TEST_FROM_APP}"},
        },
    }


def test_failing_servers_show_and_log_no_credential(
    tmp_path: Path,
    rejecting_port: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MCP_TEST_FROM_APP", EXPANDED_SECRET)
    caplog.set_level(logging.INFO, logger="streamlit_agent.mcp_servers.client")
    registry = mcp.discover_all_tools(mcp_config=write_config(tmp_path, _servers(rejecting_port)))

    problems = "\n".join(registry.problems)
    for secret in SECRETS:
        assert secret not in problems, problems
    assert wait_for(lambda: "stderr: expanded" in caplog.text)
    mine = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("streamlit"))
    err = capfd.readouterr().err
    for secret in SECRETS:
        assert secret not in caplog.text and secret not in mine
        assert secret not in err, err  # nothing of the server's stderr bypasses the log
    assert URL_USER not in problems
    for name in ("'rejecting'", "'closed'", "'noisy'"):
        assert name in problems
    assert "401" in problems and "127.0.0.1" in problems  # the reason and place are told

    # The stderr lines are in the log, scrubbed, and the env value was expanded from ours.
    assert "MCP server 'noisy' stderr: starting with token [redacted]" in caplog.text
    assert hashlib.sha256(EXPANDED_SECRET.encode()).hexdigest() in caplog.text
    longest = max(len(r.getMessage()) for r in caplog.records)
    assert longest < mcp.STDERR_LINE_CHARS + 200  # a line without end is cut, not held


def test_problem_text_is_scrubbed_of_every_secret_of_its_server() -> None:
    server = mcp.ServerConfig(
        "s",
        url=f"https://{URL_USER}:{URL_PASSWORD}@h/mcp?access_token={QUERY_KEY}",
        headers={"Authorization": f"Bearer {HEADER_SECRET}"},
    )
    leaf = RuntimeError(
        f"refused {HEADER_SECRET} at http://{URL_USER}:{URL_PASSWORD}@h/mcp"
        f"?access_token={QUERY_KEY} (key {QUERY_KEY})"
    )
    text = mcp.describe(leaf, server)
    assert text.startswith("RuntimeError: refused [redacted] at http://")
    for secret in (URL_PASSWORD, QUERY_KEY, HEADER_SECRET):
        assert secret not in text and secret not in server.where
