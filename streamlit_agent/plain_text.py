"""Message text as every place it goes can hold it: the store, the page, a UTF-8 export.

One home, so the store, the exports and `ui/` clean text the same way.
"""

from __future__ import annotations

import re
from typing import Any

# NUL (PostgreSQL refuses it in text) and lone surrogates (not UTF-8): a model or a tool
# can return either.
_UNHOLDABLE = re.compile("[\x00\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with NUL and lone surrogates shown as U+FFFD; anything else as it came."""
    return _UNHOLDABLE.sub("\ufffd", text)


def message_text(content: Any) -> str:
    """A message's `content` as one string (a list of parts joined, non-text parts empty)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return str(content)
