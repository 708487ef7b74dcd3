"""Tools from MCP servers, offered to the agent like built-in tools.

The config is the JSON other MCP clients use (`{"mcpServers": {name: {...}}}`): a
server with `command` (and `args`, `env`, `cwd`) runs over stdio, one with `url` (and
`headers`) is reached over streamable HTTP. `"approval": {"tool": true|false}` per
server overrides what the tool's annotations say.

Servers start once per app process, on a background thread with its own event loop;
the tools made here are synchronous, so the agent's worker thread (and `guard_tool`
around it) calls them like any other tool. A server that fails to start or dies is
named in `problems` and started again later; the other servers' tools keep working.
Every text about a server (problems, log lines, a stdio server's own stderr) goes
through `redact.scrub` with that server's env and header values, the URL's user info
and credential-like query values, so none of them reaches the sidebar or the log.
`python -m streamlit_agent.mcp_servers.server` serves the app's own tools over stdio (see
`mcp_server.py`).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import json
import logging
import os
import threading
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from streamlit_agent.config import load_settings
from streamlit_agent.safety.redact import (
    is_secret_name,
    redact_url,
    remember,
    scrub,
    url_password,
)
from streamlit_agent.tools import Registry, discover_tools

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
# A stdio server's stderr is logged line by line; a longer line is cut (and the rest read
# as further lines), so a server writing without newlines cannot grow the app's memory.
STDERR_LINE_CHARS = 2000


def expand_env(value: str) -> str:
    """`${VAR}` in an env value replaced by this process's VAR (left as it is if unset),
    as langchain-mcp-adapters does; bare `$VAR` is left alone, as in a password."""
    out, start = [], 0
    while (begin := value.find("${", start)) != -1:
        end = value.find("}", begin + 2)
        if end == -1:
            break
        out.append(value[start:begin])
        name = value[begin + 2 : end]
        out.append(os.environ.get(name, value[begin : end + 1]))
        start = end + 1
    out.append(value[start:])
    return "".join(out)


def _url_secrets(url: str | None) -> list[str]:
    """The password and the credential-like query values of a server URL."""
    if not url:
        return []
    from urllib.parse import parse_qsl, urlsplit

    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    found = [v for k, v in parse_qsl(query, keep_blank_values=True) if is_secret_name(k)]
    return [s for s in (url_password(url), *found) if s]


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
    def resolved_env(self) -> dict[str, str] | None:
        return {k: expand_env(v) for k, v in self.env.items()} if self.env is not None else None

    @property
    def secrets(self) -> list[str]:
        """Values no text about this server may show: env (as written and expanded),
        headers, and the URL's password and credential query values."""
        env = [*(self.env or {}).values(), *(self.resolved_env or {}).values()]
        found = [*env, *self.headers.values(), *_url_secrets(self.url)]
        return list(dict.fromkeys(v for v in found if v))

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
    while getattr(exc, "exceptions", None):
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return exc


def describe(exc: BaseException, server: ServerConfig) -> str:
    """The failure in one short line, with every secret of `server` scrubbed (httpx's
    status errors quote the whole request URL, user info and query included)."""
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


def _pump_stderr(read_fd: int, server: ServerConfig) -> None:
    """Log what a stdio server writes to stderr, a scrubbed line at a time, until EOF."""
    secrets = server.secrets
    with os.fdopen(read_fd, "rb") as pipe:
        while line := pipe.readline(STDERR_LINE_CHARS):
            text = line.decode(errors="replace").rstrip()
            if text:
                logger.warning("MCP server '%s' stderr: %s", server.name, scrub(text, secrets))


@asynccontextmanager
async def _stdio_session(config: ServerConfig, errlog: int) -> AsyncIterator[Any]:
    """A session with a stdio server whose stderr goes to `errlog` (the adapters'
    `create_session` always hands the server the app's own stderr, unscrubbed)."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=config.command or "",
        args=list(config.args),
        env=config.resolved_env,
        cwd=config.cwd,
    )
    # stdio_client passes errlog on as the child's stderr; a pipe's fd serves as well.
    async with (
        stdio_client(params, errlog=errlog) as (read, write),  # type: ignore[arg-type]
        ClientSession(read, write) as session,
    ):
        yield session


@dataclass(eq=False)
class _Server:
    """One configured server and its live connection, touched only on the MCP loop."""

    config: ServerConfig
    retry_s: float
    state: str = "idle"  # idle, starting, ready, down (died), failed (never came up)
    problem: str | None = None
    generation: int = 0
    tools: dict[str, BaseTool] = field(default_factory=dict)  # bound to the live session
    wrappers: dict[str, BaseTool] = field(default_factory=dict)  # what the registry holds
    stop: asyncio.Event | None = None
    stop_reason: str | None = None
    settled: asyncio.Event | None = None
    task: asyncio.Task[None] | None = None
    pending: set[asyncio.Task[Any]] = field(default_factory=set)
    retry: asyncio.TimerHandle | None = None
    errlog: int | None = None  # write end of the pipe its stderr goes to (stdio only)


class MCPTools:
    """The servers of one config, run on a background event loop for the whole process."""

    def __init__(
        self,
        servers: list[ServerConfig],
        problems: list[str] | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        self._retry_after_s = RETRY_AFTER_S if retry_after_s is None else retry_after_s
        for server in servers:  # log records of the SDK and httpx are scrubbed of them too
            remember(*server.secrets)
        self._servers = {s.name: _Server(s, self._retry_after_s) for s in servers}
        self._config_problems = list(problems or [])
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._listeners: list[weakref.ref[Any]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mcp", daemon=True)
        self._thread.start()

    # -- called from any thread -------------------------------------------------------

    def start(self) -> None:
        """Start every server that is not up; one that failed is tried again now."""
        for server in self._servers.values():
            self._loop.call_soon_threadsafe(self._start, server)

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until every server is up or has failed, at most `timeout_s`."""
        with self._changed:
            return self._changed.wait_for(
                lambda: all(s.state not in ("idle", "starting") for s in self._servers.values()),
                timeout_s,
            )

    def tools(self) -> list[tuple[BaseTool, str]]:
        """Every tool a server has listed so far, with its registry source."""
        return [
            (tool, f"mcp:{server.config.name}")
            for server in self._servers.values()
            for tool in server.wrappers.values()
        ]

    def problems(self) -> list[str]:
        found = list(self._config_problems)
        for server in self._servers.values():
            name = server.config.name
            if server.problem:
                found.append(server.problem)
            elif server.state in ("idle", "starting") and not server.wrappers:
                found.append(f"MCP server '{name}' is still starting; its tools appear when ready.")
        return found

    def attach(self, registry: Registry) -> None:
        """Keep `registry` up to date with these servers' tools."""
        with self._lock:
            self._listeners.append(weakref.ref(registry))
        self._publish_to(registry)

    def call(self, server_name: str, tool_name: str, args: dict[str, Any]) -> str:
        """Call a tool synchronously; every failure comes back as a ToolException."""
        server = self._servers[server_name]
        if not self._loop.is_running():
            raise ToolException(f"the MCP server '{server_name}' was shut down with the app")
        future = asyncio.run_coroutine_threadsafe(self._call(server, tool_name, args), self._loop)
        try:
            return future.result(timeout=CALL_LIMIT_S)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            future.cancel()
            raise ToolException(
                f"the MCP server '{server_name}' did not answer within {CALL_LIMIT_S:g} s"
            ) from None

    def close(self, timeout_s: float = 5.0) -> None:
        if not self._loop.is_running():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout_s)
        except Exception:  # closing is best effort: the process is going away
            logger.debug("MCP servers did not close cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)

    # -- the registry view --------------------------------------------------------------

    def _publish(self) -> None:
        with self._lock:
            registries = [r() for r in self._listeners]
            self._listeners = [r for r in self._listeners if r() is not None]
        for registry in registries:
            if registry is not None:
                self._publish_to(registry)

    def _publish_to(self, registry: Registry) -> None:
        with self._lock:
            registry.publish("mcp", self.tools(), self.problems())

    # -- on the MCP loop ----------------------------------------------------------------

    def _start(self, server: _Server) -> None:
        if server.state in ("starting", "ready"):
            return
        if server.retry is not None:
            server.retry.cancel()
            server.retry = None
        server.generation += 1
        server.state = "starting"
        server.stop, server.stop_reason = asyncio.Event(), None
        server.settled = asyncio.Event()
        previous = server.task
        server.task = self._loop.create_task(
            self._run(server, server.generation, server.stop, previous)
        )

    async def _run(
        self,
        server: _Server,
        generation: int,
        stop: asyncio.Event,
        previous: asyncio.Task[None] | None,
    ) -> None:
        """Hold one connection open until it is stopped or breaks."""
        # Not at the top: the MCP SDK takes ~0.3 s to import, paid only with a server.
        from langchain_mcp_adapters.sessions import create_session
        from langchain_mcp_adapters.tools import load_mcp_tools

        if previous is not None and not previous.done():
            await asyncio.wait([previous])  # one process per server at a time
        config, up, reason = server.config, False, None
        try:
            opened = (
                _stdio_session(config, self._errlog(server))
                if config.command
                else create_session(config.connection())  # type: ignore[arg-type]
            )
            async with opened as session:
                await session.initialize()
                listed = await load_mcp_tools(
                    session, server_name=config.name, handle_tool_errors=False
                )
                up = True
                self._ready(server, listed)
                await stop.wait()
        except Exception as exc:  # any failure of one server stays with that server
            reason = describe(exc, config)
        finally:
            for task in list(server.pending):
                task.cancel()
        if generation == server.generation:
            self._ended(server, up, server.stop_reason or reason or "it closed the connection")

    @staticmethod
    def _errlog(server: _Server) -> int:
        """The fd a stdio server's stderr is written to; one pipe per server, kept across
        restarts, read by a thread that logs it scrubbed."""
        if server.errlog is None:
            read_fd, server.errlog = os.pipe()
            threading.Thread(
                target=_pump_stderr,
                args=(read_fd, server.config),
                name=f"mcp-stderr-{server.config.name}",
                daemon=True,
            ).start()
        return server.errlog

    def _ready(self, server: _Server, listed: list[BaseTool]) -> None:
        server.tools = {tool.name: tool for tool in listed}
        new = {t.name: self._wrap(server, t) for t in listed if t.name not in server.wrappers}
        server.wrappers = {**server.wrappers, **new}
        server.retry_s = self._retry_after_s
        self._set(server, "ready", None)

    def _ended(self, server: _Server, was_up: bool, reason: str) -> None:
        server.tools = {}
        name, where = server.config.name, server.config.where
        if was_up:
            problem = (
                f"MCP server '{name}' stopped ({reason}). "
                "It starts again at the next call of one of its tools."
            )
            self._set(server, "down", problem)
            return
        problem = (
            f"MCP server '{name}' ({where}) could not start: {reason}. "
            f"It is tried again in {server.retry_s:g} s."
        )
        server.retry = self._loop.call_later(server.retry_s, self._start, server)
        server.retry_s = min(server.retry_s * 2, RETRY_MAX_S)
        self._set(server, "failed", problem)
        logger.warning(problem)

    def _set(self, server: _Server, state: str, problem: str | None) -> None:
        server.state, server.problem = state, problem
        if state not in ("idle", "starting") and server.settled is not None:
            server.settled.set()
        with self._changed:
            self._changed.notify_all()
        self._publish()

    def _stop(self, server: _Server, reason: str) -> None:
        """The connection broke during a call: drop it now, reconnect on the next call."""
        if server.state == "ready" and server.stop is not None:
            server.stop_reason = reason
            server.state = "down"
            server.tools = {}
            server.stop.set()

    async def _call(self, server: _Server, tool_name: str, args: dict[str, Any]) -> str:
        from mcp.shared.exceptions import McpError  # loaded by _run already
        from mcp.types import CONNECTION_CLOSED

        name = server.config.name
        if server.state != "ready":
            self._start(server)
            assert server.settled is not None
            try:
                await asyncio.wait_for(server.settled.wait(), CALL_LIMIT_S)
            except asyncio.TimeoutError:
                raise ToolException(f"the MCP server '{name}' is still starting") from None
        tool = server.tools.get(tool_name)
        if tool is None:
            why = server.problem or f"it no longer offers {tool_name}"
            raise ToolException(f"the MCP server '{name}' is not available: {why}")
        task = asyncio.current_task()
        assert task is not None
        server.pending.add(task)
        try:
            return _text_of(await tool.ainvoke(args))
        except ToolException:
            raise  # the tool itself reported an error; the connection is fine
        except asyncio.CancelledError:
            reason = "it stopped during the call"
        except McpError as exc:
            if exc.error.code != CONNECTION_CLOSED:
                raise ToolException(describe(exc, server.config)) from None
            reason = describe(exc, server.config)
        except Exception as exc:
            reason = describe(exc, server.config)
        finally:
            server.pending.discard(task)
        self._stop(server, reason)
        raise ToolException(
            f"the MCP server '{name}' failed ({reason}); it starts again at the next call"
        )

    def _wrap(self, server: _Server, tool: BaseTool) -> BaseTool:
        server_name, tool_name = server.config.name, tool.name

        def run(**kwargs: Any) -> str:
            return self.call(server_name, tool_name, kwargs)

        metadata = {
            **(tool.metadata or {}),
            "requires_approval": requires_approval(tool_name, tool.metadata, server.config),
            "server": server_name,
        }
        return StructuredTool(
            name=tool_name,
            description=tool.description or f"{tool_name} from the MCP server {server_name}",
            args_schema=tool.args_schema,
            func=run,
            metadata=metadata,
        )

    async def _close(self) -> None:
        for server in self._servers.values():
            if server.retry is not None:
                server.retry.cancel()
            server.generation += 1  # what ends now is not a failure to report
            if server.stop is not None:
                server.stop.set()
        tasks = [s.task for s in self._servers.values() if s.task and not s.task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=4)
        for server in self._servers.values():
            if server.errlog is not None:  # the reader ends once the servers have too
                os.close(server.errlog)
                server.errlog = None


_managers: dict[Path, MCPTools] = {}
_managers_lock = threading.Lock()


def tools_for(path: Path) -> MCPTools:
    """The one MCPTools of this config file in this process, started."""
    # The SDK is imported here, on the caller's thread, so its ~0.3 s is not spent inside
    # the servers' readiness wait (its modules are cached for `_run` and `_call`).
    import langchain_mcp_adapters.sessions
    import langchain_mcp_adapters.tools  # noqa: F401

    key = path.expanduser().resolve()
    with _managers_lock:
        manager = _managers.get(key)
        if manager is None:
            servers, problems = load_config(key)
            manager = _managers[key] = MCPTools(servers, problems)
    manager.start()
    return manager


def add_tools(registry: Registry, setting: str | None, wait_s: float | None = None) -> None:
    """Merge the MCP tools of the configured servers into `registry`, now and as they come.

    Waits at most `wait_s` (READY_WAIT_S) for slow servers; their tools join the
    registry when they are listed. MCP servers are optional: a failure here is one of
    the registry's problems, and the other tools still work.
    """
    try:
        path = config_path(setting)
        if path is None:
            return
        manager = tools_for(path)
        manager.wait_ready(READY_WAIT_S if wait_s is None else wait_s)
        manager.attach(registry)
    except Exception as exc:
        registry.report(f"Tools from MCP servers are unavailable: {exc}")


def discover_all_tools(tools_dir: str | None = None, mcp_config: str | None = None) -> Registry:
    """Every tool the app offers: `tools.discover_tools` plus the tools of the MCP servers in
    `mcp_config` (None: the STREAMLIT_AGENT_MCP_CONFIG setting or the default file; "":
    none). MCP tools listed later join the registry as they come."""
    registry = discover_tools(tools_dir)
    setting = load_settings().mcp_config if mcp_config is None else mcp_config
    add_tools(registry, setting)
    return registry


def close_all() -> None:
    with _managers_lock:
        managers = list(_managers.values())
        _managers.clear()
    for manager in managers:
        manager.close()


atexit.register(close_all)
