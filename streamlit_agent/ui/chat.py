"""The chat area: earlier turns with their steps, and a turn run live.

Model and tool text is always drawn with `st.markdown`/`st.code` without
`unsafe_allow_html`, so HTML in an answer shows as text and never runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from langchain_community.callbacks.streamlit.streamlit_callback_handler import (
    LLMThoughtLabeler,
    StreamlitCallbackHandler,
    ToolRecord,
)
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from streamlit_agent.export import printable
from streamlit_agent.steps import (
    STATUS_ERROR,
    STATUS_INTERRUPTED,
    Step,
    Turn,
    group_turns,
    shown_input,
)
from streamlit_agent.ui.text import label_text, markdown_text

STEP_ICONS = {"ok": "🛠️", "error": "⚠️", "denied": "🚫", "interrupted": "⏹️"}


def _one_line(value: Any, limit: int = 80) -> str:
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))  # `calculator: 37 * 41`, not a JSON object
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return label_text(text, limit)


def step_label(icon: str, tool: str, tool_input: Any) -> str:
    return f"{icon} {label_text(tool, 60)}: {_one_line(tool_input)}"


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return printable(value)
    return printable(json.dumps(value, ensure_ascii=False, indent=2))


def draw_step(step: Step) -> None:
    """A finished tool call, collapsed: tool, input, output or error, duration."""
    label = step_label(STEP_ICONS.get(step.status, "🛠️"), step.tool, step.input)
    if step.duration_s is not None:
        label += f" · {step.duration_s:.2f} s"
    with st.expander(label, expanded=False):
        st.caption("Input")
        st.code(_pretty(step.input), language="json", wrap_lines=True)
        st.caption("Error" if step.status != "ok" else "Output")
        st.code(printable(step.output) or "(no output)", language=None, wrap_lines=True)


FeedbackSaver = Callable[[str, "int | None"], None]
RetryRequest = Callable[[str, Sequence[str]], None]


def _feedback_changed(answer_id: str, save: FeedbackSaver) -> None:
    save(answer_id, st.session_state.get(f"feedback-{answer_id}"))


@dataclass(frozen=True)
class ReplyActions:
    """What a drawn reply offers: its stored thumbs, and the callbacks its buttons forward to."""

    feedback: Mapping[str, int] = field(default_factory=dict)
    save_feedback: FeedbackSaver | None = None
    on_retry: RetryRequest | None = None
    # The LangSmith page of a traced answer (its run id in); None when not tracing.
    trace_link: Callable[[str], str | None] | None = None


def draw_turn(turn: Turn, is_last: bool, actions: ReplyActions) -> None:
    if turn.user is not None:
        with st.chat_message("user"):
            st.markdown(markdown_text(str(turn.user.content)))
    with st.chat_message("assistant"):
        draw_reply(turn, is_last, actions)


def draw_reply(turn: Turn, is_last: bool, actions: ReplyActions) -> None:
    """The assistant's side of a turn: steps collapsed, the answer or error, Retry, thumbs."""
    feedback, save_feedback, on_retry = actions.feedback, actions.save_feedback, actions.on_retry
    for step in turn.steps:
        draw_step(step)
    status = turn.status
    answer = turn.answer
    if answer is not None and status != STATUS_ERROR and answer.content:
        st.markdown(markdown_text(str(answer.content)))
    if status == STATUS_ERROR and answer is not None:
        st.error(markdown_text(str(answer.content)), icon="⚠️")
    elif status == STATUS_INTERRUPTED:
        if answer is not None:
            note = "⏹️ Stopped before the answer was complete; what arrived is kept above."
        elif turn.steps:
            note = "⏹️ The run was cut off before its answer; the finished steps are kept above."
        else:
            note = "⏹️ No answer was saved for this message: the run was cut off."
        st.caption(note)
    failed = status in (STATUS_ERROR, STATUS_INTERRUPTED)
    if is_last and failed and turn.user is not None and on_retry is not None:
        ids = [m.id for m in turn.messages if m.id]
        st.button(
            "↻ Retry",
            key=f"retry-{turn.user.id}",
            on_click=on_retry,
            args=(str(turn.user.content), ids),
        )
    trace = answer.response_metadata.get("trace_id") if answer is not None else None
    if trace and actions.trace_link and (url := actions.trace_link(str(trace))):
        # Made by the app from the configured host and ids it checked: a plain link.
        st.caption(f"[🔍 Trace in LangSmith]({url})")
    if answer is not None and answer.id and status != STATUS_ERROR and save_feedback:
        st.feedback(
            "thumbs",
            key=f"feedback-{answer.id}",
            default=(feedback or {}).get(answer.id),
            on_change=_feedback_changed,
            args=(answer.id, save_feedback),
        )


SHOWN_TURNS = 10  # the newest turns drawn on every rerun; earlier ones on request


def _show_all(key: str) -> None:
    st.session_state[key] = True


def draw_conversation(
    messages: list[BaseMessage],
    actions: ReplyActions,
    waiting_id: str | None = None,
    thread_id: str = "",
    found_id: str | None = None,
    leave_found: Callable[[], None] | None = None,
) -> None:
    """The newest turns from history (earlier ones behind a button, so a long conversation
    does not redraw everything on each rerun): steps collapsed, answers, errors with
    Retry, thumbs.

    A question waiting for a tool approval (`waiting_id`) is stored but unanswered; the
    approval prompt draws it, so it is not drawn here as a cut-off turn too.

    A search result (`found_id`, a message id) shows its turn alone, framed, however old:
    earlier turns behind the usual button, later ones behind one that calls `leave_found`.
    """
    turns = [t for t in group_turns(messages) if not (t.user and t.user.id == waiting_id)]
    found = _turn_holding(turns, found_id)
    show_all_key = f"show-all-turns:{thread_id}"
    if found is not None:
        hidden = found  # a search result opens at its turn
    elif st.session_state.get(show_all_key):
        hidden = 0
    else:
        hidden = max(0, len(turns) - SHOWN_TURNS)
    if hidden:
        st.button(
            f"⬆️ Show {hidden} earlier turn{'s' if hidden != 1 else ''}",
            key=f"show-earlier-{thread_id}",
            on_click=_show_all,
            args=(show_all_key,),
        )
    if found is not None:
        _draw_found(turns, found, actions, leave_found)
        return
    for index, turn in enumerate(turns[hidden:], start=hidden):
        draw_turn(turn, index == len(turns) - 1, actions)


def _draw_found(
    turns: Sequence[Turn], found: int, actions: ReplyActions, leave: Callable[[], None] | None
) -> None:
    """The search result's turn, framed, with later turns behind a button: it is then
    the last thing on the page, where a chat page is scrolled to."""
    with st.container(border=True, key="search-found-turn"):
        st.caption("🔎 Found by your search")
        draw_turn(turns[found], found == len(turns) - 1, actions)
    later = len(turns) - found - 1
    if later:
        st.button(
            f"⬇️ Show {later} later turn{'s' if later != 1 else ''}",
            key="show-later-turns",
            on_click=leave,
        )


def _turn_holding(turns: Sequence[Turn], message_id: str | None) -> int | None:
    if message_id:
        for index, turn in enumerate(turns):
            if any(m.id == message_id for m in turn.messages):
                return index
    return None


def draw_pending_approval(
    pending: Mapping[str, Any] | None, on_decide: Callable[[bool], None]
) -> None:
    """A tool call waiting for the user's Approve or Deny."""
    if not pending:
        return
    with st.chat_message("user"):
        st.markdown(markdown_text(pending["text"]))
    with st.chat_message("assistant"):
        st.info(f"The agent wants to run **{label_text(pending['tool'])}** with:", icon="🔐")
        st.code(_pretty(pending["args"]), language="json", wrap_lines=True)
        approve, deny = st.columns(2)
        approve.button("✅ Approve", on_click=on_decide, args=(True,), use_container_width=True)
        deny.button("🚫 Deny", on_click=on_decide, args=(False,), use_container_width=True)


class StepLabels(LLMThoughtLabeler):
    """Live step labels like the stored ones, with tool text escaped (never formatted)."""

    def get_tool_label(self, tool: ToolRecord, is_complete: bool) -> str:
        try:
            tool_input: Any = shown_input(json.loads(tool.input_str))
        except ValueError:
            tool_input = tool.input_str
        return step_label("🛠️" if is_complete else "⏳", tool.name, tool_input)


class LiveSteps(StreamlitCallbackHandler):
    """LangChain's Streamlit handler, minus tracebacks and the duplicate answer stream."""

    def __init__(self, container: Any) -> None:
        super().__init__(container, expand_new_thoughts=True, thought_labeler=StepLabels())

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        # Tokens go to the answer area (`AnswerStream`); thoughts show tool calls.
        return None

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        # The error bubble below explains it in plain words.
        return None

    def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        super().on_tool_end(markdown_text(str(getattr(output, "content", output))), **kwargs)

    def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        # The parent draws a traceback. A tool's failure reaches the model as its result
        # (tool_runner), so what raises here is a call waiting for approval: the turn
        # ends and the page asks.
        return None


class AnswerStream(BaseCallbackHandler):
    """Streams the answer into its slot: the first token at once, then at most every
    `interval_s`, since each redraw checks the whole text so far (ui/text.py)."""

    def __init__(self, slot: Any, interval_s: float = 0.03) -> None:
        self.slot = slot
        self.interval_s = interval_s
        self.text = ""
        self._drawn_at = 0.0

    def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
        self.text = ""
        self._drawn_at = 0.0

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.text += token
        now = time.monotonic()
        if now - self._drawn_at >= self.interval_s:
            self._drawn_at = now
            self.slot.markdown(markdown_text(self.text) + " ▌")

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        calls_tools = any(
            getattr(getattr(g, "message", None), "tool_calls", None)
            for gens in response.generations
            for g in gens
        )
        if calls_tools:
            self.slot.empty()
            self.text = ""


@dataclass
class LiveTurn:
    """What the page hands a running turn: handlers that draw it, a progress tick, and
    where the finished reply replaces the live one."""

    handlers: list[BaseCallbackHandler]
    tick: Callable[[float], None]
    reply: Any
    live: Any

    def finish(self, turn: Turn, actions: ReplyActions) -> None:
        """Draw the stored turn in place of the live one: the page then shows what a
        reload would, without running the whole script again."""
        self.live.empty()
        with self.reply.container():
            draw_reply(turn, True, actions)


def draw_live_turn(text: str) -> LiveTurn:
    """The question and an empty answer with Stop; the returned handlers fill it in."""
    with st.chat_message("user"):
        st.markdown(markdown_text(text))
    with st.chat_message("assistant"):
        reply, live = st.empty(), st.empty()
        with live.container():
            st.button("⏹ Stop", key="stop-run", help="Stop this answer; what arrived is kept.")
            steps_box = st.container()
            answer_slot = st.empty()
            progress_slot = st.empty()

    def tick(elapsed_s: float) -> None:
        progress_slot.caption(f"⏳ Working… {elapsed_s:.0f} s")

    return LiveTurn([LiveSteps(steps_box), AnswerStream(answer_slot)], tick, reply, live)
