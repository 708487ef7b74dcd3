"""The registry: built-ins, the README example, plugins, a user folder, broken tools."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from streamlit_agent.tools import discover_tools

ROOT = Path(__file__).resolve().parents[1]


def test_builtin_tools_are_found() -> None:
    registry = discover_tools()
    assert {"calculator", "web_search", "current_datetime", "save_note"} <= set(registry.tools)
    assert registry.tools["save_note"].requires_approval
    assert registry.tools["calculator"].summary
    assert registry.problems == []


def test_readme_example_is_the_shipped_file_and_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Add a tool", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block, "README has no python block under 'Add a tool'"
    shipped = (ROOT / "streamlit_agent" / "tools" / "notes.py").read_text()
    assert block.group(1) == shipped

    monkeypatch.setenv("STREAMLIT_AGENT_NOTES_DIR", str(tmp_path))
    tool = discover_tools().tools["save_note"].tool
    result = tool.invoke({"title": "Shopping list", "text": "eggs, milk"})
    assert result == "Saved the note 'Shopping list' to shopping-list.md."
    assert (tmp_path / "shopping-list.md").read_text() == "# Shopping list\n\neggs, milk\n"


def test_user_folder_tools_load_and_broken_ones_are_reported(tmp_path: Path) -> None:
    (tmp_path / "shout.py").write_text(
        textwrap.dedent(
            '''
            from langchain_core.tools import tool

            @tool
            def shout(text: str) -> str:
                """Upper-case the text."""
                return text.upper()
            '''
        )
    )
    (tmp_path / "broken.py").write_text("raise RuntimeError('no luck')\n")
    registry = discover_tools(str(tmp_path))
    assert registry.tools["shout"].tool.invoke({"text": "hi"}) == "HI"
    assert registry.tools["shout"].source.startswith("folder")
    assert any("broken.py" in p and "no luck" in p for p in registry.problems)
    assert "calculator" in registry.tools


def test_missing_user_folder_is_reported(tmp_path: Path) -> None:
    registry = discover_tools(str(tmp_path / "nope"))
    assert any("does not exist" in p for p in registry.problems)


def _install_plugin(tmp_path: Path, name: str, module_source: str, target: str) -> Path:
    """A tiny installed distribution: its package plus the dist-info that declares the
    entry point, laid out as an installer leaves them in site-packages."""
    site = tmp_path / "site"
    package = site / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(module_source))
    dist_info = site / f"{name}-0.0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[streamlit_agent.tools]\n{name} = {target}\n")
    return site


def _discover_in_subprocess(site: Path) -> str:
    code = (
        "from streamlit_agent.tools import discover_tools\n"
        "r = discover_tools()\n"
        "print(sorted(r.tools)); print(r.problems)\n"
    )
    env_path = f"{site}"
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
    )
    return out.stdout


def test_entry_point_plugin_is_found(tmp_path: Path) -> None:
    site = _install_plugin(
        tmp_path,
        "sa_plugin_demo",
        '''
        from langchain_core.tools import tool

        @tool
        def reverse_text(text: str) -> str:
            """Reverse the text."""
            return text[::-1]

        def register_tools():
            return [reverse_text]
        ''',
        "sa_plugin_demo:register_tools",
    )
    output = _discover_in_subprocess(site)
    assert "'reverse_text'" in output
    assert "'calculator'" in output


def test_broken_plugin_is_reported_and_the_rest_still_load(tmp_path: Path) -> None:
    site = _install_plugin(
        tmp_path, "sa_plugin_broken", "raise ImportError('plugin exploded')\n", "sa_plugin_broken"
    )
    output = _discover_in_subprocess(site)
    assert "plugin exploded" in output
    assert "'calculator'" in output
