"""Branches instead of deletions: the tree logic (Hypothesis, against a brute-force
model), and the store on SQLite and the real PostgreSQL: regenerate and edit keep the
earlier version, switching, the branch loaded, searched and exported, schema 8."""

from __future__ import annotations

import itertools
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from streamlit_agent.conversation.export import export_everything
from streamlit_agent.store.branches import Node, active_path, newest_leaf_under, sibling_groups
from streamlit_agent.store.database import ConversationStore, ThreadNotFound
from streamlit_agent.store.migrations import SCHEMA_VERSION
from streamlit_agent.store.owned import Conversations
from streamlit_agent.store.schema import conversations, messages, schema_version
from tests.test_store import (  # the store fixtures: SQLite file and PostgreSQL schema
    OWNER,
    STRANGER,
    a_turn,
    make_store,
    pg_schema,
    sqlite_file,
    v1_database,
)

STORE_FIXTURES = (make_store, pg_schema, sqlite_file, v1_database)


# --- a brute-force model of the tree ------------------------------------------------------


@dataclass
class Model:
    """What the page does, kept the obvious way: every message with its parent, in the
    order stored, and the branch on screen as a list (the page's working memory)."""

    parent: dict[str, str | None] = field(default_factory=dict)
    role: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    screen: list[str] = field(default_factory=list)

    def add(self, after: str | None, question: str, answer: str) -> None:
        for message_id, parent, role in ((question, after, "user"), (answer, question, "ai")):
            self.parent[message_id] = parent
            self.role[message_id] = role
            self.order.append(message_id)

    def ancestors(self, message_id: str) -> list[str]:
        chain: list[str] = []
        current: str | None = message_id
        while current is not None:
            chain.append(current)
            current = self.parent[current]
        return chain[::-1]

    def newest_below(self, message_id: str) -> str:
        below = [m for m in self.order if message_id in self.ancestors(m)]
        return max(below, key=self.order.index)

    def groups(self) -> dict[str, tuple[str, ...]]:
        out = {}
        for m in self.order:
            if self.role[m] == "user":
                same = tuple(
                    o
                    for o in self.order
                    if self.role[o] == "user" and self.parent[o] == self.parent[m]
                )
                if len(same) > 1:
                    out[m] = same
        return out

    def latest_question(self) -> int | None:
        found = [i for i, m in enumerate(self.screen) if self.role[m] == "user"]
        return found[-1] if found else None


# One step of a session: ask a new question, Regenerate / Edit & resend the latest turn
# (the same thing to the tree), or click ‹ / › on turn `n` of the screen.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("ask"), st.integers(0, 0)),
        st.tuples(st.just("again"), st.integers(0, 0)),
        st.tuples(st.just("switch"), st.integers(0, 50)),
    ),
    max_size=25,
)


class PureTree:
    """The tree functions alone, as the store uses them."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.leaf: str | None = None

    def save(self, after: str | None, question: str, answer: str) -> None:
        self.nodes += [Node(question, after, "user"), Node(answer, question, "assistant")]
        self.leaf = answer

    def load(self) -> list[str]:
        return active_path(self.nodes, self.leaf)

    def branches(self) -> dict[str, tuple[str, ...]]:
        return sibling_groups(self.nodes)

    def choose(self, message_id: str) -> None:
        self.leaf = newest_leaf_under(self.nodes, message_id)


class StoredTree:
    """The same steps through the owner-checked store, as the page writes them: the
    question first with the parent the page knows, then the answer."""

    def __init__(self, store: ConversationStore, thread: str) -> None:
        self.mine = Conversations(store, OWNER)
        self.thread = thread

    def save(self, after: str | None, question: str, answer: str) -> None:
        q = HumanMessage(content=f"question {question}", id=question)
        a = AIMessage(content=f"answer {answer}", id=answer)
        self.mine.save_or_raise(self.thread, [q], None, {question: after})
        self.mine.save_or_raise(self.thread, [a], None, {answer: question})

    def load(self) -> list[str]:
        return [str(m.id) for m in self.mine.load(self.thread)]

    def branches(self) -> dict[str, tuple[str, ...]]:
        return self.mine.branches(self.thread)

    def choose(self, message_id: str) -> None:
        assert self.mine.choose_branch(self.thread, message_id)


def play(tree: PureTree | StoredTree, session: list[tuple[str, int]]) -> Model:
    """Run `session` on `tree` and the model side by side, checking after every step."""
    model = Model()
    for number, (kind, n) in enumerate(session):
        question, answer = f"q{number}", f"a{number}"
        latest = model.latest_question()
        if kind == "again" and latest is not None:
            model.screen = model.screen[:latest]  # the page branches off before it
        if kind in ("ask", "again"):
            after = model.screen[-1] if model.screen else None
            model.add(after, question, answer)
            tree.save(after, question, answer)
            model.screen = model.ancestors(answer)
        else:
            choices = [m for m in model.screen if m in model.groups()]
            if not choices:
                continue
            turn = choices[n % len(choices)]
            versions = model.groups()[turn]
            other = versions[(versions.index(turn) + 1 + n) % len(versions)]
            tree.choose(other)
            model.screen = model.ancestors(model.newest_below(other))
        assert tree.load() == model.screen
        assert tree.branches() == model.groups()
    return model


def check_every_message_reachable(tree: PureTree | StoredTree, model: Model) -> None:
    for message_id in model.order:
        tree.choose(message_id)
        path = tree.load()
        assert message_id in path
        # The path is a chain from a first question down to a message nothing continues.
        assert [model.parent[m] for m in path] == [None, *path[:-1]]
        assert all(model.parent[m] != path[-1] for m in model.order)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_any_session_keeps_every_message_reachable_and_the_path_consistent(session):
    tree = PureTree()
    check_every_message_reachable(tree, play(tree, session))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps)
def test_the_store_keeps_every_version_through_any_session(session):
    with tempfile.TemporaryDirectory() as folder:
        store = ConversationStore(f"sqlite:///{Path(folder) / 'tree.db'}")
        try:
            tree = StoredTree(store, "t")
            model = play(tree, session)
            check_every_message_reachable(tree, model)
            assert {m.id for _, m in tree.mine.message_tree("t")} == set(model.order)
        finally:
            store.close()


@given(
    st.lists(st.tuples(st.text("abcdef", min_size=1, max_size=2), st.text("abcdefx", max_size=2))),
    st.text("abcdefz", max_size=2),
)
def test_damaged_trees_never_hang_or_invent_messages(pairs, leaf):
    """Loops, missing parents, repeated ids: the walks end, within the stored ids."""
    nodes = [Node(i, p or None, "user") for i, p in pairs]
    ids = {n.id for n in nodes}
    path = active_path(nodes, leaf)
    assert set(path) <= ids and len(path) == len(set(path))
    for node in nodes:
        assert newest_leaf_under(nodes, node.id) in ids
    assert set(sibling_groups(nodes)) <= ids


# --- the store, on both backends --------------------------------------------------------


def _regenerate(store: ConversationStore, thread: str, after: str | None, text: str) -> list:
    """A new version of a question, the way the page stores it."""
    turn = a_turn(text, 7)
    store.save_messages(OWNER, thread, turn, parents={turn[0].id: after})
    return turn


def test_regenerate_keeps_the_earlier_version_and_switching_shows_it(make_store):
    store = make_store()
    first, second = a_turn("What is 1 + 1?", 1), a_turn("What is 2 + 2?", 2)
    store.save_messages(OWNER, "t", first)
    store.save_messages(OWNER, "t", second)
    again = _regenerate(store, "t", first[-1].id, "What is 2 + 2, really?")
    ids = lambda: [m.id for m in store.load_messages(OWNER, "t")]  # noqa: E731
    assert ids() == [m.id for m in first + again]
    versions = (second[0].id, again[0].id)
    assert store.branches(OWNER, "t") == {v: versions for v in versions}
    assert [h.message_id for h in store.search(OWNER, "really")] == [again[0].id]
    assert store.choose_branch(OWNER, "t", second[0].id)
    assert ids() == [m.id for m in first + second]
    assert store.search(OWNER, "really") == []  # a fork mid-conversation: off screen
    # A new store object (a restart) shows the branch chosen last.
    assert [m.id for m in make_store().load_messages(OWNER, "t")] == ids()
    # Steps stay with their answer on every branch.
    assert [s["message_id"] for s in store.steps_for(OWNER, "t")] == [
        m.id for m in (first[2], second[2], again[2])
    ]
    # The next question continues the branch on screen.
    later = a_turn("And now?", 3)
    store.save_messages(OWNER, "t", later)
    assert ids() == [m.id for m in first + second + later]
    assert not store.choose_branch(OWNER, "t", "no-such-message")
    assert ids() == [m.id for m in first + second + later]


def test_choosing_a_version_shows_the_newest_branch_under_it(make_store):
    store = make_store()
    first = a_turn("one", 1)
    store.save_messages(OWNER, "t", first)
    old = _regenerate(store, "t", None, "one, edited")
    old_later = a_turn("two", 2)
    store.save_messages(OWNER, "t", old_later)
    store.choose_branch(OWNER, "t", first[0].id)
    assert [m.id for m in store.load_messages(OWNER, "t")] == [m.id for m in first]
    store.choose_branch(OWNER, "t", old[0].id)
    assert [m.id for m in store.load_messages(OWNER, "t")] == [m.id for m in old + old_later]
    # A first question has versions too (no parent).
    assert store.branches(OWNER, "t")[first[0].id] == (first[0].id, old[0].id)


def test_search_hits_only_the_branches_on_screen(make_store):
    store = make_store()
    first = a_turn("zebra question", 1)
    store.save_messages(OWNER, "t", first)
    _regenerate(store, "t", None, "giraffe question")

    def hits(word: str) -> list[str | None]:
        return [h.message_id for h in store.search(OWNER, word)]

    assert hits("giraffe") and all(h is not None for h in hits("giraffe"))
    # Not on screen: no message hit; the title (the first question) still matches.
    assert hits("zebra") == [None]
    store.choose_branch(OWNER, "t", first[0].id)
    assert hits("zebra") == [first[0].id]
    assert hits("giraffe") == []


def test_a_parent_that_was_never_stored_falls_back_to_the_branch_being_written(make_store):
    store = make_store()
    first = a_turn("one", 1)
    store.save_messages(OWNER, "t", first)
    later = a_turn("two", 2)
    store.save_messages(OWNER, "t", later, parents={later[0].id: "never-stored"})
    assert [m.id for m in store.load_messages(OWNER, "t")] == [m.id for m in first + later]


def test_the_branch_methods_treat_a_foreign_owner_like_a_missing_conversation(make_store):
    store = make_store()
    first = a_turn("mine", 1)
    store.save_messages(OWNER, "t", first)
    _regenerate(store, "t", None, "mine again")
    assert store.branches(STRANGER, "t") == {}
    assert store.message_tree(STRANGER, "t") == []
    with pytest.raises(ThreadNotFound):
        store.choose_branch(STRANGER, "t", first[0].id)
    theirs = Conversations(store, STRANGER)
    assert theirs.choose_branch("t", first[0].id) is False
    assert theirs.branches("t") == {} and theirs.message_tree("t") == []
    assert store.load_messages(OWNER, "t")[0].content == "mine again"  # unchanged


def test_export_all_has_the_branch_on_screen_and_every_branch(make_store):
    store = make_store()
    first = a_turn("one", 1)
    store.save_messages(OWNER, "t", first)
    again = _regenerate(store, "t", None, "one, edited")
    data = Conversations(store, OWNER).export_all()
    assert data is not None
    stored = data.conversations[0]
    assert [m.id for m in stored.messages] == [m.id for m in again]
    assert [(p, m.id) for p, m in stored.tree] == [
        (None, first[0].id),
        *[(a.id, b.id) for a, b in itertools.pairwise(first)],
        (None, again[0].id),
        *[(a.id, b.id) for a, b in itertools.pairwise(again)],
    ]
    document = json.loads(export_everything(data, OWNER))
    item = document["sections"]["conversations"]["items"][0]
    assert item["turns"][0]["question"] == "one, edited"
    assert item["branches"]["on_screen_leaf"] == again[-1].id
    kept = item["branches"]["messages"]
    assert [(m["parent_id"], m["data"]["id"]) for m in kept] == [(p, m.id) for p, m in stored.tree]
    assert kept[0]["data"]["content"] == "one"  # the earlier version is in the export


# --- schema 8 ----------------------------------------------------------------------------


def test_old_conversations_become_one_linear_branch(v1_database):
    url, connect_args = v1_database
    store = ConversationStore(url, connect_args=connect_args)
    try:
        with store.engine.connect() as conn:
            versions = conn.execute(sa.select(schema_version.c.version)).scalars().all()
            rows = conn.execute(
                sa.select(messages.c.conversation_id, messages.c.id, messages.c.parent_id).order_by(
                    messages.c.conversation_id, messages.c.seq
                )
            ).all()
            leaves = dict(
                conn.execute(sa.select(conversations.c.id, conversations.c.leaf_id)).all()
            )
        assert sorted(versions) == list(range(1, SCHEMA_VERSION + 1))
        by_thread: dict[str, list[tuple[str, str | None]]] = {}
        for thread, message_id, parent in rows:
            by_thread.setdefault(thread, []).append((message_id, parent))
        assert by_thread  # the release-1 data has messages
        for thread, chain in by_thread.items():
            ids = [m for m, _ in chain]
            assert [p for _, p in chain] == [None, *ids[:-1]]
            assert leaves[thread] == ids[-1]
        store.adopt_legacy(OWNER)
        for thread, chain in by_thread.items():
            assert [m.id for m in store.load_messages(OWNER, thread)] == [m for m, _ in chain]
            assert store.branches(OWNER, thread) == {}
        # A turn written after the upgrade continues the old branch.
        turn = a_turn("after the upgrade", 4)
        store.save_messages(OWNER, "v1-thread-a", turn)
        loaded = [m.id for m in store.load_messages(OWNER, "v1-thread-a")]
        assert loaded == [m for m, _ in by_thread["v1-thread-a"]] + [m.id for m in turn]
    finally:
        store.close()


def test_messages_kept_in_working_memory_reach_the_store_on_their_branch(make_store):
    """A store outage: the question and answer wait (with their parents) and are written
    together later, still beside the version they replace."""
    store = make_store()
    first = a_turn("one", 1)
    store.save_messages(OWNER, "t", first)
    again = a_turn("one, again", 2)
    waiting: list[BaseMessage] = list(again)
    parents = {again[0].id: None, **{b.id: a.id for a, b in itertools.pairwise(again)}}
    Conversations(store, OWNER).save_or_raise("t", waiting, None, parents)
    assert [m.id for m in store.load_messages(OWNER, "t")] == [m.id for m in again]
    assert store.branches(OWNER, "t")[first[0].id] == (first[0].id, again[0].id)


# --- the page's side: parents noted in working memory ------------------------------------


def test_the_page_notes_each_parent_and_an_outage_keeps_them(tmp_path: Path) -> None:
    """A turn with tool calls, then a Regenerate written while the store is down: once
    it is back, the new version sits beside the old one, each step under its answer."""
    import streamlit as streamlit_state

    from streamlit_agent.web.history import DurableChatHistory, TurnWriter, flush_unsaved
    from streamlit_agent.web.page_state import PARENTS_KEY
    from tests.test_turn_writer import _tool_round

    store = ConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    up, down = Conversations(store, OWNER), Conversations(None, OWNER)
    thread = store.create_thread(OWNER)
    history = DurableChatHistory(f"h-{tmp_path.name}", thread, up)
    history.clear()

    def turn(n: int) -> list[str]:
        question = HumanMessage(f"question {n}", id=f"q{n}")
        writer = TurnWriter(history, question)
        writer.start()
        writer.checkpoint(_tool_round(n))
        writer.add_messages([question, *_tool_round(n), AIMessage(f"answer {n}", id=f"a{n}")])
        return [f"q{n}", f"ask{n}", f"res{n}", f"a{n}"]

    first = turn(1)
    history.branch_before("q1")  # Regenerate
    history.conversations = down
    second = turn(2)
    assert [m.id for m in history.messages] == second  # the model's history: this branch
    assert [m.id for m in store.load_messages(OWNER, thread)] == first  # nothing stored yet
    assert flush_unsaved(up)
    assert [m.id for m in store.load_messages(OWNER, thread)] == second
    assert store.branches(OWNER, thread) == {"q1": ("q1", "q2"), "q2": ("q1", "q2")}
    parents = {m.id: p for p, m in store.message_tree(OWNER, thread)}
    for chain in (first, second):
        assert [parents[m] for m in chain] == [None, *chain[:-1]]
    assert not set(first + second) & set(streamlit_state.session_state.get(PARENTS_KEY, {}))
    store.close()
