"""Conversation memory: Streamlit session state, written through to the durable store.

Session state is the working memory `RunnableWithMessageHistory` reads and writes
(`StreamlitChatMessageHistory`). Every write also goes to the store; when the store
is down the messages wait in session state and are written on the next attempt,
so a failing database never costs the user a message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import streamlit as st
from langchain_community.chat_message_histories import StreamlitChatMessageHistory
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage, HumanMessage

from streamlit_agent.conversation.documents import DocumentScope
from streamlit_agent.conversation.steps import new_message_id
from streamlit_agent.store.database import (
    ConversationStore,
    StoreError,
    ThreadNotFound,
    new_thread_id,
)
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web.page_state import (
    ACTIVE_THREAD_KEY,
    ISSUED_KEY,
    PARENTS_KEY,
    STORE_PROBLEM_KEY,
    UNREADABLE_KEY,
    UNSAVED_KEY,
)

logger = logging.getLogger(__name__)


def issue_thread_id() -> str:
    """A new conversation id, made here and remembered as this session's."""
    thread_id = new_thread_id()
    st.session_state.setdefault(ISSUED_KEY, set()).add(thread_id)
    return thread_id


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
        messages = ensure_ids(messages)
        self.remember(messages)
        self.persist(messages)

    def document_scope(self) -> DocumentScope:
        """What the document tools of a turn here may read: this conversation, checked
        against its owner on every read. Its store problems are not reported to the page:
        the tools run on threads of their own, and tell the model the store is down."""
        owner_bound = Conversations(self.conversations.store, self.conversations.owner)
        return DocumentScope(owner_bound, self.thread_id)

    def remember(self, messages: Sequence[BaseMessage]) -> None:
        """Add `messages` to working memory (session state) only, each id once; each
        continues the message before it there (the branch on screen)."""
        present = {m.id for m in self.messages}
        new = [m for m in messages if m.id not in present]
        link(new, self.messages[-1].id if self.messages else None)
        self.messages.extend(new)

    def persist(self, messages: Sequence[BaseMessage]) -> bool:
        """Write `messages` (and any earlier unsaved ones) to the store; True when saved."""
        messages = ensure_ids(messages)
        unsaved: list[tuple[str, BaseMessage]] = st.session_state.setdefault(UNSAVED_KEY, [])
        # While the store is down a message waits once, however often it is written.
        queued = {m.id for t, m in unsaved if t == self.thread_id}
        unsaved.extend((self.thread_id, m) for m in messages if m.id not in queued)
        return flush_unsaved(self.conversations, self.model_label)

    def branch_before(self, message_id: str) -> None:
        """Working memory ends just before `message_id` (Retry, Regenerate, Edit & resend):
        the next question continues the message before it, as a new branch beside it.
        Nothing is deleted: the store keeps the earlier version as a sibling."""
        ids = [m.id for m in self.messages]
        if message_id in ids:
            del self.messages[ids.index(message_id) :]


def link(messages: Sequence[BaseMessage], after: str | None) -> None:
    """Note the message each of `messages` continues (the one before it; the first,
    `after`), for the store; a message linked once keeps its parent."""
    parents: dict[str, str | None] = st.session_state.setdefault(PARENTS_KEY, {})
    for message in ensure_ids(messages):
        parents.setdefault(message.id or "", after)
        after = message.id


class TurnWriter(BaseChatMessageHistory):
    """The one writer of a turn's messages, each written once.

    The question is stored before the run (`start`), so a Stop never loses it; each tool
    call and its result as soon as the call finishes (`checkpoint`: the store only, so a
    crash keeps the steps that were done); then exactly one outcome: the answer, handed
    over by RunnableWithMessageHistory (`add_messages`), or what the page keeps when the
    turn is stopped, fails or runs out of time (`finish`), whichever comes first. The
    agent runs in a worker thread while the page waits, and a Stop can land just as the
    run finishes: without the claim both would store an answer.
    """

    def __init__(self, history: DurableChatHistory, question: HumanMessage) -> None:
        self.history = history
        self.question = question
        self._lock = threading.Lock()
        self._claimed = False
        self._written: set[str | None] = set()
        self._tail = question.id  # the turn's last message written: the next continues it
        self.cancelled = threading.Event()
        # Set once the outcome is in history; the next run of the page waits for it, so
        # it never draws a half-written turn.
        self.settled = threading.Event()

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """What RunnableWithMessageHistory reads: the conversation so far."""
        return self.history.messages

    def start(self) -> None:
        self._write([self.question])

    def checkpoint(self, finished: list[BaseMessage]) -> None:
        """The turn's finished tool calls so far (a `StepRecorder` checkpoint). Holding the
        lock, so a claim waits for a checkpoint in progress and none lands after it."""
        with self._lock:
            if not self._claimed and not self.cancelled.is_set():
                fresh = self._unwritten(finished)
                link(fresh, self._tail)
                self._tail = fresh[-1].id if fresh else self._tail
                self.history.persist(fresh)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.finish(messages)

    def finish(self, messages: Sequence[BaseMessage]) -> bool:
        """Store the turn's outcome unless another one was stored first; True if this one was."""
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            self._write(messages)
            return True

    def _unwritten(self, messages: Sequence[BaseMessage]) -> list[BaseMessage]:
        fresh = [m for m in ensure_ids(messages) if m.id not in self._written]
        self._written.update(m.id for m in fresh)
        return fresh

    def _write(self, messages: Sequence[BaseMessage]) -> None:
        messages = ensure_ids(messages)
        self.history.remember(messages)
        self.history.persist(self._unwritten(messages))
        # Remembering noted a parent for the checkpointed messages too: where they are
        # stored already, the note is stale (a message waiting keeps its own).
        waiting = {m.id for _, m in st.session_state.get(UNSAVED_KEY, [])}
        parents = st.session_state.get(PARENTS_KEY, {})
        for message in messages:
            if message.id not in waiting:
                parents.pop(message.id or "", None)

    def clear(self) -> None:
        raise NotImplementedError("a turn's messages are never cleared")


def flush_unsaved(conversations: Conversations, model_label: str | None = None) -> bool:
    """Retry writes that failed earlier, oldest first, grouped by conversation."""
    unsaved: list[tuple[str, BaseMessage]] = st.session_state.setdefault(UNSAVED_KEY, [])
    while unsaved:
        thread_id = unsaved[0][0]
        batch = [m for t, m in unsaved if t == thread_id]
        parents: dict[str, str | None] = st.session_state.setdefault(PARENTS_KEY, {})
        known = {m.id: parents[m.id] for m in batch if m.id in parents}
        try:
            conversations.save_or_raise(thread_id, batch, model_label, known)
        except ThreadNotFound:
            # Someone else's id can only get here by a bug; never retry it into their thread.
            logger.error("dropped %d messages for a conversation not theirs", len(batch))
        except (StoreError, ConnectionError) as exc:
            conversations.note_problem(exc)
            return False
        unsaved[:] = [(t, m) for t, m in unsaved if t != thread_id]
        for message in batch:
            parents.pop(message.id or "", None)
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


def show_branch(key: str, thread_id: str, conversations: Conversations, message_id: str) -> None:
    """The ‹ n / m › switch: show the branch through `message_id` (to its newest message).
    Working memory is loaded again by the next run (`open_thread`), so the model gets the
    branch on screen; if the store cannot answer, the page stays as it was."""
    flush_unsaved(conversations)  # a message still waiting belongs to the branch it was on
    if st.session_state.get(UNSAVED_KEY):
        return
    if conversations.choose_branch(thread_id, message_id):
        st.session_state.pop(key, None)
