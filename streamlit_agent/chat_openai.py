"""The `ChatOpenAI` every provider builds on: the same requests, without the SDK re-walking history.

The openai SDK passes every request body through `maybe_transform`, which walks each
message against the union of all message TypedDicts. For chat history that LangChain has
already turned into plain JSON dicts this changes nothing, yet it was the largest cost of a
turn that grew with the conversation (py-spy: 42% of the agent thread at turns 1–60). The
SDK documents that `extra_body` is sent as given and takes precedence over the method's
arguments, so the messages travel there: the bytes on the wire are the same.
"""

from __future__ import annotations

from typing import Any

from langchain_openai import ChatOpenAI
from pydantic import model_validator
from typing_extensions import Self


def messages_in_extra_body(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` for `chat.completions.create` with the messages sent as `extra_body`."""
    if "messages" not in payload:
        return payload
    extra = {**(payload.get("extra_body") or {}), "messages": payload["messages"]}
    # The SDK requires the argument; extra_body replaces it in the body sent.
    return {**payload, "messages": [], "extra_body": extra}


class _Completions:
    """`chat.completions` whose `create` skips the transform; everything else as it is
    (structured output and raw responses keep the SDK's own path)."""

    def __init__(self, completions: Any) -> None:
        self._completions = completions

    def create(self, **payload: Any) -> Any:
        return self._completions.create(**messages_in_extra_body(payload))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._completions, name)


class AppChatOpenAI(ChatOpenAI):
    """`ChatOpenAI` whose chat-completions messages skip the SDK's per-request transform.

    The swap happens at the client, after every subclass has shaped the payload.
    """

    @model_validator(mode="after")
    def _send_messages_as_extra_body(self) -> Self:
        if self.client is not None and not isinstance(self.client, _Completions):
            self.client = _Completions(self.client)
        return self
