"""Launcher for the bundled model: llama-cpp-python's server, locked down for loopback.

Run by `LocalModelServer` as `python -m streamlit_agent.models.bundled.launcher` rather
than `python -m llama_cpp.server`, because the stock server can only be configured
partly safely from outside:

- its CORS middleware lets any web page the user visits read the answers, and
  no setting turns it off, so it is removed here before the app first runs;
- it interrupts a streaming answer whenever another request arrives, which cut one
  browser session's answer short when another asked something; here they queue;
- its API key would have to go on the command line (readable by every user via
  `ps`) or in the environment; here it is read from stdin, so it never leaves the
  two processes;
- its `chatml-function-calling` template HTML-escapes every message, so the model read
  "What&#39;s" and wrote "Today&s"; `VERBATIM_CHAT_FORMAT` is that format with the
  messages passed through as written.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

LOOPBACK = "127.0.0.1"
VERBATIM_CHAT_FORMAT = "chatml-function-calling-verbatim"


def _verbatim(message: dict[str, Any]) -> dict[str, Any]:
    """A message whose text the template's autoescaping leaves as it is."""
    from markupsafe import Markup

    shown = dict(message)
    if isinstance(shown.get("content"), str):
        # Not escaped, but a `<|im_start|>` typed by a user or found by a tool must not
        # reach the prompt as ChatML's control token: it could pose as another speaker.
        shown["content"] = Markup(shown["content"].replace("<|", "< |"))
    if shown.get("tool_calls"):
        shown["tool_calls"] = [
            {
                **call,
                "function": {
                    **call["function"],
                    "arguments": Markup(call["function"]["arguments"]),
                },
            }
            for call in shown["tool_calls"]
        ]
    return shown


def register_verbatim_chat_format() -> None:
    """Register `VERBATIM_CHAT_FORMAT`: llama-cpp-python's function-calling chat handler,
    given messages marked safe so its HTML autoescaping leaves them alone (the prompt is
    text for a model, not HTML)."""
    from llama_cpp import llama_chat_format

    def handler(*, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        return llama_chat_format.chatml_function_calling(
            messages=[_verbatim(m) for m in messages], **kwargs
        )

    registry = llama_chat_format.LlamaChatCompletionHandlerRegistry()
    registry.register_chat_completion_handler(VERBATIM_CHAT_FORMAT, handler, overwrite=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--model-alias", required=True)
    # Unset: the chat template stored in the GGUF file.
    parser.add_argument("--chat-format", default=None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n-ctx", type=int, default=4096)
    return parser.parse_args(argv)


def read_api_key() -> str:
    """The key from the first line of stdin; without one the server must not start."""
    key = sys.stdin.readline().strip()
    if not key:
        raise SystemExit("local_model_server: no API key on stdin; refusing to serve without one")
    return key


def build_app(args: argparse.Namespace, api_key: str) -> FastAPI:
    """llama-cpp-python's FastAPI app with a key, queued requests and no CORS."""
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings
    from starlette.middleware.cors import CORSMiddleware

    if args.chat_format == VERBATIM_CHAT_FORMAT:
        register_verbatim_chat_format()

    # Explicit values beat environment variables in pydantic-settings, and the parent
    # strips settings-named variables besides, so nothing here comes from the env.
    server_settings = ServerSettings(
        host=LOOPBACK, port=args.port, api_key=api_key, interrupt_requests=False
    )
    model_settings = ModelSettings(
        model=args.model,
        model_alias=args.model_alias,
        chat_format=args.chat_format,
        n_ctx=args.n_ctx,
        # The server defaults to keeping every position's logits (only logprobs need
        # them): n_ctx x 49k floats, which grew the process by ~450 MiB on a long prompt.
        logits_all=False,
    )
    app = create_app(server_settings=server_settings, model_settings=[model_settings])
    # Only the app (same host, no browser) calls this server, so it needs no CORS;
    # create_app's allow-"*"-with-credentials would let any visited page read it.
    # Starlette builds the middleware stack on the first request, so this is in time.
    app.user_middleware = [m for m in app.user_middleware if m.cls is not CORSMiddleware]
    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    args = parse_args(argv)
    app = build_app(args, read_api_key())
    uvicorn.run(app, host=LOOPBACK, port=args.port)


if __name__ == "__main__":
    main()
