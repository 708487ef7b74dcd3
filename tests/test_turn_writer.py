"""One writer per turn: the question, each finished tool call and one outcome reach the
store once each, and a second outcome (a Stop racing the answer) is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from streamlit_agent.agent.build import build_agent, run_turn
from streamlit_agent.config import Settings
from streamlit_agent.conversation.steps import STATUS_INTERRUPTED, StepRecorder
from streamlit_agent.store.database import ConversationStore
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web.history import DurableChatHistory, TurnWriter
from tests.test_agent import ScriptedChatModel, call, multiply


class CountingStore(ConversationStore):
    """A real SQLite store that remembers every message id it was asked to save."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.saved: list[str] = []

    def save_messages(self, owner: str, thread_id: str, batch: Any, **kwargs: Any) -> None:
        self.saved += [m.id for m in batch]
        super().save_messages(owner, thread_id, batch, **kwargs)


def _writer(tmp_path: Path, question: HumanMessage) -> tuple[TurnWriter, CountingStore]:
    store = CountingStore(f"sqlite:///{tmp_path / 'c.db'}")
    conversations = Conversations(store, "owner-a")
    thread_id = store.create_thread("owner-a")
    history = DurableChatHistory(f"h-{tmp_path.name}", thread_id, conversations)
    history.clear()
    return TurnWriter(history, question), store


def _tool_round(n: int) -> list[BaseMessage]:
    ask = AIMessage("", id=f"ask{n}", tool_calls=[{"name": "m", "args": {}, "id": f"c{n}"}])
    return [ask, ToolMessage(str(n), tool_call_id=f"c{n}", id=f"res{n}")]


def test_each_message_is_written_once_and_only_the_first_outcome_counts(
    tmp_path: Path,
) -> None:
    question = HumanMessage("go", id="q")
    writer, store = _writer(tmp_path, question)
    writer.start()
    writer.checkpoint(_tool_round(1))
    writer.checkpoint([*_tool_round(1), *_tool_round(2)])  # checkpoints are cumulative
    answer = AIMessage("done", id="a")
    writer.add_messages([question, *_tool_round(1), *_tool_round(2), answer])
    late = AIMessage("stopped", id="late", response_metadata={"status": STATUS_INTERRUPTED})
    assert writer.finish([late]) is False

    assert store.saved == ["q", "ask1", "res1", "ask2", "res2", "a"]
    stored = store.load_messages("owner-a", writer.history.thread_id)
    assert [m.id for m in stored] == store.saved
    assert [m.id for m in writer.history.messages] == store.saved


def test_after_a_stop_no_checkpoint_and_no_answer_is_written(tmp_path: Path) -> None:
    question = HumanMessage("go", id="q")
    writer, store = _writer(tmp_path, question)
    writer.start()
    writer.cancelled.set()
    writer.checkpoint(_tool_round(1))
    assert writer.finish([AIMessage("kept so far", id="partial")]) is True
    writer.add_messages([question, AIMessage("too late", id="a")])
    assert store.saved == ["q", "partial"]


def test_a_real_turn_through_the_agent_writes_each_message_once(tmp_path: Path) -> None:
    question = HumanMessage("6*7?", id="q")
    writer, store = _writer(tmp_path, question)
    model = ScriptedChatModel(
        responses=[call("multiply", {"a": 6, "b": 7}, "c1"), AIMessage("42.")]
    )
    agent = build_agent(model, [multiply], Settings())  # no get_history: the run brings it
    writer.start()
    recorder = StepRecorder(on_step=writer.checkpoint)
    run_turn(agent, writer.history.thread_id, question, recorder, history=writer)

    assert len(store.saved) == len(set(store.saved)) == 4
    stored = store.load_messages("owner-a", writer.history.thread_id)
    assert [type(m).__name__ for m in stored] == [
        "HumanMessage", "AIMessage", "ToolMessage", "AIMessage"
    ]  # fmt: skip
    assert stored[-1].content == "42."
