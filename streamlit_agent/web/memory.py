"""The page side of long-term memory: whether it is on here, what the turn gets (its
`TurnMemory`, the memory tools), and what the Memory panel's buttons do.

Everything goes through the person's `Conversations` (owner-checked), like the rest of
the page. Memory off, for this conversation or entirely, means the model is shown no
memories and offered no memory tools; the panel still lists them, to edit or delete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st

from streamlit_agent.config import BUNDLED_MEMORY_CONTEXT_ITEMS, BUNDLED_MEMORY_CONTEXT_TOKENS
from streamlit_agent.conversation.memory import MEMORY_TOOLS, TurnMemory
from streamlit_agent.models.providers import ModelChoice
from streamlit_agent.store.memories import EVERYWHERE, MemoryRefused
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web.page_state import MEMORY_NOTICE_KEY, MEMORY_PANEL_KEY, NEW_MEMORY_KEY

UNAVAILABLE = "Memory cannot be changed right now: the database is unavailable. Nothing changed."


@dataclass(frozen=True)
class MemorySwitch:
    """Memory on for every conversation (`everywhere`) and in this one (`here`);
    `known` is False while the store cannot say, and then memory counts as off."""

    everywhere: bool = True
    here: bool = True
    known: bool = True

    @property
    def on(self) -> bool:
        return self.known and self.everywhere and self.here


def switch_for(conversations: Conversations, thread_id: str) -> MemorySwitch:
    found = conversations.memory_off_in(thread_id)
    if found is None:
        return MemorySwitch(known=False)
    off_everywhere, off_here = found
    return MemorySwitch(not off_everywhere, not off_here)


def turn_memory(
    conversations: Conversations, choice: ModelChoice, switch: MemorySwitch
) -> TurnMemory | None:
    """The turn's long-term memory, or None while memory is off here. The bundled model,
    with its small context, is shown a short list."""
    if not switch.on:
        return None
    # Used on the agent's threads, where the page's problem banner cannot be reached:
    # the tools say themselves that the store is down.
    owned = Conversations(conversations.store, conversations.owner)
    if choice.kind == "bundled":
        return TurnMemory(owned, BUNDLED_MEMORY_CONTEXT_TOKENS, BUNDLED_MEMORY_CONTEXT_ITEMS)
    return TurnMemory(owned)


def offered_tools(enabled: Iterable[str], switch: MemorySwitch) -> tuple[str, ...]:
    """The tools the turn is offered: without the memory tools while memory is off."""
    return tuple(name for name in enabled if switch.on or name not in MEMORY_TOOLS)


def _say(kind: str, text: str) -> None:
    st.session_state[MEMORY_NOTICE_KEY] = (kind, text)
    # An expander follows its `expanded` argument whenever that changes: once the panel
    # was used it stays open, rather than closing on the next rerun.
    st.session_state[MEMORY_PANEL_KEY] = True


def panel_used() -> bool:
    return bool(st.session_state.get(MEMORY_PANEL_KEY))


def take_notice() -> tuple[str, str] | None:
    return st.session_state.pop(MEMORY_NOTICE_KEY, None)


def edit_key(memory_id: str, version: float) -> str:
    """A memory's edit box: a new box when the memory changed elsewhere (the model, or
    another tab), so it never shows stale text."""
    return f"memory-edit-{memory_id}-{version!r}"


# --- the panel's callbacks (they run before the page is drawn again) ----------------
def add(conversations: Conversations) -> None:
    text = str(st.session_state.get(NEW_MEMORY_KEY) or "")
    try:
        kept = conversations.add_memory(text)
    except MemoryRefused as refused:
        _say("error", f"Not saved: {refused}")  # the typed text stays in the box
        return
    if kept is None:
        _say("error", UNAVAILABLE)
        return
    st.session_state[NEW_MEMORY_KEY] = ""
    _say("success", "Saved to memory.")


def save(conversations: Conversations, memory_id: str, key: str) -> None:
    try:
        kept = conversations.update_memory(memory_id, str(st.session_state.get(key) or ""))
    except MemoryRefused as refused:
        _say("error", f"Not saved: {refused}")
        return
    if kept is None:
        _say("error", "That memory is gone (deleted elsewhere) or the database is unavailable.")
        return
    _say("success", "Memory updated.")


def delete(conversations: Conversations, memory_id: str) -> None:
    forgotten = conversations.forget_memory(memory_id)
    if forgotten is None:
        _say("error", UNAVAILABLE)
    else:
        _say("success", "Memory deleted.")


def set_everywhere(conversations: Conversations, key: str) -> None:
    on = bool(st.session_state.get(key))
    conversations.set_memory_off(EVERYWHERE, not on)
    _say("success", "Memory is on again." if on else "Memory is off in every conversation.")


def set_here(conversations: Conversations, thread_id: str, key: str) -> None:
    on = bool(st.session_state.get(key))
    conversations.set_memory_off(thread_id, not on)
    _say("success", "Memory is on again here." if on else "Memory is off in this conversation.")
