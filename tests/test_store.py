"""The durable store against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import socket
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from streamlit_agent.safety.redact import redact_url
from streamlit_agent.store import database
from streamlit_agent.store.database import PUBLIC_PROBLEM, ConversationStore, StoreError
from streamlit_agent.store.migrations import MIGRATIONS, SCHEMA_VERSION
from streamlit_agent.store.owned import Conversations
from streamlit_agent.store.schema import schema_version
from tests.pg_support import PG_URL, pg_admin

OWNER = "oidc:https://idp.example|alice"


@pytest.fixture
def pg_schema():
    """A fresh schema in the `test` database, dropped afterwards; yields a store factory."""
    admin = pg_admin()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    stores: list[ConversationStore] = []

    def make() -> ConversationStore:
        store = ConversationStore(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        stores.append(store)
        return store

    make.schema = schema  # type: ignore[attr-defined]
    yield make
    for store in stores:
        store.close()
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_file(tmp_path):
    stores: list[ConversationStore] = []
    path = tmp_path / "nested" / "conversations.db"
    path.parent.mkdir()

    def make() -> ConversationStore:
        store = ConversationStore(f"sqlite:///{path}")
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request):
    name = "sqlite_file" if request.param == "sqlite" else "pg_schema"
    return request.getfixturevalue(name)


def a_turn(question: str, n: int = 0) -> list:
    call_id = f"call_{uuid.uuid4().hex[:8]}"
    return [
        HumanMessage(content=question, id=uuid.uuid4().hex),
        AIMessage(
            content="",
            id=uuid.uuid4().hex,
            tool_calls=[{"name": "calculator", "args": {"expression": f"{n} + 1"}, "id": call_id}],
        ),
        ToolMessage(
            content=str(n + 1)[:1],
            tool_call_id=call_id,
            name="calculator",
            id=uuid.uuid4().hex,
            response_metadata={
                "step_status": "ok",
                "error": None,
                "duration_s": 0.25,
                "full_output": str(n + 1),
            },
        ),
        AIMessage(
            content=f"It is {n + 1}.",
            id=uuid.uuid4().hex,
            response_metadata={"status": "complete", "usage": {"total_tokens": 12}},
        ),
    ]


def test_messages_round_trip_with_tool_calls_and_metadata(make_store):
    store = make_store()
    turn = a_turn("What is 9 + 1?", 9)
    store.save_messages(OWNER, "thread-a", turn, model="OpenAI gpt-test")
    loaded = store.load_messages(OWNER, "thread-a")
    assert [type(m) for m in loaded] == [type(m) for m in turn]
    assert [m.id for m in loaded] == [m.id for m in turn]
    assert loaded[1].tool_calls == turn[1].tool_calls
    assert loaded[2].tool_call_id == turn[2].tool_call_id
    assert loaded[2].response_metadata["full_output"] == "10"
    assert loaded[3].response_metadata == {"status": "complete", "usage": {"total_tokens": 12}}
    thread = store.get_thread(OWNER, "thread-a")
    assert thread is not None
    assert thread.title == "What is 9 + 1?"
    assert thread.model == "OpenAI gpt-test"
    assert thread.message_count == 4


def test_steps_table_holds_tool_input_output_error_and_timing(make_store):
    store = make_store()
    turn = a_turn("What is 1 + 1?", 1)
    failed = ToolMessage(
        content="Tool calculator failed: boom",
        tool_call_id="call_x",
        name="calculator",
        id=uuid.uuid4().hex,
        status="error",
        response_metadata={"step_status": "error", "error": "boom", "duration_s": 1.5},
    )
    ai = AIMessage(
        content="",
        id=uuid.uuid4().hex,
        tool_calls=[{"name": "calculator", "args": {"expression": "1/0"}, "id": "call_x"}],
    )
    store.save_messages(OWNER, "t", [*turn[:3], ai, failed, turn[3]])
    rows = store.steps_for(OWNER, "t")
    assert [(r["tool"], r["status"]) for r in rows] == [
        ("calculator", "ok"),
        ("calculator", "error"),
    ]
    assert rows[0]["output"] == "2"  # the full output, not what the model was sent
    assert rows[0]["input"] == '{"expression": "1 + 1"}'
    assert rows[0]["duration_s"] == pytest.approx(0.25)
    assert rows[1]["error"] == "boom"
    assert rows[1]["input"] == '{"expression": "1/0"}'


def test_saving_again_never_duplicates_and_keeps_first_order(make_store):
    store = make_store()
    turn = a_turn("first", 1)
    store.save_messages(OWNER, "t", turn[:1])  # the user message is stored before the agent runs
    store.save_messages(OWNER, "t", turn)  # then the whole turn arrives, user message included
    store.save_messages(OWNER, "t", turn[2:])  # and a retried write repeats part of it
    assert [m.id for m in store.load_messages(OWNER, "t")] == [m.id for m in turn]
    second = a_turn("second", 2)
    store.save_messages(OWNER, "t", second)
    assert [m.id for m in store.load_messages(OWNER, "t")] == [m.id for m in turn + second]


def test_unicode_round_trips_exactly(make_store):
    store = make_store()
    texts = [
        "emoji 🤖🎉👩‍👩‍👧",
        "RTL مرحبا بالعالم שלום",
        "CJK 你好，世界 こんにちは",
        "NUL in the middle: a\x00b",
        "lone surrogates: \ud800 and \udfff",
        "<script>alert(1)</script> & 'quotes' \"double\"",
    ]
    batch = [HumanMessage(content=t, id=uuid.uuid4().hex) for t in texts]
    store.save_messages(OWNER, "unicode", batch)
    assert [m.content for m in store.load_messages(OWNER, "unicode")] == texts
    # A second store object (another app process) reads the same.
    assert [m.content for m in make_store().load_messages(OWNER, "unicode")] == texts
    assert "\x00" not in store.get_thread(OWNER, "unicode").title


def test_threads_listed_newest_first_renamed_and_deleted(make_store):
    store = make_store()
    store.save_messages(OWNER, "old", a_turn("The old question", 1))
    store.save_messages(OWNER, "new", a_turn("The new question\nwith a second line", 2))
    store.create_thread(OWNER)  # opened but never used: not listed
    listed = store.list_threads(OWNER)
    assert [t.id for t in listed] == ["new", "old"]
    assert listed[0].title == "The new question with a second line"
    store.save_messages(OWNER, "old", a_turn("a follow-up", 3))
    assert [t.id for t in store.list_threads(OWNER)] == ["old", "new"]
    assert store.get_thread(OWNER, "old").title == "The old question"

    store.rename_thread(OWNER, "old", "  Renamed   conversation ")
    assert store.get_thread(OWNER, "old").title == "Renamed conversation"
    with pytest.raises(ValueError, match="empty"):
        store.rename_thread(OWNER, "old", "   ")

    store.delete_thread(OWNER, "old")
    assert store.get_thread(OWNER, "old") is None
    assert store.load_messages(OWNER, "old") == []
    assert store.steps_for(OWNER, "old") == []
    assert [t.id for t in store.list_threads(OWNER)] == ["new"]
    assert len(store.load_messages(OWNER, "new")) == 4


def test_delete_messages_removes_them_and_their_steps(make_store):
    store = make_store()
    turn = a_turn("retry me", 1)
    store.save_messages(OWNER, "t", turn)
    store.delete_messages(OWNER, "t", [m.id for m in turn[1:]])
    assert [m.id for m in store.load_messages(OWNER, "t")] == [turn[0].id]
    assert store.steps_for(OWNER, "t") == []


def test_feedback_is_kept_per_answer(make_store):
    store = make_store()
    turn = a_turn("rate me", 1)
    store.save_messages(OWNER, "t", turn)
    store.set_feedback(OWNER, "t", turn[3].id, 1)
    assert store.feedback_for(OWNER, "t") == {turn[3].id: 1}
    store.set_feedback(OWNER, "t", turn[3].id, None)
    assert store.feedback_for(OWNER, "t") == {}


def test_concurrent_writers_lose_nothing(make_store):
    """Two sessions (separate store objects, as in two app processes) writing at once."""
    stores = [make_store(), make_store()]
    errors: list[BaseException] = []
    written: dict[str, list[str]] = {"shared": []}
    lock = threading.Lock()

    def writer(index: int) -> None:
        store = stores[index % 2]
        try:
            for n in range(15):
                for thread_id in ("shared", f"own-{index}"):
                    batch = a_turn(f"writer {index} message {n}", n)
                    store.save_messages(OWNER, thread_id, batch)
                    if thread_id == "shared":
                        with lock:
                            written["shared"].extend(m.id for m in batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    shared = stores[0].load_messages(OWNER, "shared")
    assert sorted(m.id for m in shared) == sorted(written["shared"])
    assert len({m.id for m in shared}) == len(shared) == 4 * 15 * 4
    # Each batch stays contiguous and in order, whoever wrote in between.
    for start in range(0, len(shared), 4):
        kinds = [type(m).__name__ for m in shared[start : start + 4]]
        assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    for i in range(4):
        assert len(stores[1].load_messages(OWNER, f"own-{i}")) == 15 * 4


def test_newer_schema_is_refused_not_damaged(make_store):
    store = make_store()
    store.save_messages(OWNER, "t", a_turn("keep me", 1))
    with store.engine.begin() as conn:
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION + 1, applied_at=0))
    with pytest.raises(StoreError, match="newer version"):
        make_store()
    assert len(store.load_messages(OWNER, "t")) == 4


def test_sqlite_file_and_folder_created_on_first_use(tmp_path):
    path = tmp_path / "conversations.db"
    store = ConversationStore(f"sqlite:///{path}")
    store.save_messages(OWNER, "t", a_turn("hello", 1))
    assert path.exists()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    store.close()


def test_corrupt_sqlite_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "conversations.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="unavailable") as caught:
        ConversationStore(f"sqlite:///{path}")
    assert "Traceback" not in str(caught.value)


def test_unreachable_database_error_hides_the_password():
    url = "postgresql://agent:hunter2-secret@127.0.0.1:1/test"
    with pytest.raises(StoreError) as caught:
        ConversationStore(url)
    message = str(caught.value)
    assert "hunter2-secret" not in message
    assert "127.0.0.1" in message  # for the operator's log; the page never shows it
    assert redact_url(url) == "postgresql://127.0.0.1:1/test"


def test_store_going_down_raises_store_error_then_recovers(tmp_path):
    path = tmp_path / "conversations.db"
    store = ConversationStore(f"sqlite:///{path}")
    store.save_messages(OWNER, "t", a_turn("before", 1))
    blocker = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    store.engine.dispose()
    store.engine = sa.create_engine(
        f"sqlite:///{path}", connect_args={"timeout": 0.1, "check_same_thread": False}
    )
    with blocker.connect() as conn:
        conn.exec_driver_sql("BEGIN EXCLUSIVE")
        other_writer = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other_writer.execute("BEGIN IMMEDIATE")
        other_writer.close()
        conn.exec_driver_sql("ROLLBACK")
    store.save_messages(OWNER, "t", a_turn("after", 3))
    assert [m.content for m in store.load_messages(OWNER, "t") if isinstance(m, HumanMessage)] == [
        "before",
        "after",
    ]


def test_tool_choice_is_kept_per_conversation(make_store):
    store = make_store()
    assert store.tool_choice(OWNER, "fresh") == {}
    store.set_tool_choice(OWNER, "fresh", {"web_search": False, "calculator": True})
    store.set_tool_choice(OWNER, "other", {"web_search": True})
    assert make_store().tool_choice(OWNER, "fresh") == {"web_search": False, "calculator": True}
    assert store.tool_choice(OWNER, "other") == {"web_search": True}
    assert [t.id for t in store.list_threads(OWNER)] == []  # no messages yet: not listed


def test_reads_do_not_wait_for_a_writer_holding_the_lock(tmp_path):
    # Reads begin deferred; were they to take the write lock, a stream of them would
    # starve writers past the busy timeout (seen under the 20-session load benchmark).
    path = tmp_path / "conversations.db"
    store = ConversationStore(f"sqlite:///{path}")
    store.save_messages(OWNER, "t", a_turn("before", 1))
    blocker = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    with blocker.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        assert store.load_messages(OWNER, "t")[0].content == "before"
        assert [t.id for t in store.list_threads(OWNER)] == ["t"]
        assert store.feedback_for(OWNER, "t") == {} and store.tool_choice(OWNER, "t") == {}
        other_writer = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other_writer.execute("BEGIN IMMEDIATE")
        other_writer.close()
        conn.exec_driver_sql("ROLLBACK")
    store.close()
    blocker.dispose()


# --- owners ---------------------------------------------------------------------------

STRANGER = "anon:someone-else"


def test_every_method_treats_a_foreign_owner_like_a_missing_conversation(make_store):
    from streamlit_agent.store.database import ThreadNotFound

    store = make_store()
    turn = a_turn("My bank PIN is 4321", 1)
    store.save_messages(OWNER, "mine", turn)
    store.set_tool_choice(OWNER, "mine", {"web_search": False})
    store.set_feedback(OWNER, "mine", turn[3].id, 1)

    assert store.list_threads(STRANGER) == []
    assert store.get_thread(STRANGER, "mine") is None
    assert store.load_messages(STRANGER, "mine") == []
    assert store.feedback_for(STRANGER, "mine") == {}
    assert store.tool_choice(STRANGER, "mine") == {}
    assert store.steps_for(STRANGER, "mine") == []
    refused = [
        lambda: store.save_messages(STRANGER, "mine", a_turn("posted by a stranger", 2)),
        lambda: store.rename_thread(STRANGER, "mine", "taken"),
        lambda: store.delete_thread(STRANGER, "mine"),
        lambda: store.delete_messages(STRANGER, "mine", [turn[0].id]),
        lambda: store.set_feedback(STRANGER, "mine", turn[3].id, 0),
        lambda: store.set_tool_choice(STRANGER, "mine", {"web_search": True}),
        lambda: store.save_messages("", "fresh", a_turn("no owner", 3)),
    ]
    for attempt in refused:
        with pytest.raises(ThreadNotFound):
            attempt()
    # Nothing of the owner's changed.
    assert [m.id for m in store.load_messages(OWNER, "mine")] == [m.id for m in turn]
    assert store.get_thread(OWNER, "mine").title == "My bank PIN is 4321"
    assert store.feedback_for(OWNER, "mine") == {turn[3].id: 1}
    assert store.tool_choice(OWNER, "mine") == {"web_search": False}
    assert [t.id for t in store.list_threads(OWNER)] == ["mine"]


def test_new_conversation_ids_are_made_by_the_store(make_store):
    store = make_store()
    first, second = store.create_thread(OWNER), store.create_thread(OWNER)
    assert first != second and len(first) == 32
    assert store.get_thread(OWNER, first) is not None
    assert store.get_thread(STRANGER, first) is None


def test_an_unreadable_row_is_skipped_and_counted(make_store):
    store = make_store()
    turn = a_turn("keep the rest", 1)
    store.save_messages(OWNER, "t", turn)
    from streamlit_agent.store.schema import messages

    with store.engine.begin() as conn:
        conn.execute(
            messages.update().where(messages.c.id == turn[1].id).values(payload="{not json")
        )
    loaded = store.load_messages(OWNER, "t")
    assert [m.id for m in loaded] == [turn[0].id, turn[2].id, turn[3].id]
    assert loaded.unreadable == 1
    store.save_messages(OWNER, "t", a_turn("and new ones are saved", 2))
    assert len(store.load_messages(OWNER, "t")) == 7


def test_usage_is_counted_per_owner_across_store_objects(make_store):
    import time

    first, second = make_store(), make_store()  # two app instances
    before = time.time() - 1
    first.record_usage(OWNER, "message")
    second.record_usage(OWNER, "message")
    second.record_usage(OWNER, "tokens", 120)
    first.record_usage(STRANGER, "message")
    assert first.usage_since(OWNER, "message", before) == 2
    assert second.usage_since(OWNER, "tokens", before) == 120
    assert first.usage_since(STRANGER, "message", before) == 1
    assert first.usage_since(OWNER, "message", time.time() + 60) == 0


# --- migrations -------------------------------------------------------------------------

V1_SQLITE = Path(__file__).parent / "data" / "store_v1.sqlite"
V1_POSTGRESQL = Path(__file__).parent / "data" / "store_v1_postgresql.sql"
V1_THREADS = {"v1-thread-a": "What is 6 * 7?", "v1-thread-b": "My name is Ada"}


def _check_migrated(store: ConversationStore) -> None:
    from streamlit_agent.store.schema import LEGACY_OWNER

    with store.engine.connect() as conn:
        versions = conn.execute(sa.select(schema_version.c.version)).scalars().all()
    assert sorted(versions) == list(range(1, SCHEMA_VERSION + 1))
    # Old conversations belong to nobody who can sign in until an operator hands them over.
    assert store.list_threads(OWNER) == []
    assert {t.id: t.title for t in store.list_threads(LEGACY_OWNER)} == V1_THREADS
    assert store.adopt_legacy(OWNER) == 2
    assert {t.id for t in store.list_threads(OWNER)} == set(V1_THREADS)
    restored = store.load_messages(OWNER, "v1-thread-a")
    assert [type(m).__name__ for m in restored] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
    ]
    assert restored[2].content == "42"
    assert store.steps_for(OWNER, "v1-thread-a")[0]["tool"] == "calculator"
    store.save_messages(OWNER, "v1-thread-a", a_turn("a new turn after the upgrade", 5))
    assert len(store.load_messages(OWNER, "v1-thread-a")) == 8
    # Messages and titles written before search existed are searchable, new ones too.
    assert [(h.thread_id, h.message_id) for h in store.search(OWNER, "meet")] == [
        ("v1-thread-b", "b2")
    ]
    assert [h.message_id for h in store.search(OWNER, "upgrade")][-1] is not None


def test_a_sqlite_database_written_by_schema_1_is_migrated(tmp_path):
    import shutil

    path = tmp_path / "old.db"
    shutil.copy(V1_SQLITE, path)
    store = ConversationStore(f"sqlite:///{path}")
    _check_migrated(store)
    store.close()
    again = ConversationStore(f"sqlite:///{path}")  # a second start migrates nothing
    assert {t.id for t in again.list_threads(OWNER)} == set(V1_THREADS)
    again.close()


def test_a_postgresql_database_written_by_schema_1_is_migrated(pg_schema):
    # The schema as release 1 left it (its DDL and rows), then opened by this version.
    admin = pg_admin()
    with admin.begin() as conn:
        conn.execute(sa.text(f'SET LOCAL search_path TO "{pg_schema.schema}"'))
        conn.exec_driver_sql(V1_POSTGRESQL.read_text())
    admin.dispose()
    _check_migrated(pg_schema())


# --- the model picked per conversation ------------------------------------------------

PICKED = "compatible|http://127.0.0.1:11434/v1|llama3.2"


def test_model_choice_is_kept_per_conversation_and_owner_checked(make_store):
    from streamlit_agent.store.database import ThreadNotFound

    store = make_store()
    assert store.model_choice(OWNER, "fresh") is None
    store.set_model_choice(OWNER, "fresh", PICKED)
    store.set_model_choice(OWNER, "other", "bundled||smollm2")
    assert make_store().model_choice(OWNER, "fresh") == PICKED
    assert store.model_choice(OWNER, "other") == "bundled||smollm2"
    assert store.model_choice(STRANGER, "fresh") is None
    with pytest.raises(ThreadNotFound):
        store.set_model_choice(STRANGER, "fresh", "openai||gpt-4.1")
    assert store.model_choice(OWNER, "fresh") == PICKED
    assert [t.id for t in store.list_threads(OWNER)] == []  # no messages yet: not listed


def _at_previous_version(url: str) -> None:
    """A database as the release before the latest left it: v1's file, migrated up to
    the previous version only."""
    from streamlit_agent.store.migrations import MIGRATIONS

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for version in range(2, max(MIGRATIONS)):
            MIGRATIONS[version](conn)
            conn.execute(schema_version.insert().values(version=version, applied_at=0))
    engine.dispose()


def test_a_database_at_the_previous_schema_is_migrated_to_the_latest(tmp_path):
    import shutil

    path = tmp_path / "previous.db"
    shutil.copy(V1_SQLITE, path)
    _at_previous_version(f"sqlite:///{path}")
    store = ConversationStore(f"sqlite:///{path}")
    with store.engine.connect() as conn:
        versions = conn.execute(sa.select(schema_version.c.version)).scalars().all()
    assert sorted(versions) == list(range(1, SCHEMA_VERSION + 1))
    assert store.adopt_legacy(OWNER) == 2
    assert store.model_choice(OWNER, "v1-thread-a") is None
    store.set_model_choice(OWNER, "v1-thread-a", PICKED)
    assert store.model_choice(OWNER, "v1-thread-a") == PICKED
    assert len(store.load_messages(OWNER, "v1-thread-a")) == 4  # nothing lost
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def v1_database(request, tmp_path):
    """The URL and connect_args of a database as release 1 left it, on each backend."""
    if request.param == "sqlite":
        import shutil

        path = tmp_path / "old.db"
        shutil.copy(V1_SQLITE, path)
        return f"sqlite:///{path}", {}
    schema = request.getfixturevalue("pg_schema").schema
    admin = pg_admin()
    with admin.begin() as conn:
        conn.execute(sa.text(f'SET LOCAL search_path TO "{schema}"'))
        conn.exec_driver_sql(V1_POSTGRESQL.read_text())
    admin.dispose()
    return PG_URL, {"options": f"-csearch_path={schema}"}


def _schema_state(url: str, connect_args: dict) -> tuple[list[int], set[str], set[str]]:
    """Recorded versions, tables, and the columns of `conversations`."""
    engine = sa.create_engine(url, connect_args=connect_args)
    with engine.connect() as conn:
        versions = sorted(conn.execute(sa.select(schema_version.c.version)).scalars())
        tables = set(sa.inspect(conn).get_table_names())
        columns = {c["name"] for c in sa.inspect(conn).get_columns("conversations")}
    engine.dispose()
    return versions, tables, columns


def _half_done_then_failing(conn: sa.Connection) -> None:
    conn.exec_driver_sql("CREATE TABLE half_done (id INTEGER)")
    conn.exec_driver_sql("ALTER TABLE no_such_table ADD COLUMN x TEXT")


def _half_done_then_buggy(conn: sa.Connection) -> None:
    conn.exec_driver_sql("CREATE TABLE half_done (id INTEGER)")
    raise KeyError("a bug in the step")


@pytest.mark.parametrize(
    ("step", "raised"), [(_half_done_then_failing, StoreError), (_half_done_then_buggy, KeyError)]
)
def test_a_failing_migration_leaves_the_schema_as_it_was(v1_database, monkeypatch, step, raised):
    # All pending steps run in one transaction: the steps before the failing one, and
    # its own first half, are undone with it, so the next start begins from version 1.
    url, connect_args = v1_database
    before = _schema_state(url, connect_args)
    assert before[0] == [1] and "owner" not in before[2]
    monkeypatch.setitem(MIGRATIONS, SCHEMA_VERSION, step)
    with pytest.raises(raised):  # a bug in a step is not reported as an outage
        ConversationStore(url, connect_args=connect_args)
    assert _schema_state(url, connect_args) == before
    monkeypatch.undo()
    store = ConversationStore(url, connect_args=connect_args)
    _check_migrated(store)
    store.close()


# --- search -------------------------------------------------------------------------------


def _hits(store: ConversationStore, owner: str, query: str) -> list[tuple[str, str | None]]:
    return [(h.thread_id, h.message_id) for h in store.search(owner, query)]


def test_search_finds_old_messages_and_titles_of_the_owner_only(make_store):
    store = make_store()
    old = a_turn("Where do zebras sleep at night?", 1)
    store.save_messages(OWNER, "zoo", old)
    for n in range(12):  # the match is far older than what the page shows first
        store.save_messages(OWNER, "zoo", a_turn(f"filler question {n}", n))
    store.save_messages(OWNER, "other", a_turn("Plan the picnic menu", 2))
    store.save_messages(STRANGER, "theirs", a_turn("My zebra password is hunter2", 3))

    assert _hits(store, OWNER, "zebras") == [("zoo", old[0].id)]
    assert _hits(store, OWNER, "ZEBRA") == [("zoo", old[0].id)]  # any case, and a word's start
    assert _hits(store, OWNER, "sleep night") == [("zoo", old[0].id)]  # every word
    assert _hits(store, OWNER, "zebras picnic") == []
    hit = store.search(OWNER, "zebras")[0]
    assert hit.title == "Where do zebras sleep at night?" and hit.role == "user"
    assert "zebras" in hit.snippet
    # Titles: a title hit is listed only where no message of it matched.
    picnic = store.load_messages(OWNER, "other")[0].id
    assert _hits(store, OWNER, "picnic") == [("other", picnic)]
    store.rename_thread(OWNER, "other", "Birthday logistics")
    assert _hits(store, OWNER, "logistics") == [("other", None)]
    assert _hits(store, OWNER, "birthday picnic") == []  # words of a title and a message
    # Answers and tool results are searchable too.
    answers = store.search(OWNER, "12")
    assert [(h.thread_id, h.role, h.snippet) for h in answers] == [
        ("zoo", "assistant", "It is 12.")
    ]

    # Another owner's words are never found, and they never find the owner's.
    assert _hits(store, OWNER, "hunter2") == []
    assert _hits(store, OWNER, "password") == []
    assert _hits(store, STRANGER, "zebras") == []
    theirs = store.load_messages(STRANGER, "theirs")[0].id
    assert _hits(store, STRANGER, "hunter2") == [("theirs", theirs)]
    assert store.search("", "zebras") == []

    # Deleted messages and conversations leave the index.
    store.delete_messages(OWNER, "zoo", [old[0].id])
    assert _hits(store, OWNER, "zebras") == [("zoo", None)]  # its title remains
    store.delete_thread(OWNER, "other")
    assert _hits(store, OWNER, "picnic") == _hits(store, OWNER, "logistics") == []


# (typed query, whether it should find "zebra crossing"): FTS operators, quotes, SQL,
# control characters and emoji are never syntax; the words in them still count.
NASTY_QUERIES = [
    ('"', False),
    ("'", False),
    ('zebra"', True),
    ('"zebra crossing"', True),
    ("zebra' --", True),
    ("zebra' OR 1=1 --", False),
    ("AND", False),
    ("OR NOT", False),
    ("NEAR(zebra", False),
    ("zeb*", True),
    ("*", False),
    ("^zebra", True),
    ("-zebra", True),
    (":zebra", True),
    ("zebra:", True),
    ("crossing:zebra", True),
    ("(((", False),
    ("zebra & | ! <->", True),
    (":*", False),
    ("\\", False),
    ("%_%", False),
    ("\x00zebra", True),
    ("\ud800zebra", True),
    ("💥 zebra 💥", True),
    ("zebra " * 500, True),
    ("_", False),
    ("    ", False),
]


@pytest.mark.parametrize(("query", "finds"), NASTY_QUERIES, ids=range(len(NASTY_QUERIES)))
def test_search_with_special_characters_never_fails(sqlite_file, query, finds):
    store = sqlite_file()
    turn = a_turn("zebra crossing", 1)
    store.save_messages(OWNER, "zoo", turn)
    assert _hits(store, OWNER, query) == ([("zoo", turn[0].id)] if finds else [])


def test_search_with_special_characters_never_fails_on_postgresql(pg_schema):
    store = pg_schema()
    turn = a_turn("zebra crossing", 1)
    store.save_messages(OWNER, "zoo", turn)
    for query, finds in NASTY_QUERIES:
        assert _hits(store, OWNER, query) == ([("zoo", turn[0].id)] if finds else []), query


# Found by name, so the test holds whatever number the search step ends up with.
FTS_VERSION = next(v for v, step in MIGRATIONS.items() if "search" in step.__name__)


def _to_version_before_search(conn: sa.Connection) -> None:
    """A schema-1 database taken to the version just before search, by the registry."""
    for version in range(2, FTS_VERSION):
        MIGRATIONS[version](conn)
        conn.execute(schema_version.insert().values(version=version, applied_at=0))


def _check_search_migration(store: ConversationStore) -> None:
    with store.engine.connect() as conn:
        versions = conn.execute(sa.select(schema_version.c.version)).scalars().all()
    assert FTS_VERSION in versions
    store.adopt_legacy(OWNER)
    assert _hits(store, OWNER, "Ada") == [("v1-thread-b", "b1"), ("v1-thread-b", "b2")]
    store.rename_thread(OWNER, "v1-thread-a", "Old arithmetic")  # titles were backfilled too
    assert _hits(store, OWNER, "arithmetic") == [("v1-thread-a", None)]
    assert _hits(store, OWNER, "calculator returned") == [("v1-thread-a", "a4")]
    assert _hits(store, STRANGER, "Ada") == []


def test_search_is_added_to_a_sqlite_database_of_the_previous_version(tmp_path):
    import shutil

    path = tmp_path / "previous.db"
    shutil.copy(V1_SQLITE, path)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        _to_version_before_search(conn)
    engine.dispose()
    store = ConversationStore(f"sqlite:///{path}")
    _check_search_migration(store)
    store.close()


def test_search_is_added_to_a_postgresql_database_of_the_previous_version(pg_schema):
    admin = pg_admin()
    with admin.begin() as conn:
        conn.execute(sa.text(f'SET LOCAL search_path TO "{pg_schema.schema}"'))
        conn.exec_driver_sql(V1_POSTGRESQL.read_text())
        _to_version_before_search(conn)
    admin.dispose()
    store = pg_schema()
    _check_search_migration(store)
    with store.engine.connect() as conn:
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("messages")}
    assert "ix_messages_search" in indexes


# --- an outage is a StoreError, a bug is itself ------------------------------------------


def _boom(*_args, **_kwargs):
    raise KeyError("a bug, not an outage")


def test_a_programming_error_in_a_store_method_is_raised_as_itself(make_store, monkeypatch):
    store = make_store()
    store.save_messages(OWNER, "t", a_turn("hello", 1))
    problems: list[str] = []
    mine = Conversations(store, OWNER, on_problem=problems.append)
    monkeypatch.setattr(store, "_require", _boom)
    with pytest.raises(KeyError):
        store.rename_thread(OWNER, "t", "renamed")
    with pytest.raises(KeyError):
        mine.delete("t")  # Conversations answers a default for an outage only
    monkeypatch.setattr(database, "message_row", _boom)
    with pytest.raises(KeyError):
        mine.save_or_raise("t", a_turn("never stored", 2), None)
    monkeypatch.undo()
    assert problems == []
    assert mine.get("t").title == "hello" and len(mine.load("t")) == 4


def test_a_wrong_engine_argument_is_raised_as_itself(tmp_path):
    with pytest.raises(TypeError, match="bogus"):
        ConversationStore(f"sqlite:///{tmp_path / 'c.db'}", bogus=True)


@pytest.mark.skipif(importlib.util.find_spec("MySQLdb") is not None, reason="driver installed")
def test_a_url_whose_driver_is_not_installed_is_unavailable_without_the_password():
    with pytest.raises(StoreError, match="unavailable") as caught:
        ConversationStore("mysql://agent:hunter2-secret@db.example/chat")
    assert "hunter2-secret" not in str(caught.value)


def test_a_sqlite_store_whose_folder_is_removed_is_unavailable(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    store = ConversationStore(f"sqlite:///{folder / 'c.db'}")
    store.save_messages(OWNER, "t", a_turn("hello", 1))
    store.engine.dispose()  # an open connection would keep the removed file alive
    shutil.rmtree(folder)
    with pytest.raises(StoreError, match="unavailable"):
        store.list_threads(OWNER)
    problems: list[str] = []
    mine = Conversations(store, OWNER, on_problem=problems.append)
    assert mine.list() is None
    assert problems == [PUBLIC_PROBLEM]
    with pytest.raises(StoreError):
        mine.save_or_raise("t", a_turn("not saved", 2), None)
    store.close()


class _Relay:
    """A loopback port relaying to PostgreSQL, which the test cuts like a network outage."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        # shutdown, not just close: a close leaves the port listening while accept() waits.
        for sock in (self.listener, *self.sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_a_postgresql_outage_is_unavailable_without_the_password(pg_schema):
    real = sa.make_url(PG_URL)
    relay = _Relay(real.host or "127.0.0.1", real.port or 5432)
    # Trust authentication ignores the password: it is here to be kept out of the error.
    url = real.set(host="127.0.0.1", port=relay.port, password="hunter2-secret")
    options = {"options": f"-csearch_path={pg_schema.schema}"}
    store = ConversationStore(url.render_as_string(hide_password=False), connect_args=options)
    store.save_messages(OWNER, "t", a_turn("hello", 1))
    relay.cut()
    with pytest.raises(StoreError, match="unavailable") as caught:
        store.list_threads(OWNER)
    assert "hunter2-secret" not in str(caught.value)
    problems: list[str] = []
    assert Conversations(store, OWNER, on_problem=problems.append).list() is None
    assert problems == [PUBLIC_PROBLEM]
    store.close()
