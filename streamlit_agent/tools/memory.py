"""Long-term memory tools: save, update and forget facts about the user.

Ordinary tools, found by the registry like the others; what they act on comes with the
turn (`conversation.memory.memory_in(config)`: the person's owner-bound
`Conversations`), so they can reach that person's memories only, and do nothing where a
turn brings none (memory off, or served to another client over MCP).

They ask the person first in a turn that read untrusted text, such as web results, a
document or an MCP server's output (`approval_after_untrusted`, agent/tool_runner.py):
text from elsewhere must not plant memories. Their own results are the app's sentences
(`trusted_output`).
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool

from streamlit_agent.conversation.memory import (
    FORGET_TOOL,
    SAVE_TOOL,
    UPDATE_TOOL,
    TurnMemory,
    memory_in,
)
from streamlit_agent.store.memories import MemoryRefused

SAVED = "Saved to memory: "
UPDATED = "Updated in memory: "
NOT_HERE = "Memory is off here: nothing was saved or changed."
STORE_DOWN = "Memory is unavailable right now (the database cannot be reached): nothing changed."
METADATA = {
    "approval_after_untrusted": True,
    "trusted_output": True,
    "per_person": True,  # needs a person's turn: not served over MCP
}


def _memory(config: RunnableConfig) -> TurnMemory | None:
    return memory_in(config)


@tool(SAVE_TOOL)
def save_memory(text: str, config: RunnableConfig) -> str:
    """Save one fact about the user to long-term memory, for later conversations.

    Use it when the user shares a lasting preference or fact about themselves, or asks
    you to remember something. One short fact per call, e.g. 'Prefers metric units'.
    """
    memory = _memory(config)
    if memory is None:
        return NOT_HERE
    try:
        kept = memory.conversations.add_memory(text)
    except MemoryRefused as refused:
        return f"Not saved: {refused}"
    return STORE_DOWN if kept is None else SAVED + kept.text


@tool(UPDATE_TOOL)
def update_memory(memory_id: str, text: str, config: RunnableConfig) -> str:
    """Replace the text of one long-term memory (its id is in brackets in the memory list).

    Use it when a remembered fact about the user has changed.
    """
    memory = _memory(config)
    if memory is None:
        return NOT_HERE
    try:
        kept = memory.conversations.update_memory(memory_id, text)
    except MemoryRefused as refused:
        return f"Not updated: {refused}"
    if kept is None:
        return f"No memory has the id {memory_id[:40]!r}: nothing changed."
    return UPDATED + kept.text


@tool(FORGET_TOOL)
def forget_memory(memory_id: str, config: RunnableConfig) -> str:
    """Forget one long-term memory (its id is in brackets in the memory list).

    Use it when the user asks you to forget something, or a fact no longer holds.
    """
    memory = _memory(config)
    if memory is None:
        return NOT_HERE
    forgotten = memory.conversations.forget_memory(memory_id)
    if forgotten is None:
        return STORE_DOWN
    if not forgotten:
        return f"No memory has the id {memory_id[:40]!r}: nothing changed."
    return f"Forgotten: the memory {memory_id[:40]!r} is deleted."


save_memory.metadata = dict(METADATA)
update_memory.metadata = dict(METADATA)
forget_memory.metadata = dict(METADATA)
