"""A scripted OpenAI-compatible chat server on loopback, for tests.

`ScriptedOpenAI` speaks enough of the OpenAI HTTP API (`GET /v1/models`, `POST
/v1/chat/completions`, streamed as SSE or not; `POST /v1/audio/transcriptions`, a
multipart form answered with a scripted transcript) that the real `openai` client and
`langchain_openai.ChatOpenAI` talk to it unchanged. What it answers comes from a
deterministic "brain" that reads the messages and offered tools it was sent, so a test
can check that the app sent the right conversation by looking at the answer.

Test-only endpoints: `GET /_log` (every chat request body received), `GET
/_transcriptions` (each transcription request's fields, file name and size), `POST /_reset`
(forget them and any queued replies), `POST /_enqueue` (queue a reply, as JSON).

Also runs on its own, for a test that needs it in another process:

    python tests/scripted_openai.py --port 0
    # prints: SCRIPTED_OPENAI_READY port=43127 base_url=http://127.0.0.1:43127/v1

Standard library only, so that the standalone form needs nothing installed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import email.parser
import email.policy
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

MODEL_ID = "scripted-model"
HOST = "127.0.0.1"
DEFAULT_CHUNK_DELAY = 0.05
DEFAULT_HANG_SECONDS = 600.0
READY_PREFIX = "SCRIPTED_OPENAI_READY"
# Missing its opening brace: lenient streaming parsers (LangChain's partial-JSON repair
# included) cannot turn it into a dict, so it stays an invalid tool call on every path.
BAD_JSON_ARGUMENTS = '"expression": "1 + 1"}'
DEFAULT_TRANSCRIPT = "What is 37 * 41?"
HTML_PAYLOAD = "<script>alert(1)</script> <img src=x onerror=alert(2)> [link](javascript:alert(3))"

Message = dict[str, Any]
Tool = dict[str, Any]


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model makes; `arguments` as a str is sent verbatim (even if broken)."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments))


@dataclass(frozen=True)
class Reply:
    """What the server answers to one chat completion request.

    `status` other than 200 sends `error` as an OpenAI error body; `hang` answers nothing
    until the hang time passes or the server stops; `stall_after` streams that many text
    chunks and then hangs mid-stream. `reasoning` is streamed first as `reasoning_content`
    deltas, as vLLM, Ollama and DeepSeek send a reasoning model's thinking.
    """

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    status: int = 200
    error: Mapping[str, Any] | None = None
    hang: bool = False
    stall_after: int | None = None
    reasoning: str | None = None

    def __post_init__(self) -> None:
        # Accept a list for convenience while keeping the reply immutable once queued.
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))

    @classmethod
    def text(cls, content: str) -> Reply:
        return cls(content=content)

    @classmethod
    def tool(cls, name: str, arguments: Mapping[str, Any] | str | None = None) -> Reply:
        return cls(tool_calls=(ToolCall(name, {} if arguments is None else arguments),))

    @classmethod
    def tools(cls, *calls: ToolCall) -> Reply:
        return cls(tool_calls=calls)

    @classmethod
    def failure(
        cls,
        status: int,
        message: str,
        *,
        type: str = "server_error",
        code: str | None = None,
        param: str | None = None,
    ) -> Reply:
        error = {"message": message, "type": type, "param": param, "code": code}
        return cls(status=status, error=error)

    @classmethod
    def hanging(cls) -> Reply:
        return cls(hang=True)

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "tool_calls": [
                {"name": c.name, "arguments": c.arguments, "id": c.id} for c in self.tool_calls
            ],
            "status": self.status,
            "error": dict(self.error) if self.error else None,
            "hang": self.hang,
            "stall_after": self.stall_after,
            "reasoning": self.reasoning,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reply:
        calls = tuple(
            ToolCall(c["name"], c.get("arguments", {}), c.get("id"))
            for c in data.get("tool_calls") or ()
        )
        return cls(
            content=data.get("content"),
            tool_calls=calls,
            status=int(data.get("status", 200)),
            error=data.get("error"),
            hang=bool(data.get("hang", False)),
            stall_after=data.get("stall_after"),
            reasoning=data.get("reasoning"),
        )


Brain = Callable[[list[Message], list[Tool]], Reply]


# --------------------------------------------------------------------------- reading requests


def parse_form(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """A multipart/form-data body as {field: text} plus `file` ({name, content_type,
    data}) for the uploaded part; None when the body is not such a form."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        return None
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            form[str(name)] = {
                "name": part.get_filename(),
                "content_type": part.get_content_type(),
                "data": data,
            }
        else:
            form[str(name)] = data.decode("utf-8", "replace")
    return form


def content_text(content: Any) -> str:
    """Message content as plain text; clients may send a list of typed parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
        return "".join(parts)
    return str(content)


def user_texts(messages: Sequence[Message]) -> list[str]:
    return [content_text(m.get("content")) for m in messages if m.get("role") == "user"]


def last_user_text(messages: Sequence[Message]) -> str:
    texts = user_texts(messages)
    return texts[-1].strip() if texts else ""


def tool_names(tools: Sequence[Tool]) -> list[str]:
    names = []
    for tool in tools:
        function = tool.get("function") or {}
        if function.get("name"):
            names.append(function["name"])
    return names


def tool_name_for(messages: Sequence[Message], tool_call_id: str | None) -> str | None:
    """The name of the tool whose call had `tool_call_id`, from the assistant's calls."""
    if not tool_call_id:
        return None
    for message in reversed(messages):
        for call in message.get("tool_calls") or ():
            if call.get("id") == tool_call_id:
                return (call.get("function") or {}).get("name")
    return None


def describe_message(message: Message, messages: Sequence[Message]) -> str:
    """One line saying what a message was, for the "echo history" rule."""
    role = message.get("role", "?")
    text = content_text(message.get("content"))
    if role == "tool":
        name = tool_name_for(messages, message.get("tool_call_id")) or "unknown"
        return f"tool({name}): {text}"
    calls = message.get("tool_calls") or ()
    if role == "assistant" and calls:
        rendered = ", ".join(
            f"{(c.get('function') or {}).get('name')}({(c.get('function') or {}).get('arguments')})"
            for c in calls
        )
        prefix = f"{text} " if text else ""
        return f"assistant: {prefix}[tool_calls: {rendered}]"
    return f"{role}: {text}"


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """A misbehaviour asked for with `[fault:NAME]` in the last user message.

    A `sticky` fault keeps applying after tool results come back; others only answer the
    user's own turn, so that a turn which survived the fault can still finish.
    """

    respond: Callable[[list[Message], list[Tool]], Reply]
    sticky: bool = False


FAULTS: dict[str, Fault] = {}
FAULT_PATTERN = re.compile(r"\[fault:([\w-]+)\]", re.IGNORECASE)


def fault(
    name: str, *, sticky: bool = False
) -> Callable[[Callable[..., Reply]], Callable[..., Reply]]:
    """Register a fault handler: `@fault("teapot")` makes `[fault:teapot]` call it."""

    def register(respond: Callable[..., Reply]) -> Callable[..., Reply]:
        FAULTS[name.lower()] = Fault(respond, sticky)
        return respond

    return register


def sample_arguments(tool: Tool) -> dict[str, Any]:
    """Arguments that satisfy a tool's required parameters, by JSON schema type."""
    samples = {"string": "loop", "number": 1, "integer": 1, "boolean": True}
    schema = (tool.get("function") or {}).get("parameters") or {}
    properties = schema.get("properties") or {}
    args: dict[str, Any] = {}
    for name in schema.get("required") or ():
        kind = (properties.get(name) or {}).get("type", "string")
        if kind == "array":
            args[name] = []
        elif kind == "object":
            args[name] = {}
        else:
            args[name] = samples.get(kind, "loop")
    return args


@fault("429")
def _rate_limited(messages: list[Message], tools: list[Tool]) -> Reply:
    return Reply.failure(
        429, "Rate limit reached", type="rate_limit_error", code="rate_limit_exceeded"
    )


@fault("500")
def _server_error(messages: list[Message], tools: list[Tool]) -> Reply:
    return Reply.failure(500, "The server had an error while processing your request.")


@fault("context")
def _context_too_long(messages: list[Message], tools: list[Tool]) -> Reply:
    return Reply.failure(
        400,
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 200000 tokens. Please reduce the length of the messages.",
        type="invalid_request_error",
        code="context_length_exceeded",
        param="messages",
    )


@fault("hang")
def _hang(messages: list[Message], tools: list[Tool]) -> Reply:
    return Reply.hanging()


@fault("stall")
def _stall(messages: list[Message], tools: list[Tool]) -> Reply:
    return Reply(content="This answer starts streaming and then stops forever", stall_after=3)


@fault("tool_then_hang", sticky=True)
def _tool_then_hang(messages: list[Message], tools: list[Tool]) -> Reply:
    """A calculator call, then no answer at all: a turn cut off after its first step."""
    if messages and messages[-1].get("role") == "tool":
        return Reply.hanging()
    return Reply.tool("calculator", {"expression": "6 * 7"})


@fault("badjson")
def _bad_json(messages: list[Message], tools: list[Tool]) -> Reply:
    names = tool_names(tools)
    name = "calculator" if "calculator" in names or not names else names[0]
    return Reply.tool(name, BAD_JSON_ARGUMENTS)


@fault("unknown_tool")
def _unknown_tool(messages: list[Message], tools: list[Tool]) -> Reply:
    return Reply.tool("no_such_tool", {"input": "x"})


@fault("loop", sticky=True)
def _loop(messages: list[Message], tools: list[Tool]) -> Reply:
    if not tools:
        return Reply.text("There is no tool to call in a loop.")
    first = tools[0]
    return Reply.tool(tool_names([first])[0], sample_arguments(first))


@fault("html")
def _html(messages: list[Message], tools: list[Tool]) -> Reply:
    return Reply.text(f"Here is some markup: {HTML_PAYLOAD} (end of markup)")


def requested_fault(text: str) -> tuple[str, Fault | None] | None:
    """The fault directive in `text`, if any; an unknown name comes back with None."""
    match = FAULT_PATTERN.search(text)
    if not match:
        return None
    name = match.group(1).lower()
    return name, FAULTS.get(name)


# --------------------------------------------------------------------------- the brain

Rule = Callable[[str, list[Message], list[Tool]], "Reply | None"]

_NUMBER = r"\d+(?:\.\d+)?"
_OPERAND = rf"(?:\(\s*)*-?{_NUMBER}(?:\s*\))*"
ARITHMETIC = re.compile(rf"{_OPERAND}(?:\s*[-+*/x×÷^]\s*{_OPERAND})+")
SEARCH = re.compile(r"\bsearch(?:\s+for)?\s+(.+)", re.IGNORECASE | re.DOTALL)
DOCUMENT_QUESTION = re.compile(
    r"\b(?:in|from|according to) (?:the|my) (?:attached )?(?:document|file|report|pdf)\b",
    re.IGNORECASE,
)
TIME_QUESTION = re.compile(r"\bwhat time\b|\bdate\b", re.IGNORECASE)
NAME_GIVEN = re.compile(r"\bmy name is (\w+)", re.IGNORECASE)
NAME_QUESTION = re.compile(r"\bwhat(?:'s|’s| is) my name\b", re.IGNORECASE)
SAVE_NOTE = re.compile(r"\bsave a note (?:titled|called) (.+?):\s*(.+)", re.IGNORECASE | re.DOTALL)
FIRST_QUESTION = re.compile(r"\bwhat was my first question\b", re.IGNORECASE)


def answer_tool_results(messages: list[Message]) -> Reply:
    """Rule (a): say what the trailing tool message(s) returned."""
    results = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        results.append(message)
    sentences = []
    for message in reversed(results):
        name = tool_name_for(messages, message.get("tool_call_id")) or "tool"
        sentences.append(f"The {name} returned: {content_text(message.get('content'))}.")
    return Reply.text(" ".join(sentences))


def _echo_history(text: str, messages: list[Message], tools: list[Tool]) -> Reply | None:
    if "echo history" not in text.lower():
        return None
    # The last user message is the request itself; everything before it is history.
    last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
    earlier = [m for m in messages[:last_user] if m.get("role") not in ("system", "developer")]
    noun = "message" if len(earlier) == 1 else "messages"
    lines = [f"I received {len(earlier)} earlier {noun}:"]
    lines += [describe_message(m, messages) for m in earlier]
    return Reply.text("\n".join(lines))


def _arithmetic(text: str, messages: list[Message], tools: list[Tool]) -> Reply | None:
    if "calculator" not in tool_names(tools):
        return None
    match = ARITHMETIC.search(text)
    if not match:
        return None
    return Reply.tool("calculator", {"expression": match.group(0).strip()})


def _search(text: str, messages: list[Message], tools: list[Tool]) -> Reply | None:
    if "web_search" not in tool_names(tools):
        return None
    match = SEARCH.search(text)
    if not match:
        return None
    query = match.group(1).strip().strip("?.!\"'").strip()
    return Reply.tool("web_search", {"query": query}) if query else None


def _documents(text: str, messages: list[Message], tools: list[Tool]) -> Reply | None:
    if "search_documents" not in tool_names(tools) or not DOCUMENT_QUESTION.search(text):
        return None
    return Reply.tool("search_documents", {"query": text})


def _datetime(text: str, messages: list[Message], tools: list[Tool]) -> Reply | None:
    if "current_datetime" not in tool_names(tools) or not TIME_QUESTION.search(text):
        return None
    return Reply.tool("current_datetime", {})


def _names(text: str, messages: list[Message], tools: list[Tool]) -> Reply | None:
    if NAME_QUESTION.search(text):
        for earlier in reversed(user_texts(messages)[:-1]):
            match = NAME_GIVEN.search(earlier)
            if match:
                return Reply.text(f"Your name is {match.group(1)}.")
        return Reply.text("I don't know your name yet.")
    match = NAME_GIVEN.search(text)
    if match:
        return Reply.text(f"Nice to meet you, {match.group(1)}!")
    return None


def _first_question(text: str, messages: list[Message], tools: list[Tool]) -> Reply | None:
    if not FIRST_QUESTION.search(text):
        return None
    first = user_texts(messages)[0].strip()
    return Reply.text(f'Your first question was: "{first}"')


def _save_note(text: str, messages: list[Message], tools: list[Tool]) -> Reply | None:
    match = SAVE_NOTE.search(text)
    if "save_note" not in tool_names(tools) or not match:
        return None
    return Reply.tool(
        "save_note", {"title": match.group(1).strip(), "text": match.group(2).strip()}
    )


# Checked in order after tool results and faults; append to extend.
RULES: list[Rule] = [
    _echo_history,
    _save_note,
    _documents,
    _arithmetic,
    _search,
    _datetime,
    _names,
    _first_question,
]


def default_brain(messages: list[Message], tools: list[Tool]) -> Reply:
    """Answer from what was received: tool results, faults, then RULES, else an echo."""
    text = last_user_text(messages)
    after_tool = bool(messages) and messages[-1].get("role") == "tool"
    directive = requested_fault(text)
    if directive is not None:
        name, found = directive
        if found is None and not after_tool:
            return Reply.text(f"Unknown fault directive: {name}.")
        if found is not None and (found.sticky or not after_tool):
            return found.respond(messages, tools)
    if after_tool:
        return answer_tool_results(messages)
    for rule in RULES:
        reply = rule(text, messages, tools)
        if reply is not None:
            return reply
    return Reply.text(f"You said: {text}")


# --------------------------------------------------------------------------- wire format


def split_text(text: str, max_chunks: int = 40) -> list[str]:
    """Word-sized pieces that join back to `text` exactly, at most `max_chunks` of them."""
    words = re.findall(r"\s*\S+\s*", text) or [text]
    if len(words) <= max_chunks:
        return words
    size = -(-len(words) // max_chunks)
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)]


def split_arguments(arguments: str) -> list[str]:
    """At least two pieces (when there are two characters), as real streams fragment JSON."""
    if len(arguments) < 2:
        return [arguments]
    count = 3 if len(arguments) >= 6 else 2
    size = -(-len(arguments) // count)
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


def count_tokens(text: str) -> int:
    # Whitespace words stand in for tokens: deterministic, which is all a test needs.
    return len(text.split())


def usage_for(messages: Sequence[Message], content: str, calls: Sequence[ToolCall]) -> dict:
    prompt = sum(count_tokens(content_text(m.get("content"))) + 3 for m in messages)
    completion = count_tokens(content) + sum(
        count_tokens(c.name) + len(c.arguments_json()) // 4 + 1 for c in calls
    )
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


# --------------------------------------------------------------------------- the server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive connections would otherwise make server_close() wait for the client.
    block_on_close = False

    def __init__(self, address: tuple[str, int], scripted: ScriptedOpenAI) -> None:
        self.scripted = scripted
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        # Clients drop pooled or half-read connections all the time; that is not a fault.
        if isinstance(error, (ConnectionError, TimeoutError)) or self.scripted._stopping.is_set():
            return
        with self.scripted._lock:
            self.scripted.errors.append(traceback.format_exc())
        super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        # Wakes handlers blocked on idle keep-alive reads and tells clients mid-request.
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    # Idle keep-alive connections end eventually instead of pinning a thread forever.
    timeout = 120

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is the record; stderr noise would only clutter test output

    # -- plumbing

    @property
    def scripted(self) -> ScriptedOpenAI:
        return self.server.scripted

    def _path(self) -> str:
        return urlsplit(self.path).path.rstrip("/") or "/"

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
        self.end_headers()
        self.wfile.write(data)

    def _send_error_json(
        self, status: int, message: str, type: str = "invalid_request_error"
    ) -> None:
        error = {"message": message, "type": type, "param": None, "code": None}
        self._send_json(status, {"error": error})

    # -- routes

    def do_GET(self) -> None:
        path = self._path()
        if path in ("/v1/models", "/models"):
            model = {"id": self.scripted.model, "object": "model", "created": 0}
            self._send_json(200, {"object": "list", "data": [{**model, "owned_by": "tests"}]})
        elif path == "/_log":
            self._send_json(200, self.scripted.requests)
        elif path == "/_transcriptions":
            seen = self.scripted.transcriptions
            for form in seen:
                if isinstance(form.get("file"), dict):
                    form["file"]["data"] = len(form["file"]["data"])
                form.pop("headers", None)
            self._send_json(200, seen)
        elif path == "/_health":
            self._send_json(200, {"ok": True})
        else:
            self._send_error_json(404, f"Unknown path {path}")

    def do_POST(self) -> None:
        path = self._path()
        raw = self._read_body()
        if path in ("/v1/chat/completions", "/chat/completions"):
            self._chat(raw)
        elif path in ("/v1/audio/transcriptions", "/audio/transcriptions"):
            self._transcription(raw)
        elif path == "/_reset":
            self.scripted.reset()
            self._send_json(200, {"ok": True})
        elif path == "/_enqueue":
            try:
                payload = json.loads(raw or b"{}")
                items = payload if isinstance(payload, list) else [payload]
                self.scripted.enqueue(*(Reply.from_json(item) for item in items))
            except (ValueError, KeyError, TypeError) as exc:
                self._send_error_json(400, f"Bad reply: {exc}")
                return
            self._send_json(200, {"queued": len(items)})
        else:
            self._send_error_json(404, f"Unknown path {path}")

    def _chat(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("body is not a JSON object")
        except ValueError:
            self.scripted._record({"_invalid_json": raw.decode(errors="replace")}, self.headers)
            self._send_error_json(400, "We could not parse the JSON body of your request.")
            return
        self.scripted._record(body, self.headers)
        reply = self.scripted._reply_for(body)
        if reply.hang:
            self.scripted._pause(self.scripted.hang_seconds)
            self.close_connection = True  # nothing was said, so the connection is unusable
            return
        if reply.status != 200:
            error = dict(reply.error or {"message": "error", "type": "server_error"})
            self._send_json(reply.status, {"error": error})
            return
        if body.get("stream"):
            self._stream(body, reply)
        else:
            self._send_json(200, self.scripted._completion(body, reply))

    def _transcription(self, raw: bytes) -> None:
        form = parse_form(self.headers.get("Content-Type") or "", raw)
        if form is None:
            self._send_error_json(400, "Expected a multipart/form-data body.")
            return
        self.scripted._record_transcription(form, self.headers)
        reply = self.scripted._transcript_for(form)
        if reply.hang:
            self.scripted._pause(self.scripted.hang_seconds)
            self.close_connection = True
            return
        if reply.status != 200:
            error = dict(reply.error or {"message": "error", "type": "server_error"})
            self._send_json(reply.status, {"error": error})
            return
        self._send_json(200, {"text": reply.content or ""})

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for index, chunk in enumerate(self.scripted._chunks(body, reply)):
                if chunk is _STALL:
                    self.scripted._pause(self.scripted.hang_seconds)
                    self.close_connection = True
                    return
                if chunk is _HOLD:
                    if not self.scripted._wait_for_release():
                        self.close_connection = True
                        return
                    continue
                if index and not self.scripted._pause(self.scripted.chunk_delay):
                    self.close_connection = True  # server stopping: end mid-stream
                    return
                self._write_chunk(f"data: {json.dumps(chunk)}\n\n".encode())
            self._write_chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up; nothing left to tell it

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


_STALL: dict[str, Any] = {}  # marker in a chunk sequence: hang here instead of going on
_HOLD: dict[str, Any] = {}  # marker: wait here for `release_streams`, then go on


class ScriptedOpenAI:
    """An OpenAI-compatible chat server on 127.0.0.1 in a daemon thread.

    Answers come from `enqueue`d replies first, then from `brain(messages, tools)`
    (`default_brain` unless replaced). Every chat request body is kept in `requests`.
    """

    def __init__(
        self,
        brain: Brain | None = None,
        *,
        port: int = 0,
        chunk_delay: float = DEFAULT_CHUNK_DELAY,
        hang_seconds: float = DEFAULT_HANG_SECONDS,
        model: str = MODEL_ID,
        report_usage: bool = True,
    ) -> None:
        self.brain: Brain = brain or default_brain
        # False: like many OpenAI-compatible servers, no usage, even when asked for it.
        self.report_usage = report_usage
        self.chunk_delay = chunk_delay
        self.hang_seconds = hang_seconds
        self.model = model
        self._requested_port = port
        self._lock = threading.Condition()
        self._requests: list[dict[str, Any]] = []
        self._headers: list[dict[str, str]] = []
        self._queue: deque[Reply] = deque()
        # Speech to text: queued replies first (`Reply.text(transcript)`, a failure or a
        # hang), then `transcript`.
        self.transcript = DEFAULT_TRANSCRIPT
        self._transcript_queue: deque[Reply] = deque()
        self._transcriptions: list[dict[str, Any]] = []
        self._call_ids = 0
        self._stopping = threading.Event()
        self._hold_before: int | None = None
        self._released = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []

    # -- lifecycle

    def start(self) -> ScriptedOpenAI:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((HOST, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"scripted-openai-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # first, so hanging and streaming handlers let go
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("ScriptedOpenAI is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    # -- what tests use

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Chat request bodies received so far (a copy, oldest first)."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def request_headers(self) -> list[dict[str, str]]:
        """Headers of each request in `requests`, lower-cased names."""
        with self._lock:
            return copy.deepcopy(self._headers)

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next chat requests with these replies, in order, before the brain."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def transcriptions(self) -> list[dict[str, Any]]:
        """Transcription requests received: form fields, the file's name, content type
        and bytes (`file`), and the request's headers (`headers`, lower-cased names)."""
        with self._lock:
            return copy.deepcopy(self._transcriptions)

    def enqueue_transcript(self, *replies: Reply) -> None:
        """Answer the next transcription requests with these, before `transcript`."""
        with self._lock:
            self._transcript_queue.extend(replies)

    def reset(self) -> None:
        """Forget received requests and queued replies."""
        with self._lock:
            self._requests.clear()
            self._headers.clear()
            self._queue.clear()
            self._transcriptions.clear()
            self._transcript_queue.clear()
            self.errors.clear()

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until at least `count` chat requests arrived; for requests left hanging."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"{len(self._requests)} of {count} requests arrived")
            return copy.deepcopy(self._requests)

    # -- used by the handler

    def _record(self, body: dict[str, Any], headers: Any) -> None:
        with self._lock:
            self._requests.append(copy.deepcopy(body))
            self._headers.append({k.lower(): v for k, v in headers.items()})
            self._lock.notify_all()

    def _record_transcription(self, form: dict[str, Any], headers: Any) -> None:
        with self._lock:
            headers_seen = {k.lower(): v for k, v in headers.items()}
            self._transcriptions.append({**copy.deepcopy(form), "headers": headers_seen})
            self._lock.notify_all()

    def _transcript_for(self, form: dict[str, Any]) -> Reply:
        with self._lock:
            queued = self._transcript_queue.popleft() if self._transcript_queue else None
        return queued if queued is not None else Reply.text(self.transcript)

    def _reply_for(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            queued = self._queue.popleft() if self._queue else None
        if queued is not None:
            return queued
        messages = copy.deepcopy(body.get("messages") or [])
        tools = copy.deepcopy(body.get("tools") or [])
        if body.get("tool_choice") == "none":
            tools = []  # the client forbade tool calls, so the brain must not see any
        try:
            reply = self.brain(messages, tools)
            if not isinstance(reply, Reply):
                raise TypeError(f"brain returned {type(reply).__name__}, not Reply")
            return reply
        except Exception:
            # Surface a broken brain as an API error the test can see, and keep the detail.
            detail = traceback.format_exc()
            with self._lock:
                self.errors.append(detail)
            return Reply.failure(500, f"scripted brain failed: {detail.splitlines()[-1]}")

    def hold_streams(self, before_piece: int) -> None:
        """Stream text only up to piece `before_piece`, then wait for `release_streams`.

        A test that must see a partial answer holds the stream there, so what it sees does
        not depend on how fast a loaded machine draws the pieces.
        """
        self._released.clear()
        self._hold_before = before_piece

    def release_streams(self) -> None:
        self._hold_before = None
        self._released.set()

    def _wait_for_release(self) -> bool:
        """Wait for `release_streams`, at most the hang time; False when stopping."""
        deadline = time.monotonic() + self.hang_seconds
        while not self._released.wait(0.05):
            if self._stopping.is_set() or time.monotonic() > deadline:
                return False
        return True

    def _pause(self, seconds: float) -> bool:
        """Sleep, waking early if the server stops; False when it is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)
        return not self._stopping.is_set()

    def _next_call_id(self) -> str:
        with self._lock:
            self._call_ids += 1
            return f"call_{self._call_ids}"

    def _calls_with_ids(self, reply: Reply) -> list[tuple[str, ToolCall]]:
        return [(call.id or self._next_call_id(), call) for call in reply.tool_calls]

    def _completion(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content = reply.content or ""
        calls = self._calls_with_ids(reply)
        # OpenAI sends null content beside tool calls, and a string otherwise.
        text = reply.content if reply.content is not None else (None if calls else "")
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if reply.reasoning:
            message["reasoning_content"] = reply.reasoning
        if calls:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_json()},
                }
                for call_id, call in calls
            ]
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if calls else "stop",
                }
            ],
            "usage": usage_for(body.get("messages") or [], content, reply.tool_calls)
            if self.report_usage
            else None,
        }

    def _chunks(self, body: dict[str, Any], reply: Reply) -> Iterator[dict[str, Any]]:
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        model = body.get("model") or self.model
        include_usage = self.report_usage and bool(
            (body.get("stream_options") or {}).get("include_usage")
        )
        calls = self._calls_with_ids(reply)

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            out: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
                ],
            }
            if include_usage:
                out["usage"] = None  # as OpenAI does: only the last chunk carries usage
            return out

        has_text = bool(reply.content) or not calls
        yield chunk({"role": "assistant", "content": "" if has_text else None, "refusal": None})
        for piece in split_text(reply.reasoning) if reply.reasoning else ():
            yield chunk({"reasoning_content": piece})
        if reply.content:
            for number, piece in enumerate(split_text(reply.content)):
                if reply.stall_after is not None and number >= reply.stall_after:
                    yield _STALL
                    return
                if number and number == self._hold_before:
                    yield _HOLD
                yield chunk({"content": piece})
        for index, (call_id, call) in enumerate(calls):
            head = {"name": call.name, "arguments": ""}
            yield chunk(
                {
                    "tool_calls": [
                        {"index": index, "id": call_id, "type": "function", "function": head}
                    ]
                }
            )
            for piece in split_arguments(call.arguments_json()):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield chunk({}, "tool_calls" if calls else "stop")
        if include_usage:
            final = chunk({})
            final["choices"] = []
            final["usage"] = usage_for(
                body.get("messages") or [], reply.content or "", reply.tool_calls
            )
            yield final


# --------------------------------------------------------------------------- standalone


def spawn(
    port: int = 0,
    *,
    chunk_delay: float = DEFAULT_CHUNK_DELAY,
    hang_seconds: float = DEFAULT_HANG_SECONDS,
    timeout: float = 20.0,
) -> tuple[subprocess.Popen[str], str]:
    """Run this module as its own process; returns it and its base URL once it is ready."""
    command = [
        sys.executable,
        __file__,
        "--port",
        str(port),
        "--chunk-delay",
        str(chunk_delay),
        "--hang-seconds",
        str(hang_seconds),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    # readline blocks, so the deadline only bounds a process that keeps printing other lines.
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith(READY_PREFIX):
            return process, line.split("base_url=", 1)[1].strip()
    process.kill()
    process.wait()
    raise RuntimeError("scripted OpenAI server did not become ready")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--chunk-delay", type=float, default=DEFAULT_CHUNK_DELAY)
    parser.add_argument("--hang-seconds", type=float, default=DEFAULT_HANG_SECONDS)
    args = parser.parse_args(argv)

    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    server = ScriptedOpenAI(
        port=args.port, chunk_delay=args.chunk_delay, hang_seconds=args.hang_seconds
    ).start()
    print(f"{READY_PREFIX} port={server.port} base_url={server.base_url}", flush=True)
    try:
        # A timed wait so that signal handlers get to run promptly in the main thread.
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
