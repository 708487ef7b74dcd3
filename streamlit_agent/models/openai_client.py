"""The `ChatOpenAI` classes providers build (imported only when a model is built).

`AppChatOpenAI`: the same requests, without the SDK re-walking history.

The openai SDK passes every request body through `maybe_transform`, which walks each
message against the union of all message TypedDicts. For chat history that LangChain has
already turned into plain JSON dicts this changes nothing, yet it was the largest cost of a
turn that grew with the conversation (py-spy: 42% of the agent thread at turns 1–60). The
SDK documents that `extra_body` is sent as given and takes precedence over the method's
arguments, so the messages travel there: the bytes on the wire are the same.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolCall,
    ToolMessage,
    UsageMetadata,
)
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool
from langchain_openai import ChatOpenAI
from pydantic import Field, model_validator
from typing_extensions import Self

from streamlit_agent.conversation.budget import message_counter
from streamlit_agent.conversation.documents import quoted_passages
from streamlit_agent.conversation.meter import USAGE_ESTIMATED_KEY
from streamlit_agent.conversation.steps import REASONING_DELTA_KEY
from streamlit_agent.models.bundled.grounding import (
    ground_answer,
    hedged_calculation,
    repair_text,
)
from streamlit_agent.models.bundled.routing import (
    calculation_doubt,
    call_prompt,
    constrained_schema,
    earlier_text,
    fact_sentence,
    pick_tool,
    read_arithmetic,
    read_word_problem,
    reply_prompt,
    tool_facts,
)


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


class ReasoningChatOpenAI(AppChatOpenAI):
    """ChatOpenAI that keeps the reasoning OpenAI-compatible servers stream, and counts
    the tokens of a streamed reply whose server reports none.

    vLLM, Ollama and DeepSeek send it as `reasoning_content` (OpenRouter and newer vLLM
    as `reasoning`) beside `content`; ChatOpenAI drops both. It is put in the chunk's
    `additional_kwargs`, where the step recorder and the page read it; the request
    payload never includes it, so it is not sent back to the model.

    Many OpenAI-compatible servers ignore `stream_options.include_usage` (and
    llama-cpp-python reports no usage on a streamed reply), which left the token meter
    empty. Such a reply gets usage counted from its text: with `count_text_tokens` (a
    model's own tokenizer) when there is one, else LangChain's approximate count, and
    then marked `usage_estimated` in its response metadata for the meter to say so.
    """

    # The model's own tokenizer (text -> tokens), when the app has it.
    count_text_tokens: Callable[[str], int] | None = Field(default=None, exclude=True)

    def _stream(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Iterator[Any]:
        reported, text = False, ""
        for chunk in super()._stream(messages, *args, **kwargs):
            reported = reported or bool(chunk.message.usage_metadata)
            text += chunk.text
            yield chunk
        if not reported:
            yield _counted_usage(messages, text, self.count_text_tokens)

    def _convert_chunk_to_generation_chunk(
        self, chunk: dict, default_chunk_class: type, base_generation_info: dict | None
    ) -> Any:
        generation = super()._convert_chunk_to_generation_chunk(
            chunk, default_chunk_class, base_generation_info
        )
        choices = chunk.get("choices") or []
        if generation is not None and choices and isinstance(generation.message, AIMessageChunk):
            reasoning = _reasoning_field(choices[0].get("delta") or {})
            if reasoning:
                generation.message.additional_kwargs[REASONING_DELTA_KEY] = reasoning
        return generation

    def _create_chat_result(self, response: Any, generation_info: dict | None = None) -> Any:
        result = super()._create_chat_result(response, generation_info)
        raw = response if isinstance(response, dict) else response.model_dump()
        for generation, choice in zip(result.generations, raw.get("choices") or [], strict=False):
            reasoning = _reasoning_field(choice.get("message") or {})
            if reasoning:
                generation.message.additional_kwargs[REASONING_DELTA_KEY] = reasoning
        return result


def _counted_usage(
    messages: Sequence[BaseMessage], text: str, count_text: Callable[[str], int] | None
) -> ChatGenerationChunk:
    """A last chunk carrying the usage of a reply its server did not count."""
    if count_text is not None:
        tokens_in, tokens_out = message_counter(count_text)(messages), count_text(text)
        metadata: dict[str, Any] = {}
    else:
        tokens_in = count_tokens_approximately(messages)
        tokens_out = count_tokens_approximately([AIMessage(text)]) if text else 0
        metadata = {USAGE_ESTIMATED_KEY: True}
    usage = UsageMetadata(
        input_tokens=tokens_in, output_tokens=tokens_out, total_tokens=tokens_in + tokens_out
    )
    message = AIMessageChunk(content="", usage_metadata=usage, response_metadata=metadata)
    return ChatGenerationChunk(message=message)


def _reasoning_field(delta: dict[str, Any]) -> str:
    for key in (REASONING_DELTA_KEY, "reasoning"):
        value = delta.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def unescape_tool_args(message: AIMessage) -> AIMessage:
    """llama.cpp's function-calling format can HTML-escape argument strings (`&#39;`)."""
    if not message.tool_calls:
        return message
    fixed = []
    for call in message.tool_calls:
        args = {
            key: html.unescape(value) if isinstance(value, str) else value
            for key, value in call["args"].items()
        }
        fixed.append({**call, "args": args})
    return message.model_copy(update={"tool_calls": fixed})


class SmallModelChatOpenAI(ReasoningChatOpenAI):
    """ChatOpenAI with the repairs a 135M-parameter model needs to drive tools.

    Measured with SmolLM2 under llama-cpp-python's function-calling format: left to
    choose (`tool_choice="auto"`, which cannot stream) it calls a tool for almost every
    message; arguments may come HTML-escaped; tool-call messages must carry string
    content; given a tool result it calls the tool again, endlessly. So each turn's
    tool is decided before the model runs (`small_model.pick_tool`) and forced, its
    arguments held to a grammar; a turn that needs none, and the answer once the tool
    result is in, are asked for without tools, streamed, and checked against the tool
    result (`grounding`): one tool round a turn, and the user sees the answer arrive.
    """

    def _get_request_payload(self, input_: Any, *, stop: Any = None, **kwargs: Any) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        # llama-cpp-python's server rejects `content: null` on assistant tool-call messages.
        for message in payload.get("messages", []):
            if message.get("content") is None:
                message["content"] = ""
        # langchain-openai sends the cap as `max_completion_tokens`, which llama-cpp-python's
        # server ignores: without this the model generated until its context was full.
        if "max_completion_tokens" in payload:
            payload.setdefault("max_tokens", payload.pop("max_completion_tokens"))
        return payload

    def bind_tools(  # type: ignore[override]
        self,
        tools: Sequence[Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable:
        by_name = {t.name: t for t in tools if isinstance(t, BaseTool)}
        return RunnableLambda(_small_model_turn(self, by_name), name="SmallModelWithTools")

    def with_one_tool(self, tool: BaseTool, question: str, earlier: str = "") -> Runnable:
        """This model made to call `tool`, its arguments held to the tool's grammar."""
        forced = {"type": "function", "function": {"name": tool.name}}
        schema = constrained_schema(tool, question, earlier)
        return super().bind_tools([schema], tool_choice=forced)


def answer_prompt(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The question and its tool results, phrased so a 135M model answers from them.

    Shown the raw tool-call transcript, SmolLM2 mostly rambles about something else;
    "Known fact: 37 * 41 = 1517. Using that, answer in one sentence: …" it answers.
    """
    known = " ".join(f"Known fact: {fact_sentence(fact)}." for fact in tool_facts(messages))
    question = _last_question(messages)
    return [HumanMessage(f"{known} Using that, answer in one sentence: {question}")]


def _last_question(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return str(message.content)
    return ""


def _call(name: str, args: dict[str, Any]) -> ToolCall:
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:24]}", "type": "tool_call"}


def _nothing_in_documents(messages: Sequence[BaseMessage]) -> AIMessage | None:
    """The document search's own words when it found nothing (or there are no documents):
    not left to a model that would answer about a document it never saw."""
    last = tool_facts(messages)[-1:]
    if last and last[0].tool == "search_documents" and not quoted_passages(last[0].result):
        return AIMessage(last[0].result)
    return None


def _small_model_turn(
    llm: SmallModelChatOpenAI, tools: dict[str, BaseTool]
) -> Callable[..., AIMessage]:
    def call(prompt: Any, config: RunnableConfig) -> AIMessage:
        messages = prompt.to_messages() if hasattr(prompt, "to_messages") else list(prompt)
        if messages and isinstance(messages[-1], ToolMessage):
            nothing = _nothing_in_documents(messages)
            if nothing is not None:
                return nothing
            doubt = calculation_doubt(messages)
            if doubt:
                # Not sure the expression is the question's: no model wording would make
                # its result the answer, so the app says what it computed and asks.
                fact = [f for f in tool_facts(messages) if f.tool == "calculator"][-1]
                return AIMessage(hedged_calculation(fact, doubt))
            # Given a tool result, the small model calls the tool again and again.
            answer = llm.invoke(answer_prompt(messages), config, stream=True)
            grounded = ground_answer(str(answer.content), tool_facts(messages))
            return answer.model_copy(update={"content": grounded})
        question = _last_question(messages)
        name = pick_tool(question, set(tools))
        if name == "search_documents":
            # The question itself is the search (its filler words are dropped there):
            # the 135M model would only drop the words that find the passage.
            return AIMessage("", tool_calls=[_call(name, {"query": question[:400]})])
        if "calculator" in tools and name != "web_search":
            # The grammar's reading, else a word problem's: the call is made with its
            # expression, and the model only words the answer (or the app says what it
            # computed, when it is not sure: see calculation_doubt).
            # A word problem may name a clock word ("the second chapter", "in 5 minutes"):
            # its reading wins over the clock tool too.
            reading = read_arithmetic(messages) or read_word_problem(messages)
            if reading is not None:
                call = _call("calculator", {"expression": reading.expression})
                return AIMessage("", tool_calls=[call])
        if name is None:
            answer = llm.invoke(reply_prompt(messages), config, stream=True)
            return answer.model_copy(update={"content": repair_text(str(answer.content))})
        forced = llm.with_one_tool(tools[name], question, earlier_text(messages))
        return unescape_tool_args(forced.invoke(call_prompt(name, messages), config))

    return call
