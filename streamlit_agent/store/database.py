"""The durable conversation store: SQLite by default, any SQLAlchemy URL (PostgreSQL) by setting.

One narrow interface, and every method takes the owner: a conversation that does not
exist and one that belongs to someone else look the same ("not found"), so nothing of
another person's can be listed, read, written, renamed, rated or deleted through it.

The tables are in `schema.py`, their migrations in `migrations/`, search in `search.py`.

Writes are idempotent by message id and ordered by a per-conversation sequence
number, so a message written twice (retry after a failed write, a run finishing
just as Stop lands) is stored once, in the place it first took.

Only a database that cannot answer is a `StoreError` (the page says "unavailable" and
carries on); any other exception is a bug and is raised as itself.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from langchain_core.messages import (
    BaseMessage,
    HumanMessage,
    ToolMessage,
    messages_from_dict,
)
from sqlalchemy.engine import Connection, Engine

from streamlit_agent.config import (
    EXPORT_MAX_CONVERSATIONS,
    EXPORT_MAX_STORED_CHARS,
    EXPORT_MAX_USAGE_RECORDS,
    FEEDBACK_COMMENT_MAX_CHARS,
)
from streamlit_agent.safety.plain_text import message_text, storable
from streamlit_agent.safety.redact import redact_url, scrub, url_password
from streamlit_agent.store import files
from streamlit_agent.store import memories as memory_rows
from streamlit_agent.store.blobs import IN_DATABASE, Blobs, BucketError, object_key
from streamlit_agent.store.branches import Node, active_path, newest_leaf_under, sibling_groups
from streamlit_agent.store.memories import Memory
from streamlit_agent.store.migrations import FRESH_EXTRAS, MIGRATIONS, SCHEMA_VERSION
from streamlit_agent.store.passages import (
    DocumentSummary,
    PassageHit,
    hits,
    passage_query,
    passage_words,
)
from streamlit_agent.store.schema import (
    LEGACY_OWNER,
    as_json,
    attachments,
    conversations,
    message_row,
    messages,
    metadata,
    passages,
    schema_version,
    server_secrets,
    step_row,
    steps,
    title_from,
    tool_calls_by_id,
    unique_by_id,
    usage,
)
from streamlit_agent.store.search import SearchHit, hits_from, search_query, search_words

logger = logging.getLogger(__name__)

_READ_ONLY = "streamlit_agent_read_only"  # execution option: begin this transaction deferred

# What a database that cannot answer raises: the driver's errors (which SQLAlchemy
# wraps) and the file system's. Anything else is a bug, and calling it an outage would
# hide it behind the "unavailable" banner.
_UNAVAILABLE = (sa.exc.SQLAlchemyError, OSError)


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


class LoadedMessages(list[BaseMessage]):
    """A conversation's messages, plus how many stored rows could not be read."""

    unreadable: int = 0

    @classmethod
    def parse(cls, payloads: Iterable[str]) -> LoadedMessages:
        loaded = cls()
        for payload in payloads:
            try:
                loaded.extend(messages_from_dict([json.loads(payload)]))
            except Exception:  # one damaged row must not hide the rest of the conversation
                loaded.unreadable += 1
        if loaded.unreadable:
            logger.warning("%d unreadable message rows skipped", loaded.unreadable)
        return loaded


@dataclass(frozen=True)
class StoredConversation:
    """One conversation with everything kept beside its messages."""

    thread: ThreadSummary
    messages: LoadedMessages
    feedback: dict[str, int]
    comments: dict[str, str]
    tool_choice: dict[str, bool]
    model_choice: str | None
    # Every stored message, every branch (`messages` is the branch on screen), in
    # storage order, each with the id of the message it continues.
    tree: list[tuple[str | None, BaseMessage]] = field(default_factory=list)
    files: list[files.FileInfo] = field(default_factory=list)  # no thumbnails


@dataclass(frozen=True)
class UsageRecord:
    kind: str
    amount: int
    at: float


@dataclass(frozen=True)
class OwnerData:
    """Everything the store keeps for one owner, newest first, within the export caps;
    `*_left_out` counts what the caps left out (0: the export is complete)."""

    conversations: list[StoredConversation]
    conversations_left_out: int
    usage: list[UsageRecord]
    usage_totals: dict[str, int]
    usage_left_out: int
    # Long-term memory (memories.py): every memory (there are at most
    # MEMORY_MAX_PER_PERSON), and where memory is switched off.
    memories: list[Memory] = field(default_factory=list)
    memory_off: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeletedCounts:
    """What one "delete all my data" removed."""

    conversations: int = 0
    messages: int = 0
    steps: int = 0
    feedback: int = 0
    usage: int = 0
    files: int = 0
    memories: int = 0


def _read_tree(
    rows: Sequence[tuple[Node, str]], leaf: str | None
) -> tuple[LoadedMessages, list[tuple[str | None, BaseMessage]]]:
    """The branch on screen, and every message with its parent, from stored rows."""
    path = set(active_path([node for node, _ in rows], leaf))
    on_path, tree = LoadedMessages(), []
    for node, payload in rows:
        parsed = LoadedMessages.parse([payload])
        on_path.unreadable += parsed.unreadable
        tree += [(node.parent, message) for message in parsed]
        if node.id in path:
            on_path.extend(parsed)
    return on_path, tree


def new_thread_id() -> str:
    """Conversation ids are made here only: never taken from a URL or a browser."""
    return uuid4().hex


def _toggles(raw: str | None) -> dict[str, bool]:
    """A conversation's stored tool toggles ({} when never changed)."""
    return {str(k): bool(v) for k, v in json.loads(raw).items()} if raw else {}


def normalise_url(url: str) -> str:
    """Accept the common `postgres://` spellings and use psycopg (v3) for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


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
        # ImportError: the URL names a driver that is not installed, a setting to fix.
        except (*_UNAVAILABLE, ImportError) as exc:
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
                # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit
                # survives the app's crash or restart, and only a power cut or an OS crash
                # can roll back the last ones (never corrupting the file). A turn commits
                # three to five times, and under load each FULL commit's fsync took ~7 ms.
                cursor.execute("PRAGMA synchronous=NORMAL")
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
        except _UNAVAILABLE as exc:
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
        return _toggles(raw)

    def set_tool_choice(self, owner: str, thread_id: str, choice: dict[str, bool]) -> None:
        def work(conn: Connection) -> None:
            self._claim(conn, owner, thread_id)
            conn.execute(
                conversations.update()
                .where(conversations.c.id == thread_id)
                .values(tools=as_json(choice))
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
            _, keys = files.delete_files(conn, attachments.c.conversation_id == thread_id)
            conn.execute(passages.delete().where(passages.c.conversation_id == thread_id))
            conn.execute(conversations.delete().where(conversations.c.id == thread_id))
            memory_rows.set_off(conn, owner, thread_id, False)  # its memory switch goes too
            return keys

        # The bucket's objects go once their rows are gone for good (after the commit).
        files.delete_objects(self.blobs, self._run(work))

    # --- messages ---------------------------------------------------------
    def save_messages(
        self,
        owner: str,
        thread_id: str,
        batch: Sequence[BaseMessage],
        *,
        model: str | None = None,
        parents: Mapping[str, str | None] | None = None,
    ) -> None:
        """Store `batch` in order, in one transaction; ids already stored are left as they are.

        A new `thread_id` becomes the owner's conversation; someone else's is refused.
        Each new message continues its entry in `parents` (None: a new first question)
        when that message is stored, else the one before it in `batch`, else the
        conversation's leaf; the last new message becomes the leaf (`branches.py`).
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
            lock = sa.select(conversations.c.title, conversations.c.leaf_id).where(
                conversations.c.id == thread_id
            )
            if self.engine.dialect.name == "postgresql":
                lock = lock.with_for_update()
            title, leaf = conn.execute(lock).one()
            title = title or ""
            if leaf is None:  # never chosen, or deleted: the branch goes on from the newest
                leaf = self._newest_message(conn, thread_id)
            values: dict[str, Any] = {"updated_at": now}
            newest, forked = self._insert_new(conn, thread_id, batch, now, leaf, parents or {})
            if newest is not None:
                values["leaf_id"] = newest
            if forked:
                values["forked"] = 1
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
        conn: Connection,
        thread_id: str,
        batch: Sequence[BaseMessage],
        now: float,
        leaf: str | None,
        parents: Mapping[str, str | None],
    ) -> tuple[str | None, bool]:
        """Insert the messages not stored yet; returns the id of the last one inserted,
        and whether one of them continues anything but the branch being written (a fork)."""
        wanted = {m.id for m in batch} | {p for m in batch if (p := parents.get(m.id or ""))}
        present = set(
            conn.execute(
                sa.select(messages.c.id).where(
                    messages.c.conversation_id == thread_id,
                    messages.c.id.in_(list(wanted)),
                )
            ).scalars()
        )
        seq = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(messages.c.seq), 0)).where(
                messages.c.conversation_id == thread_id
            )
        ).scalar_one()
        calls = tool_calls_by_id(batch)
        previous, inserted, forked = leaf, None, False
        for message in unique_by_id(batch):
            if message.id in present:
                previous = message.id
                continue
            parent = parents.get(message.id or "", previous)
            # Only a stored message can be a parent: one that never arrived (or a bug)
            # falls back to the branch being written, so nothing ends up unreachable.
            parent = parent if parent is None or parent in present else previous
            forked = forked or parent != previous
            seq += 1
            row = message_row(thread_id, message, seq, now, parent)
            conn.execute(messages.insert().values(**row))
            if isinstance(message, ToolMessage):
                conn.execute(steps.insert().values(**step_row(thread_id, message, calls, now)))
            present.add(message.id)
            previous = inserted = message.id
        return inserted, forked

    @staticmethod
    def _newest_message(conn: Connection, thread_id: str) -> str | None:
        return conn.execute(
            sa.select(messages.c.id)
            .where(messages.c.conversation_id == thread_id)
            .order_by(messages.c.seq.desc())
            .limit(1)
        ).scalar()

    def load_messages(self, owner: str, thread_id: str) -> LoadedMessages:
        """The branch on screen (root to the chosen leaf) in order; a row that cannot be
        read is skipped and counted."""

        def work(conn: Connection) -> list[str]:
            leaf = conn.execute(
                sa.select(conversations.c.leaf_id).where(
                    conversations.c.id == thread_id, conversations.c.owner == owner
                )
            ).scalar()
            rows = conn.execute(
                sa.select(messages.c.id, messages.c.parent_id, messages.c.role, messages.c.payload)
                .join(conversations, conversations.c.id == messages.c.conversation_id)
                .where(messages.c.conversation_id == thread_id, conversations.c.owner == owner)
                .order_by(messages.c.seq)
            ).all()
            payloads = {row.id: row.payload for row in rows}
            return [payloads[i] for i in active_path([Node(*row[:3]) for row in rows], leaf)]

        return LoadedMessages.parse(self._read(work))

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
            # A deleted leaf is forgotten: the newest message left ends the branch shown.
            conn.execute(
                conversations.update()
                .where(conversations.c.id == thread_id, conversations.c.leaf_id.in_(ids))
                .values(leaf_id=None)
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

    # --- everything of one owner ---------------------------------------------
    def export_all(
        self,
        owner: str,
        *,
        max_conversations: int = EXPORT_MAX_CONVERSATIONS,
        max_stored_chars: int = EXPORT_MAX_STORED_CHARS,
        max_usage_records: int = EXPORT_MAX_USAGE_RECORDS,
    ) -> OwnerData:
        """The owner's conversations (newest first, as many as fit `max_conversations`
        and `max_stored_chars` of stored messages, and always the newest one) and usage
        records (the newest `max_usage_records`, with totals over all of them). Read in
        one transaction, so the parts agree with each other."""
        if not owner:
            return OwnerData([], 0, [], {}, 0)

        def work(conn: Connection) -> OwnerData:
            stored, left_out = self._conversations_within(
                conn, owner, max_conversations, max_stored_chars
            )
            records, totals = self._usage_of(conn, owner, max_usage_records)
            return OwnerData(
                conversations=stored,
                conversations_left_out=left_out,
                usage=records,
                usage_totals={kind: int(total) for kind, total, _ in totals},
                usage_left_out=sum(int(n) for *_, n in totals) - len(records),
                memories=memory_rows.list_of(conn, owner),
                memory_off=sorted(memory_rows.switched_off(conn, owner)),
            )

        return self._read(work)

    def _conversations_within(
        self, conn: Connection, owner: str, max_conversations: int, max_stored_chars: int
    ) -> tuple[list[StoredConversation], int]:
        """The owner's newest conversations within the caps (the newest always), and how
        many were left out."""
        sizes = conn.execute(
            sa.select(
                *self._summary_columns(),
                sa.func.count(messages.c.id),
                sa.func.coalesce(sa.func.sum(sa.func.length(messages.c.payload)), 0),
                conversations.c.tools,
                conversations.c.model_choice,
                conversations.c.leaf_id,
            )
            .select_from(conversations.outerjoin(messages))
            .where(conversations.c.owner == owner)
            .group_by(conversations.c.id)
            .order_by(conversations.c.updated_at.desc(), conversations.c.id)
        ).all()
        chosen, used = [], 0
        for row in sizes:
            size = int(row[6])
            if chosen and (len(chosen) >= max_conversations or used + size > max_stored_chars):
                break
            chosen.append(row)
            used += size
        found = self._messages_of(conn, [row[0] for row in chosen])
        attached = files.files_of_conversations(conn, owner, [row[0] for row in chosen])
        stored = []
        for row in chosen:
            rows, feedback, comments = found.get(row[0], ([], {}, {}))
            on_path, tree = _read_tree(rows, row[9])
            stored.append(
                StoredConversation(
                    thread=ThreadSummary(*row[:6]),
                    messages=on_path,
                    feedback=feedback,
                    comments=comments,
                    tool_choice=_toggles(row[7]),
                    model_choice=row[8],
                    tree=tree,
                    files=attached.get(row[0], []),
                )
            )
        return stored, len(sizes) - len(chosen)

    @staticmethod
    def _usage_of(
        conn: Connection, owner: str, max_records: int
    ) -> tuple[list[UsageRecord], list[Any]]:
        """The owner's newest usage records, and (kind, total, count) over all of them."""
        mine = usage.c.owner == owner
        totals = conn.execute(
            sa.select(usage.c.kind, sa.func.sum(usage.c.amount), sa.func.count())
            .where(mine)
            .group_by(usage.c.kind)
        ).all()
        records = conn.execute(
            sa.select(usage.c.kind, usage.c.amount, usage.c.at)
            .where(mine)
            .order_by(usage.c.at.desc(), usage.c.id.desc())
            .limit(max_records)
        ).all()
        return [UsageRecord(*record) for record in records], list(totals)

    @staticmethod
    def _messages_of(
        conn: Connection, thread_ids: list[str]
    ) -> dict[str, tuple[list[tuple[Node, str]], dict[str, int], dict[str, str]]]:
        """(tree node, payload) of every message in storage order, feedback and comments,
        by conversation; the caller has checked that every id in `thread_ids` is the
        owner's."""
        found: dict[str, tuple[list[tuple[Node, str]], dict[str, int], dict[str, str]]] = {}
        # In chunks: a bound parameter per id, and SQLite allows a limited number.
        for start in range(0, len(thread_ids), 500):
            rows = conn.execute(
                sa.select(
                    messages.c.conversation_id,
                    messages.c.id,
                    messages.c.parent_id,
                    messages.c.role,
                    messages.c.payload,
                    messages.c.feedback,
                    messages.c.feedback_comment,
                )
                .where(messages.c.conversation_id.in_(thread_ids[start : start + 500]))
                .order_by(messages.c.conversation_id, messages.c.seq)
            )
            for row in rows:
                payloads, feedback, comments = found.setdefault(row[0], ([], {}, {}))
                payloads.append((Node(row.id, row.parent_id, row.role), row.payload))
                if row.feedback is not None:
                    feedback[row.id] = row.feedback
                    if row.feedback_comment:
                        comments[row.id] = row.feedback_comment
        return found

    def delete_all(self, owner: str, *, keep_usage_since: float | None = None) -> DeletedCounts:
        """Every conversation of `owner` (messages, steps, feedback, choices), their usage
        records and memories, in one transaction: all of it goes or, on any failure, none
        of it. Usage records from `keep_usage_since` on are kept when given (limits still
        count them).
        Nobody else's rows are touched: each delete is keyed by this owner."""
        if not owner:
            return DeletedCounts()

        def work(conn: Connection) -> DeletedCounts:
            mine = sa.select(conversations.c.id).where(conversations.c.owner == owner)
            in_mine = messages.c.conversation_id.in_(mine)
            feedback = conn.execute(
                sa.select(sa.func.count()).where(in_mine, messages.c.feedback.is_not(None))
            ).scalar_one()
            # Explicit deletes, children first, rather than relying on each backend's cascade.
            deleted_steps = conn.execute(
                steps.delete().where(steps.c.conversation_id.in_(mine))
            ).rowcount
            conn.execute(passages.delete().where(passages.c.conversation_id.in_(mine)))
            deleted_messages = conn.execute(messages.delete().where(in_mine)).rowcount
            deleted_files, keys = files.delete_files(conn, attachments.c.owner == owner)
            deleted_conversations = conn.execute(
                conversations.delete().where(conversations.c.owner == owner)
            ).rowcount
            which = usage.c.owner == owner
            if keep_usage_since is not None:
                which = sa.and_(which, usage.c.at < keep_usage_since)
            deleted_usage = conn.execute(usage.delete().where(which)).rowcount
            deleted_memories = memory_rows.delete_all_of(conn, owner)
            counts = DeletedCounts(
                conversations=deleted_conversations,
                messages=deleted_messages,
                steps=deleted_steps,
                feedback=int(feedback),
                usage=deleted_usage,
                files=deleted_files,
                memories=deleted_memories,
            )
            return counts, keys

        counts, keys = self._run(work)
        files.delete_objects(self.blobs, keys)
        return counts

    # --- search -------------------------------------------------------------
    def search(self, owner: str, query: str, limit: int = 20) -> list[SearchHit]:
        """The owner's messages (or, where none matched, titles) containing every word of
        `query` (a word also matches as the start of a longer one), newest conversation
        first, then in conversation order."""
        words = search_words(query)
        if not owner or not words:
            return []
        sql, match = search_query(self.engine.dialect.name, words)
        params = {"owner": owner, "match": match, "limit": limit}
        rows = self._read(lambda conn: conn.execute(sa.text(sql), params).all())
        return hits_from(rows, words)

    # --- usage, for per-owner limits shared by every app instance ---------
    def record_usage(
        self, owner: str, kind: str, amount: int = 1, also_under: Sequence[str] = ()
    ) -> None:
        """Count `amount` of `kind` for `owner`, and under each of the shared counter keys
        `also_under` (never anyone's conversations), in one transaction."""
        now = time.time()
        rows = [
            {"owner": key, "kind": kind, "amount": amount, "at": now}
            for key in (owner, *also_under)
        ]
        self._run(lambda conn: conn.execute(usage.insert(), rows))

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

    # --- branches (schema 8, `branches.py`) -------------------------------------
    def _nodes(
        self, conn: Connection, owner: str, thread_id: str, questions_only: bool = False
    ) -> list[Node]:
        query = (
            sa.select(messages.c.id, messages.c.parent_id, messages.c.role)
            .join(conversations, conversations.c.id == messages.c.conversation_id)
            .where(messages.c.conversation_id == thread_id, conversations.c.owner == owner)
            .order_by(messages.c.seq)
        )
        if questions_only:
            query = query.where(messages.c.role == "user")
        return [Node(*row) for row in conn.execute(query).all()]

    def branches(self, owner: str, thread_id: str) -> dict[str, tuple[str, ...]]:
        """Each question that has other versions (Regenerate, Edit & resend): all of
        them, oldest first ({} for a conversation without any). Read on every rerun, so
        only the questions' rows are."""
        return self._read(
            lambda conn: sibling_groups(self._nodes(conn, owner, thread_id, questions_only=True))
        )

    def choose_branch(self, owner: str, thread_id: str, message_id: str) -> bool:
        """Show the branch through `message_id`, to its newest message; False when the
        conversation has no such message (then nothing changes)."""

        def work(conn: Connection) -> bool:
            self._require(conn, owner, thread_id)
            nodes = self._nodes(conn, owner, thread_id)
            if all(node.id != message_id for node in nodes):
                return False
            conn.execute(
                conversations.update()
                .where(conversations.c.id == thread_id)
                .values(leaf_id=newest_leaf_under(nodes, message_id))
            )
            return True

        return self._run(work)

    def message_tree(self, owner: str, thread_id: str) -> list[tuple[str | None, BaseMessage]]:
        """Every message of every branch, in storage order, each with the id of the
        message it continues (for exports)."""

        def work(conn: Connection) -> list[tuple[Node, str]]:
            rows = conn.execute(
                sa.select(messages.c.id, messages.c.parent_id, messages.c.role, messages.c.payload)
                .join(conversations, conversations.c.id == messages.c.conversation_id)
                .where(messages.c.conversation_id == thread_id, conversations.c.owner == owner)
                .order_by(messages.c.seq)
            ).all()
            return [(Node(*row[:3]), row.payload) for row in rows]

        return _read_tree(self._read(work), None)[1]

    # --- files attached to questions (store/files.py) -------------------------------
    # Where their bytes go: None keeps them in the database; a bucket (blobs.S3Blobs) is
    # set by the page's resources when STREAMLIT_AGENT_FILES_BUCKET is configured.
    blobs: Blobs | None = None

    def save_files(
        self, owner: str, thread_id: str, message_id: str, batch: Sequence[files.NewFile]
    ) -> list[files.FileInfo]:
        """Keep `batch` as the files of question `message_id`; a new `thread_id` becomes the
        owner's conversation, someone else's is refused (ThreadNotFound)."""
        if not batch:
            return []
        try:
            named = files.put_blobs(self.blobs, thread_id, batch)
        except BucketError as exc:
            raise StoreError(str(exc)) from None
        location = self.blobs.location if self.blobs is not None else IN_DATABASE

        def work(conn: Connection) -> list[files.FileInfo]:
            self._claim(conn, owner, thread_id)
            return files.insert_files(conn, owner, thread_id, message_id, named, location)

        try:
            return self._run(work)
        except BaseException:
            # The rows were not written: the objects uploaded for them would be orphans.
            files.delete_objects(self.blobs, (f"{thread_id}/{i}" for i, _ in named))
            raise

    def files_of(self, owner: str, thread_id: str, with_text: bool = True) -> list[files.FileInfo]:
        """The conversation's files, oldest first, without their bytes (thumbnails kept)."""
        return self._read(lambda conn: files.files_of(conn, owner, thread_id, with_text))

    def file_data(self, owner: str, thread_id: str, file_id: str) -> bytes:
        """A file's bytes; ThreadNotFound for a file that is not this owner's."""
        row = self._read(lambda conn: files.file_row(conn, owner, thread_id, file_id))
        if row is None:
            raise ThreadNotFound
        if row.location == IN_DATABASE:
            return bytes(row.data)
        if self.blobs is None:
            raise StoreError("a file is kept in a bucket, and no bucket is configured")
        try:
            return self.blobs.get(object_key(files.bucket_prefix(self.blobs), thread_id, file_id))
        except BucketError as exc:
            raise StoreError(str(exc)) from None

    def files_used(self, owner: str, thread_id: str) -> tuple[int, int]:
        """Bytes of files kept: (in this conversation, of this owner in all)."""
        return self._read(lambda conn: files.bytes_used(conn, owner, thread_id))

    # --- long-term memory (memories.py), every call keyed by the owner ---------
    def memories(self, owner: str) -> list[Memory]:
        """The owner's memories, most recently written first."""
        if not owner:
            return []
        return self._read(lambda conn: memory_rows.list_of(conn, owner))

    def add_memory(self, owner: str, text: str) -> Memory:
        """Keep `text` for `owner`. Raises MemoryRefused (a ValueError saying why) for
        text that is empty or too long, or when the owner's memory is full."""
        if not owner:
            raise ThreadNotFound
        return self._run(lambda conn: memory_rows.add(conn, owner, text))

    def update_memory(self, owner: str, memory_id: str, text: str) -> Memory | None:
        """New text for the owner's memory; None when the owner has no such memory
        (someone else's looks missing). Raises MemoryRefused for unusable text."""
        if not owner:
            return None
        return self._run(lambda conn: memory_rows.update(conn, owner, memory_id, text))

    def delete_memory(self, owner: str, memory_id: str) -> bool:
        """Forget the owner's memory; False when the owner has no such memory."""
        if not owner:
            return False
        return self._run(lambda conn: memory_rows.delete(conn, owner, memory_id))

    def memory_switched_off(self, owner: str) -> set[str]:
        """Where the owner switched memory off: conversation ids and/or `EVERYWHERE`."""
        if not owner:
            return set()
        return self._read(lambda conn: memory_rows.switched_off(conn, owner))

    def set_memory_off(self, owner: str, scope: str, off: bool) -> None:
        """Memory off (or on again) in the owner's conversation `scope`, or everywhere
        (`memories.EVERYWHERE`). A scope names a conversation only within the owner's
        rows, so an id of someone else's changes nothing of theirs."""
        if not owner or not scope or len(scope) > 64:
            raise ThreadNotFound
        self._run(lambda conn: memory_rows.set_off(conn, owner, scope, off))

    # --- the passages of a conversation's documents (store/passages.py) ------------
    def add_passages(
        self,
        owner: str,
        thread_id: str,
        file_id: str,
        name: str,
        pieces: Sequence[tuple[str, str]],
    ) -> int:
        """Index a document's (label, text) passages in `thread_id`, replacing any indexed
        before under `file_id`. A new `thread_id` becomes the owner's conversation (a file
        may come before the first question); someone else's is refused. Returns the count."""
        now = time.time()
        rows = [
            {
                "conversation_id": thread_id,
                "file_id": file_id,
                "name": storable(name),
                "seq": seq,
                "label": storable(label),
                "body": storable(text),
                "created_at": now,
            }
            for seq, (label, text) in enumerate(pieces)
        ]

        def work(conn: Connection) -> int:
            self._claim(conn, owner, thread_id)
            mine = sa.and_(passages.c.conversation_id == thread_id, passages.c.file_id == file_id)
            conn.execute(passages.delete().where(mine))
            if rows:
                conn.execute(passages.insert(), rows)
            return len(rows)

        return int(self._run(work))

    def delete_passages(self, owner: str, thread_id: str, file_id: str) -> None:
        def work(conn: Connection) -> None:
            self._require(conn, owner, thread_id)
            conn.execute(
                passages.delete().where(
                    passages.c.conversation_id == thread_id, passages.c.file_id == file_id
                )
            )

        self._run(work)

    def search_passages(
        self, owner: str, thread_id: str, query: str, limit: int = 5
    ) -> list[PassageHit]:
        """The passages of `thread_id`'s documents best matching any word of `query`;
        nothing for a conversation that is not the owner's."""
        words = passage_words(query)
        if not owner or not words:
            return []
        sql, match = passage_query(self.engine.dialect.name, words)
        params = {"owner": owner, "thread": thread_id, "match": match, "limit": limit}
        return hits(self._read(lambda conn: conn.execute(sa.text(sql), params).all()))

    def read_passages(
        self, owner: str, thread_id: str, file_id: str, label: str, limit: int = 20
    ) -> list[PassageHit]:
        """The passages of one page or section (`label`) of one document, in order."""

        def work(conn: Connection) -> list[Any]:
            self._require(conn, owner, thread_id)
            query = (
                sa.select(passages.c.file_id, passages.c.name, passages.c.seq, passages.c.label,
                          passages.c.body)
                .where(passages.c.conversation_id == thread_id, passages.c.file_id == file_id,
                       passages.c.label == label)
                .order_by(passages.c.seq)
                .limit(limit)
            )  # fmt: skip
            return list(conn.execute(query).all())

        return hits(self._read(work))

    def documents(self, owner: str, thread_id: str) -> list[DocumentSummary]:
        """The documents indexed in `thread_id`, in the order they were attached."""

        def work(conn: Connection) -> list[Any]:
            self._require(conn, owner, thread_id)
            query = (
                sa.select(passages.c.file_id, passages.c.name, passages.c.label)
                .where(passages.c.conversation_id == thread_id)
                .order_by(passages.c.id)
            )
            return list(conn.execute(query).all())

        rows = self._read(work)
        names = {row.file_id: row.name for row in rows}
        labels: dict[str, list[str]] = {file_id: [] for file_id in names}
        counts = dict.fromkeys(names, 0)
        for row in rows:
            counts[row.file_id] += 1
            if not labels[row.file_id] or labels[row.file_id][-1] != row.label:
                labels[row.file_id].append(row.label)
        return [DocumentSummary(f, names[f], counts[f], tuple(labels[f])) for f in names]
