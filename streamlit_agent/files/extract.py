"""A document's text, read once: `extract(kind, data, name) -> Extracted`.

Its pages or sections, each with the label a quote names ("page 3", "section: Methods",
"rows 2-51", "lines 1-40"). Reading runs in a worker process (`_extract_worker.py`) with
a wall-clock deadline, a CPU-time limit and an address-space limit, because the parsers
(pypdf, python-docx's lxml, html.parser) are not ours to prove bounded on hostile input:
a PDF built to loop or a DOCX built to explode ends the worker, never the app. The
bytes are capped before the worker starts and the text after it answers.

Anything that cannot or will not be read raises `FileRejected(name, reason)`.
"""

from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from streamlit_agent.files.errors import FileRejected
from streamlit_agent.safety.plain_text import storable

_WORKER_FILE = Path(__file__).with_name("_extract_worker.py")

# The largest file of each kind read at all; a bigger one is refused before any parsing.
MAX_BYTES = {
    "text": 5 * 2**20,
    "markdown": 5 * 2**20,
    "csv": 10 * 2**20,
    "json": 10 * 2**20,
    "html": 5 * 2**20,
    "pdf": 50 * 2**20,
    "docx": 25 * 2**20,
}
MAX_TEXT_CHARS = 3_000_000  # of extracted text in one document (~1,000 dense pages)
EXTRACT_TIMEOUT_S = 60.0
EXTRACT_MEMORY_BYTES = 1536 * 2**20
MAX_ANSWER_BYTES = 4 * MAX_TEXT_CHARS + 2**20  # UTF-8 of the capped text, and JSON's quoting
# Workers reading at once, for every session of this app together: each may use up to
# EXTRACT_MEMORY_BYTES, so a crowd attaching files queues instead of exhausting memory.
EXTRACT_WORKERS = 2
_slots = threading.BoundedSemaphore(EXTRACT_WORKERS)


@dataclass(frozen=True)
class Section:
    """One page or section of a document: `label` is what a quote names."""

    label: str
    text: str


@dataclass(frozen=True)
class Extracted:
    """A document's text by page or section, in order."""

    name: str
    kind: str
    sections: tuple[Section, ...]

    @property
    def chars(self) -> int:
        return sum(len(s.text) for s in self.sections)

    def text(self) -> str:
        """The whole text, each section under its label."""
        return "\n\n".join(f"[{s.label}]\n{s.text}" for s in self.sections)


def readable_kinds() -> frozenset[str]:
    return frozenset(MAX_BYTES)


def extract(
    kind: str, data: bytes, name: str, *, timeout_s: float = EXTRACT_TIMEOUT_S
) -> Extracted:
    """`data`'s text, read in a worker within `timeout_s` seconds and
    `EXTRACT_MEMORY_BYTES`; raises FileRejected with a reason a person can act on."""
    _check_input(kind, data, name)
    status, body = _ask_worker(kind, data, name, timeout_s)
    if status == b"r":
        raise FileRejected(name, f"{body}.")
    sections = tuple(
        Section(storable(str(label)), storable(str(text)).strip())
        for label, text in body
        if str(text).strip()
    )
    if not sections:
        scanned = " (a scanned PDF holds pictures of text, not text)" if kind == "pdf" else ""
        raise FileRejected(name, f"it has no text to read{scanned}.")
    total = sum(len(s.text) for s in sections)
    if total > MAX_TEXT_CHARS:
        raise FileRejected(
            name, f"it holds {total:,} characters of text; the limit is {MAX_TEXT_CHARS:,}."
        )
    return Extracted(name=name, kind=kind, sections=sections)


def _check_input(kind: str, data: bytes, name: str) -> None:
    if kind not in MAX_BYTES:
        raise FileRejected(name, f"the app reads no text from this kind of file ({kind}).")
    if not data:
        raise FileRejected(name, "the file is empty.")
    if len(data) > MAX_BYTES[kind]:
        raise FileRejected(
            name,
            f"it is {len(data) / 2**20:,.1f} MB; a {kind} file may be at most "
            f"{MAX_BYTES[kind] // 2**20} MB.",
        )


def _ask_worker(kind: str, data: bytes, name: str, timeout_s: float) -> tuple[bytes, object]:
    deadline = time.monotonic() + timeout_s
    if not _slots.acquire(timeout=timeout_s):
        raise FileRejected(name, "the app is busy reading other documents; try again shortly.")
    try:
        return _run_worker(kind, data, name, deadline)
    finally:
        _slots.release()


def _run_worker(kind: str, data: bytes, name: str, deadline: float) -> tuple[bytes, object]:
    timeout_s = max(deadline - time.monotonic(), 0.0)
    header = json.dumps(
        {
            "kind": kind,
            "size": len(data),
            "cpu_s": max(int(timeout_s) + 1, 2),
            "memory_bytes": EXTRACT_MEMORY_BYTES,
        }
    ).encode()
    # No environment: the worker needs none and so never holds the app's keys.
    proc = subprocess.Popen(
        [sys.executable, "-I", str(_WORKER_FILE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={},
        start_new_session=True,
    )
    try:
        _send(proc, struct.pack(">I", len(header)) + header + data, name)
        answer = _receive(proc, deadline, name)
    finally:
        _end(proc)
    status, body = answer[:1], json.loads(answer[5:].decode("utf-8", "surrogatepass"))
    return status, body


def _send(proc: subprocess.Popen[bytes], payload: bytes, name: str) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(payload)
        proc.stdin.close()
    except BrokenPipeError:
        raise FileRejected(name, "the reader stopped before it got the file; try again.") from None


def _receive(proc: subprocess.Popen[bytes], deadline: float, name: str) -> bytes:
    """The worker's whole answer, or FileRejected when it dies, overruns or overflows."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            raise FileRejected(name, "reading it took longer than a document may take.")
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_ANSWER_BYTES:
            raise FileRejected(name, "it holds more text than a document may hold.")
    if len(data) < 5 or len(data) - 5 != struct.unpack(">I", data[1:5])[0]:
        # Killed by its CPU or memory limit (or crashed in a parser) before answering.
        raise FileRejected(name, "reading it needed more time or memory than a document may use.")
    return data


def _end(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    with suppress(OSError):
        if proc.stdout is not None:
            proc.stdout.close()
    proc.wait()
