"""streamlit-agent: the page. Run with `streamlit run streamlit_agent/app.py`."""

from __future__ import annotations

import streamlit as st

from streamlit_agent import resources
from streamlit_agent.config import configuration_problems, load_settings
from streamlit_agent.memory import (
    STORE_PROBLEM_KEY,
    feedback_saver,
    flush_unsaved,
    load_feedback,
    load_tool_choice,
    open_thread,
    tool_choice_saver,
)
from streamlit_agent.providers import choose_model
from streamlit_agent.ui import chat, sidebar

MAX_MESSAGE_CHARS = 20_000

st.set_page_config(page_title="streamlit-agent", page_icon="🦜", layout="centered")


def _secrets() -> dict[str, object]:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml is the normal case
        return {}


settings = load_settings(secrets=_secrets())
chat.settle_previous_run()  # a Stop or new message: the cut-off turn is saved first
thread_id = sidebar.current_thread_id()
store = resources.conversation_store(settings)
if store is not None:
    flush_unsaved(store)
open_thread(settings.history_key, thread_id, store)
registry = resources.tool_registry(settings.tools_dir)

with st.sidebar:
    st.title("🦜 streamlit-agent")
    settings = sidebar.model_section(settings, configuration_problems(settings))
    choice = choose_model(settings)
    enabled_tools = sidebar.tools_section(
        registry,
        thread_id,
        choice,
        load_tool_choice(store, thread_id),
        tool_choice_saver(store, thread_id),
    )

history = resources.history_for(settings, thread_id, choice.label)
with st.sidebar:
    sidebar.conversations_section(store, thread_id, history.messages)

if problem := st.session_state.get(STORE_PROBLEM_KEY):
    st.warning(
        f"Conversations are not being saved right now ({problem}). Chatting continues; "
        "unsaved messages are written as soon as the store is back.",
        icon="💾",
    )

chat.draw_conversation(
    history.messages, load_feedback(store, thread_id), feedback_saver(store, thread_id)
)
chat.draw_pending_approval()

typed = st.chat_input("Ask a question")
prompt, message_id = chat.take_retry_request(history) or (typed, None)
if prompt is not None and prompt.strip():
    if len(prompt) > MAX_MESSAGE_CHARS:
        st.error(
            f"That message is {len(prompt):,} characters long; the limit is "
            f"{MAX_MESSAGE_CHARS:,}. Shorten it or send it in parts.",
            icon="✂️",
        )
    else:
        chat.run_live(
            lambda: resources.agent_for(
                choice.kind,
                choice.model,
                choice.base_url,
                settings.openai_api_key,
                enabled_tools,
                settings,
            ),
            history,
            prompt,
            secrets=[settings.openai_api_key],
            message_id=message_id,
        )
