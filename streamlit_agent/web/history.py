"""Conversation memory: Streamlit session state, written through to the durable store.

Session state is the working memory `RunnableWithMessageHistory` reads and writes
(`StreamlitChatMessageHistory`). Every write also goes to the store; when the store
is down the messages wait in session state and are written on the next attempt,
so a failing database never costs the user a message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import streamlit as st
from langchain_community.chat_message_histories import StreamlitChatMessageHistory
from langchain_core.messages import BaseMessage

from streamlit_agent.conversation.steps import new_message_id
from streamlit_agent.store.database import (
    ConversationStore,
    StoreError,
    ThreadNotFound,
    new_thread_id,
)
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web.page_context import on_this_page

logger = logging.getLogger(__name__)

ACTIVE_THREAD_KEY = "active_thread_id"
UNSAVED_KEY = "unsaved_messages"
STORE_PROBLEM_KEY = "store_problem"
UNREADABLE_KEY = "unreadable_messages"
ISSUED_KEY = "issued_threads"  # ids this session made: writable before the store has them


def issue_thread_id() -> str:
    """A new conversation id, made here and remembered as this session's."""
    thread_id = new_thread_id()
    st.session_state.setdefault(ISSUED_KEY, set()).add(thread_id)
    return thread_id


class TurnOutcome:
    """Lets exactly one party write a turn's answer: the finished run or its interruption.

    The agent runs in a worker thread while the page waits; a Stop can land just as
    the run finishes, and without this both would store an answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed = False
        self.cancelled = threading.Event()
        # Set once the turn's outcome (answer, error or partial) is in history; the
        # next run of the page waits for it so it never draws a half-written turn.
        self.settled = threading.Event()

    def claim(self) -> bool:
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def while_open(self, write: Callable[[], object]) -> None:
        """Run `write` unless the turn's outcome is already claimed or it was cancelled.

        Holding the lock, so a claim waits for a checkpoint in progress and no
        checkpoint lands after the turn's final (or interrupted) write.
        """
        with self._lock:
            if not self._claimed and not self.cancelled.is_set():
                write()


_turn_outcome: ContextVar[TurnOutcome | None] = ContextVar("turn_guard", default=None)


@contextmanager
def claiming_turn(outcome: TurnOutcome) -> Iterator[None]:
    """History writes made inside (by the agent's run) first claim `outcome`."""
    token = _turn_outcome.set(outcome)
    try:
        yield
    finally:
        _turn_outcome.reset(token)


def checkpoint_to(
    history: DurableChatHistory, outcome: TurnOutcome, question: BaseMessage
) -> Callable[[list[BaseMessage]], None]:
    """A `StepRecorder` checkpoint: store the question's finished tool calls as they finish.

    Only the store gets them (session state gets the whole turn at the end), so a crash
    or a killed process mid-answer keeps the steps that were done.
    """

    def store_finished(messages: list[BaseMessage]) -> None:
        outcome.while_open(lambda: history.persist([question, *messages]))

    # Called on the thread that ran the tool; persisting uses session state.
    return on_this_page(store_finished)


_history_in_use: ContextVar[DurableChatHistory | None] = ContextVar("history_in_use", default=None)


@contextmanager
def using_history(history: DurableChatHistory) -> Iterator[None]:
    """The agents are shared by every session; the turn tells them whose history to use."""
    token = _history_in_use.set(history)
    try:
        yield
    finally:
        _history_in_use.reset(token)


def history_in_use(thread_id: str) -> DurableChatHistory:
    """`RunnableWithMessageHistory`'s history factory: the running turn's own history."""
    history = _history_in_use.get()
    if history is None or history.thread_id != thread_id:
        raise LookupError("no history for this conversation in the running turn")
    return history


def ensure_ids(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    for message in messages:
        if not message.id:
            message.id = new_message_id()
    return list(messages)


class DurableChatHistory(StreamlitChatMessageHistory):
    """`StreamlitChatMessageHistory` whose writes also reach the owner's `Conversations`.

    Writes are keyed by message id, so adding a message that is already present
    (for example a user message stored before the agent ran) never duplicates it.
    """

    def __init__(
        self,
        key: str,
        thread_id: str,
        conversations: Conversations,
        model_label: str | None = None,
    ) -> None:
        super().__init__(key=key)
        self.thread_id = thread_id
        self.conversations = conversations
        self.model_label = model_label

    def add_message(self, message: BaseMessage) -> None:
        self.add_messages([message])

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        outcome = _turn_outcome.get()
        if outcome is not None and not outcome.claim():
            return  # the turn was interrupted and already stored as such
        messages = ensure_ids(messages)
        present = {m.id for m in self.messages}
        self.messages.extend(m for m in messages if m.id not in present)
        self.persist(messages)

    def persist(self, messages: Sequence[BaseMessage]) -> bool:
        """Write `messages` (and any earlier unsaved ones) to the store; True when saved."""
        messages = ensure_ids(messages)
        unsaved: list[tuple[str, BaseMessage]] = st.session_state.setdefault(UNSAVED_KEY, [])
        # A message can be written more than once (the question before the run and with
        # the turn, steps at each checkpoint); while the store is down it waits once.
        queued = {m.id for t, m in unsaved if t == self.thread_id}
        unsaved.extend((self.thread_id, m) for m in messages if m.id not in queued)
        return flush_unsaved(self.conversations, self.model_label)

    def remove(self, ids: set[str]) -> None:
        """Drop messages from memory and the store (used by Retry)."""
        self.messages[:] = [m for m in self.messages if m.id not in ids]
        self.conversations.remove_messages(self.thread_id, ids)


def flush_unsaved(conversations: Conversations, model_label: str | None = None) -> bool:
    """Retry writes that failed earlier, oldest first, grouped by conversation."""
    unsaved: list[tuple[str, BaseMessage]] = st.session_state.setdefault(UNSAVED_KEY, [])
    while unsaved:
        thread_id = unsaved[0][0]
        batch = [m for t, m in unsaved if t == thread_id]
        try:
            conversations.save_or_raise(thread_id, batch, model_label)
        except ThreadNotFound:
            # Someone else's id can only get here by a bug; never retry it into their thread.
            logger.error("dropped %d messages for a conversation not theirs", len(batch))
        except (StoreError, ConnectionError) as exc:
            conversations.note_problem(exc)
            return False
        unsaved[:] = [(t, m) for t, m in unsaved if t != thread_id]
    st.session_state.pop(STORE_PROBLEM_KEY, None)
    return True


def session_conversations(store: ConversationStore | None, owner: str) -> Conversations:
    """`owner`'s conversations, reporting store problems to this session's banner."""
    return Conversations(
        store,
        owner,
        on_problem=_show_problem,
        issued=st.session_state.setdefault(ISSUED_KEY, set()),
    )


def _show_problem(problem: str) -> None:
    st.session_state[STORE_PROBLEM_KEY] = problem


def open_thread(key: str, thread_id: str, conversations: Conversations) -> None:
    """Make `thread_id` the conversation in working memory, loading it when switching."""
    if st.session_state.get(ACTIVE_THREAD_KEY) == thread_id and key in st.session_state:
        return
    loaded = conversations.load(thread_id)
    messages: list[BaseMessage] = list(loaded)
    # Messages that never reached the store belong to this conversation too.
    unsaved = st.session_state.get(UNSAVED_KEY, [])
    known = {m.id for m in messages}
    for waiting_thread, message in unsaved:
        if waiting_thread == thread_id and message.id not in known:
            messages.append(message)
            known.add(message.id)
    st.session_state[key] = messages
    st.session_state[ACTIVE_THREAD_KEY] = thread_id
    st.session_state[UNREADABLE_KEY] = loaded.unreadable
