"""Schema 7: long-term memory per owner, and where it is switched off (store/memories.py)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration
from streamlit_agent.store.schema import memories, memory_off


@migration
def add_memories(conn: Connection) -> None:
    memories.create(conn)
    memory_off.create(conn)
