"""Schema 3: conversations remember the model picked for them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streamlit_agent.store.migrations import migration


@migration
def add_model_choice(conn: Connection) -> None:
    conn.execute(sa.text("ALTER TABLE conversations ADD COLUMN model_choice TEXT"))
