"""What kind a file is, decided by its bytes, and the limits attachments are held to.

A name never turns bytes into another kind: an image is an image because its first
bytes say so, a PDF because it starts like one. The name only chooses among the text
kinds (a UTF-8 file named .md is Markdown, .csv is CSV), where the bytes cannot tell.
Everything here is linear in the file's length and imports neither the store nor
Streamlit.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from streamlit_agent.files.errors import FileRejected

IMAGE_KINDS = frozenset({"png", "jpeg", "webp", "gif"})
TEXT_KINDS = frozenset({"text", "markdown", "csv", "json", "html"})
DOCUMENT_KINDS = frozenset({"pdf", "docx"})
AUDIO_KIND = "audio"
# What a person can attach (audio only as a recording made in the chat box, which is
# transcribed: see `Incoming.recording`).
KINDS = IMAGE_KINDS | TEXT_KINDS | DOCUMENT_KINDS | {AUDIO_KIND}

MIME_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text": "text/plain",
    "markdown": "text/markdown",
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html",
    "audio": "application/octet-stream",
}

READABLE = "PDF, Word (.docx), text, Markdown, CSV, JSON, HTML and PNG, JPEG, WebP or GIF images"
# A ZIP's directory is read only this far: a .docx names word/document.xml early, and a
# crafted archive with millions of entries must not be listed whole.
_ZIP_MAX_ENTRIES = 2000
_TEXT_BY_SUFFIX = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
}


def _image_kind(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _is_audio(head: bytes) -> bool:
    return (
        (head[:4] == b"RIFF" and head[8:12] == b"WAVE")
        or head.startswith((b"ID3", b"OggS", b"fLaC", b"\x1a\x45\xdf\xa3"))
        or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # MPEG frame sync
        or (head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"mp4", b"iso", b"das"))
    )


def _zip_kind(name: str, data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FileRejected(name, "it looks like a ZIP archive but cannot be read") from None
    names = {info.filename for info in infos[:_ZIP_MAX_ENTRIES]}
    if "word/document.xml" in names:
        return "docx"
    raise FileRejected(
        name, f"ZIP archives other than Word documents are not read here ({READABLE})"
    )


def _text_kind(name: str, text: str) -> str:
    """A kind among the text kinds: JSON and HTML by their content, the rest by suffix."""
    stripped = text.lstrip("\ufeff \t\r\n")
    lowered = stripped[:64].lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return "html"
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if stripped[:1] in ("{", "[") or suffix == ".json":
        try:
            json.loads(text)
            return "json"
        except ValueError:
            pass  # text that merely starts with a brace
    kind = _TEXT_BY_SUFFIX.get(suffix, "text")
    return "text" if kind == "json" else kind


def sniff(name: str, data: bytes) -> str:
    """The kind of `data` (one of KINDS), decided by its content; raises FileRejected
    naming the file and the reason for empty, unreadable or unsupported files."""
    if not data:
        raise FileRejected(name, "the file is empty")
    head = data[:64]
    image = _image_kind(head)
    if image:
        return image
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(name, data)
    if _is_audio(head):
        return AUDIO_KIND
    if b"\x00" in data:
        raise FileRejected(name, f"this type of file is not supported; the app reads {READABLE}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRejected(
            name, f"it is neither UTF-8 text nor a type the app reads ({READABLE})"
        ) from None
    return _text_kind(name, text)


# --- limits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How much may be attached: per file, per conversation, per person (bytes), and how
    many files one message may carry. Built from `config.Settings` by the page."""

    file_bytes: int
    conversation_bytes: int
    person_bytes: int
    files_per_message: int
    image_pixels: int


@dataclass(frozen=True)
class Incoming:
    """One file as the browser sent it. A `recording` is the chat box's microphone
    recording: audio is kept only then (its transcript is the question), and it does not
    count against the files one message may carry."""

    name: str
    data: bytes
    recording: bool = False


@dataclass
class Sorted:
    """A batch sorted into the files that may be stored (with their kind) and refusals."""

    accepted: list[tuple[Incoming, str]] = field(default_factory=list)
    rejected: list[FileRejected] = field(default_factory=list)


def describe_size(n: int) -> str:
    """A size as a person reads it: 1.5 MB, 12.0 KB, 300 bytes."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def sort_batch(
    files: Sequence[Incoming],
    limits: Limits,
    *,
    conversation_used: int,
    person_used: int,
    kinds_accepted: frozenset[str] = KINDS - {AUDIO_KIND},
) -> Sorted:
    """Which of `files` may be stored: the first `files_per_message`, each within the
    per-file limit and of a kind the app reads, in order while the conversation's and the
    person's totals (`*_used`, bytes already stored) stay within theirs."""
    out = Sorted()
    conversation, person = conversation_used, person_used
    counted = 0
    for incoming in files:
        name, size = incoming.name, len(incoming.data)
        counted += not incoming.recording
        if counted > limits.files_per_message and not incoming.recording:
            out.rejected.append(
                FileRejected(name, f"at most {limits.files_per_message} files go with one message")
            )
            continue
        try:
            kind = _check_one(incoming, limits, conversation, person, kinds_accepted)
        except FileRejected as refusal:
            out.rejected.append(refusal)
            continue
        conversation += size
        person += size
        out.accepted.append((incoming, kind))
    return out


def _check_one(
    incoming: Incoming, limits: Limits, conversation: int, person: int, accepted: frozenset[str]
) -> str:
    """The kind of one file that may be kept, with the totals so far; else FileRejected."""
    name, size = incoming.name, len(incoming.data)
    if size > limits.file_bytes:
        most = describe_size(limits.file_bytes)
        raise FileRejected(name, f"it is {describe_size(size)}; a file may be at most {most}")
    kind = sniff(name, incoming.data)
    if incoming.recording and kind != AUDIO_KIND:
        raise FileRejected(name, "the recording is not audio the app recognises")
    if kind not in accepted and not incoming.recording:
        raise FileRejected(name, _not_accepted(kind))
    if conversation + size > limits.conversation_bytes:
        most = describe_size(limits.conversation_bytes)
        raise FileRejected(
            name, f"this conversation's files would pass {most} (start a new chat, or delete one)"
        )
    if person + size > limits.person_bytes:
        most = describe_size(limits.person_bytes)
        raise FileRejected(
            name,
            f"your files would pass {most} (delete conversations with files you no longer need)",
        )
    return kind


def _not_accepted(kind: str) -> str:
    if kind == AUDIO_KIND:
        return (
            "audio files are not transcribed; with a transcription service configured, "
            "record your question with the chat box's microphone"
        )
    return f"this type of file is not supported; the app reads {READABLE}"
