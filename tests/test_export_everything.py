""" "Export all my data": one versioned JSON document of everything the store keeps."""

from __future__ import annotations

import json

from langchain_core.messages import messages_from_dict

from streamlit_agent.conversation.export import (
    EVERYTHING_FORMAT_VERSION,
    EXPORT_FORMAT_VERSION,
    conversation_document,
    export_everything,
)
from streamlit_agent.safety.redact import MARK
from streamlit_agent.store.database import ConversationStore
from tests.test_store_mydata import fill

ME, THEM = "anon:me", "anon:them"
KEY = "sk-proj-" + "Ab3" * 16  # shaped like an OpenAI key


def _store(tmp_path) -> ConversationStore:
    store = ConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    fill(store, ME, "mine", f"<b>hello</b> and my key {KEY}")
    fill(store, THEM, "theirs")
    return store


def test_the_document_has_a_version_sections_and_every_conversation(tmp_path):
    store = _store(tmp_path)
    document = json.loads(export_everything(store.export_all(ME), ME))
    assert document["format"] == "streamlit-agent-everything"
    assert document["format_version"] == EVERYTHING_FORMAT_VERSION
    assert document["owner"] == ME
    assert set(document["sections"]) == {"conversations", "usage", "memories"}
    section = document["sections"]["conversations"]
    assert section["count"] == 2 and section["complete"] and section["left_out"] == 0
    assert section["conversation_format_version"] == EXPORT_FORMAT_VERSION
    items = {item["conversation"]["id"]: item for item in section["items"]}
    assert set(items) == {"mine-1", "mine-2"}
    first = items["mine-1"]
    assert first["tool_choice"] == {"web_search": False}
    assert first["model_choice"] == "openai:mine-model"
    assert first["turns"][0]["feedback"] == {"value": 0, "comment": "mine says it was wrong"}
    assert first["turns"][0]["steps"][0]["tool"] == "calculator"
    assert len(messages_from_dict(first["messages"])) == 4
    # Each conversation is the per-conversation export's document, plus the choices.
    thread = store.get_thread(ME, "mine-2")
    alone = conversation_document(thread, store.load_messages(ME, "mine-2"))
    assert {k: v for k, v in items["mine-2"].items() if k in alone} == json.loads(
        json.dumps(alone, default=str)
    )
    usage = document["sections"]["usage"]
    assert usage["totals"] == {"message": 1, "tokens": 120} and usage["complete"]
    assert sorted((r["kind"], r["amount"]) for r in usage["records"]) == [
        ("message", 1),
        ("tokens", 120),
    ]
    text = json.dumps(document)
    assert "theirs" not in text and THEM not in text


def test_credentials_are_scrubbed_and_text_is_kept_as_data(tmp_path):
    text = export_everything(_store(tmp_path).export_all(ME), ME)
    assert KEY not in text and MARK in text
    document = json.loads(text)
    questions = [
        turn["question"]
        for item in document["sections"]["conversations"]["items"]
        for turn in item["turns"]
    ]
    # Markup stays as the characters typed: a JSON document is data, never rendered.
    assert f"mine <b>hello</b> and my key {MARK}" in questions


def test_a_capped_export_says_what_it_left_out(tmp_path):
    store = _store(tmp_path)
    document = json.loads(export_everything(store.export_all(ME, max_conversations=1), ME))
    section = document["sections"]["conversations"]
    assert section["count"] == 1 and section["left_out"] == 1 and not section["complete"]


def test_nobody_with_nothing_stored_gets_an_empty_document(tmp_path):
    store = _store(tmp_path)
    document = json.loads(export_everything(store.export_all("anon:new"), "anon:new"))
    assert document["sections"]["conversations"]["items"] == []
    assert document["sections"]["usage"] == {
        "totals": {},
        "left_out": 0,
        "complete": True,
        "records": [],
    }
