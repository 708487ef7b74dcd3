"""The page side of files attached in the chat box: keep them (owner-checked store), say
which were refused and why, and build what the model is sent of the question."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import HumanMessage

from streamlit_agent.config import Settings
from streamlit_agent.conversation.documents import index_document
from streamlit_agent.files.attach import (
    ATTACHMENTS_KEY,
    REFUSED_KEY,
    prepare,
    references,
    refusals,
)
from streamlit_agent.files.errors import FileRejected
from streamlit_agent.files.kinds import IMAGE_KINDS, Incoming, Limits
from streamlit_agent.files.model_input import cannot_see_images, question_content
from streamlit_agent.models.providers import ModelChoice, sees_images
from streamlit_agent.store.files import NewFile
from streamlit_agent.store.owned import Conversations

logger = logging.getLogger(__name__)

STORE_DOWN = "the database is unavailable, so the file was not kept; attach it again later"


def limits_of(settings: Settings) -> Limits:
    return Limits(
        file_bytes=settings.file_max_bytes,
        conversation_bytes=settings.conversation_files_max_bytes,
        person_bytes=settings.person_files_max_bytes,
        files_per_message=settings.files_per_message,
        image_pixels=settings.image_max_pixels,
    )


def incoming(uploaded: Sequence[Any]) -> list[Incoming]:
    """Streamlit's UploadedFiles as name and bytes (the name is the browser's, untrusted)."""
    return [Incoming(str(getattr(f, "name", "") or "file"), bytes(f.getvalue())) for f in uploaded]


def attach(
    conversations: Conversations,
    settings: Settings,
    thread_id: str,
    message_id: str,
    files: Sequence[Incoming],
) -> dict[str, list[dict[str, Any]]]:
    """Keep what may be kept of `files` as question `message_id`'s; returns the question's
    `additional_kwargs`: references to the kept files and the refusals (name, reason)."""
    if not files:
        return {}
    used = conversations.files_used(thread_id)
    if used is None:
        refused = [FileRejected(f.name, STORE_DOWN) for f in files]
        return {ATTACHMENTS_KEY: [], REFUSED_KEY: _refusal_dicts(refused)}
    ready, refused = prepare(
        files, limits_of(settings), conversation_used=used[0], person_used=used[1]
    )
    batch = [NewFile(p.name, p.kind, p.data, p.thumbnail, p.text) for p in ready]
    kept = conversations.save_files(thread_id, message_id, batch) if batch else []
    if kept is None:
        refused += [FileRejected(p.name, STORE_DOWN) for p in ready]
        kept = []
    for info, prepared in zip(kept, ready, strict=True):
        if prepared.extracted is not None:  # the document tools search its passages
            index_document(conversations, thread_id, info.id, info.name, prepared.extracted)
    refs = [{"id": f.id, "name": f.name, "kind": f.kind, "size": f.size} for f in kept]
    return {ATTACHMENTS_KEY: refs, REFUSED_KEY: _refusal_dicts(refused)}


def _refusal_dicts(refused: Sequence[FileRejected]) -> list[dict[str, Any]]:
    return [{"name": r.name, "reason": r.reason} for r in refused]


def placeholder_text(extra: dict[str, list[dict[str, Any]]]) -> str:
    """The question's text when only files were sent: their names."""
    names = [r["name"] for r in extra.get(ATTACHMENTS_KEY, [])] or [
        r["name"] for r in extra.get(REFUSED_KEY, [])
    ]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"📎 {shown}" if shown else "📎"


def for_model(
    question: HumanMessage,
    conversations: Conversations,
    thread_id: str,
    choice: ModelChoice,
    settings: Settings,
) -> tuple[HumanMessage | None, str | None]:
    """What the model is sent instead of `question` (None: the question as it is), and
    the note the answer starts with when the model cannot see its images."""
    refs = references(question.additional_kwargs)
    refused = refusals(question.additional_kwargs)
    if not refs and not refused:
        return None, None
    seeing = sees_images(choice, settings)
    # By file id: a question asked again (Retry) has a new id and the same files.
    texts = {f.id: f.text for f in conversations.files(thread_id)}
    content = question_content(
        str(question.content),
        refs,
        refused,
        sees_images=seeing,
        data_of=lambda file_id: conversations.file_data(thread_id, file_id),
        text_of=texts.get,
    )
    images = [r["name"] for r in refs if r["kind"] in IMAGE_KINDS]
    note = cannot_see_images(choice.display_name, images) if images and not seeing else None
    return HumanMessage(content=content, id=question.id), note


def thumbnails(conversations: Conversations, thread_id: str) -> dict[str, bytes]:
    """The conversation's image thumbnails (PNG the app made), by file id."""
    listed = conversations.files(thread_id, with_text=False)  # on every rerun: no text
    return {f.id: f.thumbnail for f in listed if f.thumbnail}
