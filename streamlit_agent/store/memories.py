"""Long-term memory: facts one person keeps across conversations (schema 7).

The rows live in the app's own store, beside the conversations, rather than in
LangGraph's `langgraph.store`: every read and write here takes the owner, like every
other store method, and is reached only through `owned.Conversations`, so "export all
my data" and "delete all my data" cover memories in the same transaction as the rest,
on SQLite and PostgreSQL alike, with the same migrations.

A memory is one line of text, at most `MEMORY_MAX_CHARS` characters, and one person
keeps at most `MEMORY_MAX_PER_PERSON`; anything past either is refused with a
sentence saying so (`MemoryRefused`), never cut. Text is scrubbed of credentials
before it is kept: a memory reaches the page, later prompts and exports.

The functions take an open transaction's connection; `ConversationStore` runs them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streamlit_agent.config import MEMORY_MAX_CHARS, MEMORY_MAX_PER_PERSON
from streamlit_agent.safety.plain_text import storable
from streamlit_agent.safety.redact import scrub
from streamlit_agent.store.schema import memories, memory_off

EVERYWHERE = "*"  # memory_off scope: every conversation of the owner


@dataclass(frozen=True)
class Memory:
    id: str
    text: str
    created_at: float
    updated_at: float


class MemoryRefused(ValueError):
    """A memory that cannot be kept; the message says why, for the person or the model."""


def memory_text(text: str) -> str:
    """`text` as it is kept: one line (runs of whitespace made one space), storable on
    every backend, without credentials. Raises MemoryRefused when empty or too long."""
    line = scrub(" ".join(storable(str(text)).split()))
    if not line:
        raise MemoryRefused("A memory cannot be empty.")
    if len(line) > MEMORY_MAX_CHARS:
        raise MemoryRefused(
            f"A memory may have at most {MEMORY_MAX_CHARS:,} characters; this one has "
            f"{len(line):,}. Shorten it, or keep it as several shorter facts."
        )
    return line


def full_message() -> str:
    return (
        f"Memory is full: one person keeps at most {MEMORY_MAX_PER_PERSON:,} memories. "
        "Delete or edit one (Memory panel in the sidebar) to make room."
    )


def _columns() -> tuple[sa.Column, ...]:
    return (memories.c.id, memories.c.text, memories.c.created_at, memories.c.updated_at)


def list_of(conn: Connection, owner: str) -> list[Memory]:
    """The owner's memories, most recently written first."""
    rows = conn.execute(
        sa.select(*_columns())
        .where(memories.c.owner == owner)
        .order_by(memories.c.updated_at.desc(), memories.c.id)
    ).all()
    return [Memory(*row) for row in rows]


def _lock_owner(conn: Connection, owner: str) -> None:
    """Serialise one owner's memory writes, so two app instances saving at once cannot
    both pass the count check. SQLite's writers already queue (BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": owner})


def add(conn: Connection, owner: str, text: str) -> Memory:
    """Keep `text` for `owner`; the same text kept already is that memory, not a second."""
    line = memory_text(text)
    _lock_owner(conn, owner)
    same = conn.execute(
        sa.select(*_columns()).where(memories.c.owner == owner, memories.c.text == line)
    ).first()
    if same is not None:
        return Memory(*same)
    count = conn.execute(sa.select(sa.func.count()).where(memories.c.owner == owner)).scalar_one()
    if count >= MEMORY_MAX_PER_PERSON:
        raise MemoryRefused(full_message())
    now = time.time()
    memory = Memory(secrets.token_hex(6), line, now, now)
    conn.execute(
        memories.insert().values(
            id=memory.id, owner=owner, text=line, created_at=now, updated_at=now
        )
    )
    return memory


def update(conn: Connection, owner: str, memory_id: str, text: str) -> Memory | None:
    """The owner's memory `memory_id` with new text; None when the owner has no such one."""
    line = memory_text(text)
    mine = sa.and_(memories.c.id == str(memory_id), memories.c.owner == owner)
    now = time.time()
    changed = conn.execute(memories.update().where(mine).values(text=line, updated_at=now))
    if not changed.rowcount:
        return None
    row = conn.execute(sa.select(*_columns()).where(mine)).one()
    return Memory(*row)


def delete(conn: Connection, owner: str, memory_id: str) -> bool:
    """Forget the owner's memory `memory_id`; False when the owner has no such one."""
    mine = sa.and_(memories.c.id == str(memory_id), memories.c.owner == owner)
    return bool(conn.execute(memories.delete().where(mine)).rowcount)


def switched_off(conn: Connection, owner: str) -> set[str]:
    """Where the owner switched memory off: conversation ids, and `EVERYWHERE`."""
    query = sa.select(memory_off.c.scope).where(memory_off.c.owner == owner)
    return set(conn.execute(query).scalars())


def set_off(conn: Connection, owner: str, scope: str, off: bool) -> None:
    """Switch memory off (or on again) in conversation `scope`, or `EVERYWHERE`."""
    conn.execute(
        memory_off.delete().where(memory_off.c.owner == owner, memory_off.c.scope == scope)
    )
    if off:
        conn.execute(memory_off.insert().values(owner=owner, scope=scope, created_at=time.time()))


def delete_all_of(conn: Connection, owner: str) -> int:
    """Every memory of the owner and every switch; how many memories went."""
    conn.execute(memory_off.delete().where(memory_off.c.owner == owner))
    return conn.execute(memories.delete().where(memories.c.owner == owner)).rowcount
