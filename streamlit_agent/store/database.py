"""The durable conversation store: SQLite by default, any SQLAlchemy URL (PostgreSQL) by setting.

One narrow interface, and every method takes the owner: a conversation that does not
exist and one that belongs to someone else look the same ("not found"), so nothing of
another person's can be listed, read, written, renamed, rated or deleted through it.

Tables:
- `conversations`: id (the `?thread=` in the URL, made by the server), owner, title,
  model, tool toggles, the model picked for it, created/updated times.
- `messages`: every chat message in order. `payload` is LangChain's own message dict as
  ASCII-only JSON, so NUL characters and lone surrogates round-trip unchanged on every
  backend; `content` is a readable copy for people looking at the database.
- `steps`: one row per tool call (tool, input, output, error, status, duration), derived
  from the messages so the data can be queried without parsing payloads.
- `usage`: per-owner events (messages sent, tokens spent) for limits that hold across
  several app instances.
- `server_secrets` (schema 6): keys this server signs with (the anonymous identity
  cookie), made once by whichever instance asks first and shared by all of them.
- `schema_version`: applied migrations; a database written by a newer version is
  refused rather than damaged.
- Search (schema 5): on SQLite an FTS5 table `search_text` over message texts and
  titles, with `search_rows` mapping its rows to (conversation, message) and triggers
  keeping both in step with every write; on PostgreSQL GIN indexes on
  `to_tsvector('simple', …)` of the same columns. No extra service either way.

Writes are idempotent by message id and ordered by a per-conversation sequence
number, so a message written twice (retry after a failed write, a run finishing
just as Stop lands) is stored once, in the place it first took.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

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

from streamlit_agent.config import FEEDBACK_COMMENT_MAX_CHARS
from streamlit_agent.safety.plain_text import message_text, storable
from streamlit_agent.safety.redact import redact_url, scrub, url_password

logger = logging.getLogger(__name__)

TITLE_MAX_CHARS = 120
# Owner of conversations written before conversations had owners (schema 1): nobody
# signs in as it, so they stay hidden until an operator hands them to someone
# (STREAMLIT_AGENT_LEGACY_OWNER, see README).
LEGACY_OWNER = "legacy:unowned"

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
    sa.Column("owner", sa.String(255), nullable=False, default=LEGACY_OWNER),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("model", sa.Text),
    sa.Column("tools", sa.Text),  # JSON {tool name: on?} chosen in the sidebar
    sa.Column("model_choice", sa.Text),  # providers.ModelChoice.key picked in the sidebar
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False, index=True),
    sa.Index("ix_conversations_owner", "owner", "updated_at"),
)


def _keyed_in_conversation(id_name: str) -> tuple[sa.Column, sa.Column]:
    """The primary key of a row that belongs to a conversation: (conversation_id, id)."""
    conversation = sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    )
    return conversation, sa.Column(id_name, sa.String(64), primary_key=True)


messages = sa.Table(
    "messages",
    metadata,
    *_keyed_in_conversation("id"),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16)),
    sa.Column("model", sa.Text),
    sa.Column("usage", sa.Text),
    sa.Column("feedback", sa.Integer),
    sa.Column("feedback_comment", sa.Text),  # optional, with a thumbs down
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_messages_order", "conversation_id", "seq"),
)

steps = sa.Table(
    "steps",
    metadata,
    *_keyed_in_conversation("message_id"),
    sa.Column("call_id", sa.Text, nullable=False),
    sa.Column("tool", sa.Text, nullable=False),
    sa.Column("input", sa.Text, nullable=False),
    sa.Column("output", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("duration_s", sa.Float),
    sa.Column("created_at", sa.Float, nullable=False),
)

usage = sa.Table(
    "usage",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "message" | "tokens"
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_usage_owner", "owner", "kind", "at"),
)

server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


def _v2_owners(conn: Connection) -> None:
    """Conversations get an owner; rows written before belong to LEGACY_OWNER."""
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


def _v3_model_choice(conn: Connection) -> None:
    """Conversations remember the model picked for them."""
    conn.execute(sa.text("ALTER TABLE conversations ADD COLUMN model_choice TEXT"))


def _v4_feedback_comments(conn: Connection) -> None:
    """A thumbs down can carry a comment."""
    conn.execute(sa.text("ALTER TABLE messages ADD COLUMN feedback_comment TEXT"))


# SQLite: one FTS5 table for message texts and titles. Its rows are keyed by
# `search_rows.id` (an INTEGER PRIMARY KEY, which VACUUM never renumbers, unlike the
# implicit rowids of `messages` and `conversations`); message_id '' is the title.
_SQLITE_SEARCH_DDL = (
    "CREATE TABLE search_rows (id INTEGER PRIMARY KEY, conversation_id VARCHAR(64) NOT NULL, "
    "message_id VARCHAR(64) NOT NULL, UNIQUE (conversation_id, message_id))",
    "CREATE VIRTUAL TABLE search_text USING fts5(body, tokenize='unicode61 remove_diacritics 0')",
    """CREATE TRIGGER search_message_added AFTER INSERT ON messages BEGIN
        INSERT INTO search_rows (conversation_id, message_id) VALUES (new.conversation_id, new.id);
        INSERT INTO search_text (rowid, body) VALUES (last_insert_rowid(), new.content);
    END""",
    """CREATE TRIGGER search_message_removed AFTER DELETE ON messages BEGIN
        DELETE FROM search_text WHERE rowid = (SELECT id FROM search_rows
            WHERE conversation_id = old.conversation_id AND message_id = old.id);
        DELETE FROM search_rows WHERE conversation_id = old.conversation_id AND message_id = old.id;
    END""",
    """CREATE TRIGGER search_message_changed AFTER UPDATE OF content ON messages BEGIN
        UPDATE search_text SET body = new.content WHERE rowid = (SELECT id FROM search_rows
            WHERE conversation_id = new.conversation_id AND message_id = new.id);
    END""",
    """CREATE TRIGGER search_title_added AFTER INSERT ON conversations BEGIN
        INSERT INTO search_rows (conversation_id, message_id) VALUES (new.id, '');
        INSERT INTO search_text (rowid, body) VALUES (last_insert_rowid(), new.title);
    END""",
    """CREATE TRIGGER search_title_removed AFTER DELETE ON conversations BEGIN
        DELETE FROM search_text WHERE rowid = (SELECT id FROM search_rows
            WHERE conversation_id = old.id AND message_id = '');
        DELETE FROM search_rows WHERE conversation_id = old.id AND message_id = '';
    END""",
    """CREATE TRIGGER search_title_changed AFTER UPDATE OF title ON conversations BEGIN
        UPDATE search_text SET body = new.title WHERE rowid = (SELECT id FROM search_rows
            WHERE conversation_id = new.id AND message_id = '');
    END""",
    # Backfill: what was written before this schema becomes searchable too.
    "INSERT INTO search_rows (conversation_id, message_id) "
    "SELECT conversation_id, id FROM messages UNION ALL SELECT id, '' FROM conversations",
    "INSERT INTO search_text (rowid, body) SELECT r.id, m.content FROM search_rows r "
    "JOIN messages m ON m.conversation_id = r.conversation_id AND m.id = r.message_id",
    "INSERT INTO search_text (rowid, body) SELECT r.id, c.title FROM search_rows r "
    "JOIN conversations c ON c.id = r.conversation_id WHERE r.message_id = ''",
)
# PostgreSQL: expression indexes, built over the existing rows when created. 'simple'
# (no stemming, no stop words) matches whole words in any language, like FTS5 here.
_POSTGRESQL_SEARCH_DDL = (
    "CREATE INDEX ix_messages_search ON messages USING GIN (to_tsvector('simple', content))",
    "CREATE INDEX ix_conversations_search ON conversations "
    "USING GIN (to_tsvector('simple', title))",
)


def _v5_search(conn: Connection) -> None:
    """Full-text search over message texts and titles, existing rows included."""
    ddl = _POSTGRESQL_SEARCH_DDL if conn.dialect.name == "postgresql" else _SQLITE_SEARCH_DDL
    for statement in ddl:
        conn.exec_driver_sql(statement)


def _v6_server_secrets(conn: Connection) -> None:
    """A table for the keys this server signs with (identity.py)."""
    server_secrets.create(conn)


# Version N's step turns a version N-1 database into version N. Version 1 is the
# first released schema; a new database is created at the latest version directly
# (`metadata` plus the steps whose objects it cannot describe, in FRESH_EXTRAS).
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _v2_owners,
    3: _v3_model_choice,
    4: _v4_feedback_comments,
    5: _v5_search,
    6: _v6_server_secrets,
}
FRESH_EXTRAS: tuple[Callable[[Connection], None], ...] = (_v5_search,)
SCHEMA_VERSION = max(MIGRATIONS)

_READ_ONLY = "streamlit_agent_read_only"  # execution option: begin this transaction deferred


class StoreError(RuntimeError):
    """The store cannot be used. The message is for logs and operators: it names the
    database (credentials redacted), so the page shows `PUBLIC_PROBLEM` instead."""


PUBLIC_PROBLEM = "the database is unavailable"


class ThreadNotFound(LookupError):
    """No such conversation for this owner: missing and someone else's look the same."""

    def __init__(self) -> None:
        super().__init__("Conversation not found.")


@dataclass(frozen=True)
class ThreadSummary:
    id: str
    title: str
    model: str | None
    created_at: float
    updated_at: float
    message_count: int = 0


@dataclass(frozen=True)
class SearchHit:
    """A conversation whose title (`message_id` None) or one of whose messages matched."""

    thread_id: str
    title: str
    message_id: str | None
    role: str | None
    snippet: str
    updated_at: float


SEARCH_MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+")  # letters and digits: "_" separates words, as in FTS5
_SNIPPET_CHARS = 120


def search_words(query: str) -> list[str]:
    """The words of a typed query, lower-cased. Everything else (quotes, operators,
    brackets, `*`, `:`) is dropped, so no typed text reaches FTS syntax."""
    return [w[:64] for w in _WORD.findall(query.lower())][:SEARCH_MAX_WORDS]


def snippet(text: str, words: Sequence[str], width: int = _SNIPPET_CHARS) -> str:
    """One line of `text` around the first of `words` it contains."""
    line = " ".join(storable(text).split())
    lowered = line.lower()
    found = [i for i in (lowered.find(w) for w in words) if i >= 0]
    start = max(min(found, default=0) - width // 3, 0)
    if start:
        start = line.find(" ", start) + 1 or start  # begin at a word
    piece = line[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(line) else "")


class LoadedMessages(list[BaseMessage]):
    """A conversation's messages, plus how many stored rows could not be read."""

    unreadable: int = 0


def new_thread_id() -> str:
    """Conversation ids are made here only: never taken from a URL or a browser."""
    return uuid4().hex


def normalise_url(url: str) -> str:
    """Accept the common `postgres://` spellings and use psycopg (v3) for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


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
    line = " ".join(storable(text).split())
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
        self.display_url = redact_url(self.url)
        self._secrets: dict[str, str] = {}  # server_secret's, by name
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
            if found is None and not sa.inspect(conn).has_table("conversations"):
                metadata.create_all(conn)
                for extra in FRESH_EXTRAS:
                    extra(conn)
                found = SCHEMA_VERSION
                self._stamp(conn, found)
            for version in range((found or 1) + 1, SCHEMA_VERSION + 1):
                logger.info("migrating the conversation store to schema %d", version)
                MIGRATIONS[version](conn)
                self._stamp(conn, version)

    @staticmethod
    def _stamp(conn: Connection, version: int) -> None:
        conn.execute(schema_version.insert().values(version=version, applied_at=time.time()))

    def _describe(self, exc: BaseException) -> str:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = reason[0] if reason else type(exc).__name__
        shown = scrub(first, [url_password(self.url)])
        return f"The conversation store at {self.display_url} is unavailable: {shown}"

    def _run(self, work: Any, *, read_only: bool = False) -> Any:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{_READ_ONLY: read_only})
                with conn.begin():
                    return work(conn)
        except (StoreError, ThreadNotFound, ValueError):
            raise
        except Exception as exc:
            raise StoreError(self._describe(exc)) from None

    def _read(self, work: Any) -> Any:
        return self._run(work, read_only=True)

    def ping(self) -> None:
        self._read(lambda conn: conn.execute(sa.text("SELECT 1")))

    def close(self) -> None:
        self.engine.dispose()

    # --- ownership ------------------------------------------------------
    @staticmethod
    def _owner_of(conn: Connection, thread_id: str) -> str | None:
        return conn.execute(
            sa.select(conversations.c.owner).where(conversations.c.id == thread_id)
        ).scalar()

    def _require(self, conn: Connection, owner: str, thread_id: str) -> None:
        """The one ownership check behind every read and write of a conversation."""
        if not owner or self._owner_of(conn, thread_id) != owner:
            raise ThreadNotFound

    def _claim(
        self,
        conn: Connection,
        owner: str,
        thread_id: str,
        title: str = "",
        model: str | None = None,
    ) -> None:
        """Create `thread_id` for `owner` if it is new; refuse it if it is anyone else's."""
        if not owner:
            raise ThreadNotFound
        now = time.time()
        row = {"id": thread_id, "owner": owner, "title": title, "model": model}
        row |= {"created_at": now, "updated_at": now}
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(conversations).values(**row).on_conflict_do_nothing())
        else:
            conn.execute(conversations.insert().prefix_with("OR IGNORE").values(**row))
        self._require(conn, owner, thread_id)

    def adopt_legacy(self, owner: str) -> int:
        """Hand the conversations written before owners existed to `owner`; returns how many."""

        def work(conn: Connection) -> int:
            return conn.execute(
                conversations.update()
                .where(conversations.c.owner == LEGACY_OWNER)
                .values(owner=owner)
            ).rowcount

        return self._run(work)

    # --- conversations ----------------------------------------------------
    def create_thread(self, owner: str, title: str = "", model: str | None = None) -> str:
        """A new, empty conversation for `owner`; returns its server-made id."""
        thread_id = new_thread_id()
        self._run(lambda conn: self._claim(conn, owner, thread_id, title, model))
        return thread_id

    def get_thread(self, owner: str, thread_id: str) -> ThreadSummary | None:
        found = self._summaries(owner, lambda q: q.where(conversations.c.id == thread_id))
        return found[0] if found else None

    def list_threads(self, owner: str, limit: int = 200) -> list[ThreadSummary]:
        """The owner's conversations with at least one message, most recently updated first.

        Read on every rerun: an EXISTS per conversation (on the messages index) keeps it
        as fast at the hundredth message as at the first; `message_count` is left 0.
        """
        has_messages = sa.exists().where(messages.c.conversation_id == conversations.c.id)
        query = (
            sa.select(*self._summary_columns(), sa.literal(0))
            .where(conversations.c.owner == owner, has_messages)
            .order_by(conversations.c.updated_at.desc())
            .limit(limit)
        )
        rows = self._read(lambda conn: conn.execute(query).all())
        return [ThreadSummary(*row) for row in rows]

    @staticmethod
    def _summary_columns() -> tuple[Any, ...]:
        return (
            conversations.c.id,
            conversations.c.title,
            conversations.c.model,
            conversations.c.created_at,
            conversations.c.updated_at,
        )

    def _summaries(self, owner: str, shape: Any) -> list[ThreadSummary]:
        query = shape(
            sa.select(*self._summary_columns(), sa.func.count(messages.c.id))
            .select_from(conversations.outerjoin(messages))
            .where(conversations.c.owner == owner)
            .group_by(conversations.c.id)
        )
        rows = self._read(lambda conn: conn.execute(query).all())
        return [ThreadSummary(*row) for row in rows]

    def rename_thread(self, owner: str, thread_id: str, title: str) -> None:
        clean = title_from(title)
        if not clean:
            raise ValueError("A title cannot be empty.")

        def work(conn: Connection) -> None:
            self._require(conn, owner, thread_id)
            conn.execute(
                conversations.update()
                .where(conversations.c.id == thread_id)
                .values(title=clean, updated_at=time.time())
            )

        self._run(work)

    def tool_choice(self, owner: str, thread_id: str) -> dict[str, bool]:
        """The tool toggles saved for a conversation ({} when never changed or not found)."""
        raw = self._read(
            lambda conn: conn.execute(
                sa.select(conversations.c.tools).where(
                    conversations.c.id == thread_id, conversations.c.owner == owner
                )
            ).scalar()
        )
        return {str(k): bool(v) for k, v in json.loads(raw).items()} if raw else {}

    def set_tool_choice(self, owner: str, thread_id: str, choice: dict[str, bool]) -> None:
        def work(conn: Connection) -> None:
            self._claim(conn, owner, thread_id)
            conn.execute(
                conversations.update()
                .where(conversations.c.id == thread_id)
                .values(tools=_json(choice))
            )

        self._run(work)

    def model_choice(self, owner: str, thread_id: str) -> str | None:
        """The model picked for a conversation (None when never picked or not found)."""
        return self._read(
            lambda conn: conn.execute(
                sa.select(conversations.c.model_choice).where(
                    conversations.c.id == thread_id, conversations.c.owner == owner
                )
            ).scalar()
        )

    def set_model_choice(self, owner: str, thread_id: str, choice_key: str) -> None:
        def work(conn: Connection) -> None:
            self._claim(conn, owner, thread_id)
            conn.execute(
                conversations.update()
                .where(conversations.c.id == thread_id)
                .values(model_choice=choice_key)
            )

        self._run(work)

    def delete_thread(self, owner: str, thread_id: str) -> None:
        def work(conn: Connection) -> None:
            self._require(conn, owner, thread_id)
            # Explicit deletes rather than relying on every backend's cascade setting.
            conn.execute(steps.delete().where(steps.c.conversation_id == thread_id))
            conn.execute(messages.delete().where(messages.c.conversation_id == thread_id))
            conn.execute(conversations.delete().where(conversations.c.id == thread_id))

        self._run(work)

    # --- messages ---------------------------------------------------------
    def save_messages(
        self, owner: str, thread_id: str, batch: Sequence[BaseMessage], *, model: str | None = None
    ) -> None:
        """Store `batch` in order, in one transaction; ids already stored are left as they are.

        A new `thread_id` becomes the owner's conversation; someone else's is refused.
        """
        if not batch:
            return
        for message in batch:
            if not message.id:
                raise ValueError("Messages need an id before they are stored.")
        first_question = next(
            (message_text(m.content) for m in batch if isinstance(m, HumanMessage)), ""
        )

        def work(conn: Connection) -> None:
            now = time.time()
            self._claim(conn, owner, thread_id, title_from(first_question), model)
            # Serialise writers of one conversation so sequence numbers never collide.
            lock = sa.select(conversations.c.title).where(conversations.c.id == thread_id)
            if self.engine.dialect.name == "postgresql":
                lock = lock.with_for_update()
            title = conn.execute(lock).scalar() or ""
            self._insert_new(conn, thread_id, batch, now)
            values: dict[str, Any] = {"updated_at": now}
            if not title and first_question.strip():
                values["title"] = title_from(first_question)
            if model:
                values["model"] = model
            conn.execute(
                conversations.update().where(conversations.c.id == thread_id).values(**values)
            )

        self._run(work)

    @staticmethod
    def _insert_new(
        conn: Connection, thread_id: str, batch: Sequence[BaseMessage], now: float
    ) -> None:
        present = set(
            conn.execute(
                sa.select(messages.c.id).where(
                    messages.c.conversation_id == thread_id,
                    messages.c.id.in_([m.id for m in batch]),
                )
            ).scalars()
        )
        seq = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(messages.c.seq), 0)).where(
                messages.c.conversation_id == thread_id
            )
        ).scalar_one()
        calls = _tool_calls(batch)
        for message in _unique(batch):
            if message.id in present:
                continue
            seq += 1
            conn.execute(messages.insert().values(**_message_row(thread_id, message, seq, now)))
            if isinstance(message, ToolMessage):
                conn.execute(steps.insert().values(**_step_row(thread_id, message, calls, now)))

    def load_messages(self, owner: str, thread_id: str) -> LoadedMessages:
        """The conversation in order; a row that cannot be read is skipped and counted."""

        def work(conn: Connection) -> list[str]:
            return list(
                conn.execute(
                    sa.select(messages.c.payload)
                    .join(conversations, conversations.c.id == messages.c.conversation_id)
                    .where(messages.c.conversation_id == thread_id, conversations.c.owner == owner)
                    .order_by(messages.c.seq)
                ).scalars()
            )

        loaded = LoadedMessages()
        for payload in self._read(work):
            try:
                loaded.extend(messages_from_dict([json.loads(payload)]))
            except Exception:  # one damaged row must not hide the rest of the conversation
                loaded.unreadable += 1
        if loaded.unreadable:
            logger.warning("%d unreadable message rows skipped", loaded.unreadable)
        return loaded

    def delete_messages(self, owner: str, thread_id: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids:
            return

        def work(conn: Connection) -> None:
            self._require(conn, owner, thread_id)
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

    def set_feedback(
        self,
        owner: str,
        thread_id: str,
        message_id: str,
        value: int | None,
        comment: str | None = None,
    ) -> None:
        """Thumbs up (1) or down (0) on an answer; None clears it. A comment is kept
        with a thumbs down only: changing the thumbs drops the one written for it."""
        comment = storable(comment.strip())[:FEEDBACK_COMMENT_MAX_CHARS] if comment else None

        def work(conn: Connection) -> None:
            self._require(conn, owner, thread_id)
            conn.execute(
                messages.update()
                .where(messages.c.conversation_id == thread_id, messages.c.id == message_id)
                .values(feedback=value, feedback_comment=comment if value == 0 else None)
            )

        self._run(work)

    def feedback_for(self, owner: str, thread_id: str) -> dict[str, int]:
        return {k: v for k, (v, _) in self._feedback_rows(owner, thread_id).items()}

    def feedback_comments(self, owner: str, thread_id: str) -> dict[str, str]:
        """The comments written with thumbs down, by answer id."""
        rows = self._feedback_rows(owner, thread_id)
        return {k: comment for k, (_, comment) in rows.items() if comment}

    def _feedback_rows(self, owner: str, thread_id: str) -> dict[str, tuple[int, str | None]]:
        def work(conn: Connection) -> dict[str, tuple[int, str | None]]:
            rows = conn.execute(
                sa.select(messages.c.id, messages.c.feedback, messages.c.feedback_comment)
                .join(conversations, conversations.c.id == messages.c.conversation_id)
                .where(
                    messages.c.conversation_id == thread_id,
                    conversations.c.owner == owner,
                    messages.c.feedback.is_not(None),
                )
            )
            return {row.id: (row.feedback, row.feedback_comment) for row in rows}

        return self._read(work)

    def steps_for(self, owner: str, thread_id: str) -> list[dict[str, Any]]:
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
                .join(conversations, conversations.c.id == steps.c.conversation_id)
                .where(steps.c.conversation_id == thread_id, conversations.c.owner == owner)
                .order_by(messages.c.seq)
            )
            return [dict(row._mapping) for row in rows]

        return self._read(work)

    # --- search -------------------------------------------------------------
    def search(self, owner: str, query: str, limit: int = 20) -> list[SearchHit]:
        """The owner's messages (or, where none matched, titles) containing every word of
        `query` (a word also matches as the start of a longer one), newest conversation
        first, then in conversation order."""
        words = search_words(query)
        if not owner or not words:
            return []
        if self.engine.dialect.name == "postgresql":
            # Each word is letters and digits only, quoted: nothing typed can break the syntax.
            sql, match = _POSTGRESQL_SEARCH, " & ".join(f"'{w}':*" for w in words)
        else:
            sql, match = _SQLITE_SEARCH, " ".join(f'"{w}"*' for w in words)
        params = {"owner": owner, "match": match, "limit": limit}
        rows = self._read(lambda conn: conn.execute(sa.text(sql), params).all())
        # A title hit adds nothing where a message of the same conversation matched.
        with_messages = {row.thread_id for row in rows if row.message_id}
        rows = [row for row in rows if row.message_id or row.thread_id not in with_messages]
        return [
            SearchHit(
                thread_id=row.thread_id,
                title=row.title,
                message_id=row.message_id or None,
                role=row.role,
                snippet=snippet(row.body or row.title, words),
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    # --- usage, for per-owner limits shared by every app instance ---------
    def record_usage(self, owner: str, kind: str, amount: int = 1) -> None:
        self._run(
            lambda conn: conn.execute(
                usage.insert().values(owner=owner, kind=kind, amount=amount, at=time.time())
            )
        )

    def usage_since(self, owner: str, kind: str, since: float) -> int:
        return int(
            self._read(
                lambda conn: conn.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(usage.c.amount), 0)).where(
                        usage.c.owner == owner, usage.c.kind == kind, usage.c.at >= since
                    )
                ).scalar_one()
            )
        )

    # --- the server's own secrets, shared by every app instance ---------------
    def server_secret(self, name: str) -> str:
        """The secret called `name`, made on first use. Two instances starting at once
        both insert-if-absent in one transaction and read back the row that won, so
        they always agree; the value is cached, as it never changes."""
        if name in self._secrets:
            return self._secrets[name]

        def work(conn: Connection) -> str:
            row = {"name": name, "value": secrets.token_urlsafe(48), "created_at": time.time()}
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                conn.execute(pg_insert(server_secrets).values(**row).on_conflict_do_nothing())
            else:
                conn.execute(server_secrets.insert().prefix_with("OR IGNORE").values(**row))
            query = sa.select(server_secrets.c.value).where(server_secrets.c.name == name)
            return str(conn.execute(query).scalar_one())

        self._secrets[name] = self._run(work)
        return self._secrets[name]


# Both return one row per matching title or message: newest conversation first, then
# the conversation's messages in order (its title first).
_SQLITE_SEARCH = """
SELECT r.conversation_id AS thread_id, c.title, r.message_id, m.role, m.content AS body,
       c.updated_at
FROM search_text
JOIN search_rows r ON r.id = search_text.rowid
JOIN conversations c ON c.id = r.conversation_id
LEFT JOIN messages m ON m.conversation_id = r.conversation_id AND m.id = r.message_id
WHERE search_text MATCH :match AND c.owner = :owner
  AND EXISTS (SELECT 1 FROM messages e WHERE e.conversation_id = c.id)
ORDER BY c.updated_at DESC, COALESCE(m.seq, 0)
LIMIT :limit
"""
_POSTGRESQL_SEARCH = """
SELECT * FROM (
  SELECT c.id AS thread_id, c.title, '' AS message_id, NULL AS role, NULL AS body,
         c.updated_at, 0 AS seq
  FROM conversations c
  WHERE c.owner = :owner
    AND to_tsvector('simple', c.title) @@ to_tsquery('simple', :match)
    AND EXISTS (SELECT 1 FROM messages e WHERE e.conversation_id = c.id)
  UNION ALL
  SELECT c.id, c.title, m.id, m.role, m.content, c.updated_at, m.seq
  FROM messages m JOIN conversations c ON c.id = m.conversation_id
  WHERE c.owner = :owner
    AND to_tsvector('simple', m.content) @@ to_tsquery('simple', :match)
) hits
ORDER BY updated_at DESC, seq
LIMIT :limit
"""


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
        "content": storable(message_text(message.content)),
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
        "input": storable(_json(args)),
        "output": storable(str(meta.get("full_output") or message_text(message.content))),
        "error": storable(meta["error"]) if meta.get("error") else None,
        "status": meta.get("step_status", "ok"),
        "duration_s": meta.get("duration_s"),
        "created_at": now,
    }
