"""MERGE PLACEHOLDER, not a schema change: schema 7 belongs to another branch merged
before this one. The lead deletes this file (and its _STEPS line) at the merge; it only
keeps v9_files registrable under its number on this branch."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration


@migration
def placeholder_7(conn: Connection) -> None:
    """Nothing: the real schema 7 comes with its own branch."""
