"""Schema 7: reserved for the step another branch of this release brings (long-term
memory or files); a no-op here so that schema 8 keeps its number. Whoever merges both
replaces this module with that step (a database stamped 7 by this no-op would skip it)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration


@migration
def reserved(conn: Connection) -> None:
    """Nothing: see the module's docstring."""
