"""Attached files in the store: their rows (`schema.attachments`), and their bytes in the
row or in a bucket (`blobs.py`). Every function takes the owner and reads or writes only
that owner's rows; `database.ConversationStore` calls them inside its transactions.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streamlit_agent.store.blobs import IN_DATABASE, Blobs, object_key
from streamlit_agent.store.schema import attachments, conversations


@dataclass(frozen=True)
class NewFile:
    """A file to keep: its name (as the person's computer named it), kind (decided by its
    content, `files/kinds.py`), bytes, thumbnail (PNG, images only) and text read from it."""

    name: str
    kind: str
    data: bytes
    thumbnail: bytes | None = None
    text: str | None = None


@dataclass(frozen=True)
class FileInfo:
    """What is drawn and exported of a kept file (its bytes stay in the store)."""

    id: str
    message_id: str
    name: str
    kind: str
    size: int
    sha256: str
    created_at: float
    thumbnail: bytes | None = None
    text: str | None = None


def new_file_id() -> str:
    return uuid4().hex


def put_blobs(
    blobs: Blobs | None, thread_id: str, files: Sequence[NewFile]
) -> list[tuple[str, NewFile]]:
    """Give each file its id and, with a bucket, upload it (before its row is written, so
    a row never names a missing object); returns (id, file) pairs."""
    named = [(new_file_id(), f) for f in files]
    if blobs is not None:
        for file_id, f in named:
            blobs.put(object_key(bucket_prefix(blobs), thread_id, file_id), f.data)
    return named


def bucket_prefix(blobs: Blobs) -> str:
    return str(getattr(blobs, "prefix", ""))


def insert_files(
    conn: Connection,
    owner: str,
    thread_id: str,
    message_id: str,
    named: Sequence[tuple[str, NewFile]],
    location: str,
) -> list[FileInfo]:
    now = time.time()
    kept = []
    for position, (file_id, f) in enumerate(named):
        digest = hashlib.sha256(f.data).hexdigest()
        row = {
            "conversation_id": thread_id,
            "id": file_id,
            "owner": owner,
            "message_id": message_id,
            "position": position,
            "name": f.name,
            "kind": f.kind,
            "size": len(f.data),
            "sha256": digest,
            "location": location,
            "data": f.data if location == IN_DATABASE else None,
            "thumbnail": f.thumbnail,
            "text": f.text,
            "created_at": now,
        }
        conn.execute(attachments.insert().values(**row))
        kept.append(
            FileInfo(
                file_id, message_id, f.name, f.kind, len(f.data), digest, now, f.thumbnail, f.text
            )
        )
    return kept


_INFO_COLUMNS = (
    attachments.c.id,
    attachments.c.message_id,
    attachments.c.name,
    attachments.c.kind,
    attachments.c.size,
    attachments.c.sha256,
    attachments.c.created_at,
    attachments.c.thumbnail,
    attachments.c.text,
)


def _mine(owner: str, thread_id: str) -> sa.ColumnElement[bool]:
    """The owner check of every file read: the row's owner and its conversation's."""
    owned = sa.select(conversations.c.id).where(
        conversations.c.id == thread_id, conversations.c.owner == owner
    )
    return sa.and_(
        attachments.c.conversation_id == thread_id,
        attachments.c.owner == owner,
        attachments.c.conversation_id.in_(owned),
    )


def files_of(
    conn: Connection, owner: str, thread_id: str, with_text: bool = True
) -> list[FileInfo]:
    """The conversation's files; `with_text=False` leaves the (possibly long) text out."""
    columns = _INFO_COLUMNS if with_text else (*_INFO_COLUMNS[:-1], sa.null())
    rows = conn.execute(
        sa.select(*columns)
        .where(_mine(owner, thread_id))
        .order_by(attachments.c.created_at, attachments.c.position)
    ).all()
    return [FileInfo(*row) for row in rows]


def file_row(conn: Connection, owner: str, thread_id: str, file_id: str) -> sa.Row | None:
    return conn.execute(
        sa.select(attachments.c.location, attachments.c.data).where(
            _mine(owner, thread_id), attachments.c.id == file_id
        )
    ).first()


def bytes_used(conn: Connection, owner: str, thread_id: str) -> tuple[int, int]:
    """(bytes of files in this conversation, bytes of all the owner's files)."""
    total = sa.func.coalesce(sa.func.sum(attachments.c.size), 0)
    mine = conn.execute(sa.select(total).where(attachments.c.owner == owner)).scalar_one()
    here = conn.execute(sa.select(total).where(_mine(owner, thread_id))).scalar_one()
    return int(here), int(mine)


def delete_files(conn: Connection, which: sa.ColumnElement[bool]) -> tuple[int, list[str]]:
    """Delete the rows `which` selects; (how many, the bucket keys to delete after the
    transaction commits, without their prefix)."""
    in_bucket = conn.execute(
        sa.select(attachments.c.conversation_id, attachments.c.id).where(
            which, attachments.c.location != IN_DATABASE
        )
    ).all()
    deleted = conn.execute(attachments.delete().where(which)).rowcount
    return deleted, [f"{c}/{i}" for c, i in in_bucket]


def delete_objects(blobs: Blobs | None, keys: Iterable[str]) -> None:
    keys = list(keys)
    if blobs is not None and keys:
        blobs.delete(bucket_prefix(blobs) + k for k in keys)


def files_of_conversations(
    conn: Connection, owner: str, thread_ids: Sequence[str]
) -> dict[str, list[FileInfo]]:
    """The owner's files in these conversations, for an export: no thumbnails."""
    found: dict[str, list[FileInfo]] = {}
    for start in range(0, len(thread_ids), 500):  # bound the IN list
        rows = conn.execute(
            sa.select(attachments.c.conversation_id, *_INFO_COLUMNS)
            .where(
                attachments.c.owner == owner,
                attachments.c.conversation_id.in_(thread_ids[start : start + 500]),
            )
            .order_by(attachments.c.created_at, attachments.c.position)
        ).all()
        for row in rows:
            info = FileInfo(*row[1:])
            found.setdefault(row[0], []).append(FileInfo(**{**info.__dict__, "thumbnail": None}))
    return found
