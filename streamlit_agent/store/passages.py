"""Full-text search over the passages of a conversation's documents.

The same machinery as conversation search (`search.py`): on SQLite an FTS5 table
`passage_text` keyed by `passages.id`, kept in step by triggers; on PostgreSQL a GIN
index on a generated `tsvector` column (`to_tsvector('simple', body)`). Typed text
never reaches either query syntax: only its words (letters and digits) do. Unlike
message search, any word may match (a question's words are not all in the passage that
answers it) and the best-ranked passages come first: BM25 on SQLite, `ts_rank` on
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from streamlit_agent.store.search import _WORD

PASSAGE_QUERY_WORDS = 16
# Words that say nothing about which passage is meant; dropped when others remain.
_FILLER_WORDS = (
    "a an and are as at be by can could did do does for from how i in is it its me my of "
    "on or say says said tell that the their there this to was were what when where which "
    "who why will with you your about document documents file files page pages attached "
    "attachment uploaded according"
)
_FILLER = frozenset(_FILLER_WORDS.split())


@dataclass(frozen=True)
class PassageHit:
    """One passage of a document attached to the conversation."""

    file_id: str
    name: str
    seq: int
    label: str
    text: str


@dataclass(frozen=True)
class DocumentSummary:
    """A document of the conversation: its file, name, passage count and its labels in
    reading order (pages or sections)."""

    file_id: str
    name: str
    passages: int
    labels: tuple[str, ...]


def passage_words(query: str) -> list[str]:
    """The words of `query` worth matching: lower-cased letters and digits, filler
    dropped unless nothing else is left."""
    words = list(dict.fromkeys(w[:64] for w in _WORD.findall(query.lower())))
    meaningful = [w for w in words if w not in _FILLER]
    return (meaningful or words)[:PASSAGE_QUERY_WORDS]


# --- the objects, made by migration 10 and on a new database ------------------------------
# Released as schema 10: a change to them is a new migration, not an edit here.
_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE passage_text USING fts5(body, tokenize='unicode61 remove_diacritics 0')",
    """CREATE TRIGGER passage_added AFTER INSERT ON passages BEGIN
        INSERT INTO passage_text (rowid, body) VALUES (new.id, new.body);
    END""",
    """CREATE TRIGGER passage_removed AFTER DELETE ON passages BEGIN
        DELETE FROM passage_text WHERE rowid = old.id;
    END""",
)
# PostgreSQL: the words stored once per passage (a generated column), so neither the
# match nor the ranking parses a passage again at query time.
_POSTGRESQL_DDL = (
    "ALTER TABLE passages ADD COLUMN body_words tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
    "CREATE INDEX ix_passages_search ON passages USING GIN (body_words)",
)


def create_passage_search(conn: Connection) -> None:
    ddl = _POSTGRESQL_DDL if conn.dialect.name == "postgresql" else _SQLITE_DDL
    for statement in ddl:
        conn.exec_driver_sql(statement)


# --- the queries: only the owner's conversation, best passages first --------------------
_SQLITE_SEARCH = """
SELECT p.file_id, p.name, p.seq, p.label, p.body
FROM passage_text
JOIN passages p ON p.id = passage_text.rowid
JOIN conversations c ON c.id = p.conversation_id
WHERE passage_text MATCH :match AND p.conversation_id = :thread AND c.owner = :owner
ORDER BY bm25(passage_text), p.file_id, p.seq
LIMIT :limit
"""
_POSTGRESQL_SEARCH = """
SELECT p.file_id, p.name, p.seq, p.label, p.body
FROM passages p JOIN conversations c ON c.id = p.conversation_id
WHERE p.conversation_id = :thread AND c.owner = :owner
  AND p.body_words @@ to_tsquery('simple', :match)
ORDER BY ts_rank(p.body_words, to_tsquery('simple', :match)) DESC, p.file_id, p.seq
LIMIT :limit
"""


def passage_query(dialect: str, words: Sequence[str]) -> tuple[str, str]:
    """The SQL for `dialect` and its `:match`: any of `words`, each also matching as the
    start of a longer word. Each word is letters and digits only, quoted."""
    if dialect == "postgresql":
        return _POSTGRESQL_SEARCH, " | ".join(f"'{w}':*" for w in words)
    return _SQLITE_SEARCH, " OR ".join(f'"{w}"*' for w in words)


def hits(rows: Sequence[Any]) -> list[PassageHit]:
    return [PassageHit(r.file_id, r.name, r.seq, r.label, r.body) for r in rows]
