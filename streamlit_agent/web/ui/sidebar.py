"""The sidebar: active model, API key, tool toggles and the conversation list."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import streamlit as st

from streamlit_agent.config import Settings
from streamlit_agent.conversation.meter import Prices, Usage, describe
from streamlit_agent.web.page_state import (
    DATA_PANEL_KEY,
    DELETE_CONFIRM_KEY,
    DELETE_PANEL_PREFIX,
    DRAFT_THREAD_KEY,
    MESSAGE_PARAM,
    RENAME_PANEL_PREFIX,
    SEARCH_KEY,
    THREAD_PARAM,
    USER_API_KEY,
)
from streamlit_agent.web.ui.text import label_text, option_text

if TYPE_CHECKING:  # types only: the sidebar draws what the page hands it
    from langchain_core.messages import BaseMessage

    from streamlit_agent.conversation.export import AnswerNotes
    from streamlit_agent.models.providers import ModelChoice
    from streamlit_agent.tools import Registry

_THREAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NOT_FOUND = "Conversation not found."


class ConversationList(Protocol):
    """What the sidebar needs of the user's conversations (store.owned.Conversations)."""

    available: bool

    def list(self) -> list[Any] | None: ...
    def search(self, query: str) -> list[Any] | None: ...
    def get(self, thread_id: str) -> Any: ...
    def rename(self, thread_id: str, title: str) -> None: ...
    def delete(self, thread_id: str) -> None: ...
    def feedback(self, thread_id: str) -> dict[str, int]: ...
    def feedback_comments(self, thread_id: str) -> dict[str, str]: ...
    def message_tree(self, thread_id: str) -> list[Any]: ...


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
        # A new chat's first answer reaches the URL without another page run, so the
        # draft id may still name that chat: a new chat gets a new id.
        st.session_state.pop(DRAFT_THREAD_KEY, None)
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


def model_section(
    settings: Settings, problems: Sequence[str] = (), ask_for_key: bool = False
) -> Settings:
    """Settings problems and, when `ask_for_key`, the key field; returns the settings with
    a typed key applied."""
    st.subheader("Model")
    for problem in problems:
        st.error(problem, icon="⚙️")
    typed = None
    if ask_for_key:
        typed = st.text_input(
            "OpenAI API key",
            type="password",
            key=USER_API_KEY,
            help="Used for this browser session only; never stored or shown.",
        )
    return settings.with_api_key((typed or "").strip() or None)


BUNDLED_HONESTY = (
    "SmolLM2-135M is tiny: good at sums through the calculator, the date and time, and "
    "short replies; it forgets earlier turns. For more, pick another model above, paste "
    "an OpenAI key, or start Ollama / LM Studio on this machine."
)


def _picker_key(thread_id: str, options: Sequence[ModelChoice]) -> str:
    # A new list (a server found or gone) is a new widget, so the shown choice is
    # always the conversation's, never an old position in a different list.
    listing = hashlib.sha256("\n".join(o.key for o in options).encode()).hexdigest()[:12]
    return f"model:{thread_id}:{listing}"


def model_picker(
    options: Sequence[ModelChoice],
    current: ModelChoice,
    thread_id: str,
    save: Callable[[ModelChoice], None],
    saved_is_gone: bool = False,
) -> ModelChoice:
    """The models this conversation can use; returns the one in use. `saved_is_gone`:
    the model picked for it earlier cannot be reached now, so `current` stands in."""
    key = _picker_key(thread_id, options)
    chosen: ModelChoice = st.selectbox(
        "Model for this conversation",
        list(options),
        index=list(options).index(current),
        key=key,
        format_func=lambda choice: option_text(choice.short_label, 120),
        on_change=lambda: save(st.session_state[key]),
    )
    st.markdown(f"**{label_text(chosen.label)}**")  # in full: the list cuts long names
    if saved_is_gone and chosen == current:
        st.caption(
            "The model picked for this conversation cannot be reached now; this one "
            "answers until it is back."
        )
    if chosen.kind == "bundled" and not chosen.local_path:
        st.caption(BUNDLED_HONESTY)
    return chosen


def watch_for_models(searching: bool, version: int, check: Callable[[], Any]) -> None:
    """While servers are still being probed, look again every second and redraw the
    page once the list changed or the search ended; the page itself never waits."""
    if not searching:
        return

    @st.fragment(run_every=1.0)
    def watch() -> None:
        now = check()  # a model_catalog.Discovery
        if now.version != version or not now.searching:
            st.rerun(scope="app")

    watch()


def model_status(status: str, calls_tools: bool = True) -> None:
    """The local model's loading state ("loading", "ready", "failed")."""
    if not calls_tools:
        st.caption(
            "This model's chat template is not ChatML: it calls a tool only when the app "
            "picks one for the question, never by itself."
        )
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
        # MCP servers name their own tools: a name is text, never Markdown.
        label = label_text(info.name, 60) + (" (asks first)" if info.requires_approval else "")
        if (info.tool.metadata or {}).get("approval_after_untrusted"):
            label += " (asks first after outside text)"
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
    for problem in registry.problems:
        st.warning(label_text(problem), icon="🧩")
    return tuple(enabled)


def _title(thread: Any, limit: int | None = None) -> str:
    return label_text(thread.title or "New conversation", limit)


def conversations_section(
    conversations: ConversationList,
    thread_id: str | None,
    messages: Callable[[], list[BaseMessage]],
    prices: Prices = (),
) -> None:
    """The conversation list, and actions on the open one (see the two below)."""
    if conversation_list(conversations, thread_id) and thread_id is not None:
        st.divider()
        open_conversation_actions(conversations, thread_id, messages, prices)


def conversation_list(conversations: ConversationList, thread_id: str | None) -> bool:
    """New chat and the user's past conversations; False while the store is down."""
    st.subheader("Conversations")
    st.button("➕ New chat", on_click=_open, args=(None,), use_container_width=True)
    search_section(conversations)
    threads = conversations.list()
    if threads is None:
        st.caption("Conversation history is unavailable while the store is down.")
        return False
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
    return True


def open_conversation(slot: Any, current: Any, store_up: bool, used: Usage) -> None:
    """The open conversation's title (what the actions below act on) and its running
    token (and, for priced models, cost) total, in `slot`: the conversation's part redraws
    it on every run, so a new chat is named, and an answer counted, as soon as it is
    stored. One element, so that redrawing it costs a turn next to nothing."""
    lines = []
    if store_up:  # no actions are offered otherwise
        lines.append(f"Open: {_title(current) if current is not None else 'New chat'}")
    if used.total_tokens:
        lines.append(f"🧮 This conversation: {describe(used)}")
    if not lines:
        slot.empty()
        return
    slot.caption(
        "  \n".join(lines),
        help="The token total is summed over every model call of the answers the "
        "conversation holds; cost is an estimate from the price table, for known OpenAI "
        "models only.",
    )


def your_data_section(
    prepare_export: Callable[[], str | None],
    delete_all: Callable[[], None],
    confirm_word: str,
) -> None:
    """Export and delete everything of this person's. The export is built only when
    asked for (`prepare_export`: None while the store is down), then offered for
    download; the delete button needs `confirm_word` typed first (`delete_all` is its
    callback, which checks that too)."""
    # Drawn only while open (`on_change="rerun"`): a closed panel costs the page nothing
    # on every other rerun.
    panel = st.expander("🗂️ Your data", key=DATA_PANEL_KEY, on_change="rerun")
    if not panel.open:
        return
    with panel:
        st.caption(
            "Everything kept for you: conversations with their messages and tool steps, "
            "ratings and comments, tool and model choices, usage records, memories."
        )
        if st.button("📦 Prepare export of all my data", use_container_width=True):
            document = prepare_export()
            if document is None:
                st.error(
                    "Your data cannot be exported right now: the database is unavailable. "
                    "Try again in a moment.",
                    icon="💾",
                )
            else:
                st.download_button(
                    "⬇️ Download all my data (JSON)",
                    document,
                    file_name="my-data.json",
                    mime="application/json",
                    on_click="ignore",
                    type="primary",
                    use_container_width=True,
                )
        st.divider()
        typed = st.text_input(
            f"Type {confirm_word} to delete all your data",
            key=DELETE_CONFIRM_KEY,
            help="Every conversation and everything kept with it, for good. Export first "
            "to keep a copy.",
        )
        st.button(
            "🗑️ Delete all my data",
            type="primary",
            disabled=typed.strip() != confirm_word,
            on_click=delete_all,
            use_container_width=True,
        )


def data_notice(notice: tuple[str, str] | None) -> None:
    """What "Delete all my data" did (or why it did nothing), on the page it leads to."""
    if notice is None:
        return
    kind, text = notice
    if kind == "success":
        st.success(text, icon="🗑️")
    else:
        st.error(text, icon="💾")


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


def open_conversation_actions(
    conversations: ConversationList,
    thread_id: str,
    messages: Callable[[], list[BaseMessage]],
    prices: Prices,
) -> None:
    """Rename, delete and export the open conversation; offered on a new chat too, whose
    first answer comes without another page run. Each looks the conversation up when
    used: a new chat is stored with its first question."""
    nothing_yet = "Nothing to {} yet: a new chat is saved with its first question."
    # Popovers drawn only while open (`on_change="rerun"`), as the panels above.
    rename = st.popover(
        "✏️ Rename", use_container_width=True, key=RENAME_PANEL_PREFIX + thread_id, on_change="rerun"
    )
    if rename.open:
        with rename:
            current = conversations.get(thread_id)
            if current is None:
                st.caption(nothing_yet.format("rename"))
            else:
                _rename_form(conversations, current)
    delete = st.popover(
        "🗑️ Delete", use_container_width=True, key=DELETE_PANEL_PREFIX + thread_id, on_change="rerun"
    )
    if delete.open:
        with delete:
            if conversations.get(thread_id) is None:
                st.caption(nothing_yet.format("delete"))
            else:
                st.write("Delete this conversation and its steps? This cannot be undone.")
                if st.button("Yes, delete it", key=f"delete-{thread_id}", type="primary"):
                    conversations.delete(thread_id)
                    _open(None)
                    st.rerun()
    _export_buttons(conversations, thread_id, messages, prices)


def _rename_form(conversations: ConversationList, current: Any) -> None:
    thread_id = current.id
    new_title = st.text_input("New title", value=current.title, key=f"rename-{thread_id}")
    if st.button("Save title", key=f"rename-save-{thread_id}"):
        try:
            conversations.rename(thread_id, new_title)
            st.rerun()
        except ValueError as exc:
            st.error(str(exc))


def _export_buttons(
    conversations: ConversationList,
    thread_id: str,
    messages: Callable[[], list[BaseMessage]],
    prices: Prices,
) -> None:
    # Here, not at the top: this module draws the first page before LangChain is imported.
    from streamlit_agent.conversation.export import AnswerNotes, export_json, export_markdown

    def notes() -> AnswerNotes:
        return AnswerNotes(
            conversations.feedback(thread_id),
            conversations.feedback_comments(thread_id),
            prices,
            conversations.files(thread_id),
        )

    def every_branch(*args: Any) -> str:
        return export_json(*args, tree=conversations.message_tree(thread_id))

    # Exports are built only when a button is clicked, not on every rerun; the JSON one
    # holds every branch, the Markdown one the branch on screen.
    for label, build, suffix, mime in (
        ("Markdown", export_markdown, "md", "text/markdown"),
        ("JSON", every_branch, "json", "application/json"),
    ):
        st.download_button(
            f"⬇️ Export {label}",
            lambda build=build: build(conversations.get(thread_id), messages(), notes()),
            file_name=f"conversation-{thread_id}.{suffix}",
            mime=mime,
            on_click="ignore",
            use_container_width=True,
        )
