"""Schema 10: the passages of documents attached to a conversation, and their full-text
search (`store/passages.py`)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration
from streamlit_agent.store.passages import create_passage_search
from streamlit_agent.store.schema import passages


# fresh: a new database has the table from `metadata` but needs the search objects too.
@migration(fresh=True)
def add_passages(conn: Connection) -> None:
    passages.create(conn, checkfirst=True)
    create_passage_search(conn)
