"""A document's sections cut into passages short enough to search and quote.

Each passage keeps its section's label, so a quote still names its page or section. A
section is cut at a paragraph break where it can, else a line break, a sentence's end or
a space, and only where none is near, mid-word; nothing is dropped but the whitespace at
the cuts. Linear in the text: every cut looks back at most one passage's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

PASSAGE_CHARS = 1_200
# A cut is looked for in the last part of a passage only: a break found near its start
# would make a tiny passage, and looking further would not keep the cut linear.
_LOOK_BACK = PASSAGE_CHARS // 3
_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")


@dataclass(frozen=True)
class Passage:
    """`seq` numbers the document's passages from 0 in reading order."""

    seq: int
    label: str
    text: str


def _cut_at(text: str, start: int, limit: int) -> int:
    """Where the passage starting at `start` ends: at most `limit` characters on."""
    end = start + limit
    if end >= len(text):
        return len(text)
    floor = max(start + 1, end - _LOOK_BACK)
    for mark in _BREAKS:
        found = text.rfind(mark, floor, end)
        if found >= 0:
            return found + len(mark)
    return end


def split_section(text: str, limit: int = PASSAGE_CHARS) -> Iterator[str]:
    """`text` in pieces of at most `limit` characters, none empty, each stripped."""
    start = 0
    while start < len(text):
        end = _cut_at(text, start, limit)
        piece = text[start:end].strip()
        if piece:
            yield piece
        start = end


def split_passages(
    sections: Iterable[tuple[str, str]], limit: int = PASSAGE_CHARS
) -> list[Passage]:
    """Every (label, text) section's passages, numbered in reading order."""
    passages: list[Passage] = []
    for label, text in sections:
        for piece in split_section(text, limit):
            passages.append(Passage(len(passages), label, piece))
    return passages
