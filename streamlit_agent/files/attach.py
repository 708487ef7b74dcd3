"""A batch of files as the browser sent it, made ready to keep: sorted against the limits
(kinds.py), images checked and given a thumbnail (images.py), text read. What is refused
is named with its reason; what is accepted never depends on what was refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from streamlit_agent.files.errors import FileRejected
from streamlit_agent.files.extract import Extracted, extract, readable_kinds
from streamlit_agent.files.images import check_image, thumbnail
from streamlit_agent.files.kinds import IMAGE_KINDS, Incoming, Limits, sort_batch

# How a question records its files (HumanMessage.additional_kwargs): references only,
# the bytes stay in the store.
ATTACHMENTS_KEY = "attachments"  # [{"id", "name", "kind", "size"}]
REFUSED_KEY = "files_refused"  # [{"name", "reason"}]


@dataclass(frozen=True)
class Prepared:
    name: str
    kind: str
    data: bytes
    thumbnail: bytes | None
    text: str | None
    extracted: Extracted | None = None  # pages or sections, for the passage index


def _prepare_one(incoming: Incoming, kind: str, limits: Limits) -> Prepared:
    small = None
    if kind in IMAGE_KINDS:
        check_image(incoming.name, incoming.data, kind, limits.image_pixels)
        small = thumbnail(incoming.name, incoming.data, kind, limits.image_pixels)
    # Read once, in a worker under a time and memory budget (extract.py); a file that
    # cannot be read is refused with the reason.
    extracted = None
    if kind in readable_kinds():
        extracted = extract(kind, incoming.data, incoming.name)
    text = extracted.text() if extracted else None
    return Prepared(incoming.name, kind, incoming.data, small, text, extracted)


def prepare(
    files: Sequence[Incoming], limits: Limits, *, conversation_used: int, person_used: int
) -> tuple[list[Prepared], list[FileRejected]]:
    """The files that may be kept, ready to store, and every refusal (file and reason),
    in the order they came."""
    batch = sort_batch(files, limits, conversation_used=conversation_used, person_used=person_used)
    ready: list[Prepared] = []
    refused = list(batch.rejected)
    for incoming, kind in batch.accepted:
        try:
            ready.append(_prepare_one(incoming, kind, limits))
        except FileRejected as refusal:
            refused.append(refusal)
    return ready, refused


def references(message_kwargs: dict) -> list[dict]:
    """The file references a stored question carries (none for older messages); each a
    dict with str id, name, kind and int size, anything else left out."""
    found = message_kwargs.get(ATTACHMENTS_KEY) if isinstance(message_kwargs, dict) else None
    if not isinstance(found, list):
        return []
    return [
        ref
        for ref in found
        if isinstance(ref, dict)
        and all(isinstance(ref.get(k), str) for k in ("id", "name", "kind"))
        and isinstance(ref.get("size"), int)
    ]


def refusals(message_kwargs: dict) -> list[dict]:
    found = message_kwargs.get(REFUSED_KEY) if isinstance(message_kwargs, dict) else None
    if not isinstance(found, list):
        return []
    return [r for r in found if isinstance(r, dict) and isinstance(r.get("name"), str)]


def file_references(message_kwargs: dict) -> dict[str, list[dict]]:
    """A question's file references and refusals, to carry over to the same question
    asked again (Retry, Edit & resend); {} when it had none."""
    refs, refused = references(message_kwargs), refusals(message_kwargs)
    return {ATTACHMENTS_KEY: refs, REFUSED_KEY: refused} if refs or refused else {}


def refusal_lines(refused: Sequence[dict], names_shown: int = 5) -> list[str]:
    """One line per reason, "name: reason" for one file and "a, b, c and N more: reason"
    for many, so a thousand files at once make a few lines, not a thousand."""
    by_reason: dict[str, list[str]] = {}
    for refusal in refused:
        by_reason.setdefault(str(refusal.get("reason", "")), []).append(str(refusal["name"]))
    lines = []
    for reason, names in by_reason.items():
        shown = ", ".join(names[:names_shown])
        if len(names) > names_shown:
            shown += f" and {len(names) - names_shown:,} more"
        lines.append(f"{shown}: {reason}")
    return lines
