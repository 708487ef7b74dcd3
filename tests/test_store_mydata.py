"""Everything of one owner: export it all, delete it all, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from streamlit_agent.store.database import PUBLIC_PROBLEM, DeletedCounts, StoreError
from streamlit_agent.store.owned import Conversations
from tests import test_store
from tests.test_store import OWNER, STRANGER, a_turn

# The store tests' fixtures (both backends), found by pytest under these names.
make_store = test_store.make_store
pg_schema = test_store.pg_schema
sqlite_file = test_store.sqlite_file


def fill(store, owner: str, label: str, first: str = "first question") -> dict[str, list]:
    """Two conversations with feedback, a comment, tool and model choices, and usage."""
    turns = {f"{label}-1": a_turn(f"{label} {first}", 1)}
    turns[f"{label}-2"] = a_turn(f"{label} second question", 2)
    for thread_id, turn in turns.items():
        store.save_messages(owner, thread_id, turn, model="scripted-model")
    rated = f"{label}-1"
    store.set_feedback(owner, rated, turns[rated][3].id, 0, f"{label} says it was wrong")
    store.set_tool_choice(owner, rated, {"web_search": False})
    store.set_model_choice(owner, rated, f"openai:{label}-model")
    store.record_usage(owner, "message")
    store.record_usage(owner, "tokens", 120)
    return turns


def _rows(store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("conversations", "messages", "steps", "usage")
        }


def test_export_all_holds_every_conversation_of_the_owner_and_nothing_else(make_store):
    store = make_store()
    mine = fill(store, OWNER, "alice")
    fill(store, STRANGER, "bob")

    data = store.export_all(OWNER)
    assert {c.thread.id for c in data.conversations} == set(mine)
    assert data.conversations_left_out == 0 and data.usage_left_out == 0
    first = next(c for c in data.conversations if c.thread.id == "alice-1")
    assert [m.id for m in first.messages] == [m.id for m in mine["alice-1"]]
    assert first.feedback == {mine["alice-1"][3].id: 0}
    assert first.comments == {mine["alice-1"][3].id: "alice says it was wrong"}
    assert first.tool_choice == {"web_search": False}
    assert first.model_choice == "openai:alice-model"
    assert first.thread.message_count == 4
    assert data.usage_totals == {"message": 1, "tokens": 120}
    assert sorted((u.kind, u.amount) for u in data.usage) == [("message", 1), ("tokens", 120)]
    everything = repr(data)
    assert "bob" not in everything
    assert store.export_all("").conversations == []


def test_export_all_is_capped_newest_first_and_says_what_it_left_out(make_store):
    store = make_store()
    for n in range(4):
        store.save_messages(OWNER, f"t{n}", a_turn(f"question {n}", n))
        time.sleep(0.01)  # distinct update times: the newest is the last
    for _ in range(5):
        store.record_usage(OWNER, "message")

    data = store.export_all(OWNER, max_conversations=2, max_usage_records=3)
    assert [c.thread.id for c in data.conversations] == ["t3", "t2"]
    assert data.conversations_left_out == 2
    assert len(data.usage) == 3 and data.usage_left_out == 2
    assert data.usage_totals == {"message": 5}  # totals count every record
    # A size cap smaller than one conversation still exports the newest one.
    tiny = store.export_all(OWNER, max_stored_chars=1)
    assert [c.thread.id for c in tiny.conversations] == ["t3"]
    assert tiny.conversations_left_out == 3


def test_delete_all_removes_every_row_of_the_owner_and_nothing_of_anyone_else(make_store):
    store = make_store()
    fill(store, OWNER, "alice")
    theirs = fill(store, STRANGER, "bob")
    store.record_usage("anon:*", "message")  # a shared counter is nobody's data
    before = _rows(store)

    deleted = store.delete_all(OWNER)
    assert deleted == DeletedCounts(conversations=2, messages=8, steps=2, feedback=1, usage=2)
    after = _rows(store)
    assert after == {
        "conversations": before["conversations"] - 2,
        "messages": before["messages"] - 8,
        "steps": before["steps"] - 2,
        "usage": before["usage"] - 2,
    }
    assert store.list_threads(OWNER) == [] and store.search(OWNER, "question") == []
    assert store.usage_since(OWNER, "tokens", 0) == 0
    empty = store.export_all(OWNER)
    assert empty.conversations == [] and empty.usage == [] and empty.usage_totals == {}
    # The other person's data is all there, search included.
    assert {t.id for t in store.list_threads(STRANGER)} == set(theirs)
    assert [m.id for m in store.load_messages(STRANGER, "bob-1")] == [m.id for m in theirs["bob-1"]]
    assert store.feedback_comments(STRANGER, "bob-1") == {
        theirs["bob-1"][3].id: "bob says it was wrong"
    }
    assert len(store.search(STRANGER, "question")) == 2
    assert store.usage_since(STRANGER, "tokens", 0) == 120
    assert store.usage_since("anon:*", "message", 0) == 1
    assert store.delete_all(OWNER) == DeletedCounts()  # again: nothing left to delete
    assert store.delete_all("") == DeletedCounts()


def test_delete_all_can_keep_the_usage_that_limits_still_count(make_store):
    store = make_store()
    fill(store, OWNER, "alice")
    cutoff = time.time()
    time.sleep(0.01)
    store.record_usage(OWNER, "tokens", 7)

    deleted = store.delete_all(OWNER, keep_usage_since=cutoff)
    assert deleted.usage == 2 and deleted.conversations == 2
    assert store.usage_since(OWNER, "tokens", 0) == 7


def _fail_on_usage_delete(store) -> None:
    """A database that fails in the middle of the delete: after the conversations went."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_delete() RETURNS trigger AS "
                    "$$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_usage_delete BEFORE DELETE ON usage "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_delete()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_usage_delete BEFORE DELETE ON usage "
                    "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END"
                )
            )


def test_a_failure_midway_deletes_nothing(make_store):
    store = make_store()
    mine = fill(store, OWNER, "alice")
    before = _rows(store)
    _fail_on_usage_delete(store)

    with pytest.raises(StoreError):
        store.delete_all(OWNER)
    assert _rows(store) == before
    problems: list[str] = []
    owned = Conversations(store, OWNER, on_problem=problems.append)
    assert owned.delete_all() is None
    assert problems == [PUBLIC_PROBLEM]
    assert _rows(store) == before
    assert {t.id for t in store.list_threads(OWNER)} == set(mine)
    assert len(store.search(OWNER, "question")) == 2


def test_the_owned_interface_binds_the_owner_and_reports_a_missing_store(make_store):
    store = make_store()
    fill(store, OWNER, "alice")
    fill(store, STRANGER, "bob")
    alice = Conversations(store, OWNER)
    assert {c.thread.id for c in alice.export_all().conversations} == {"alice-1", "alice-2"}
    assert alice.delete_all().conversations == 2
    assert {t.id for t in alice.for_owner(STRANGER).list()} == {"bob-1", "bob-2"}

    problems: list[str] = []
    down = Conversations(None, OWNER, on_problem=problems.append)
    assert down.export_all() is None and down.delete_all() is None
    assert problems == [PUBLIC_PROBLEM, PUBLIC_PROBLEM]
