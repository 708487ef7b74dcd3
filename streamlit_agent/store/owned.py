"""One person's conversations: the store bound to its owner.

Every store access of the app goes through `Conversations`, so every one carries the
owner (the store checks it). Each method is the store's own method with the owner
filled in; a store that cannot answer is reported through `on_problem` and the method
answers a default, while a programming error is raised like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TypeVar

from langchain_core.messages import BaseMessage

from streamlit_agent.store.database import (
    PUBLIC_PROBLEM,
    ConversationStore,
    DeletedCounts,
    LoadedMessages,
    OwnerData,
    StoreError,
    ThreadNotFound,
    ThreadSummary,
)
from streamlit_agent.store.passages import DocumentSummary, PassageHit
from streamlit_agent.store.search import SearchHit

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _ignore(problem: str) -> None:
    """The default `on_problem`: the log has the detail already."""


class Conversations:
    """One person's conversations. A store that is down is reported to `on_problem` (the
    page's banner) and the call answers its default; someone else's conversation answers
    the default too, like a missing one. `issued` holds the ids this session made, which
    are its own before the store has them."""

    def __init__(
        self,
        store: ConversationStore | None,
        owner: str,
        *,
        on_problem: Callable[[str], None] = _ignore,
        issued: Collection[str] = frozenset(),
    ) -> None:
        self.store = store
        self.owner = owner
        self.on_problem = on_problem
        self.issued = issued

    def for_owner(self, owner: str) -> Conversations:
        """The same store, reporting the same way, under another owner key."""
        return Conversations(self.store, owner, on_problem=self.on_problem)

    def _guarded(self, default: T, work: Callable[[ConversationStore], T]) -> T:
        if self.store is None:
            self.on_problem(PUBLIC_PROBLEM)
            return default
        try:
            return work(self.store)
        except ThreadNotFound:
            return default
        except StoreError as exc:
            self.note_problem(exc)
            return default

    def note_problem(self, exc: Exception) -> None:
        # The detail names the database (host, user): the log gets it, the page does not.
        logger.warning("conversation store unavailable: %s", exc)
        self.on_problem(PUBLIC_PROBLEM)

    @property
    def available(self) -> bool:
        return self.store is not None

    def list(self) -> list[ThreadSummary] | None:
        """Newest first; None while the store is down."""
        return self._guarded(None, lambda s: s.list_threads(self.owner))

    def get(self, thread_id: str) -> ThreadSummary | None:
        return self._guarded(None, lambda s: s.get_thread(self.owner, thread_id))

    def load(self, thread_id: str) -> LoadedMessages:
        return self._guarded(LoadedMessages(), lambda s: s.load_messages(self.owner, thread_id))

    def search(self, query: str) -> list[SearchHit] | None:
        """This person's titles and messages matching `query`; None while the store is down."""
        return self._guarded(None, lambda s: s.search(self.owner, query))

    def rename(self, thread_id: str, title: str) -> None:
        """Raises ValueError for a title that cannot be used: the caller shows it."""
        self._guarded(None, lambda s: s.rename_thread(self.owner, thread_id, title))

    def delete(self, thread_id: str) -> None:
        self._guarded(None, lambda s: s.delete_thread(self.owner, thread_id))

    def feedback(self, thread_id: str) -> dict[str, int]:
        return self._guarded({}, lambda s: s.feedback_for(self.owner, thread_id))

    def set_feedback(
        self, thread_id: str, message_id: str, value: int | None, comment: str | None = None
    ) -> None:
        self._guarded(
            None, lambda s: s.set_feedback(self.owner, thread_id, message_id, value, comment)
        )

    def feedback_comments(self, thread_id: str) -> dict[str, str]:
        return self._guarded({}, lambda s: s.feedback_comments(self.owner, thread_id))

    def tool_choice(self, thread_id: str) -> dict[str, bool]:
        return self._guarded({}, lambda s: s.tool_choice(self.owner, thread_id))

    def set_tool_choice(self, thread_id: str, choice: dict[str, bool]) -> None:
        self._guarded(None, lambda s: s.set_tool_choice(self.owner, thread_id, choice))

    def model_choice(self, thread_id: str) -> str | None:
        return self._guarded(None, lambda s: s.model_choice(self.owner, thread_id))

    def set_model_choice(self, thread_id: str, choice_key: str) -> None:
        self._guarded(None, lambda s: s.set_model_choice(self.owner, thread_id, choice_key))

    def export_all(self) -> OwnerData | None:
        """Everything the store keeps for this person (within the export caps); None
        while the store is down."""
        return self._guarded(None, lambda s: s.export_all(self.owner))

    def delete_all(self, keep_usage_since: float | None = None) -> DeletedCounts | None:
        """Delete everything of this person's, in one transaction; what was deleted, or
        None when the store is down (and then nothing was)."""
        return self._guarded(
            None, lambda s: s.delete_all(self.owner, keep_usage_since=keep_usage_since)
        )

    def remove_messages(self, thread_id: str, ids: Iterable[str]) -> None:
        self._guarded(None, lambda s: s.delete_messages(self.owner, thread_id, list(ids)))

    def record_usage(self, kind: str, amount: int = 1, also_under: Sequence[str] = ()) -> None:
        """Also under shared counter keys (limits.py), in the same write."""
        self._guarded(None, lambda s: s.record_usage(self.owner, kind, amount, also_under))

    def usage_since(self, kind: str, since: float) -> int | None:
        return self._guarded(None, lambda s: s.usage_since(self.owner, kind, since))

    def save_or_raise(
        self, thread_id: str, batch: Sequence[BaseMessage], model: str | None
    ) -> None:
        """The one unguarded write: the caller decides what a failure means (StoreError,
        or ConnectionError while there is no store)."""
        if self.store is None:
            raise ConnectionError(PUBLIC_PROBLEM)
        self.store.save_messages(self.owner, thread_id, batch, model=model)

    def may_open(self, thread_id: str) -> bool | None:
        """True for the owner's conversation (or one this session made), False for any
        other id, None when the store cannot say right now."""
        if thread_id in self.issued:
            return True
        if self.store is None:
            return None
        try:
            return self.store.get_thread(self.owner, thread_id) is not None
        except StoreError as exc:
            self.note_problem(exc)
            return None

    # --- the passages of a conversation's documents ------------------------------------
    def add_passages(
        self, thread_id: str, file_id: str, name: str, pieces: Sequence[tuple[str, str]]
    ) -> int | None:
        """Index a document's (label, text) passages; how many, or None when the store
        is down or the conversation is not this person's."""
        return self._guarded(
            None, lambda s: s.add_passages(self.owner, thread_id, file_id, name, pieces)
        )

    def delete_passages(self, thread_id: str, file_id: str) -> None:
        self._guarded(None, lambda s: s.delete_passages(self.owner, thread_id, file_id))

    def search_passages(
        self, thread_id: str, query: str, limit: int = 5
    ) -> list[PassageHit] | None:
        """None while the store is down."""
        return self._guarded(None, lambda s: s.search_passages(self.owner, thread_id, query, limit))

    def read_passages(self, thread_id: str, file_id: str, label: str) -> list[PassageHit]:
        return self._guarded([], lambda s: s.read_passages(self.owner, thread_id, file_id, label))

    def documents(self, thread_id: str) -> list[DocumentSummary]:
        return self._guarded([], lambda s: s.documents(self.owner, thread_id))
