"""Schema 2: conversations get an owner, and per-owner usage is counted."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration
from streamlit_agent.store.schema import LEGACY_OWNER, usage


@migration
def add_owners(conn: Connection) -> None:
    """Rows written before owners existed belong to LEGACY_OWNER."""
    conn.execute(
        sa.text(
            "ALTER TABLE conversations ADD COLUMN owner VARCHAR(255) NOT NULL "
            f"DEFAULT '{LEGACY_OWNER}'"
        )
    )
    conn.execute(
        sa.text("CREATE INDEX ix_conversations_owner ON conversations (owner, updated_at)")
    )
    usage.create(conn)
