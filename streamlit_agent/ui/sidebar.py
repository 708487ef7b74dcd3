"""The sidebar: active model, API key, tool toggles and the conversation list."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import streamlit as st
from langchain_core.messages import BaseMessage

from streamlit_agent.config import Settings
from streamlit_agent.export import export_json, export_markdown
from streamlit_agent.providers import ModelChoice, choose_model
from streamlit_agent.store import ConversationStore, ThreadSummary
from streamlit_agent.tools import Registry

USER_API_KEY = "user_openai_api_key"
THREAD_PARAM = "thread"
_THREAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_thread_id() -> str:
    from streamlit_agent.steps import new_message_id

    return new_message_id()


def current_thread_id() -> str:
    """The conversation named in the URL (`?thread=…`), or a new one put there."""
    thread_id = st.query_params.get(THREAD_PARAM, "")
    if not _THREAD_ID.match(thread_id):
        thread_id = new_thread_id()
        st.query_params[THREAD_PARAM] = thread_id
    return thread_id


def _open(thread_id: str) -> None:
    st.query_params[THREAD_PARAM] = thread_id


def model_section(settings: Settings, problems: Sequence[str] = ()) -> Settings:
    """Shows the active model; returns the settings with any key typed here applied."""
    st.subheader("Model")
    label_slot = st.empty()  # filled last: a key typed below changes the model
    for problem in problems:
        st.error(problem, icon="⚙️")
    typed = None
    if choose_model(settings).kind != "compatible" and not settings.openai_api_key:
        typed = st.text_input(
            "OpenAI API key",
            type="password",
            key=USER_API_KEY,
            help="Used for this browser session only; never stored or shown.",
        )
    settings = settings.with_api_key((typed or "").strip() or None)
    label_slot.markdown(f"**{choose_model(settings).label}**")
    return settings


def _toggle_key(thread_id: str, tool_name: str) -> str:
    return f"tool-enabled:{thread_id}:{tool_name}"


def _save_toggles(registry: Registry, thread_id: str, save: Callable[..., None]) -> None:
    save(
        {name: bool(st.session_state.get(_toggle_key(thread_id, name))) for name in registry.tools}
    )


def tools_section(
    registry: Registry,
    thread_id: str,
    choice: ModelChoice,
    saved: Mapping[str, bool] | None = None,
    save: Callable[[dict[str, bool]], None] | None = None,
) -> tuple[str, ...]:
    """Toggles per tool, kept per conversation (`saved`/`save`); returns the enabled names."""
    st.subheader("Tools")
    saved = saved or {}
    enabled: list[str] = []
    for info in registry.tools.values():
        key = _toggle_key(thread_id, info.name)
        label = info.name + (" (asks first)" if info.requires_approval else "")
        starts_on = saved.get(info.name, choice.tool_starts_on(info.name))
        if st.toggle(
            label,
            value=st.session_state.get(key, starts_on),
            key=key,
            help=info.summary,
            on_change=_save_toggles if save else None,
            args=(registry, thread_id, save) if save else None,
        ):
            enabled.append(info.name)
        st.caption(info.summary)
    for problem in registry.problems:
        st.warning(problem, icon="🧩")
    return tuple(enabled)


def _title(thread: ThreadSummary) -> str:
    return thread.title or "New conversation"


def conversations_section(
    store: ConversationStore | None, thread_id: str, messages: list[BaseMessage]
) -> None:
    """New chat, the list of past conversations, and actions on the open one."""
    st.subheader("Conversations")
    st.button("➕ New chat", on_click=_open, args=(new_thread_id(),), use_container_width=True)
    if store is None:
        st.caption("Conversation history is unavailable while the store is down.")
        return
    try:
        threads = store.list_threads()
        current = store.get_thread(thread_id)
    except Exception:
        st.caption("Conversation history is unavailable while the store is down.")
        return
    for thread in threads:
        is_open = thread.id == thread_id
        st.button(
            ("▶ " if is_open else "") + _title(thread),
            key=f"open-{thread.id}",
            on_click=_open,
            args=(thread.id,),
            disabled=is_open,
            use_container_width=True,
        )
    if current is None:
        return
    st.divider()
    st.caption(f"Open: {_title(current)}")
    with st.popover("✏️ Rename", use_container_width=True):
        new_title = st.text_input("New title", value=current.title, key=f"rename-{thread_id}")
        if st.button("Save title", key=f"rename-save-{thread_id}"):
            try:
                store.rename_thread(thread_id, new_title)
                st.rerun()
            except ValueError as exc:
                st.error(str(exc))
    with st.popover("🗑️ Delete", use_container_width=True):
        st.write("Delete this conversation and its steps? This cannot be undone.")
        if st.button("Yes, delete it", key=f"delete-{thread_id}", type="primary"):
            store.delete_thread(thread_id)
            _open(new_thread_id())
            st.rerun()
    # Exports are built only when a button is clicked, not on every rerun.
    st.download_button(
        "⬇️ Export Markdown",
        lambda: export_markdown(current, messages),
        file_name=f"conversation-{thread_id}.md",
        mime="text/markdown",
        on_click="ignore",
        use_container_width=True,
    )
    st.download_button(
        "⬇️ Export JSON",
        lambda: export_json(current, messages),
        file_name=f"conversation-{thread_id}.json",
        mime="application/json",
        on_click="ignore",
        use_container_width=True,
    )
