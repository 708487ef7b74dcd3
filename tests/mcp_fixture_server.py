"""A tiny real MCP server for the tests, written with the mcp SDK's FastMCP.

python tests/mcp_fixture_server.py [--http PORT] [--slow-list S] [--crash-once FILE] [--suffix S]

Over stdio by default, over streamable HTTP on 127.0.0.1:PORT (path /mcp) with --http.
`--crash-once FILE`: the `crash` tool kills the process while FILE does not exist (and
creates it), so the restarted server answers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations


class SlowListing(FastMCP):
    """Lists its tools only after `delay_s`: a server slow to come up."""

    delay_s: float = 0.0

    async def list_tools(self) -> list[Any]:
        await asyncio.sleep(self.delay_s)
        return await super().list_tools()


def build(delay_s: float, crash_marker: str | None, port: int = 0, suffix: str = "") -> FastMCP:
    server = SlowListing("fixture", host="127.0.0.1", port=port or 8000, log_level="WARNING")
    server.delay_s = delay_s

    @server.tool(name="echo" + suffix, annotations=ToolAnnotations(readOnlyHint=True))
    def echo(text: str) -> str:
        """Echo the text back, reversed and tagged, so the test knows it ran here."""
        return f"echo:{text[::-1]}"

    @server.tool(
        name="wipe" + suffix,
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True),
    )
    def wipe(target: str) -> str:
        """Pretend to delete the target (annotated destructive)."""
        return f"wiped {target}"

    @server.tool(name="plain" + suffix)
    def plain() -> str:
        """A tool with no annotations at all."""
        return "plain"

    @server.tool(name="crash" + suffix, annotations=ToolAnnotations(readOnlyHint=True))
    def crash() -> str:
        """Kill this server in the middle of the call (once, with --crash-once)."""
        if crash_marker and not Path(crash_marker).exists():
            Path(crash_marker).write_text("crashed", encoding="utf-8")
            os._exit(3)
        return "still alive"

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=0)
    parser.add_argument("--slow-list", type=float, default=0.0)
    parser.add_argument("--crash-once", default=None)
    parser.add_argument("--suffix", default="", help="appended to every tool name")
    args = parser.parse_args()
    server = build(args.slow_list, args.crash_once, args.http, args.suffix)
    server.run("streamable-http" if args.http else "stdio")


if __name__ == "__main__":
    main()
