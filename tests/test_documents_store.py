"""The passage index of a conversation's documents, on SQLite and PostgreSQL: search,
reading a page, owner and conversation checks, deletion, migration."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from streamlit_agent.store.database import ConversationStore, ThreadNotFound
from streamlit_agent.store.owned import Conversations
from streamlit_agent.store.passages import passage_words
from tests import test_store
from tests.test_store import OWNER, STRANGER, V1_SQLITE, a_turn

# The store tests' fixtures (both backends), found by pytest under these names.
make_store = test_store.make_store
pg_schema = test_store.pg_schema
sqlite_file = test_store.sqlite_file

REPORT = [
    ("page 1", "Annual report of the Tern Valley cooperative. Members: 412."),
    ("page 2", "The budget for 2027 is 81,500 euros, mostly for the new cold store."),
    ("page 3", "Risks: late frost, and the price of diesel."),
]


def test_passages_are_found_by_any_word_best_first_and_read_by_page(make_store):
    store = make_store()
    assert store.add_passages(OWNER, "t1", "f1", "report.pdf", REPORT) == 3
    store.add_passages(OWNER, "t1", "f2", "notes.md", [("section: Frost", "Frost came late.")])
    found = store.search_passages(OWNER, "t1", "What is the budget for the cold store?")
    assert (found[0].name, found[0].label) == ("report.pdf", "page 2")
    assert "81,500 euros" in found[0].text
    frost = store.search_passages(OWNER, "t1", "frost")
    assert {(h.name, h.label) for h in frost} == {
        ("report.pdf", "page 3"),
        ("notes.md", "section: Frost"),
    }
    page = store.read_passages(OWNER, "t1", "f1", "page 3")
    assert [p.text for p in page] == [REPORT[2][1]]
    docs = store.documents(OWNER, "t1")
    assert [(d.name, d.passages, d.labels) for d in docs] == [
        ("report.pdf", 3, ("page 1", "page 2", "page 3")),
        ("notes.md", 1, ("section: Frost",)),
    ]


def test_indexing_a_file_again_replaces_its_passages(make_store):
    store = make_store()
    store.add_passages(OWNER, "t1", "f1", "report.pdf", REPORT)
    store.add_passages(OWNER, "t1", "f1", "report.pdf", [("page 1", "Only the summary now.")])
    assert store.search_passages(OWNER, "t1", "budget") == []
    assert [h.text for h in store.search_passages(OWNER, "t1", "summary")] == [
        "Only the summary now."
    ]


def test_another_persons_or_conversations_search_never_finds_the_passages(make_store):
    store = make_store()
    store.save_messages(OWNER, "t1", a_turn("Summarise my report", 1))
    store.add_passages(OWNER, "t1", "f1", "report.pdf", REPORT)
    store.add_passages(OWNER, "t2", "f9", "other.txt", [("lines 1-1", "nothing relevant")])
    assert store.search_passages(STRANGER, "t1", "budget") == []
    assert store.search_passages(OWNER, "t2", "budget") == []  # the owner's other conversation
    for attempt in (
        lambda: store.read_passages(STRANGER, "t1", "f1", "page 2"),
        lambda: store.documents(STRANGER, "t1"),
        lambda: store.add_passages(STRANGER, "t1", "f1", "x.txt", [("lines 1-1", "planted")]),
        lambda: store.delete_passages(STRANGER, "t1", "f1"),
    ):
        with pytest.raises(ThreadNotFound):
            attempt()
    stranger = Conversations(store, STRANGER)
    assert stranger.search_passages("t1", "budget") == []
    assert stranger.read_passages("t1", "f1", "page 2") == []
    assert stranger.documents("t1") == []
    assert stranger.add_passages("t1", "f1", "x.txt", [("lines 1-1", "planted")]) is None
    assert len(store.search_passages(OWNER, "t1", "budget")) == 1  # untouched


def test_passages_go_with_their_file_their_conversation_and_everything_of_mine(make_store):
    store = make_store()
    for thread in ("t1", "t2", "t3"):
        store.save_messages(OWNER, thread, a_turn("hello", 1))
        store.add_passages(OWNER, thread, "f1", "report.pdf", REPORT)
    store.add_passages(STRANGER, "s1", "f1", "theirs.pdf", REPORT)
    store.delete_passages(OWNER, "t1", "f1")
    assert store.search_passages(OWNER, "t1", "budget") == []
    store.delete_thread(OWNER, "t2")
    store.delete_all(OWNER)
    with store.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT conversation_id FROM passages")).scalars().all()
        if conn.dialect.name == "sqlite":  # the full-text rows went with them
            assert conn.execute(sa.text("SELECT count(*) FROM passage_text")).scalar() == 3
    assert set(left) == {"s1"}
    assert len(store.search_passages(STRANGER, "s1", "budget")) == 1


def test_query_syntax_in_the_question_is_only_words(make_store):
    store = make_store()
    store.add_passages(OWNER, "t1", "f1", "report.pdf", REPORT)
    for query in ['budget" OR "x', "NEAR(budget diesel)", "budget*:&|!()'", "'", "-- ;", ""]:
        found = store.search_passages(OWNER, "t1", query)
        assert all(h.name == "report.pdf" for h in found)
    assert store.search_passages(OWNER, "t1", "what is the") != []  # filler alone still asks


def test_a_schema_1_database_gets_the_passage_index(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(V1_SQLITE, path)
    store = ConversationStore(f"sqlite:///{path}")
    store.adopt_legacy(OWNER)
    store.add_passages(OWNER, "v1-thread-a", "f1", "report.pdf", REPORT)
    assert store.search_passages(OWNER, "v1-thread-a", "diesel")[0].label == "page 3"
    store.close()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_passage_words_are_letters_and_digits_only(query):
    words = passage_words(query)
    assert len(words) <= 16
    assert all(w and all(c.isalnum() for c in w) and w == w.lower() for w in words)
