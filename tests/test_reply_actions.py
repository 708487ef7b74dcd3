"""Reply actions without a browser: price table and starters settings, the token and cost
meter, feedback comments in the store (and the migration that adds them), and exports."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from langchain_core.messages import AIMessage, HumanMessage

from streamlit_agent.config import (
    DEFAULT_STARTERS,
    Settings,
    configuration_problems,
    load_settings,
)
from streamlit_agent.conversation.export import AnswerNotes, export_json, export_markdown
from streamlit_agent.conversation.meter import (
    Usage,
    answer_usage,
    conversation_usage,
    describe,
    price_for,
)
from streamlit_agent.store.database import ConversationStore
from streamlit_agent.store.migrations import MIGRATIONS, SCHEMA_VERSION
from streamlit_agent.store.schema import schema_version
from streamlit_agent.web.turn import RETRY_REQUEST_KEY, starters_for
from tests.apptest_support import OWNER as APPTEST_OWNER
from tests.apptest_support import ask, start, texts, thread_of
from tests.test_store import (  # the store fixtures, run here on SQLite and PostgreSQL too
    OWNER,
    STRANGER,
    V1_SQLITE,
    a_turn,
    make_store,
    pg_schema,
    sqlite_file,
)

PRICES = (("gpt-4o", 2.5, 10.0), ("gpt-4o-mini", 0.15, 0.6))
STORE_FIXTURES = (make_store, pg_schema, sqlite_file)


def answer(tokens_in: int, tokens_out: int, model: str | None = "gpt-4o-mini") -> AIMessage:
    meta: dict = {"status": "complete", "usage": {"input_tokens": tokens_in}}
    meta["usage"]["output_tokens"] = tokens_out
    if model:
        meta["model_name"] = model
    return AIMessage(content="ok", id=f"a{tokens_in}-{tokens_out}", response_metadata=meta)


# --- settings ---------------------------------------------------------------------------


def test_price_table_overrides_merge_over_the_defaults(tmp_path: Path) -> None:
    inline = load_settings(
        env={"STREAMLIT_AGENT_PRICES": '{"my-model": [1, 2], "gpt-4o": {"input": 3, "output": 4}}'}
    )
    table = {name: (i, o) for name, i, o in inline.prices}
    assert table["my-model"] == (1.0, 2.0) and table["gpt-4o"] == (3.0, 4.0)
    assert table["gpt-4.1-mini"] == (0.40, 1.60)  # a default left alone
    toml = tmp_path / "prices.toml"
    toml.write_text('[ "house-model" ]\ninput = 0.5\noutput = 1.5\n')
    from_file = load_settings(env={"STREAMLIT_AGENT_PRICES": str(toml)})
    assert ("house-model", 0.5, 1.5) in from_file.prices
    assert configuration_problems(from_file) == []
    hash(from_file)  # settings stay hashable


@pytest.mark.parametrize(
    "raw",
    ['{"m": [1]}', '{"m": "cheap"}', "[1, 2]", "{not json", "/no/such/prices.json", '{"m":[-1,2]}'],
)
def test_a_price_table_that_cannot_be_used_is_named_and_the_defaults_kept(raw: str) -> None:
    settings = load_settings(env={"STREAMLIT_AGENT_PRICES": raw})
    assert settings.prices == Settings().prices
    problems = configuration_problems(settings)
    assert len(problems) == 1 and problems[0].startswith("STREAMLIT_AGENT_PRICES")


def test_starters_are_configurable_and_follow_the_enabled_tools() -> None:
    assert starters_for(DEFAULT_STARTERS, ["calculator"], 4) == [
        DEFAULT_STARTERS[0][0],
        "What is 37 * 41?",
    ]
    assert (
        len(starters_for(DEFAULT_STARTERS, ["calculator", "current_datetime", "web_search"], 3))
        == 3
    )
    mine = load_settings(
        env={"STREAMLIT_AGENT_STARTERS": '["Hello", {"text": "Add 2 + 2", "tool": "calculator"}]'}
    )
    assert mine.starters == (("Hello", ""), ("Add 2 + 2", "calculator"))
    assert starters_for(mine.starters, [], 4) == ["Hello"]
    assert load_settings(env={"STREAMLIT_AGENT_STARTERS": "[]"}).starters == ()
    bad = load_settings(env={"STREAMLIT_AGENT_STARTERS": '[{"tool": "x"}]'})
    assert bad.starters == DEFAULT_STARTERS
    assert configuration_problems(bad)[0].startswith("STREAMLIT_AGENT_STARTERS")


# --- meter ------------------------------------------------------------------------------


def test_price_lookup_matches_exact_and_dated_names_only() -> None:
    assert price_for("gpt-4o-mini", PRICES) == (0.15, 0.6)
    assert price_for("gpt-4o-mini-2024-07-18", PRICES) == (0.15, 0.6)
    assert price_for("gpt-4o-2024-08-06", PRICES) == (2.5, 10.0)
    assert price_for("gpt-4o-audio", PRICES) is None  # another model, not a dated gpt-4o
    assert price_for("scripted-model", PRICES) is None
    assert price_for(None, PRICES) is None


def test_answer_and_conversation_meter() -> None:
    priced = answer(1_000_000, 100_000)
    used = answer_usage(priced, PRICES)
    assert used == Usage(1_000_000, 100_000, pytest.approx(0.15 + 0.06))
    unknown = answer(10, 5, model="smollm2")
    assert answer_usage(unknown, PRICES) == Usage(10, 5, None, unpriced=1)
    assert describe(answer_usage(unknown, PRICES)) == "10 in · 5 out tokens"
    tool_ask = AIMessage(content="", id="x", tool_calls=[{"name": "t", "args": {}, "id": "c"}])
    assert answer_usage(tool_ask, PRICES) is None
    assert answer_usage(HumanMessage(content="hi", id="h"), PRICES) is None
    total = conversation_usage([HumanMessage(content="q", id="q"), priced, unknown], PRICES)
    assert (total.input_tokens, total.output_tokens, total.unpriced) == (1_000_010, 100_005, 1)
    assert describe(total) == "1,000,010 in · 100,005 out tokens · ≈ $0.2100 (+1 unpriced)"
    only_unknown = conversation_usage([unknown, answer(1, 1, model=None)], PRICES)
    assert only_unknown.cost_usd is None and only_unknown.total_tokens == 17


# --- store ------------------------------------------------------------------------------


def test_feedback_comment_is_kept_with_a_thumbs_down_only(make_store) -> None:
    store = make_store()
    turn = a_turn("Is this right?", 1)
    store.save_messages(OWNER, "t", turn)
    answer_id = turn[3].id
    store.set_feedback(OWNER, "t", answer_id, 0, "  Wrong <b>number</b>\x00  ")
    assert store.feedback_for(OWNER, "t") == {answer_id: 0}
    assert store.feedback_comments(OWNER, "t") == {answer_id: "Wrong <b>number</b>\ufffd"}
    assert store.feedback_comments(STRANGER, "t") == {}
    store.set_feedback(OWNER, "t", answer_id, 1, "ignored with a thumbs up")
    assert store.feedback_comments(OWNER, "t") == {}
    store.set_feedback(OWNER, "t", answer_id, 0, "x" * 5000)
    assert len(store.feedback_comments(OWNER, "t")[answer_id]) == 2000


def test_a_schema_2_database_gets_feedback_comments(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    shutil.copy(V1_SQLITE, path)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # the database as the release before comments left it
        MIGRATIONS[2](conn)
        conn.execute(schema_version.insert().values(version=2, applied_at=0))
    engine.dispose()
    with sqlite3.connect(path) as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(messages)")}
        raw.execute("UPDATE messages SET feedback = 1")
    assert "feedback_comment" not in columns

    store = ConversationStore(f"sqlite:///{path}")
    with store.engine.connect() as conn:
        versions = sorted(conn.execute(sa.select(schema_version.c.version)).scalars())
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    store.adopt_legacy(OWNER)
    kept = store.feedback_for(OWNER, "v1-thread-a")
    assert kept and set(kept.values()) == {1}  # thumbs given before the upgrade stay
    answer_id = store.load_messages(OWNER, "v1-thread-a")[-1].id
    store.set_feedback(OWNER, "v1-thread-a", answer_id, 0, "too slow")
    assert store.feedback_comments(OWNER, "v1-thread-a") == {answer_id: "too slow"}
    store.close()


# --- exports ----------------------------------------------------------------------------


def test_exports_carry_meter_feedback_and_the_replacement_policy(tmp_path: Path) -> None:
    store = ConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    first, second = a_turn("What is 1 + 1?", 1), a_turn("And 2 + 2?", 2)
    first[3] = answer(1200, 300)
    first[3].id = "answer-1"
    for turn in (first, second):
        store.save_messages(OWNER, "t", turn)
    store.set_feedback(OWNER, "t", "answer-1", 0, "It forgot the ```units```")
    thread, messages = store.get_thread(OWNER, "t"), store.load_messages(OWNER, "t")
    notes = AnswerNotes(store.feedback_for(OWNER, "t"), store.feedback_comments(OWNER, "t"), PRICES)

    document = json.loads(export_json(thread, messages, notes))
    assert document["version"] == 3
    assert document["conversation"]["replaced_answers"] == "kept as branches"
    turn = document["turns"][0]
    cost = round((1200 * 0.15 + 300 * 0.6) / 1e6, 6)
    assert turn["meter"] == {"input_tokens": 1200, "output_tokens": 300, "cost_usd": cost}
    assert turn["model_name"] == "gpt-4o-mini"
    assert turn["feedback"] == {"value": 0, "comment": "It forgot the ```units```"}
    assert document["turns"][1]["feedback"] is None
    assert document["conversation"]["usage"]["input_tokens"] == 1200

    text = export_markdown(thread, messages, notes)
    assert "_Tokens: 1,200 in · 300 out tokens · ≈ $0.0004_" in text
    assert "Feedback: 👎\n\n````\nIt forgot the ```units```\n````" in text
    assert "other versions (Regenerate, Edit & resend) are in\n  the JSON export" in text
    store.close()


# --- the page ---------------------------------------------------------------------------


def test_a_stale_regenerate_of_an_earlier_turn_changes_nothing(app_env, tmp_path: Path) -> None:
    at = ask(ask(start(), "My name is Ada"), "What is my name?")
    before = texts(at)
    assert len(before) == 4 and "Your name is Ada." in before[3]
    assert [b.label for b in at.button if b.key and b.key.startswith("regenerate-")] == [
        "🔄 Regenerate"
    ]  # on the latest turn only
    store = ConversationStore(f"sqlite:///{tmp_path / 'chat.db'}")
    stored = store.load_messages(APPTEST_OWNER, thread_of(at))
    sent = len(app_env.requests)
    # A Regenerate click left on a page drawn before the second question.
    at.session_state[RETRY_REQUEST_KEY] = {
        "text": "My name is Ada",
        "remove": [m.id for m in stored[:2]],
    }
    at.run()
    assert texts(at) == before
    assert len(app_env.requests) == sent
    assert [m.id for m in store.load_messages(APPTEST_OWNER, thread_of(at))] == [
        m.id for m in stored
    ]
    store.close()
