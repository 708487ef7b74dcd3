"""Tools from MCP servers, offered to the agent like built-in tools.

The config is the JSON other MCP clients use (`{"mcpServers": {name: {...}}}`): a
server with `command` (and `args`, `env`, `cwd`) runs over stdio, one with `url` (and
`headers`) is reached over streamable HTTP. `"approval": {"tool": true|false}` per
server overrides what the tool's annotations say.

Servers start once per app process, on a background thread with its own event loop;
the tools made here are synchronous, so the agent's worker thread (and `guard_tool`
around it) calls them like any other tool. A server that fails to start or dies is
named in `problems` (never with header or env values) and started again later; the
other servers' tools keep working. `python -m streamlit_agent.mcp serve` serves the
app's own tools over stdio (see `mcp_server.py`).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException
from langchain_mcp_adapters.sessions import create_session
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp.shared.exceptions import McpError
from mcp.types import CONNECTION_CLOSED

from streamlit_agent.errors import redact_url, scrub

logger = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = Path.home() / ".streamlit-agent" / "mcp.json"
# How long the page waits for servers before it goes on with the tools that are ready.
READY_WAIT_S = 2.0
# A server that failed is tried again after this long, doubling up to RETRY_MAX_S.
RETRY_AFTER_S = 15.0
RETRY_MAX_S = 300.0
# guard_tool gives up on a call at its own limit; this only ends the wait of a call
# nobody is waiting for any more, so a hung server cannot pile up threads forever.
CALL_LIMIT_S = 300.0


@dataclass(frozen=True)
class ServerConfig:
    """One entry of `mcpServers`; env and header values are secrets, kept out of repr."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = field(default=None, repr=False)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    approval: Mapping[str, bool] = field(default_factory=dict)

    @property
    def secrets(self) -> list[str]:
        return [v for v in (*(self.env or {}).values(), *self.headers.values()) if v]

    @property
    def where(self) -> str:
        """The server as a problem sentence may name it: command or URL, no secrets."""
        return f"command {self.command}" if self.command else f"URL {redact_url(self.url or '')}"

    def connection(self) -> dict[str, Any]:
        """The langchain-mcp-adapters connection for this server."""
        if self.command:
            conn: dict[str, Any] = {
                "transport": "stdio",
                "command": self.command,
                "args": list(self.args),
                "env": dict(self.env) if self.env is not None else None,
            }
            if self.cwd:
                conn["cwd"] = self.cwd
            return conn
        return {"transport": "streamable_http", "url": self.url, "headers": dict(self.headers)}


def _str_map(value: object, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{what} must be an object of strings")
    return {str(k): v for k, v in value.items()}


def _parse_server(name: str, entry: object) -> ServerConfig:
    if not isinstance(entry, dict):
        raise ValueError("its entry must be an object")
    approval = entry.get("approval", {})
    if not isinstance(approval, dict) or not all(isinstance(v, bool) for v in approval.values()):
        raise ValueError('"approval" must map tool names to true or false')
    if isinstance(entry.get("command"), str) and entry["command"]:
        args = entry.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ValueError('"args" must be a list of strings')
        env = _str_map(entry["env"], '"env"') if "env" in entry else None
        cwd = entry.get("cwd")
        return ServerConfig(name, entry["command"], tuple(args), env, cwd, approval=approval)
    if isinstance(entry.get("url"), str) and entry["url"].startswith(("http://", "https://")):
        headers = _str_map(entry.get("headers", {}), '"headers"')
        return ServerConfig(name, url=entry["url"], headers=headers, approval=approval)
    raise ValueError('it needs a "command" (stdio) or an http(s) "url" (streamable HTTP)')


def parse_config(data: object, origin: str = "MCP config") -> tuple[list[ServerConfig], list[str]]:
    """Servers in an `{"mcpServers": {...}}` document, and a sentence per bad entry."""
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        return [], [f'{origin} has no "mcpServers" object.']
    parsed, problems = [], []
    for name, entry in servers.items():
        try:
            parsed.append(_parse_server(str(name), entry))
        except ValueError as exc:
            problems.append(f"MCP server '{name}' in {origin} is ignored: {exc}.")
    return parsed, problems


def load_config(path: Path) -> tuple[list[ServerConfig], list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        # json's message quotes no file content, only line and column.
        return [], [f"MCP config {path} could not be read: {type(exc).__name__}: {exc}"]
    return parse_config(data, f"MCP config {path}")


def config_path(setting: str | None) -> Path | None:
    """The config to use: the setting, else the default file when it exists; "" is none."""
    if setting == "":
        return None
    if setting:
        return Path(setting).expanduser()
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


def requires_approval(name: str, metadata: Mapping[str, Any] | None, server: ServerConfig) -> bool:
    """Ask first unless the tool says it only reads (and not that it destroys)."""
    if name in server.approval:
        return server.approval[name]
    meta = metadata or {}
    return not meta.get("readOnlyHint") or bool(meta.get("destructiveHint"))


def _leaf(exc: BaseException) -> BaseException:
    # anyio task groups wrap the real failure in exception groups.
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe(exc: BaseException, server: ServerConfig) -> str:
    leaf = _leaf(exc)
    text = f"{type(leaf).__name__}: {leaf}".strip().rstrip(":")
    return scrub(text, server.secrets)[:300]


def _text_of(content: Any) -> str:
    """MCP content blocks as the text the model gets; non-text blocks are named."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return str(content)
    parts = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif isinstance(block, dict):
            parts.append(f"[{block.get('type', 'content')} {block.get('url', '')}]".strip())
        else:
            parts.append(str(block))
    return "\n".join(parts)
