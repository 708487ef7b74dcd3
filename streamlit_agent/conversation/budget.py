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
            total += _content_tokens(message.content, tokens_of) + 4  # role and separators
            for call in getattr(message, "tool_calls", None) or []:
                total += tokens_of(json.dumps(call.get("args", {}))) + 8
        return total

    return count


# What one image costs a model, about (OpenAI's high detail tiles a large image for ~1,100
# tokens): an image part is counted as this, not as the length of its base64 data URL.
IMAGE_TOKENS = 1100


def _content_tokens(content: object, tokens_of: Callable[[str], int]) -> int:
    if not isinstance(content, list):
        return tokens_of(str(content))
    total = 0
    for part in content:
        if isinstance(part, dict) and part.get("type") in ("image_url", "image"):
            total += IMAGE_TOKENS
        elif isinstance(part, dict):
            total += tokens_of(str(part.get("text", "")))
        else:
            total += tokens_of(str(part))
    return total
