"""The page side of "Everything of mine": export all of a person's data, delete all of it.

Both act on the signed-in (or cookie-confirmed) owner only, through its `Conversations`.
The export is built in this session's script thread when asked for (Streamlit runs each
session's script in its own thread, so others' pages go on), capped by the store
(config.EXPORT_MAX_*). The delete is one store transaction; afterwards this session
forgets everything but who it is, so the page is a new, empty chat.
"""

from __future__ import annotations

import time

import streamlit as st

from streamlit_agent.config import Settings
from streamlit_agent.conversation.export import export_everything
from streamlit_agent.conversation.limits import still_counted_since
from streamlit_agent.store.database import DeletedCounts
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web.identity import forget_session_state
from streamlit_agent.web.page_state import (
    DATA_NOTICE_KEY,
    DELETE_CONFIRM_KEY,
    MESSAGE_PARAM,
    THREAD_PARAM,
)
from streamlit_agent.web.turn import settle_previous_run

CONFIRM_WORD = "DELETE"
DELETE_UNAVAILABLE = (
    "Nothing was deleted: the database is unavailable. Your data is as it was; "
    "try again in a moment."
)


def export_document(conversations: Conversations, settings: Settings) -> str | None:
    """The JSON document of everything stored for this person; None while the store
    is down."""
    data = conversations.export_all()
    if data is None:
        return None
    return export_everything(data, conversations.owner, settings.prices)


def confirmed() -> bool:
    return str(st.session_state.get(DELETE_CONFIRM_KEY) or "").strip() == CONFIRM_WORD


def delete_everything(conversations: Conversations, settings: Settings) -> None:
    """The "Delete all my data" button's callback: runs before the page is drawn again,
    so that page is already the new, empty one."""
    if not confirmed():
        st.session_state[DATA_NOTICE_KEY] = ("error", f"Type {CONFIRM_WORD} to confirm.")
        return
    # A run still answering would otherwise write its turn back after the delete.
    settle_previous_run()
    keep_since = still_counted_since(settings, time.time())
    deleted = conversations.delete_all(keep_since)
    if deleted is None:
        st.session_state[DATA_NOTICE_KEY] = ("error", DELETE_UNAVAILABLE)
        return
    # Unsaved messages, the open conversation and the ids this session made would
    # otherwise bring parts of it back.
    forget_session_state()
    st.query_params.pop(THREAD_PARAM, None)
    st.query_params.pop(MESSAGE_PARAM, None)
    st.session_state[DATA_NOTICE_KEY] = (
        "success",
        describe_deleted(deleted, kept_usage=keep_since is not None),
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def describe_deleted(deleted: DeletedCounts, kept_usage: bool = False) -> str:
    kept = (
        " Usage counts of the current limit window (amounts and times, no text) are kept "
        "until a later delete, so this cannot reset your limits."
        if kept_usage
        else ""
    )
    return (
        "All your data was deleted: "
        + ", ".join(
            (
                _count(deleted.conversations, "conversation", "conversations"),
                _count(deleted.messages, "message", "messages"),
                _count(deleted.steps, "tool step", "tool steps"),
                _count(deleted.files, "attached file", "attached files"),
                _count(deleted.feedback, "rating", "ratings"),
                _count(deleted.usage, "usage record", "usage records"),
                _count(deleted.memories, "memory", "memories"),
            )
        )
        + ", with their tool and model choices. This is a new, empty chat."
        + kept
    )


def take_notice() -> tuple[str, str] | None:
    """What the last delete did, once."""
    return st.session_state.pop(DATA_NOTICE_KEY, None)
