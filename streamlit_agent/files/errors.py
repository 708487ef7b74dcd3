"""The one error a file can be refused with: it names the file and says why, in words a
person can act on (the page shows both; nothing else about the file is kept).
"""

from __future__ import annotations


class FileRejected(ValueError):
    """A file the app will not take: ``name`` is the file's own name (untrusted text,
    drawn only as plain text), ``reason`` a sentence for the person who attached it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
