"""Branches: a conversation's messages as a tree, and the path through it on screen.

Each stored message names its parent (`messages.parent_id`, the message it continues;
None at the root) and each conversation its chosen leaf (`conversations.leaf_id`).
Regenerate and Edit & resend add a new question beside the old one (same parent), so
nothing is replaced; the active path, from the root down to the leaf, is what the page
shows, what the model is sent and what search and the per-conversation export follow.

A parent is always stored before its children (`save_messages` checks it), so in
storage order every parent comes first; the walks here still stop at a missing parent
or a loop rather than trust that, so a damaged row can hide a branch but never hang.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """One stored message as the tree sees it."""

    id: str
    parent: str | None
    role: str


def active_path(nodes: Sequence[Node], leaf: str | None) -> list[str]:
    """Message ids from the root down to `leaf` (`nodes` in storage order). An unknown
    leaf (never chosen, or gone) is the newest message: the conversation as it was."""
    if not nodes:
        return []
    by_id = {node.id: node for node in nodes}
    current = leaf if leaf in by_id else nodes[-1].id
    path: list[str] = []
    seen: set[str] = set()
    while current is not None and current in by_id and current not in seen:
        seen.add(current)
        path.append(current)
        current = by_id[current].parent
    path.reverse()
    return path


def sibling_groups(nodes: Sequence[Node]) -> dict[str, tuple[str, ...]]:
    """For each question that has siblings (other questions continuing the same message:
    earlier versions from Regenerate or Edit & resend), the whole group, oldest first."""
    groups: dict[str | None, list[str]] = {}
    for node in nodes:
        if node.role == "user":
            groups.setdefault(node.parent, []).append(node.id)
    return {member: tuple(group) for group in groups.values() if len(group) > 1 for member in group}


def newest_leaf_under(nodes: Sequence[Node], message_id: str) -> str:
    """The newest message at or below `message_id` (`nodes` in storage order): a child is
    stored after its parent, so the newest descendant has no children, and it is the
    end of the branch that was used last."""
    below = {message_id}
    newest = message_id
    for node in nodes:
        if node.parent in below and node.id not in below:
            below.add(node.id)
            newest = node.id
    return newest
