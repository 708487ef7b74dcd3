"""Schema 4: a thumbs down can carry a comment."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration


@migration
def add_feedback_comments(conn: Connection) -> None:
    conn.execute(sa.text("ALTER TABLE messages ADD COLUMN feedback_comment TEXT"))
