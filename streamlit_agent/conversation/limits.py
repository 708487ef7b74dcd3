"""Limits for shared deployments, counted in the store so every app instance agrees.

Per user: messages a minute and tokens a day. An anonymous user is only a cookie, and a
browser without one is a new user, so anonymous visitors also share ceilings that no
new cookie resets: all of them together (counted under ANONYMOUS in the store, and in
this process, which still counts while the store cannot) and, where Streamlit knows
it, each client address.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping

from streamlit_agent.config import Settings
from streamlit_agent.store.owned import Conversations

MESSAGES = "message"
TOKENS = "tokens"
ANONYMOUS = "anon:*"  # the usage key of every anonymous visitor together
_ADDRESS = "addr:"  # usage keys per client address (a digest: no addresses are stored)
_MINUTE = 60.0  # seconds
_ANON_TOKENS_PER_USER_BUDGET = 10  # unset anonymous budget: ten users' daily budgets
_RETRY = "Wait a moment, then press Retry."


def _start_of_day_utc(now: float) -> float:
    return now - now % 86_400


class _Window:
    """Messages of the last minute, per key, in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = defaultdict(deque)

    def admit(self, key: str, now: float, ceiling: int, elsewhere: int) -> int | None:
        """Count one more message under `key` unless the larger of this process's count
        and `elsewhere` (every instance's, from the store) has reached `ceiling`; then
        that count. Checked and counted under one lock, so sessions sending at the same
        moment cannot all slip under the ceiling together."""
        with self._lock:
            times = self._times[key]
            while times and times[0] < now - _MINUTE:
                times.popleft()
            seen = max(len(times), elsewhere)
            if seen >= ceiling:
                return seen
            times.append(now)
            return None


# Per database, that is per deployment (tests run many, each on its own, in one process).
_windows: dict[str, _Window] = defaultdict(_Window)


def anonymous(conversations: Conversations) -> bool:
    return conversations.owner.startswith("anon:")


def _address_key(address: str) -> str:
    return _ADDRESS + hashlib.sha256(address.encode()).hexdigest()[:32]


def _shared(conversations: Conversations, key: str) -> Conversations:
    # The same store, under a counter key that is nobody's conversations.
    return conversations.for_owner(key)


def _over(conversations: Conversations, settings: Settings, key: str, ceiling: int) -> int | None:
    """How many messages `key` sent in the last minute if that reached `ceiling`, else
    None (and this message is counted in this process; the store counts it once sent)."""
    now = time.time()
    stored = _shared(conversations, key).usage_since(MESSAGES, now - _MINUTE)
    return _windows[settings.db_url or ""].admit(key, now, ceiling, stored or 0)


def _anonymous_refusal(
    conversations: Conversations, settings: Settings, address: str | None
) -> str | None:
    # The address first: a message it refuses then takes no slot of the ceiling every
    # anonymous visitor shares, so one address cannot use that ceiling up.
    per_address = settings.address_messages_per_minute
    if address and per_address > 0:
        sent = _over(conversations, settings, _address_key(address), per_address)
        if sent is not None:
            return (
                f"{sent} messages were sent from your network address in the last minute; "
                f"the limit is {per_address}. {_RETRY}"
            )
    ceiling = settings.anon_messages_per_minute
    if ceiling > 0 and _over(conversations, settings, ANONYMOUS, ceiling) is not None:
        return (
            "This server is answering as many messages from visitors who are not signed in "
            f"as it allows ({ceiling} a minute, for all of them together). {_RETRY}"
        )
    return None


def still_counted_since(settings: Settings, now: float) -> float | None:
    """The earliest time from which a user's usage still counts toward one of their
    limits (None with no per-user limit): "delete all my data" keeps those records, or
    it would reset the limits it is not meant to touch."""
    starts = []
    if settings.messages_per_minute > 0:
        starts.append(now - _MINUTE)
    if settings.daily_tokens > 0:
        starts.append(_start_of_day_utc(now))
    return min(starts, default=None)


def anonymous_token_budget(settings: Settings) -> int:
    return settings.anon_daily_tokens or settings.daily_tokens * _ANON_TOKENS_PER_USER_BUDGET


def refusal(
    conversations: Conversations,
    settings: Settings,
    server_pays: bool,
    address: str | None = None,
) -> str | None:
    """Why this user may not send a message now, or None; `address` is the client's network
    address, where known. A store that cannot count
    lets the message through: a down database must not stop the chat (the anonymous
    ceiling is still counted in this process)."""
    now = time.time()
    per_minute = settings.messages_per_minute
    if per_minute > 0:
        sent = conversations.usage_since(MESSAGES, now - _MINUTE)
        if sent is not None and sent >= per_minute:
            return (
                f"You have sent {sent} messages in the last minute; the limit is {per_minute}. "
                + _RETRY
            )
    if server_pays and (found := _token_refusal(conversations, settings, now)):
        return found
    # Last: the in-process count takes its slot only for a message that goes ahead.
    if not anonymous(conversations):
        return None
    return _anonymous_refusal(conversations, settings, address)


def _token_refusal(conversations: Conversations, settings: Settings, now: float) -> str | None:
    own_key = "an OpenAI key of your own in the sidebar is not limited."
    budget = settings.daily_tokens
    if budget > 0:
        spent = conversations.usage_since(TOKENS, _start_of_day_utc(now))
        if spent is not None and spent >= budget:
            return (
                f"You have used today's budget of {budget:,} tokens on this server's key "
                f"({spent:,} used). It resets at midnight UTC; {own_key}"
            )
    shared = anonymous_token_budget(settings)
    if anonymous(conversations) and shared > 0:
        spent = _shared(conversations, ANONYMOUS).usage_since(TOKENS, _start_of_day_utc(now))
        if spent is not None and spent >= shared:
            return (
                "Visitors who are not signed in have used today's budget of "
                f"{shared:,} tokens on this server's key. It resets at midnight UTC; {own_key}"
            )
    return None


def record_message(conversations: Conversations, address: str | None = None) -> None:
    """Count a message that is being answered: for its user and, for an anonymous one,
    under the shared keys every instance checks."""
    shared = []
    if anonymous(conversations):
        shared = [ANONYMOUS, *([_address_key(address)] if address else [])]
    # One write: three separate commits were ~34 ms of every anonymous turn (py-spy).
    conversations.record_usage(MESSAGES, also_under=shared)


def record_tokens(conversations: Conversations, usage: Mapping[str, int]) -> None:
    total = int(usage.get("total_tokens") or 0) or (
        int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)
    )
    if total:
        shared = [ANONYMOUS] if anonymous(conversations) else []
        conversations.record_usage(TOKENS, total, also_under=shared)
