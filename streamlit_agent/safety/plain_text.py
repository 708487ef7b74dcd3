"""Message text as every place it goes can hold it: the store, the page, a UTF-8 export.

One home, so the store, the exports and `ui/` clean text the same way.
"""

from __future__ import annotations

import re
from typing import Any

# A model or a tool can return lone surrogates (not UTF-8) and NUL (PostgreSQL refuses
# it in text).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` as the page or a UTF-8 file can hold it: lone surrogates as U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def storable(text: str) -> str:
    """`text` as every database accepts it: `printable`, and NUL as U+FFFD too."""
    return printable(text).replace("\x00", "\ufffd")


def message_text(content: Any) -> str:
    """A message's `content` as one string (a list of parts joined, non-text parts empty)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return str(content)
