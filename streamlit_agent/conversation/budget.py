"""How much of a conversation's earlier turns a model is given."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage, trim_messages
from langchain_core.messages.utils import count_tokens_approximately

DEFAULT_HISTORY_TOKENS = 6000

TokenCounter = Callable[[Sequence[BaseMessage]], int]


@dataclass(frozen=True)
class HistoryBudget:
    """How much of earlier turns the model is given: `tokens` for the history and the
    question together, counted by `count` (the model's own tokenizer where there is one)."""

    tokens: int
    count: TokenCounter = count_tokens_approximately


def trim_history(
    messages: Sequence[BaseMessage], budget: int, count: TokenCounter = count_tokens_approximately
) -> list[BaseMessage]:
    """Keep the newest whole turns that fit `budget`; a kept turn starts at a user message."""
    return trim_messages(
        list(messages),
        max_tokens=max(budget, 0),
        token_counter=count,
        strategy="last",
        start_on="human",
        allow_partial=False,
    )


def message_counter(tokens_of: Callable[[str], int]) -> TokenCounter:
    def count(messages: Sequence[BaseMessage]) -> int:
        total = 0
        for message in messages:
            total += tokens_of(str(message.content)) + 4  # role and separators
            for call in getattr(message, "tool_calls", None) or []:
                total += tokens_of(json.dumps(call.get("args", {}))) + 8
        return total

    return count
