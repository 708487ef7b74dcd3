"""Schema 9: files attached in the chat (`attachments`, store/files.py)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration
from streamlit_agent.store.schema import attachments


@migration
def add_attachments(conn: Connection) -> None:
    attachments.create(conn)
