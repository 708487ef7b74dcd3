"""The app's own tools (built-ins, plugins, STREAMLIT_AGENT_TOOLS_DIR) as an MCP server.

`python -m streamlit_agent.mcp_servers.server` runs it over stdio, for any MCP client. Each
tool is registered from its LangChain name, description and argument schema, and
runs through `guard_tool`, so its time limit, output cap and contained failures hold
here too. Approval is the client's to ask for: tools that need it are annotated
destructive, the others read-only.
"""

from __future__ import annotations

import logging
import sys

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.tools import to_fastmcp
from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

from streamlit_agent.agent.tool_runner import guard_tool
from streamlit_agent.config import load_settings
from streamlit_agent.tools import discover_tools


def _served(tool: BaseTool, timeout_s: float, output_cap: int) -> BaseTool:
    # guard_tool would stop at the app's own approval step, which has no page here.
    metadata = {k: v for k, v in (tool.metadata or {}).items() if k != "requires_approval"}
    return guard_tool(tool.model_copy(update={"metadata": metadata}), timeout_s, output_cap)


def build_server(tools_dir: str | None = None) -> FastMCP:
    """A FastMCP server with every tool of the registry (never tools from MCP servers,
    so a config that names this server cannot loop back into itself)."""
    settings = load_settings()
    registry = discover_tools(tools_dir or settings.tools_dir)
    served = []
    for info in registry.tools.values():
        if (info.tool.metadata or {}).get("per_person"):
            continue  # acts on one person's data (memory), which an MCP client has none of
        if (info.tool.metadata or {}).get("conversation_only"):
            continue  # reads the conversation a turn runs in: a client has none here
        fast = to_fastmcp(_served(info.tool, settings.tool_timeout_s, settings.tool_output_cap))
        fast.annotations = ToolAnnotations(
            readOnlyHint=not info.requires_approval, destructiveHint=info.requires_approval
        )
        served.append(fast)
    for problem in registry.problems:
        logging.getLogger(__name__).warning(problem)
    return FastMCP("streamlit-agent", tools=served)


def serve() -> None:
    # stdout carries the protocol: logs go to stderr.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    build_server().run("stdio")


if __name__ == "__main__":
    serve()
