"""One person's conversations: the store bound to its owner.

Every store access of the app goes through `Conversations`, so every one carries the
owner (the store checks it). Each method is the store's own method with the owner
filled in; a store that cannot answer is reported through `on_problem` and the method
answers a default, while a programming error is raised like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
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
from streamlit_agent.store.files import FileInfo, NewFile
from streamlit_agent.store.memories import EVERYWHERE, Memory
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

    def record_usage(self, kind: str, amount: int = 1, also_under: Sequence[str] = ()) -> None:
        """Also under shared counter keys (limits.py), in the same write."""
        self._guarded(None, lambda s: s.record_usage(self.owner, kind, amount, also_under))

    def usage_since(self, kind: str, since: float) -> int | None:
        return self._guarded(None, lambda s: s.usage_since(self.owner, kind, since))

    def save_or_raise(
        self,
        thread_id: str,
        batch: Sequence[BaseMessage],
        model: str | None,
        parents: Mapping[str, str | None] | None = None,
    ) -> None:
        """The one unguarded write: the caller decides what a failure means (StoreError,
        or ConnectionError while there is no store). `parents`: the message each one
        continues, where known (`ConversationStore.save_messages`)."""
        if self.store is None:
            raise ConnectionError(PUBLIC_PROBLEM)
        self.store.save_messages(self.owner, thread_id, batch, model=model, parents=parents)

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

    def branches(self, thread_id: str) -> dict[str, tuple[str, ...]]:
        """Each question with other versions: all of them, oldest first."""
        return self._guarded({}, lambda s: s.branches(self.owner, thread_id))

    def choose_branch(self, thread_id: str, message_id: str) -> bool:
        """Show the branch through `message_id`; False when it could not be chosen."""
        return self._guarded(False, lambda s: s.choose_branch(self.owner, thread_id, message_id))

    def message_tree(self, thread_id: str) -> list[tuple[str | None, BaseMessage]]:
        """Every message of every branch with its parent's id, for exports."""
        return self._guarded([], lambda s: s.message_tree(self.owner, thread_id))

    # --- files attached to questions ----------------------------------------------
    def save_files(
        self, thread_id: str, message_id: str, batch: Sequence[NewFile]
    ) -> list[FileInfo] | None:
        """Keep `batch` with question `message_id`; None when the store cannot (then
        nothing was kept)."""
        return self._guarded(None, lambda s: s.save_files(self.owner, thread_id, message_id, batch))

    def files(self, thread_id: str, with_text: bool = True) -> list[FileInfo]:
        """This conversation's files (no bytes); [] for a conversation not this person's."""
        return self._guarded([], lambda s: s.files_of(self.owner, thread_id, with_text))

    def file_data(self, thread_id: str, file_id: str) -> bytes | None:
        """A file's bytes; None for a file that is not this person's, or a store that is down."""
        return self._guarded(None, lambda s: s.file_data(self.owner, thread_id, file_id))

    def files_used(self, thread_id: str) -> tuple[int, int] | None:
        """Bytes kept (in this conversation, in all of this person's); None while down."""
        return self._guarded(None, lambda s: s.files_used(self.owner, thread_id))

    # --- long-term memory ------------------------------------------------------
    def memories(self) -> list[Memory] | None:
        """This person's memories, most recently written first; None while the store is down."""
        return self._guarded(None, lambda s: s.memories(self.owner))

    def add_memory(self, text: str) -> Memory | None:
        """The memory kept; None when the store is down. Raises MemoryRefused (a
        ValueError) with a sentence for the person when it cannot be kept."""
        return self._guarded(None, lambda s: s.add_memory(self.owner, text))

    def update_memory(self, memory_id: str, text: str) -> Memory | None:
        """The memory with its new text; None when there is no such memory of this
        person's or the store is down. Raises MemoryRefused for unusable text."""
        return self._guarded(None, lambda s: s.update_memory(self.owner, memory_id, text))

    def forget_memory(self, memory_id: str) -> bool | None:
        """True when forgotten, False when there is no such memory of this person's,
        None when the store is down."""
        return self._guarded(None, lambda s: s.delete_memory(self.owner, memory_id))

    def memory_off_in(self, thread_id: str) -> tuple[bool, bool] | None:
        """(off everywhere, off in `thread_id`); None while the store is down."""
        found = self._guarded(None, lambda s: s.memory_switched_off(self.owner))
        return None if found is None else (EVERYWHERE in found, thread_id in found)

    def set_memory_off(self, scope: str, off: bool) -> None:
        """Switch memory off (or on) in conversation `scope`, or everywhere (`EVERYWHERE`)."""
        self._guarded(None, lambda s: s.set_memory_off(self.owner, scope, off))

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
