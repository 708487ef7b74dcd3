"""Schema 8: branches. Messages get a parent, conversations a chosen leaf.

Existing conversations become one linear branch, as they were shown: each message's
parent is the message stored before it, and the leaf is the newest message.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration


@migration
def add_branches(conn: Connection) -> None:
    conn.execute(sa.text("ALTER TABLE messages ADD COLUMN parent_id VARCHAR(64)"))
    conn.execute(sa.text("ALTER TABLE conversations ADD COLUMN leaf_id VARCHAR(64)"))
    conn.execute(sa.text("ALTER TABLE conversations ADD COLUMN forked INTEGER NOT NULL DEFAULT 0"))
    # Correlated subqueries on the (conversation_id, seq) index: the same SQL on SQLite
    # and PostgreSQL, one pass over the rows.
    conn.execute(
        sa.text(
            "UPDATE messages SET parent_id = (SELECT p.id FROM messages p "
            "WHERE p.conversation_id = messages.conversation_id AND p.seq < messages.seq "
            "ORDER BY p.seq DESC LIMIT 1)"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE conversations SET leaf_id = (SELECT m.id FROM messages m "
            "WHERE m.conversation_id = conversations.id ORDER BY m.seq DESC LIMIT 1)"
        )
    )
