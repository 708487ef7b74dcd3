"""Save a note as a Markdown file: a tool with a side effect, so it asks first."""

from __future__ import annotations

import os
import re
from pathlib import Path

from langchain_core.tools import tool

# A note is something a person reads: far beyond that is a model filling the disk.
MAX_NOTE_CHARS = 100_000
MAX_TITLE_CHARS = 200


def notes_dir() -> Path:
    default = Path.home() / ".streamlit-agent" / "notes"
    return Path(os.environ.get("STREAMLIT_AGENT_NOTES_DIR", default)).expanduser()


@tool
def save_note(title: str, text: str) -> str:
    """Save a note for the user as a Markdown file. Use it when asked to write something down."""
    if len(title) > MAX_TITLE_CHARS or len(text) > MAX_NOTE_CHARS:
        return (
            f"Not saved: a note's title may have {MAX_TITLE_CHARS} characters and its text "
            f"{MAX_NOTE_CHARS:,} (this one: {len(title):,} and {len(text):,})."
        )
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "note"
    path = notes_dir() / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n{text}\n", encoding="utf-8")
    return f"Saved the note '{title}' to {path.name}."


# Writing to disk is a side effect: the user approves each call before it runs. Its
# result is the app's own sentence, not text from elsewhere (trusted_output).
save_note.metadata = {"requires_approval": True, "trusted_output": True}
