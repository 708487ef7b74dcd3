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


class AppChatOpenAI(ChatOpenAI):
    """`ChatOpenAI` whose chat-completions messages skip the SDK's per-request transform."""

    def _get_request_payload(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        payload = super()._get_request_payload(*args, **kwargs)
        # Structured output goes through the SDK's parse helpers, the Responses API has
        # no "messages": both keep the SDK's own path.
        if "messages" in payload and "response_format" not in payload:
            messages = payload.pop("messages")
            payload["messages"] = []  # the SDK requires the argument; extra_body replaces it
            payload["extra_body"] = {**(payload.get("extra_body") or {}), "messages": messages}
        return payload
