"""Schema 6: a table for the keys this server signs with (web/identity.py)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration
from streamlit_agent.store.schema import server_secrets


@migration
def add_server_secrets(conn: Connection) -> None:
    server_secrets.create(conn)
