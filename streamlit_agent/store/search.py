"""Full-text search over message texts and titles, with no extra service.

On SQLite an FTS5 table `search_text`, with `search_rows` mapping its rows to
(conversation, message) and triggers keeping both in step with every write; on
PostgreSQL GIN indexes on `to_tsvector('simple', …)` of the same columns. Typed text
never reaches either query syntax: only its words (letters and digits) do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from streamlit_agent.safety.plain_text import storable

SEARCH_MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+")  # letters and digits: "_" separates words, as in FTS5
_SNIPPET_CHARS = 120


@dataclass(frozen=True)
class SearchHit:
    """A conversation whose title (`message_id` None) or one of whose messages matched."""

    thread_id: str
    title: str
    message_id: str | None
    role: str | None
    snippet: str
    updated_at: float


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


# --- the objects search reads, made by migration 5 and on a new database ----------------
# Released as schema 5: a change to them is a new migration, not an edit here.

# SQLite: one FTS5 table for message texts and titles. Its rows are keyed by
# `search_rows.id` (an INTEGER PRIMARY KEY, which VACUUM never renumbers, unlike the
# implicit rowids of `messages` and `conversations`); message_id '' is the title.
_SQLITE_DDL = (
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
_POSTGRESQL_DDL = (
    "CREATE INDEX ix_messages_search ON messages USING GIN (to_tsvector('simple', content))",
    "CREATE INDEX ix_conversations_search ON conversations "
    "USING GIN (to_tsvector('simple', title))",
)


def create_search(conn: Connection) -> None:
    """Make the search objects, indexing the rows already there."""
    ddl = _POSTGRESQL_DDL if conn.dialect.name == "postgresql" else _SQLITE_DDL
    for statement in ddl:
        conn.exec_driver_sql(statement)


# --- the queries --------------------------------------------------------------------------

# The messages on each of the owner's branches on screen (schema 8, `branches.py`): from
# each conversation's leaf (or, where none was chosen, its newest message) up through the
# parents. A message of a branch not on screen is never a hit; its conversation's title
# still is. The walk follows the primary key (conversation_id, id), one step per message,
# and only in conversations that ever forked (in the others every message is on screen)
# and have a message that matches (`{matching}`, the conversation ids, per backend).
_ACTIVE = """
WITH RECURSIVE active(conversation_id, id) AS (
  SELECT c.id, COALESCE(c.leaf_id, (SELECT n.id FROM messages n
      WHERE n.conversation_id = c.id ORDER BY n.seq DESC LIMIT 1))
  FROM conversations c WHERE c.owner = :owner AND c.forked = 1 AND c.id IN ({matching})
  UNION
  SELECT p.conversation_id, p.parent_id FROM messages p
  JOIN active a ON p.conversation_id = a.conversation_id AND p.id = a.id
  WHERE p.parent_id IS NOT NULL
)"""

# Both return one row per matching title or message: newest conversation first, then
# the conversation's messages in order (its title first).
_SQLITE_SEARCH = (
    _ACTIVE.format(
        matching="SELECT w.conversation_id FROM search_text "
        "JOIN search_rows w ON w.id = search_text.rowid WHERE search_text MATCH :match"
    )
    + """
SELECT r.conversation_id AS thread_id, c.title, r.message_id, m.role, m.content AS body,
       c.updated_at
FROM search_text
JOIN search_rows r ON r.id = search_text.rowid
JOIN conversations c ON c.id = r.conversation_id
LEFT JOIN messages m ON m.conversation_id = r.conversation_id AND m.id = r.message_id
LEFT JOIN active a ON a.conversation_id = r.conversation_id AND a.id = r.message_id
WHERE search_text MATCH :match AND c.owner = :owner
  AND EXISTS (SELECT 1 FROM messages e WHERE e.conversation_id = c.id)
  AND (r.message_id = '' OR c.forked = 0 OR a.id IS NOT NULL)
ORDER BY c.updated_at DESC, COALESCE(m.seq, 0)
LIMIT :limit
"""
)
_POSTGRESQL_SEARCH = (
    _ACTIVE.format(
        matching="SELECT w.conversation_id FROM messages w "
        "WHERE to_tsvector('simple', w.content) @@ to_tsquery('simple', :match)"
    )
    + """
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
  LEFT JOIN active a ON a.conversation_id = m.conversation_id AND a.id = m.id
  WHERE c.owner = :owner AND (c.forked = 0 OR a.id IS NOT NULL)
    AND to_tsvector('simple', m.content) @@ to_tsquery('simple', :match)
) hits
ORDER BY updated_at DESC, seq
LIMIT :limit
"""
)


def search_query(dialect: str, words: Sequence[str]) -> tuple[str, str]:
    """The SQL for `dialect` and its `:match` parameter: every word, each also matching
    as the start of a longer one."""
    if dialect == "postgresql":
        # Each word is letters and digits only, quoted: nothing typed can break the syntax.
        return _POSTGRESQL_SEARCH, " & ".join(f"'{w}':*" for w in words)
    return _SQLITE_SEARCH, " ".join(f'"{w}"*' for w in words)


def hits_from(rows: Sequence[Any], words: Sequence[str]) -> list[SearchHit]:
    """The query's rows as hits, with snippets around `words`."""
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
