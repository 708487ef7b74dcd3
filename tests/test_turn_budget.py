"""One turn's budget, through the page: a deadline that ends any stream, an output cap, and
an approval that belongs to its conversation (AppTest, the scripted model on loopback)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from streamlit_agent.agent.tool_runner import STEP_OUTPUT_CHARS, cap_output
from streamlit_agent.store.database import ConversationStore
from tests.apptest_support import OWNER, ask, start, texts, thread_of
from tests.scripted_openai import Reply


def _stored_answer(thread: str) -> Any:
    store = ConversationStore(os.environ["STREAMLIT_AGENT_DB_URL"])
    try:
        return store.load_messages(OWNER, thread)[-1]
    finally:
        store.close()


def _captions(at: Any) -> str:
    return " ".join(c.value for c in at.main.caption)


@pytest.mark.parametrize("reply", ["trickle", "stall"])
def test_a_stream_that_never_ends_ends_at_the_run_limit_and_keeps_what_arrived(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, reply: str
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_MAX_RUN_SECONDS", "3")
    words = " ".join(f"word{n}" for n in range(400))
    if reply == "trickle":  # a chunk a second, 40 chunks: 40 s if nothing stops it
        app_env.chunk_delay = 1.0
        app_env.enqueue(Reply.text(words))
    else:  # two chunks, then nothing at all until the request timeout (60 s)
        app_env.enqueue(Reply(content=words, stall_after=2))
    at = start()
    began = time.monotonic()
    at = ask(at, "Tell me a long story")
    took = time.monotonic() - began
    assert not at.exception
    assert took < 3 + 5, f"the turn took {took:.1f} s with a 3 s limit"
    assert "Stopped at the time limit of 3 s" in _captions(at)
    answer = _stored_answer(thread_of(at))
    assert answer.response_metadata["status"] == "interrupted"
    assert "time limit" in answer.response_metadata["stop_reason"]
    assert str(answer.content).startswith("word0"), "what arrived is kept"
    assert len(str(answer.content)) < len(words)


def test_the_next_question_is_answered_after_a_turn_hit_its_limit(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_MAX_RUN_SECONDS", "2")
    app_env.enqueue(Reply(content="never finished " * 20, stall_after=1))
    at = ask(start(), "Tell me a long story")
    at = ask(at, "My name is Ada")
    assert texts(at)[-1] == "Nice to meet you, Ada!"


def test_a_tool_output_is_capped_for_the_step_and_for_the_model() -> None:
    huge = "x" * (STEP_OUTPUT_CHARS * 3)
    output = cap_output(huge, 4000)
    assert len(output) < 4100
    assert output.full_output is not None
    assert len(output.full_output) < STEP_OUTPUT_CHARS + 100
    assert "showing 100,000 of 300,000 characters" in output.full_output
    small = cap_output("y" * (STEP_OUTPUT_CHARS + 1), 0)  # no model cap: the step cap holds
    assert len(small) < STEP_OUTPUT_CHARS + 100


def _new_conversation() -> str:
    store = ConversationStore(os.environ["STREAMLIT_AGENT_DB_URL"])
    try:
        return store.create_thread(OWNER)
    finally:
        store.close()


def _approval_buttons(at: Any) -> list[Any]:
    return [b for b in at.main.button if "Approve" in b.label or "Deny" in b.label]


def test_an_approval_is_drawn_and_decided_only_in_its_own_conversation(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    monkeypatch.setenv("STREAMLIT_AGENT_NOTES_DIR", str(notes))
    at = start()
    first = thread_of(at)
    at.sidebar.toggle(key=f"tool-enabled:{first}:save_note").set_value(True).run()
    at = ask(at, "Save a note titled groceries: milk and eggs")
    assert _approval_buttons(at)

    other = _new_conversation()
    at.query_params["thread"] = other
    at.run()
    assert not _approval_buttons(at), "the approval followed the user into another conversation"
    assert texts(at) == []

    at.query_params["thread"] = first
    at.run()
    approve = next(b for b in _approval_buttons(at) if "Approve" in b.label)
    approve.click().run()
    assert (notes / "groceries.md").exists() or any(notes.glob("*"))
    assert any("groceries" in t for t in texts(at))

    at.query_params["thread"] = other
    at.run()
    assert texts(at) == [], "the first conversation's turn was written into the second"


def test_a_decision_runs_only_the_call_it_was_asked_for(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from streamlit_agent.web import turn

    monkeypatch.setenv("STREAMLIT_AGENT_NOTES_DIR", str(tmp_path / "notes"))
    at = start()
    first = thread_of(at)
    at.sidebar.toggle(key=f"tool-enabled:{first}:save_note").set_value(True).run()
    at = ask(at, "Save a note titled groceries: milk and eggs")
    pending = at.session_state[turn.PENDING_APPROVAL_KEY][first]
    # A click from a page drawn for another call (or another conversation) decides nothing.
    with pytest.MonkeyPatch.context() as patch:
        state: dict[str, Any] = {turn.PENDING_APPROVAL_KEY: {first: dict(pending)}}
        patch.setattr(turn.st, "session_state", state)
        turn.decide(first, pending["key"] + "-other", True)
        turn.decide("another-thread", pending["key"], True)
        assert turn.RETRY_REQUEST_KEY not in state
        assert first in state[turn.PENDING_APPROVAL_KEY]
        turn.decide(first, pending["key"], True)
        assert state[turn.RETRY_REQUEST_KEY]["thread_id"] == first
        assert state[turn.DECISIONS_KEY][pending["message_id"]] == {pending["key"]: True}


def test_an_answer_that_streams_past_the_output_cap_ends_and_keeps_what_arrived(
    app_env: Any,
) -> None:
    from streamlit_agent.web.turn import TURN_OUTPUT_CHARS

    app_env.chunk_delay = 0.0
    app_env.enqueue(Reply.text("z" * (TURN_OUTPUT_CHARS * 2)))
    at = ask(start(), "Say z forever")
    assert not at.exception
    assert "the most one answer may stream" in _captions(at)
    answer = _stored_answer(thread_of(at))
    assert answer.response_metadata["status"] == "interrupted"
    assert 0 < len(str(answer.content)) <= TURN_OUTPUT_CHARS


def test_a_note_past_its_size_is_refused_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from streamlit_agent.tools.notes import MAX_NOTE_CHARS, save_note

    monkeypatch.setenv("STREAMLIT_AGENT_NOTES_DIR", str(tmp_path))
    said = save_note.invoke({"title": "big", "text": "n" * (MAX_NOTE_CHARS + 1)})
    assert said.startswith("Not saved")
    assert list(tmp_path.iterdir()) == []
    assert "Saved" in save_note.invoke({"title": "small", "text": "fine"})


def test_a_tool_error_reaches_the_model_and_the_step_scrubbed_and_capped() -> None:
    from langchain_core.tools import tool

    from streamlit_agent.agent.tool_runner import MAX_REASON_CHARS, guard_tool

    @tool
    def leaky(query: str) -> str:
        """Fails quoting a URL with credentials, as HTTP clients do."""
        raise RuntimeError(
            "Client error for url 'https://bob:hunter2-pass@api.example/v1?api_key=K3y-0123456789'"
            + " and more" * 1000
        )

    said = str(guard_tool(leaky, 5, 4000).invoke({"query": "x"}))
    assert said.startswith("Tool leaky failed: RuntimeError:")
    assert "hunter2-pass" not in said and "K3y-0123456789" not in said
    assert len(said) < MAX_REASON_CHARS + 100


def test_a_long_answer_is_redrawn_less_often_as_each_redraw_gets_dearer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each redraw cleans the whole answer so far; redrawing at a fixed rate would make a
    long answer's drawing cost grow with the square of its length."""
    from streamlit_agent.web.ui import chat

    clock = [0.0]
    monkeypatch.setattr(chat.time, "monotonic", lambda: clock[0])

    class SlowSlot:
        draws = 0

        def markdown(self, text: str) -> None:
            SlowSlot.draws += 1
            clock[0] += 0.05  # a redraw of a long answer: 50 ms

        def empty(self) -> None: ...

    stream = chat.AnswerStream(thinking_slot=SlowSlot(), slot=SlowSlot())
    for _ in range(200):  # a token every 5 ms
        clock[0] += 0.005
        stream.on_llm_new_token("word ")
    assert SlowSlot.draws <= 20, f"{SlowSlot.draws} redraws of 50 ms for 1 s of tokens"
    assert SlowSlot.draws >= 5, "the answer still streams"


def test_words_held_back_by_the_pace_are_drawn_when_the_stream_stalls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model that sends three quick words and then goes quiet: the words after the first
    draw came too soon to be drawn, and no token follows to draw them; the page's wait
    (`catch_up`) draws them once they are due."""
    from streamlit_agent.web.ui import chat

    clock = [0.0]
    monkeypatch.setattr(chat.time, "monotonic", lambda: clock[0])
    drawn: list[str] = []

    class Slot:
        def markdown(self, text: str) -> None:
            drawn.append(text)

        def empty(self) -> None: ...

    stream = chat.AnswerStream(thinking_slot=Slot(), slot=Slot(), interval_s=0.1)
    for word in ("This", " answer", " starts"):
        stream.on_llm_new_token(word)
        clock[0] += 0.01
    assert "starts" not in drawn[-1], "the pace held the last words back"
    stream.catch_up()  # too soon: still within the pace
    assert "starts" not in drawn[-1]
    clock[0] += 0.2
    stream.catch_up()
    assert drawn[-1].startswith("This answer starts")
    count = len(drawn)
    clock[0] += 0.2
    stream.catch_up()  # nothing new: nothing drawn again
    assert len(drawn) == count
