"""BRANCH-ONLY PLACEHOLDER (documents branch): schema 7 belongs to another branch being
built at the same time. It exists so that schema 10 (v10_passages) registers here; drop
this module, and its line in `_STEPS`, when merging after the branch that owns 7."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration


@migration
def placeholder_7(conn: Connection) -> None:
    """Nothing: the real schema 7 comes from its own branch."""
