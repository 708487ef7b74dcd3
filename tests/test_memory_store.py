"""Long-term memory in the store, on SQLite and PostgreSQL: owner-checked, capped, in
"export all" and "delete all", and kept apart across app instances."""

from __future__ import annotations

import contextlib
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamlit_agent.config import MEMORY_MAX_CHARS
from streamlit_agent.safety.plain_text import storable
from streamlit_agent.safety.redact import scrub
from streamlit_agent.store import memories as memory_rows
from streamlit_agent.store.database import PUBLIC_PROBLEM, ThreadNotFound
from streamlit_agent.store.memories import EVERYWHERE, MemoryRefused, memory_text
from streamlit_agent.store.owned import Conversations
from tests import test_store
from tests.test_store import OWNER, STRANGER

make_store = test_store.make_store
pg_schema = test_store.pg_schema
sqlite_file = test_store.sqlite_file


def test_a_memory_is_added_listed_updated_and_forgotten(make_store):
    mine = Conversations(make_store(), OWNER)
    tea = mine.add_memory("  Likes   green\ttea \n")
    assert tea is not None and tea.text == "Likes green tea"  # one line
    metric = mine.add_memory("Prefers metric units")
    assert [m.text for m in mine.memories()] == ["Prefers metric units", "Likes green tea"]
    assert mine.add_memory("Likes green tea").id == tea.id  # the same fact is kept once

    changed = mine.update_memory(tea.id, "Likes black tea")
    assert changed is not None and changed.text == "Likes black tea"
    assert changed.updated_at >= tea.updated_at
    assert mine.memories()[0].id == tea.id  # most recently written first
    assert mine.forget_memory(metric.id) is True
    assert mine.forget_memory(metric.id) is False
    assert [m.text for m in mine.memories()] == ["Likes black tea"]


def test_someone_elses_memories_look_missing_to_every_method(make_store):
    store = make_store()
    mine, theirs = Conversations(store, OWNER), Conversations(store, STRANGER)
    secret = mine.add_memory("My bank PIN hint is the cat's birthday")

    assert theirs.memories() == []
    assert theirs.update_memory(secret.id, "planted") is None
    assert theirs.forget_memory(secret.id) is False
    assert [m.text for m in mine.memories()] == [secret.text]
    assert store.memories("") == [] and store.update_memory("", secret.id, "x") is None
    assert store.delete_memory("", secret.id) is False
    with pytest.raises(ThreadNotFound):
        store.add_memory("", "nobody's")


def test_two_app_instances_on_one_database_keep_memories_apart(make_store):
    # Two ConversationStore objects on the same database: two app instances.
    first, second = make_store(), make_store()
    Conversations(first, OWNER).add_memory("Alice's dog is called Rex")
    Conversations(second, STRANGER).add_memory("Bob is vegetarian")

    assert [m.text for m in Conversations(second, OWNER).memories()] == [
        "Alice's dog is called Rex"
    ]
    assert [m.text for m in Conversations(first, STRANGER).memories()] == ["Bob is vegetarian"]
    rex = Conversations(second, OWNER).memories()[0]
    assert Conversations(first, STRANGER).forget_memory(rex.id) is False
    assert Conversations(first, OWNER).memories()[0].text == "Alice's dog is called Rex"


def test_length_and_count_caps_refuse_with_a_message_and_keep_nothing(make_store, monkeypatch):
    mine = Conversations(make_store(), OWNER)
    with pytest.raises(MemoryRefused, match=f"at most {MEMORY_MAX_CHARS:,} characters"):
        mine.add_memory("x" * (MEMORY_MAX_CHARS + 1))
    with pytest.raises(MemoryRefused, match="cannot be empty"):
        mine.add_memory(" \n\t ")
    assert mine.memories() == []

    monkeypatch.setattr(memory_rows, "MEMORY_MAX_PER_PERSON", 3)
    for n in range(3):
        mine.add_memory(f"fact {n}")
    with pytest.raises(MemoryRefused, match="Memory is full"):
        mine.add_memory("one too many")
    kept = mine.memories()
    assert len(kept) == 3
    with pytest.raises(MemoryRefused):
        mine.update_memory(kept[0].id, "y" * (MEMORY_MAX_CHARS + 1))
    assert mine.memories() == kept  # a refused edit changes nothing
    # Someone else's count is their own.
    assert Conversations(mine.store, STRANGER).add_memory("not full") is not None


def test_instances_saving_at_once_never_pass_the_count_cap(make_store, monkeypatch):
    monkeypatch.setattr(memory_rows, "MEMORY_MAX_PER_PERSON", 5)
    stores = [make_store(), make_store()]
    refused: list[str] = []

    def save(index: int) -> None:
        for n in range(6):
            try:
                stores[index].add_memory(OWNER, f"instance {index} fact {n}")
            except MemoryRefused as exc:
                refused.append(str(exc))

    workers = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert len(stores[0].memories(OWNER)) == 5
    assert len(refused) == 7 and all("Memory is full" in r for r in refused)


def test_memory_can_be_switched_off_here_or_everywhere(make_store):
    store = make_store()
    mine, theirs = Conversations(store, OWNER), Conversations(store, STRANGER)
    assert mine.memory_off_in("t1") == (False, False)
    mine.set_memory_off("t1", True)
    assert mine.memory_off_in("t1") == (False, True)
    assert mine.memory_off_in("t2") == (False, False)
    assert theirs.memory_off_in("t1") == (False, False)  # keyed by owner too
    mine.set_memory_off(EVERYWHERE, True)
    assert mine.memory_off_in("t2") == (True, False)
    mine.set_memory_off("t1", False)
    mine.set_memory_off(EVERYWHERE, False)
    assert mine.memory_off_in("t1") == (False, False)
    # Deleting a conversation deletes its switch (memories belong to the person, and stay).
    store.save_messages(OWNER, "t3", test_store.a_turn("hello"))
    mine.set_memory_off("t3", True)
    mine.add_memory("stays")
    mine.delete("t3")
    assert mine.memory_off_in("t3") == (False, False)
    assert [m.text for m in mine.memories()] == ["stays"]


def test_export_all_holds_the_owners_memories_and_delete_all_removes_them(make_store):
    store = make_store()
    mine = Conversations(store, OWNER)
    mine.add_memory("Alice likes tea")
    mine.set_memory_off("t9", True)
    Conversations(store, STRANGER).add_memory("Bob likes coffee")

    data = mine.export_all()
    assert [m.text for m in data.memories] == ["Alice likes tea"]
    assert data.memory_off == ["t9"]
    assert "Bob" not in repr(data)

    deleted = mine.delete_all()
    assert deleted.memories == 1
    assert mine.memories() == [] and mine.memory_off_in("t9") == (False, False)
    assert [m.text for m in Conversations(store, STRANGER).memories()] == ["Bob likes coffee"]


def test_a_store_that_is_down_says_so_and_answers_nothing():
    problems: list[str] = []
    down = Conversations(None, OWNER, on_problem=problems.append)
    assert down.memories() is None
    assert down.add_memory("x") is None
    assert down.forget_memory("m") is None
    assert down.memory_off_in("t") is None
    assert problems and set(problems) == {PUBLIC_PROBLEM}


def test_a_memory_is_kept_without_credentials():
    kept = memory_text("my key is sk-" + "a1B2c3D4e5" * 4)
    assert "a1B2c3D4e5" not in kept


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=MEMORY_MAX_CHARS * 2))
def test_memory_text_is_one_line_within_the_cap_or_refused_never_cut(text):
    expected = scrub(" ".join(storable(text).split()))
    try:
        kept = memory_text(text)
    except MemoryRefused as refused:
        if expected:
            assert len(expected) > MEMORY_MAX_CHARS
            assert f"this one has {len(expected):,}" in str(refused)
        else:
            assert "cannot be empty" in str(refused)
        return
    assert kept == expected and 0 < len(kept) <= MEMORY_MAX_CHARS  # whole, never cut
    assert "\n" not in kept and kept == " ".join(kept.split())
    assert memory_text(kept) == kept  # stable: what is kept is kept again unchanged


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=12))
def test_the_count_cap_holds_for_any_sequence_of_saves(sqlite_file, texts):
    store = sqlite_file()
    owner = f"anon:{len(texts)}-{abs(hash(tuple(texts)))}"  # a fresh person per example
    cap = 4
    distinct: set[str] = set()
    for text in texts:
        with contextlib.suppress(MemoryRefused):
            distinct.add(memory_text(text))
    original = memory_rows.MEMORY_MAX_PER_PERSON
    memory_rows.MEMORY_MAX_PER_PERSON = cap
    try:
        for text in texts:
            try:
                store.add_memory(owner, text)
            except MemoryRefused as refused:
                reasons = ("Memory is full", "cannot be empty", "at most")
                assert any(reason in str(refused) for reason in reasons)
    finally:
        memory_rows.MEMORY_MAX_PER_PERSON = original
    # Every usable fact is kept once, until the cap; never more than the cap.
    assert len(store.memories(owner)) == min(cap, len(distinct))
