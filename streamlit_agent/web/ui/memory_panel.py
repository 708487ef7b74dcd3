"""The sidebar's Memory panel: see, add, edit and delete one's memories, and switch
memory off for this conversation or entirely. A memory's text is drawn as text, in
its edit box or as a label, never as Markdown or HTML."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from streamlit_agent.config import MEMORY_MAX_CHARS, MEMORY_MAX_PER_PERSON
from streamlit_agent.store.memories import Memory
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web import memory
from streamlit_agent.web.page_state import MEMORY_PANEL_OPEN_KEY, NEW_MEMORY_KEY
from streamlit_agent.web.ui.text import label_text

EVERYWHERE_TOGGLE = "memory-on-everywhere"


def _here_toggle(thread_id: str) -> str:
    return f"memory-on-here:{thread_id}"


def _switches(conversations: Conversations, thread_id: str, switch: memory.MemorySwitch) -> None:
    st.toggle(
        "Use memory in all conversations",
        value=st.session_state.get(EVERYWHERE_TOGGLE, switch.everywhere),
        key=EVERYWHERE_TOGGLE,
        on_change=memory.set_everywhere,
        args=(conversations, EVERYWHERE_TOGGLE),
        disabled=not switch.known,
    )
    here = _here_toggle(thread_id)
    st.toggle(
        "Use memory in this conversation",
        value=st.session_state.get(here, switch.here),
        key=here,
        on_change=memory.set_here,
        args=(conversations, thread_id, here),
        disabled=not (switch.known and switch.everywhere),
    )
    if switch.known and not switch.on:
        st.caption("Memory is off here: the assistant is shown none and cannot save any.")


def _notice(notice: tuple[str, str] | None) -> None:
    if notice is not None:
        kind, text = notice
        (st.success if kind == "success" else st.error)(label_text(text), icon="🧠")


def _one(conversations: Conversations, number: int, item: Memory) -> None:
    key = memory.edit_key(item.id, item.updated_at)
    st.text_area(f"Memory {number}", value=item.text, key=key, height=68)
    save, delete = st.columns(2)
    save.button(
        "💾 Save",
        key=f"memory-save-{item.id}",
        on_click=memory.save,
        args=(conversations, item.id, key),
        use_container_width=True,
        help=f"Save memory {number} as edited",
    )
    delete.button(
        "🗑️ Delete",
        key=f"memory-delete-{item.id}",
        on_click=memory.delete,
        args=(conversations, item.id),
        use_container_width=True,
        help=f"Delete memory {number}",
    )


def memory_section(
    conversations: Conversations,
    thread_id: str,
    switch: memory.MemorySwitch,
    read_memories: Callable[[], Sequence[Memory] | None],
) -> None:
    """The Memory panel. Drawn, and the memories read, only while it is open
    (`on_change="rerun"`): a closed panel costs no store read and no element per rerun."""
    panel = st.expander(
        "🧠 Memory", expanded=memory.panel_used(), key=MEMORY_PANEL_OPEN_KEY, on_change="rerun"
    )
    if not panel.open:
        return
    notice = memory.take_notice()
    memories = read_memories()
    with panel:
        st.caption(
            "Facts the assistant keeps about you for later conversations: it saves them "
            "with a tool, and asks you first after reading web pages, documents or other "
            "outside text. Only you can see them."
        )
        _switches(conversations, thread_id, switch)
        _notice(notice)
        if memories is None:
            st.error("Memories cannot be read right now: the database is unavailable.", icon="💾")
            return
        st.caption(f"{len(memories):,} of {MEMORY_MAX_PER_PERSON:,} memories")
        for number, item in enumerate(memories, start=1):
            _one(conversations, number, item)
        st.text_area(
            "Add a memory",
            key=NEW_MEMORY_KEY,
            placeholder="e.g. I prefer metric units",
            help=f"One fact, at most {MEMORY_MAX_CHARS:,} characters.",
            height=68,
        )
        st.button(
            "➕ Add to memory",
            on_click=memory.add,
            args=(conversations,),
            use_container_width=True,
        )
