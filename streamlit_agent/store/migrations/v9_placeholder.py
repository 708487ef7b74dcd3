"""BRANCH-ONLY PLACEHOLDER (documents branch): schema 9 belongs to another branch being
built at the same time. It exists so that schema 10 (v10_passages) registers here; drop
this module, and its line in `_STEPS`, when merging after the branch that owns 9."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration


@migration
def placeholder_9(conn: Connection) -> None:
    """Nothing: the real schema 9 comes from its own branch."""
