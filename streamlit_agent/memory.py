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
from typing import Any, Protocol

import streamlit as st
from langchain_community.chat_message_histories import StreamlitChatMessageHistory
from langchain_core.messages import BaseMessage

from streamlit_agent.steps import new_message_id

logger = logging.getLogger(__name__)

ACTIVE_THREAD_KEY = "active_thread_id"
UNSAVED_KEY = "unsaved_messages"
STORE_PROBLEM_KEY = "store_problem"


class MessageStore(Protocol):
    """What memory needs from a store (see `streamlit_agent.store.ConversationStore`)."""

    def save_messages(
        self, thread_id: str, messages: Sequence[BaseMessage], *, model: str | None = None
    ) -> None: ...

    def load_messages(self, thread_id: str) -> list[BaseMessage]: ...

    def delete_messages(self, thread_id: str, ids: Any) -> None: ...

    def feedback_for(self, thread_id: str) -> dict[str, int]: ...

    def tool_choice(self, thread_id: str) -> dict[str, bool]: ...

    def set_tool_choice(self, thread_id: str, choice: dict[str, bool]) -> None: ...

    def set_feedback(self, thread_id: str, message_id: str, value: int | None) -> None: ...


class TurnGuard:
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


_turn_guard: ContextVar[TurnGuard | None] = ContextVar("turn_guard", default=None)


@contextmanager
def guarded_turn(guard: TurnGuard) -> Iterator[None]:
    """History writes made inside (by the agent's run) first claim `guard`."""
    token = _turn_guard.set(guard)
    try:
        yield
    finally:
        _turn_guard.reset(token)


def checkpoint_to(
    history: DurableChatHistory, guard: TurnGuard, question: BaseMessage
) -> Callable[[list[BaseMessage]], None]:
    """A `StepRecorder` checkpoint: store the question's finished tool calls as they finish.

    Only the store gets them (session state gets the whole turn at the end), so a crash
    or a killed process mid-answer keeps the steps that were done.
    """

    def store_finished(messages: list[BaseMessage]) -> None:
        guard.while_open(lambda: history.persist([question, *messages]))

    return store_finished


def ensure_ids(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    for message in messages:
        if not message.id:
            message.id = new_message_id()
    return list(messages)


class DurableChatHistory(StreamlitChatMessageHistory):
    """`StreamlitChatMessageHistory` whose writes also reach a `MessageStore`.

    Writes are keyed by message id, so adding a message that is already present
    (for example a user message stored before the agent ran) never duplicates it.
    """

    def __init__(
        self, key: str, thread_id: str, store: MessageStore | None, model_label: str | None = None
    ) -> None:
        super().__init__(key=key)
        self.thread_id = thread_id
        self.store = store
        self.model_label = model_label

    def add_message(self, message: BaseMessage) -> None:
        self.add_messages([message])

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        guard = _turn_guard.get()
        if guard is not None and not guard.claim():
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
        if self.store is None:
            st.session_state[STORE_PROBLEM_KEY] = "The conversation store could not be opened."
            return False
        return flush_unsaved(self.store, self.model_label)

    def remove(self, ids: set[str]) -> None:
        """Drop messages from memory and the store (used by Retry)."""
        self.messages[:] = [m for m in self.messages if m.id not in ids]
        if self.store is not None:
            try:
                self.store.delete_messages(self.thread_id, ids)
            except Exception as exc:
                _note_problem(exc)


def flush_unsaved(store: MessageStore, model_label: str | None = None) -> bool:
    """Retry writes that failed earlier, oldest first, grouped by conversation."""
    unsaved: list[tuple[str, BaseMessage]] = st.session_state.setdefault(UNSAVED_KEY, [])
    while unsaved:
        thread_id = unsaved[0][0]
        batch = [m for t, m in unsaved if t == thread_id]
        try:
            store.save_messages(thread_id, batch, model=model_label)
        except Exception as exc:
            _note_problem(exc)
            return False
        unsaved[:] = [(t, m) for t, m in unsaved if t != thread_id]
    st.session_state.pop(STORE_PROBLEM_KEY, None)
    return True


def _note_problem(exc: Exception) -> None:
    logger.warning("conversation store unavailable: %s", exc)
    st.session_state[STORE_PROBLEM_KEY] = str(exc) or type(exc).__name__


def open_thread(key: str, thread_id: str, store: MessageStore | None) -> None:
    """Make `thread_id` the conversation in working memory, loading it when switching."""
    if st.session_state.get(ACTIVE_THREAD_KEY) == thread_id and key in st.session_state:
        return
    messages: list[BaseMessage] = []
    if store is not None:
        try:
            messages = store.load_messages(thread_id)
        except Exception as exc:
            _note_problem(exc)
    # Messages that never reached the store belong to this conversation too.
    unsaved = st.session_state.get(UNSAVED_KEY, [])
    known = {m.id for m in messages}
    for waiting_thread, message in unsaved:
        if waiting_thread == thread_id and message.id not in known:
            messages.append(message)
            known.add(message.id)
    st.session_state[key] = messages
    st.session_state[ACTIVE_THREAD_KEY] = thread_id


def load_feedback(store: MessageStore | None, thread_id: str) -> dict[str, int]:
    """Thumbs given to this conversation's answers, by answer id ({} while the store is down)."""
    if store is None:
        return {}
    try:
        return store.feedback_for(thread_id)
    except Exception as exc:
        _note_problem(exc)
        return {}


def feedback_saver(store: MessageStore | None, thread_id: str) -> Any:
    """A callback that stores thumbs up (1) / down (0) for an answer, or None without a store."""
    if store is None:
        return None

    def save(message_id: str, value: int | None) -> None:
        try:
            store.set_feedback(thread_id, message_id, value)
        except Exception as exc:
            _note_problem(exc)

    return save


def load_tool_choice(store: MessageStore | None, thread_id: str) -> dict[str, bool]:
    """Tool toggles saved for this conversation ({} while the store is down)."""
    if store is None:
        return {}
    try:
        return store.tool_choice(thread_id)
    except Exception as exc:
        _note_problem(exc)
        return {}


def tool_choice_saver(store: MessageStore | None, thread_id: str) -> Any:
    """A callback that stores this conversation's tool toggles, or None without a store."""
    if store is None:
        return None

    def save(choice: dict[str, bool]) -> None:
        try:
            store.set_tool_choice(thread_id, choice)
        except Exception as exc:
            _note_problem(exc)

    return save
