"""The sidebar: active model, API key, tool toggles and the conversation list."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import streamlit as st
from langchain_core.messages import BaseMessage

from streamlit_agent.config import Settings
from streamlit_agent.export import export_json, export_markdown
from streamlit_agent.providers import ModelChoice, choose_model
from streamlit_agent.tools import Registry
from streamlit_agent.ui.text import label_text

USER_API_KEY = "user_openai_api_key"
THREAD_PARAM = "thread"
MESSAGE_PARAM = "message"  # a search result: the conversation opens at this message
SEARCH_KEY = "conversation-search"
_THREAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NOT_FOUND = "Conversation not found."


class ConversationList(Protocol):
    """What the sidebar needs of the user's conversations (memory.Conversations)."""

    available: bool

    def list(self) -> list[Any] | None: ...
    def search(self, query: str) -> list[Any] | None: ...
    def get(self, thread_id: str) -> Any: ...
    def rename(self, thread_id: str, title: str) -> None: ...
    def delete(self, thread_id: str) -> None: ...


def requested_thread_id() -> str | None:
    """The conversation named in the URL (`?thread=…`); a malformed one names none that
    exists, so it is passed on to be "not found" rather than ignored."""
    value = st.query_params.get(THREAD_PARAM)
    if value is None:
        return None
    return value if _THREAD_ID.match(value) else "invalid"


def requested_message_id() -> str | None:
    """The message a search result asked to open at (`?message=…`), if well formed."""
    value = st.query_params.get(MESSAGE_PARAM)
    return value if value is not None and _THREAD_ID.match(value) else None


def leave_found() -> None:
    """Back from a search result to the conversation's newest turns."""
    st.query_params.pop(MESSAGE_PARAM, None)


def show_in_url(thread_id: str) -> None:
    if st.query_params.get(THREAD_PARAM) != thread_id:
        st.query_params[THREAD_PARAM] = thread_id


def _open(thread_id: str | None, message_id: str | None = None) -> None:
    st.query_params.pop(MESSAGE_PARAM, None)
    if thread_id is None:
        st.query_params.pop(THREAD_PARAM, None)
    else:
        st.query_params[THREAD_PARAM] = thread_id
    if message_id:
        st.query_params[MESSAGE_PARAM] = message_id


def sign_in_page(oidc: bool, header: str | None) -> None:
    """What someone who is not signed in sees: nothing of anyone's, and how to get in."""
    st.title("🦜 streamlit-agent")
    if oidc:
        st.write("Sign in to see your conversations.")
        st.button("Sign in", type="primary", on_click=st.login)
    else:
        st.error(
            f"This deployment expects the sign-in header {label_text(header or '')} from its "
            "proxy, and this request did not carry it. Open the app through its sign-in "
            "address.",
            icon="🔒",
        )


def user_section(name: str, user_id: str, signed_in: bool) -> None:
    who = f"Signed in as {label_text(name, 80)}" if signed_in else f"You: {label_text(name, 80)}"
    st.caption(who, help=f"Your id: {label_text(user_id)}")
    if signed_in:
        st.button("Sign out", on_click=st.logout, use_container_width=True)


def not_found_page(store_down: bool) -> None:
    if store_down:
        st.warning(
            "This conversation cannot be opened right now: the database is unavailable. "
            "Try again in a moment.",
            icon="💾",
        )
    else:
        st.error(NOT_FOUND + " It may have been deleted, or the link is wrong.", icon="🔎")
    st.button("➕ Start a new chat", on_click=_open, args=(None,), type="primary")


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
    label_slot.markdown(f"**{label_text(choose_model(settings).label)}**")
    return settings


def model_status(status: str) -> None:
    """The bundled model's loading state ("loading", "ready", "failed")."""
    if status == "loading":
        st.caption("⏳ Loading the bundled model… Ask away: the answer waits for it.")
    elif status == "failed":
        st.caption("⚠️ The bundled model could not start; a question says why and tries again.")


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
    group = ""
    for info in registry.tools.values():
        if info.source.startswith("mcp:") and info.source != group:
            st.caption(f"MCP server: {label_text(info.source[4:], 60)}")
        group = info.source
        key = _toggle_key(thread_id, info.name)
        label = info.name + (" (asks first)" if info.requires_approval else "")
        starts_on = saved.get(info.name, choice.tool_starts_on(info.name))
        if st.toggle(
            label,
            value=st.session_state.get(key, starts_on),
            key=key,
            help=label_text(info.summary),
            on_change=_save_toggles if save else None,
            args=(registry, thread_id, save) if save else None,
        ):
            enabled.append(info.name)
        st.caption(label_text(info.summary))
    for problem in registry.problems:
        st.warning(label_text(problem), icon="🧩")
    return tuple(enabled)


def _title(thread: Any, limit: int | None = None) -> str:
    return label_text(thread.title or "New conversation", limit)


def conversations_section(
    conversations: ConversationList, thread_id: str | None, messages: list[BaseMessage]
) -> None:
    """New chat, the user's past conversations, and actions on the open one."""
    st.subheader("Conversations")
    st.button("➕ New chat", on_click=_open, args=(None,), use_container_width=True)
    search_section(conversations)
    threads = conversations.list()
    if threads is None:
        st.caption("Conversation history is unavailable while the store is down.")
        return
    for thread in threads:
        is_open = thread.id == thread_id
        st.button(
            ("▶ " if is_open else "") + _title(thread, 60),
            key=f"open-{thread.id}",
            on_click=_open,
            args=(thread.id,),
            disabled=is_open,
            use_container_width=True,
        )
    current = conversations.get(thread_id) if thread_id else None
    if current is not None:
        st.divider()
        _actions(conversations, current, messages)


_SPEAKERS = {"user": "You", "assistant": "Assistant", "tool": "Tool"}


def search_section(conversations: ConversationList) -> None:
    """A search box; each result opens its conversation at the matching message."""
    query = st.text_input(
        "Search your conversations",
        key=SEARCH_KEY,
        placeholder="Words from titles and messages",
    ).strip()
    if not query:
        return
    hits = conversations.search(query)
    if hits is None:
        st.caption("Search is unavailable while the store is down.")
        return
    if not hits:
        st.caption(f"Nothing found for “{label_text(query, 60)}”.")
        return
    for hit in hits:
        st.button(
            "🔎 " + _title(hit, 60),
            key=f"search-hit-{hit.thread_id}-{hit.message_id or 'title'}",
            on_click=_open,
            args=(hit.thread_id, hit.message_id),
            use_container_width=True,
        )
        if hit.message_id:
            speaker = _SPEAKERS.get(hit.role or "", "Message")
            st.caption(f"{speaker}: {label_text(hit.snippet, 160)}")
    st.divider()


def _actions(conversations: ConversationList, current: Any, messages: list[BaseMessage]) -> None:
    thread_id = current.id
    st.caption(f"Open: {_title(current)}")
    with st.popover("✏️ Rename", use_container_width=True):
        new_title = st.text_input("New title", value=current.title, key=f"rename-{thread_id}")
        if st.button("Save title", key=f"rename-save-{thread_id}"):
            try:
                conversations.rename(thread_id, new_title)
                st.rerun()
            except ValueError as exc:
                st.error(str(exc))
    with st.popover("🗑️ Delete", use_container_width=True):
        st.write("Delete this conversation and its steps? This cannot be undone.")
        if st.button("Yes, delete it", key=f"delete-{thread_id}", type="primary"):
            conversations.delete(thread_id)
            _open(None)
            st.rerun()
    # Exports are built only when a button is clicked, not on every rerun.
    for label, build, suffix, mime in (
        ("Markdown", export_markdown, "md", "text/markdown"),
        ("JSON", export_json, "json", "application/json"),
    ):
        st.download_button(
            f"⬇️ Export {label}",
            lambda build=build: build(current, messages),
            file_name=f"conversation-{thread_id}.{suffix}",
            mime=mime,
            on_click="ignore",
            use_container_width=True,
        )
