"""The conversation store's tables, and the rows written to them.

- `conversations`: id (the `?thread=` in the URL, made by the server), owner, title,
  model, tool toggles, the model picked for it, created/updated times.
- `messages`: every chat message in order. `payload` is LangChain's own message dict as
  ASCII-only JSON, so NUL characters and lone surrogates round-trip unchanged on every
  backend; `content` is a readable copy for people looking at the database.
- `steps`: one row per tool call (tool, input, output, error, status, duration), derived
  from the messages so the data can be queried without parsing payloads.
- `usage`: per-owner events (messages sent, tokens spent) for limits that hold across
  several app instances.
- Branches (schema 8): each message's `parent_id` and each conversation's `leaf_id`
  make a tree of versions (Regenerate, Edit & resend); see `branches.py`.
- `server_secrets` (schema 6): keys this server signs with (the anonymous identity
  cookie), made once by whichever instance asks first and shared by all of them.
- `attachments` (schema 9): files attached to a question, keyed in their conversation;
  the bytes in `data`, or in an S3-compatible bucket (`location` "s3", `store/blobs.py`);
  a small PNG `thumbnail` for images; `text`, what was read from the file.
- `memories` (schema 7): long-term memory, facts kept per owner across conversations
  (`memories.py`); `memory_off`: where an owner switched memory off, one row per
  conversation (its id) or for all of them ("*").
- `passages` (schema 10): the text of the documents attached to a conversation, cut
  into passages (`files/passages.py`), each with its file and page or section label;
  searched like messages (`store/passages.py`) and deleted with the conversation.
- `schema_version`: applied migrations (`migrations/`); a database written by a newer
  version is refused rather than damaged.
- Search (schema 5): objects `metadata` cannot describe, see `search.py`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    message_to_dict,
)

from streamlit_agent.safety.plain_text import message_text, storable

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
    sa.Column("leaf_id", sa.String(64)),  # schema 8: the branch on screen ends here
    # Schema 8: 1 once a message was added beside another (the conversation may have
    # branches); 0 means one straight line, which search need not walk.
    sa.Column("forked", sa.Integer, nullable=False, default=0, server_default="0"),
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
    sa.Column("parent_id", sa.String(64)),  # schema 8: the message this one continues
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

attachments = sa.Table(
    "attachments",
    metadata,
    *_keyed_in_conversation("id"),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # order among the question's files
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("location", sa.String(16), nullable=False),  # "db" | "s3"
    sa.Column("data", sa.LargeBinary),  # the bytes, when location is "db"
    sa.Column("thumbnail", sa.LargeBinary),  # a small PNG the page draws, for images
    sa.Column("text", sa.Text),  # what was read from the file, for exports and search
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_attachments_owner", "owner"),
    sa.Index("ix_attachments_message", "conversation_id", "message_id"),
)

memories = sa.Table(
    "memories",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_memories_owner", "owner", "updated_at"),
)

memory_off = sa.Table(
    "memory_off",
    metadata,
    sa.Column("owner", sa.String(255), primary_key=True),
    # A conversation id, or "*" for every conversation; the row's presence means off.
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

passages = sa.Table(
    "passages",
    metadata,
    # An INTEGER PRIMARY KEY: on SQLite the full-text table's rows are keyed by it.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("file_id", sa.String(64), nullable=False),
    sa.Column("name", sa.Text, nullable=False),  # the file's name as attached (untrusted)
    sa.Column("seq", sa.Integer, nullable=False),  # reading order within the file
    sa.Column("label", sa.Text, nullable=False),  # "page 3", "section: Results", ...
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("conversation_id", "file_id", "seq", name="uq_passages_order"),
)


# --- rows -------------------------------------------------------------------------------


def title_from(text: str) -> str:
    """A conversation title from its first question: one line, at most TITLE_MAX_CHARS."""
    line = " ".join(storable(text).split())
    if len(line) > TITLE_MAX_CHARS:
        line = line[: TITLE_MAX_CHARS - 1].rstrip() + "…"
    return line


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, default=str)


def _role(message: BaseMessage) -> str:
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ToolMessage):
        return "tool"
    return message.type


def unique_by_id(batch: Sequence[BaseMessage]) -> list[BaseMessage]:
    seen: set[str] = set()
    out = []
    for message in batch:
        if message.id not in seen:
            seen.add(message.id or "")
            out.append(message)
    return out


def tool_calls_by_id(batch: Sequence[BaseMessage]) -> dict[str, dict[str, Any]]:
    return {
        call["id"]: call
        for m in batch
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call.get("id")
    }


def message_row(
    thread_id: str, message: BaseMessage, seq: int, now: float, parent_id: str | None = None
) -> dict[str, Any]:
    meta = getattr(message, "response_metadata", {}) or {}
    status = meta.get("status") or meta.get("step_status")
    spent = meta.get("usage")
    return {
        "conversation_id": thread_id,
        "id": message.id,
        "seq": seq,
        "parent_id": parent_id,
        "role": _role(message),
        "content": storable(message_text(message.content)),
        "payload": as_json(message_to_dict(message)),
        "status": status,
        "model": meta.get("model_name"),
        "usage": as_json(spent) if spent else None,
        "created_at": now,
    }


def step_row(
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
        "input": storable(as_json(args)),
        "output": storable(str(meta.get("full_output") or message_text(message.content))),
        "error": storable(meta["error"]) if meta.get("error") else None,
        "status": meta.get("step_status", "ok"),
        "duration_s": meta.get("duration_s"),
        "created_at": now,
    }
