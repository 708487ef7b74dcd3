"""A question's files under it: name, type and size as plain text, a thumbnail for an
image (a PNG the app made from the file under its pixel cap, never the file itself, and
never SVG), and each refused file with the reason."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from langchain_core.messages import BaseMessage

from streamlit_agent.files.attach import references, refusal_lines, refusals
from streamlit_agent.files.kinds import describe_size
from streamlit_agent.web.ui.text import label_text

THUMBNAIL_WIDTH = 160


def draw_attachments(message: BaseMessage | None, thumbnails: Mapping[str, bytes]) -> None:
    if message is None:
        return
    kwargs = getattr(message, "additional_kwargs", None) or {}
    refs, refused = references(kwargs), refusals(kwargs)
    if not refs and not refused:
        return
    pictures = [thumbnails[ref["id"]] for ref in refs if ref["id"] in thumbnails]
    if pictures:
        columns = st.columns(min(len(pictures), 4))
        for index, png in enumerate(pictures):
            with columns[index % len(columns)]:
                st.image(png, width=THUMBNAIL_WIDTH)
    for ref in refs:
        kind = ref["kind"].upper()
        st.caption(label_text(f"📎 {ref['name']} · {kind} · {describe_size(ref['size'])}"))
    for line in refusal_lines(refused):
        st.caption(label_text(f"⚠️ Not attached: {line}"))
