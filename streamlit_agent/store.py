"""The durable conversation store: SQLite by default, any SQLAlchemy URL (PostgreSQL) by setting.

One narrow interface (save, load, list, rename, delete) over four tables:

- `conversations`: id (the `?thread=` in the URL), title, model, created/updated times.
- `messages`: every chat message in order. `payload` is LangChain's own message dict as
  ASCII-only JSON, so NUL characters and lone surrogates round-trip unchanged on every
  backend; `content` is a readable copy for people looking at the database.
- `steps`: one row per tool call (tool, input, output, error, status, duration), derived
  from the messages so the data can be queried without parsing payloads.
- `schema_version`: the schema's version. The app creates missing tables at start
  ("versioned create_all"); a database written by a newer version is refused rather
  than damaged.

Writes are idempotent by message id and ordered by a per-conversation sequence
number, so a message written twice (retry after a failed write, a run finishing
just as Stop lands) is stored once, in the place it first took.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    message_to_dict,
    messages_from_dict,
)
from sqlalchemy.engine import Connection, Engine

SCHEMA_VERSION = 1
TITLE_MAX_CHARS = 120

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Float, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("model", sa.Text),
    sa.Column("tools", sa.Text),  # JSON {tool name: on?} chosen in the sidebar
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False, index=True),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16)),
    sa.Column("model", sa.Text),
    sa.Column("usage", sa.Text),
    sa.Column("feedback", sa.Integer),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_messages_order", "conversation_id", "seq"),
)

steps = sa.Table(
    "steps",
    metadata,
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("message_id", sa.String(64), primary_key=True),
    sa.Column("call_id", sa.Text, nullable=False),
    sa.Column("tool", sa.Text, nullable=False),
    sa.Column("input", sa.Text, nullable=False),
    sa.Column("output", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("duration_s", sa.Float),
    sa.Column("created_at", sa.Float, nullable=False),
)


_READ_ONLY = "streamlit_agent_read_only"  # execution option: begin this transaction deferred


class StoreError(RuntimeError):
    """The store cannot be used; the message never contains a password."""


@dataclass(frozen=True)
class ThreadSummary:
    id: str
    title: str
    model: str | None
    created_at: float
    updated_at: float
    message_count: int = 0


_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def redacted_url(url: str) -> str:
    """`url` with any password replaced, safe for logs and the UI."""
    return _URL_PASSWORD.sub(r"\1***@", url)


def normalise_url(url: str) -> str:
    """Accept the common `postgres://` spellings and use psycopg (v3) for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _needs_cleaning(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _clean(value: str) -> str:
    """Text every database accepts (NUL and lone surrogates become U+FFFD).

    Only the readable copies are cleaned; `payload` keeps the exact original.
    """
    if not _needs_cleaning(value):
        return value
    value = value.replace("\x00", "\ufffd")
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content]
        return "".join(parts)
    return str(content)


def _role(message: BaseMessage) -> str:
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ToolMessage):
        return "tool"
    return message.type


def title_from(text: str) -> str:
    """A conversation title from its first question: one line, at most TITLE_MAX_CHARS."""
    line = " ".join(_clean(text).split())
    if len(line) > TITLE_MAX_CHARS:
        line = line[: TITLE_MAX_CHARS - 1].rstrip() + "…"
    return line


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, default=str)


class ConversationStore:
    """Conversations, messages and steps behind SQLAlchemy.

    `url` is any SQLAlchemy URL; `sqlite:///path` files are created on first use
    (with WAL and a busy timeout so several sessions can write at once).
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.display_url = redacted_url(self.url)
        try:
            self.engine = self._create_engine(engine_kwargs)
            self._migrate()
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(self._describe(exc)) from None

    # --- setup ----------------------------------------------------------
    def _create_engine(self, engine_kwargs: dict[str, Any]) -> Engine:
        if self.url.startswith("sqlite"):
            connect_args = {"timeout": 15, "check_same_thread": False}
            connect_args.update(engine_kwargs.pop("connect_args", {}))
            engine = sa.create_engine(self.url, connect_args=connect_args, **engine_kwargs)

            @sa.event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
                # Transactions are begun by the "begin" hook below, not by the driver.
                dbapi_connection.isolation_level = None
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=15000")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()

            # Take the write lock at the start of each transaction, so two writers
            # queue on the busy timeout instead of failing on lock upgrade.
            # Reads begin deferred: in WAL mode they never wait, and a stream of reads
            # holding the write lock would starve the writers past the busy timeout.
            @sa.event.listens_for(engine, "begin")
            def _begin_immediate(conn: Connection) -> None:
                reading = conn.get_execution_options().get(_READ_ONLY, False)
                conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

            return engine
        engine_kwargs.setdefault("pool_pre_ping", True)
        if self.url.startswith("postgresql"):
            connect_args = {"connect_timeout": 5}
            connect_args.update(engine_kwargs.pop("connect_args", {}))
            engine_kwargs["connect_args"] = connect_args
        return sa.create_engine(self.url, **engine_kwargs)

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            metadata.create_all(conn, tables=[schema_version])
            found = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
            if found is not None and found > SCHEMA_VERSION:
                raise StoreError(
                    f"The conversation store at {self.display_url} was written by a newer "
                    f"version of streamlit-agent (schema {found}, this app knows "
                    f"{SCHEMA_VERSION}). Upgrade the app or point STREAMLIT_AGENT_DB_URL "
                    "elsewhere."
                )
            metadata.create_all(conn)
            if found is None or found < SCHEMA_VERSION:
                # Future versions add their ALTER steps here, keyed by `found`.
                conn.execute(
                    schema_version.insert().values(version=SCHEMA_VERSION, applied_at=time.time())
                )

    def _describe(self, exc: BaseException) -> str:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = reason[0] if reason else type(exc).__name__
        return f"The conversation store at {self.display_url} is unavailable: " + redacted_url(
            first
        )

    def _run(self, work: Any, *, read_only: bool = False) -> Any:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{_READ_ONLY: read_only})
                with conn.begin():
                    return work(conn)
        except (StoreError, ValueError):
            raise
        except Exception as exc:
            raise StoreError(self._describe(exc)) from None

    def _read(self, work: Any) -> Any:
        return self._run(work, read_only=True)

    def ping(self) -> None:
        self._read(lambda conn: conn.execute(sa.text("SELECT 1")))

    def close(self) -> None:
        self.engine.dispose()

    # --- conversations ----------------------------------------------------
    def create_thread(self, thread_id: str, title: str = "", model: str | None = None) -> None:
        def work(conn: Connection) -> None:
            self._ensure_thread(conn, thread_id, title, model, time.time())

        self._run(work)

    def _ensure_thread(
        self, conn: Connection, thread_id: str, title: str, model: str | None, now: float
    ) -> None:
        exists = conn.execute(
            sa.select(conversations.c.id).where(conversations.c.id == thread_id)
        ).first()
        if exists:
            return
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(
                pg_insert(conversations)
                .values(id=thread_id, title=title, model=model, created_at=now, updated_at=now)
                .on_conflict_do_nothing()
            )
        else:
            conn.execute(
                conversations.insert()
                .prefix_with("OR IGNORE")
                .values(id=thread_id, title=title, model=model, created_at=now, updated_at=now)
            )

    def get_thread(self, thread_id: str) -> ThreadSummary | None:
        found = self._summaries(lambda q: q.where(conversations.c.id == thread_id))
        return found[0] if found else None

    def list_threads(self, limit: int = 200) -> list[ThreadSummary]:
        """Conversations with at least one message, most recently updated first."""
        return self._summaries(
            lambda q: (
                q.having(sa.func.count(messages.c.id) > 0)
                .order_by(conversations.c.updated_at.desc())
                .limit(limit)
            )
        )

    def _summaries(self, shape: Any) -> list[ThreadSummary]:
        query = shape(
            sa.select(
                conversations.c.id,
                conversations.c.title,
                conversations.c.model,
                conversations.c.created_at,
                conversations.c.updated_at,
                sa.func.count(messages.c.id),
            )
            .select_from(conversations.outerjoin(messages))
            .group_by(conversations.c.id)
        )
        rows = self._read(lambda conn: conn.execute(query).all())
        return [ThreadSummary(*row) for row in rows]

    def rename_thread(self, thread_id: str, title: str) -> None:
        clean = title_from(title)
        if not clean:
            raise ValueError("A title cannot be empty.")

        def work(conn: Connection) -> None:
            conn.execute(
                conversations.update()
                .where(conversations.c.id == thread_id)
                .values(title=clean, updated_at=time.time())
            )

        self._run(work)

    def tool_choice(self, thread_id: str) -> dict[str, bool]:
        """The tool toggles saved for a conversation ({} when never changed)."""
        raw = self._read(
            lambda conn: conn.execute(
                sa.select(conversations.c.tools).where(conversations.c.id == thread_id)
            ).scalar()
        )
        return {str(k): bool(v) for k, v in json.loads(raw).items()} if raw else {}

    def set_tool_choice(self, thread_id: str, choice: dict[str, bool]) -> None:
        def work(conn: Connection) -> None:
            self._ensure_thread(conn, thread_id, "", None, time.time())
            conn.execute(
                conversations.update()
                .where(conversations.c.id == thread_id)
                .values(tools=_json(choice))
            )

        self._run(work)

    def delete_thread(self, thread_id: str) -> None:
        def work(conn: Connection) -> None:
            # Explicit deletes rather than relying on every backend's cascade setting.
            conn.execute(steps.delete().where(steps.c.conversation_id == thread_id))
            conn.execute(messages.delete().where(messages.c.conversation_id == thread_id))
            conn.execute(conversations.delete().where(conversations.c.id == thread_id))

        self._run(work)

    # --- messages ---------------------------------------------------------
    def save_messages(
        self, thread_id: str, batch: Sequence[BaseMessage], *, model: str | None = None
    ) -> None:
        """Store `batch` in order, in one transaction; ids already stored are left as they are."""
        if not batch:
            return
        for message in batch:
            if not message.id:
                raise ValueError("Messages need an id before they are stored.")

        def work(conn: Connection) -> None:
            now = time.time()
            first_question = next(
                (_text(m.content) for m in batch if isinstance(m, HumanMessage)), ""
            )
            self._ensure_thread(conn, thread_id, title_from(first_question), model, now)
            # Serialise writers of one conversation so sequence numbers never collide.
            lock = sa.select(conversations.c.title).where(conversations.c.id == thread_id)
            if self.engine.dialect.name == "postgresql":
                lock = lock.with_for_update()
            title = conn.execute(lock).scalar() or ""
            ids = [m.id for m in batch]
            present = set(
                conn.execute(
                    sa.select(messages.c.id).where(
                        messages.c.conversation_id == thread_id, messages.c.id.in_(ids)
                    )
                ).scalars()
            )
            seq = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(messages.c.seq), 0)).where(
                    messages.c.conversation_id == thread_id
                )
            ).scalar_one()
            new = [m for m in _unique(batch) if m.id not in present]
            calls = _tool_calls(batch)
            for message in new:
                seq += 1
                conn.execute(messages.insert().values(**_message_row(thread_id, message, seq, now)))
                if isinstance(message, ToolMessage):
                    conn.execute(steps.insert().values(**_step_row(thread_id, message, calls, now)))
            values: dict[str, Any] = {"updated_at": now}
            if not title and first_question.strip():
                values["title"] = title_from(first_question)
            if model:
                values["model"] = model
            conn.execute(
                conversations.update().where(conversations.c.id == thread_id).values(**values)
            )

        self._run(work)

    def load_messages(self, thread_id: str) -> list[BaseMessage]:
        def work(conn: Connection) -> list[str]:
            return list(
                conn.execute(
                    sa.select(messages.c.payload)
                    .where(messages.c.conversation_id == thread_id)
                    .order_by(messages.c.seq)
                ).scalars()
            )

        payloads = self._read(work)
        return messages_from_dict([json.loads(p) for p in payloads])

    def delete_messages(self, thread_id: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids:
            return

        def work(conn: Connection) -> None:
            conn.execute(
                steps.delete().where(
                    steps.c.conversation_id == thread_id, steps.c.message_id.in_(ids)
                )
            )
            conn.execute(
                messages.delete().where(
                    messages.c.conversation_id == thread_id, messages.c.id.in_(ids)
                )
            )

        self._run(work)

    def set_feedback(self, thread_id: str, message_id: str, value: int | None) -> None:
        """Thumbs up (1) or down (0) on an answer; None clears it."""

        def work(conn: Connection) -> None:
            conn.execute(
                messages.update()
                .where(messages.c.conversation_id == thread_id, messages.c.id == message_id)
                .values(feedback=value)
            )

        self._run(work)

    def feedback_for(self, thread_id: str) -> dict[str, int]:
        def work(conn: Connection) -> dict[str, int]:
            rows = conn.execute(
                sa.select(messages.c.id, messages.c.feedback).where(
                    messages.c.conversation_id == thread_id, messages.c.feedback.is_not(None)
                )
            )
            return {row.id: row.feedback for row in rows}

        return self._read(work)

    def steps_for(self, thread_id: str) -> list[dict[str, Any]]:
        """Recorded tool calls of a conversation, in order, as plain dicts."""

        def work(conn: Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                sa.select(steps)
                .join(
                    messages,
                    sa.and_(
                        messages.c.conversation_id == steps.c.conversation_id,
                        messages.c.id == steps.c.message_id,
                    ),
                )
                .where(steps.c.conversation_id == thread_id)
                .order_by(messages.c.seq)
            )
            return [dict(row._mapping) for row in rows]

        return self._read(work)


def _unique(batch: Sequence[BaseMessage]) -> list[BaseMessage]:
    seen: set[str] = set()
    out = []
    for message in batch:
        if message.id not in seen:
            seen.add(message.id or "")
            out.append(message)
    return out


def _tool_calls(batch: Sequence[BaseMessage]) -> dict[str, dict[str, Any]]:
    return {
        call["id"]: call
        for m in batch
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call.get("id")
    }


def _message_row(thread_id: str, message: BaseMessage, seq: int, now: float) -> dict[str, Any]:
    meta = getattr(message, "response_metadata", {}) or {}
    status = meta.get("status") or meta.get("step_status")
    usage = meta.get("usage")
    return {
        "conversation_id": thread_id,
        "id": message.id,
        "seq": seq,
        "role": _role(message),
        "content": _clean(_text(message.content)),
        "payload": _json(message_to_dict(message)),
        "status": status,
        "model": meta.get("model_name"),
        "usage": _json(usage) if usage else None,
        "created_at": now,
    }


def _step_row(
    thread_id: str, message: ToolMessage, calls: dict[str, dict[str, Any]], now: float
) -> dict[str, Any]:
    meta = message.response_metadata or {}
    call = calls.get(message.tool_call_id, {})
    args = call.get("args", {})
    return {
        "conversation_id": thread_id,
        "message_id": message.id,
        "call_id": message.tool_call_id,
        "tool": message.name or call.get("name", ""),
        "input": _clean(_json(args)),
        "output": _clean(str(meta.get("full_output") or _text(message.content))),
        "error": _clean(meta["error"]) if meta.get("error") else None,
        "status": meta.get("step_status", "ok"),
        "duration_s": meta.get("duration_s"),
        "created_at": now,
    }
