"""Per-user limits for shared deployments, counted in the store so every app instance agrees."""

from __future__ import annotations

import time
from collections.abc import Mapping

from streamlit_agent.config import Settings
from streamlit_agent.memory import Conversations

MESSAGES = "message"
TOKENS = "tokens"


def _start_of_day_utc(now: float) -> float:
    return now - now % 86_400


def refusal(conversations: Conversations, settings: Settings, server_pays: bool) -> str | None:
    """Why this user may not send a message now, or None. A store that cannot count
    lets the message through: a down database must not stop the chat."""
    now = time.time()
    per_minute = settings.messages_per_minute
    if per_minute > 0:
        sent = conversations.usage_since(MESSAGES, now - 60)
        if sent is not None and sent >= per_minute:
            return (
                f"You have sent {sent} messages in the last minute; the limit is {per_minute}. "
                "Wait a moment, then press Retry."
            )
    budget = settings.daily_tokens
    if budget > 0 and server_pays:
        spent = conversations.usage_since(TOKENS, _start_of_day_utc(now))
        if spent is not None and spent >= budget:
            return (
                f"You have used today's budget of {budget:,} tokens on this server's key "
                f"({spent:,} used). It resets at midnight UTC; an OpenAI key of your own "
                "in the sidebar is not limited."
            )
    return None


def record_message(conversations: Conversations) -> None:
    conversations.record_usage(MESSAGES)


def record_tokens(conversations: Conversations, usage: Mapping[str, int]) -> None:
    total = int(usage.get("total_tokens") or 0) or (
        int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)
    )
    if total:
        conversations.record_usage(TOKENS, total)
