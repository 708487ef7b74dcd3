"""Tool registry: every module in this package, plugin packages, and a user folder.

A tool is a LangChain `BaseTool` (usually a function decorated with `@tool`) defined
at module level. Adding one means adding one module here; nothing else is edited.

Tools may carry options in `tool.metadata`:
- `requires_approval` (bool): the user approves each call before it runs;
- `approval_after_untrusted` (bool): the same, but only in a turn whose model has seen
  untrusted tool output (agent/tool_runner.py; the memory tools);
- `trusted_output` (bool): the result is the app's own text, not text from elsewhere
  (every other tool's result counts as untrusted);
- `per_person` (bool): acts on one person's data, so it is not served over MCP;
- `timeout_s` (float): per-call time limit overriding the app-wide default;
- `conversation_only` (bool): it reads the turn's conversation (its run config), so the
  MCP server (mcp_servers/server.py) does not serve it.

Plugin packages expose an entry point in the group `streamlit_agent.tools` that
points at a module (its module-level tools are used) or at a callable returning an
iterable of tools, in the spirit of simonw/llm's `register_tools` hook.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from langchain_core.tools import BaseTool

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "streamlit_agent.tools"


def tool_summary(tool: BaseTool) -> str:
    """A tool's description's first line: what the sidebar and the small-model filter read."""
    description = (tool.description or "").strip()
    return description.splitlines()[0] if description else ""


@dataclass(frozen=True)
class ToolInfo:
    """A discovered tool and where it came from (shown in the sidebar)."""

    tool: BaseTool
    source: str

    @property
    def name(self) -> str:
        return self.tool.name

    @property
    def summary(self) -> str:
        return tool_summary(self.tool)

    @property
    def requires_approval(self) -> bool:
        return bool((self.tool.metadata or {}).get("requires_approval"))


@dataclass
class Registry:
    """All tools found, by name, plus the problems met while looking."""

    tools: dict[str, ToolInfo] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _published: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _publishing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, tool: BaseTool, source: str) -> None:
        if tool.name in self.tools:
            existing = self.tools[tool.name].source
            if existing != source:
                self.problems.append(
                    f"Tool '{tool.name}' from {source} ignored: the name is taken by {existing}."
                )
            return
        self.tools[tool.name] = ToolInfo(tool, source)

    def report(self, problem: str) -> None:
        logger.warning(problem)
        self.problems = [*self.problems, problem]

    def publish(
        self, source_group: str, tools: Iterable[tuple[BaseTool, str]], problems: Iterable[str]
    ) -> None:
        """Replace what `source_group` published before: its problems go, its tools stay
        (a tool a server stops listing keeps its place) and new ones join.

        The page may be iterating the dict and the list right now, so new ones replace
        them whole instead of being changed in place.
        """
        with self._publishing:
            earlier = set(self._published.get(source_group, ()))
            fresh = Registry(dict(self.tools), [p for p in self.problems if p not in earlier])
            kept = len(fresh.problems)
            for tool, source in tools:
                fresh.add(tool, source)
            added = [*fresh.problems[kept:], *problems]
            self.tools = fresh.tools
            self.problems = [*fresh.problems[:kept], *added]
            self._published[source_group] = added

    def select(self, names: Iterable[str]) -> list[BaseTool]:
        wanted = set(names)
        return [info.tool for name, info in self.tools.items() if name in wanted]


def tools_in_module(module: ModuleType) -> list[BaseTool]:
    """Module-level tools defined in `module`, in definition order."""
    return [value for value in vars(module).values() if isinstance(value, BaseTool)]


def _tools_from_object(obj: object) -> list[BaseTool]:
    if isinstance(obj, ModuleType):
        return tools_in_module(obj)
    if isinstance(obj, BaseTool):
        return [obj]
    if callable(obj):
        produced = obj()
        tools = list(produced or [])
        bad = [t for t in tools if not isinstance(t, BaseTool)]
        if bad:
            raise TypeError(f"returned {type(bad[0]).__name__}, expected LangChain tools")
        return tools
    raise TypeError(f"{type(obj).__name__} is neither a module, a tool nor a callable")


def _discover_builtins(registry: Registry) -> None:
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):
            continue
        name = f"{__name__}.{module_info.name}"
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # a broken tool must not take the app down
            _report(registry, f"Built-in tool module {name} failed to load: {exc}")
            continue
        for tool in tools_in_module(module):
            registry.add(tool, "built-in")


def _discover_plugins(registry: Registry) -> None:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        source = f"plugin {entry_point.name} ({entry_point.value})"
        try:
            tools = _tools_from_object(entry_point.load())
        except Exception as exc:
            _report(registry, f"Plugin {entry_point.name} failed to load: {exc}")
            continue
        for tool in tools:
            registry.add(tool, source)


def _discover_folder(registry: Registry, folder: str) -> None:
    path = Path(folder).expanduser()
    if not path.is_dir():
        _report(registry, f"Tools folder {path} does not exist.")
        return
    for file in sorted(path.glob("*.py")):
        if file.name.startswith("_"):
            continue
        module_name = f"streamlit_agent_user_tools.{file.stem}"
        try:
            spec = importlib.util.spec_from_file_location(module_name, file)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            _report(registry, f"Tool file {file} failed to load: {exc}")
            continue
        for tool in tools_in_module(module):
            registry.add(tool, f"folder {path}")


def _report(registry: Registry, problem: str) -> None:
    registry.report(problem)


def discover_tools(tools_dir: str | None = None) -> Registry:
    """Find built-in tools, plugin tools and tools in `tools_dir` (MCP servers' tools join
    through `mcp_servers.client.add_tools`)."""
    registry = Registry()
    _discover_builtins(registry)
    _discover_plugins(registry)
    if tools_dir:
        _discover_folder(registry, tools_dir)
    return registry
