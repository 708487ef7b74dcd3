"""Schema 5: full-text search over message texts and titles, existing rows included."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration
from streamlit_agent.store.search import create_search


# fresh: a new database needs these objects too, and `metadata` cannot describe them.
@migration(fresh=True)
def add_search(conn: Connection) -> None:
    create_search(conn)
