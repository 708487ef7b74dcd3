"""The local PostgreSQL the store tests use (127.0.0.1:5432, trust auth, database `test`)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa

from streamlit_agent.safety.redact import redact_url

PG_URL = os.environ.get(
    "STREAMLIT_AGENT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pg_admin(**engine_kwargs: Any) -> sa.Engine:
    """An engine on `PG_URL`; the test skips without a server, except in CI where it fails."""
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3}, **engine_kwargs)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL must be reachable in CI at {redact_url(PG_URL)}: {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {redact_url(PG_URL)}: {exc}")
    return engine
