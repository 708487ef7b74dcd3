"""The chat area: earlier turns with their steps, and a turn run live.

Model and tool text is always drawn with `st.markdown`/`st.code` without
`unsafe_allow_html`, so HTML in an answer shows as text and never runs.
"""

from __future__ import annotations

import json
import re
import threading
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
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult

from streamlit_agent.config import FEEDBACK_COMMENT_MAX_CHARS, MAX_MESSAGE_CHARS
from streamlit_agent.conversation.export import code_block, code_span
from streamlit_agent.conversation.memory import MEMORY_TOOLS
from streamlit_agent.conversation.meter import Prices, answer_usage, describe
from streamlit_agent.conversation.steps import (
    STATUS_ERROR,
    STATUS_INTERRUPTED,
    Step,
    Turn,
    group_turns,
    reasoning_of,
)
from streamlit_agent.safety.plain_text import printable
from streamlit_agent.web.page_context import on_this_page
from streamlit_agent.web.page_state import EDIT_PANEL_PREFIX
from streamlit_agent.web.ui.files import draw_attachments
from streamlit_agent.web.ui.text import label_text, markdown_text

STEP_ICONS = {"ok": "🛠️", "error": "⚠️", "denied": "🚫", "interrupted": "⏹️", "running": "⏳"}
THINKING_LABEL = "💭 Thinking"
# Live steps all stay in place, as after a reload: StreamlitCallbackHandler would fold
# older ones into a "History" box beyond its default of 4.
MAX_LIVE_STEPS = 10_000
SHORT_VALUE_CHARS = 120  # a step's input or output up to this long, on one line, is a code span


def _one_line(value: Any, limit: int = 80) -> str:
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))  # `calculator: 37 * 41`, not a JSON object
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return label_text(text, limit)


def step_label(icon: str, tool: str, tool_input: Any) -> str:
    return f"{icon} {label_text(tool, 60)}: {_one_line(tool_input)}"


def step_title(step: Step) -> str:
    """A step's one-line label: status, tool, short input and, once finished, duration."""
    label = step_label(STEP_ICONS.get(step.status, "🛠️"), step.tool, step.input)
    if step.duration_s is not None:
        label += f" · {step.duration_s:.2f} s"
    return label


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return printable(value)
    one_line = json.dumps(value, ensure_ascii=False)
    if len(one_line) <= SHORT_VALUE_CHARS:
        return printable(one_line)
    return printable(json.dumps(value, ensure_ascii=False, indent=2))


def _value(text: str) -> str:
    """A step's input or output: a short line as a code span, anything else as a code
    block. The first code block a browser draws loads Streamlit's code highlighter (1.5 MB
    of script, ~0.4 s of CPU on 2 cores), which a calculator's expression and result do
    not need; a span has no highlighting and keeps the text as inert as a block does."""
    if text.strip() and "\n" not in text and len(text) <= SHORT_VALUE_CHARS:
        return code_span(text)
    return code_block(text)


def draw_thinking(text: str) -> None:
    """The model's reasoning, collapsed."""
    with st.expander(THINKING_LABEL, expanded=False):
        st.markdown(markdown_text(text))


def draw_lead_in(step: Step) -> None:
    """What the model reasoned and said before it asked for the step's call."""
    if step.reasoning:
        draw_thinking(step.reasoning)
    if step.said.strip():
        st.markdown(markdown_text(step.said))


def step_body(step: Step) -> str:
    """A step's input and its output, error or "Running…" as Markdown code blocks: one
    element per step, drawn the same live and after a reload."""
    body = f"**Input**\n\n{_value(_pretty(step.input))}"
    if step.status == "running":
        return body + "\n\n_Running…_"
    caption = "Output" if step.status == "ok" else "Error"
    return f"{body}\n\n**{caption}**\n\n{_value(printable(step.output) or '(no output)')}"


def draw_step(step: Step) -> None:
    """A tool call, collapsed: its title (tool, input, duration) over `step_body`. A
    memory tool's outcome ("Saved to memory: …") is also said below it, in the open:
    a person sees every change made to their memory."""
    with st.expander(step_title(step), expanded=False):
        st.markdown(markdown_text(step_body(step)))
    draw_memory_note(step)


def draw_memory_note(step: Step) -> None:
    """A memory tool's outcome in the open, under its step (it is the app's sentence,
    quoting the memory's text, which is drawn as text)."""
    if step.tool in MEMORY_TOOLS and step.status == "ok" and step.output:
        st.caption("🧠 " + markdown_text(printable(step.output)))


FeedbackSaver = Callable[[str, "int | None"], None]
CommentSaver = Callable[[str, str], None]
RetryRequest = Callable[[str, Sequence[str]], None]


def _feedback_changed(answer_id: str, save: FeedbackSaver) -> None:
    save(answer_id, st.session_state.get(f"feedback-{answer_id}"))


def _comment_changed(answer_id: str, save: CommentSaver) -> None:
    save(answer_id, st.session_state.get(f"feedback-comment-{answer_id}") or "")


def _resend(key: str, message_ids: Sequence[str], on_retry: RetryRequest) -> None:
    text = (st.session_state.get(key) or "").strip()
    if not text:
        st.session_state[key + "-empty"] = True  # nothing to send: the turn stays as it is
        return
    on_retry(text, message_ids)


@dataclass(frozen=True)
class ReplyActions:
    """What a drawn reply offers: its stored thumbs and comments, the price table for
    its meter, and the callbacks its buttons forward to."""

    feedback: Mapping[str, int] = field(default_factory=dict)
    save_feedback: FeedbackSaver | None = None
    on_retry: RetryRequest | None = None
    comments: Mapping[str, str] = field(default_factory=dict)
    save_comment: CommentSaver | None = None
    prices: Prices = ()
    # The LangSmith page of a traced answer (its run id in); None when not tracing.
    trace_link: Callable[[str], str | None] | None = None
    # Questions with other versions (Regenerate, Edit & resend): all of them, oldest
    # first, by question id; `on_switch` shows the branch through the one clicked.
    branches: Mapping[str, Sequence[str]] = field(default_factory=dict)
    on_switch: Callable[[str], None] | None = None
    # Thumbnails of the conversation's attached images, by file id (web/attachments.py).
    thumbnails: Mapping[str, bytes] = field(default_factory=dict)


def draw_turn(turn: Turn, is_last: bool, actions: ReplyActions) -> Any:
    if turn.user is not None:
        with st.chat_message("user"):
            st.markdown(markdown_text(str(turn.user.content)))
            draw_attachments(turn.user, actions.thumbnails)
    # The reply sits in a block of its own, as the live turn's does (`LiveTurn.finish`): a
    # turn answered live keeps its place in the page tree when the next run redraws it from
    # history, so the browser updates it instead of building it again.
    with st.chat_message("assistant"), st.container():
        return draw_reply(turn, is_last, actions)


def draw_reply(turn: Turn, is_last: bool, actions: ReplyActions) -> Any:
    """The assistant's side of a turn: steps collapsed, the answer or error, its meter,
    Retry / Regenerate / Edit & resend on the latest turn, thumbs. Returns the slot of
    the latest turn's buttons (None on other turns)."""
    for step in turn.steps:
        draw_lead_in(step)
        draw_step(step)
    status = turn.status
    answer = turn.answer
    if turn.reasoning:
        draw_thinking(turn.reasoning)
    if answer is not None and status != STATUS_ERROR and answer.content:
        st.markdown(markdown_text(str(answer.content)))
    if status == STATUS_ERROR and answer is not None:
        st.error(markdown_text(str(answer.content)), icon="⚠️")
    elif status == STATUS_INTERRUPTED:
        reason = answer.response_metadata.get("stop_reason") if answer is not None else None
        if reason:
            note = f"⏱️ {markdown_text(str(reason))}"
        elif answer is not None:
            note = "⏹️ Stopped before the answer was complete; what arrived is kept above."
        elif turn.steps:
            note = "⏹️ The run was cut off before its answer; the finished steps are kept above."
        else:
            note = "⏹️ No answer was saved for this message: the run was cut off."
        st.caption(note)
    used = answer_usage(answer, actions.prices) if answer is not None else None
    if used is not None:
        st.caption(f"🧮 {describe(used)}")
    trace = answer.response_metadata.get("trace_id") if answer is not None else None
    url = actions.trace_link(str(trace)) if trace and actions.trace_link else None
    # Made by the app from the configured host and ids it checked; the host's part came
    # from LangSmith's API, so only a plain http(s) URL becomes a link.
    if url and _PLAIN_URL.fullmatch(url):
        st.caption(f"[🔍 Trace in LangSmith]({url})")
    versions = actions.branches.get(turn.user.id or "") if turn.user is not None else None
    if versions and actions.on_switch is not None and turn.user is not None:
        draw_branch_switch(str(turn.user.id), versions, actions.on_switch)
    buttons = None
    if is_last and turn.user is not None and actions.on_retry is not None:
        buttons = st.empty()
        with buttons.container():
            _latest_turn_buttons(turn, turn.user, actions.on_retry)
    if answer is not None and answer.id and status != STATUS_ERROR and actions.save_feedback:
        _feedback(answer.id, actions, actions.save_feedback)
    return buttons


def draw_branch_switch(
    question_id: str, versions: Sequence[str], on_switch: Callable[[str], None]
) -> None:
    """‹ n / m › under a reply whose question has other versions: the arrows show the
    previous or next version, each with its own answer and steps."""
    if question_id not in versions:
        return
    index = list(versions).index(question_id)
    back, where, forward, _ = st.columns([1, 1.3, 1, 7], vertical_alignment="center")
    back.button(
        "‹",
        key=f"branch-back-{question_id}",
        on_click=on_switch,
        args=(versions[index - 1],) if index else (question_id,),
        disabled=index == 0,
        help="Show the previous version of this question and its answer.",
    )
    where.caption(f"{index + 1} / {len(versions)}")
    last = index == len(versions) - 1
    forward.button(
        "›",
        key=f"branch-forward-{question_id}",
        on_click=on_switch,
        args=(question_id,) if last else (versions[index + 1],),
        disabled=last,
        help="Show the next version of this question and its answer.",
    )


def _latest_turn_buttons(turn: Turn, user: HumanMessage, on_retry: RetryRequest) -> None:
    """Retry a failed turn or Regenerate a finished one, or Edit & resend its question:
    each asks again as a new version of the turn; the earlier one stays, a click away on
    the ‹ n / m › switch."""
    question, user_id = str(user.content), user.id
    ids = [m.id for m in turn.messages if m.id]
    again, edit = st.columns(2)
    failed = turn.status in (STATUS_ERROR, STATUS_INTERRUPTED)
    again.button(
        "↻ Retry" if failed else "🔄 Regenerate",
        key=f"{'retry' if failed else 'regenerate'}-{user_id}",
        on_click=on_retry,
        args=(question, ids),
        help="Ask the same question again; this answer stays as an earlier version.",
    )
    key = f"edit-{user_id}"
    # Filled only while open (`on_change="rerun"`): a closed one costs the page nothing.
    editing = edit.popover(
        "✏️ Edit & resend", key=f"{EDIT_PANEL_PREFIX}{user_id}", on_change="rerun"
    )
    if editing.open:
        with editing:
            st.text_area("Your question", value=question, key=key, max_chars=MAX_MESSAGE_CHARS)
            st.button(
                "Send edited question",
                key=f"resend-{user_id}",
                on_click=_resend,
                args=(key, ids, on_retry),
                type="primary",
            )
    # Below the buttons, not in the popover: a reply drawn live and then drawn again with
    # the conversation is a new popover, which opens closed.
    if st.session_state.pop(key + "-empty", False):
        st.warning("Type a question to send.", icon="✏️")


def _feedback(answer_id: str, actions: ReplyActions, save_feedback: FeedbackSaver) -> None:
    """Thumbs; after a thumbs down, an optional comment saved when it is entered."""
    value = st.feedback(
        "thumbs",
        key=f"feedback-{answer_id}",
        default=actions.feedback.get(answer_id),
        on_change=_feedback_changed,
        args=(answer_id, save_feedback),
    )
    if value == 0 and actions.save_comment is not None:
        st.text_input(
            "What was wrong? (optional)",
            value=actions.comments.get(answer_id, ""),
            key=f"feedback-comment-{answer_id}",
            max_chars=FEEDBACK_COMMENT_MAX_CHARS,
            placeholder="Press Enter to save the comment",
            on_change=_comment_changed,
            args=(answer_id, actions.save_comment),
        )


_PLAIN_URL = re.compile(r"https?://[\w.:\-]+(/[\w\-./?=&%~+]*)?")
# The newest turns drawn on every rerun (earlier ones on request): at least SHOWN_TURNS,
# the window moving SHOWN_STEP turns at a time. Between moves every drawn turn keeps its
# place on the page, so a rerun adds the new turn and the browser reuses the rest; a
# window sliding by one each turn put a different turn in every place, and the browser
# rebuilt them all (a talk turn where a turn with a tool step had been, and so on).
SHOWN_TURNS = 5
SHOWN_STEP = 10


def _show_all(key: str, leave_found: Callable[[], None] | None = None) -> None:
    st.session_state[key] = True
    if leave_found is not None:  # from a search result: back to the whole conversation
        leave_found()


def draw_conversation(
    messages: list[BaseMessage],
    actions: ReplyActions,
    waiting_id: str | None = None,
    thread_id: str = "",
    found_id: str | None = None,
    leave_found: Callable[[], None] | None = None,
    offer_latest: bool = True,
) -> Any:
    """The newest turns from history (earlier ones behind a button, so a long conversation
    does not redraw everything on each rerun): steps collapsed, answers, errors with
    Retry, thumbs. Returns the slot of the latest turn's buttons, for the page to empty
    once a new question makes that turn no longer the latest (None when not drawn).

    A question waiting for a tool approval (`waiting_id`) is stored but unanswered; the
    approval prompt draws it, so it is not drawn here as a cut-off turn too.

    A search result (`found_id`, a message id) shows its turn alone, framed, however old:
    earlier turns behind the usual button, later ones behind one that calls `leave_found`.

    Without `offer_latest` (a new question is on its way), no turn gets the latest
    turn's buttons: they would only be drawn to be taken away again.
    """
    every_turn = group_turns(messages)
    # A question waiting below is the latest turn: nothing above may be regenerated.
    latest = every_turn[-1] if every_turn and offer_latest else None
    turns = [t for t in every_turn if not (t.user and t.user.id == waiting_id)]
    found = _turn_holding(turns, found_id)
    show_all_key = f"show-all-turns:{thread_id}"
    if found is not None:
        hidden = found  # a search result opens at its turn
    elif st.session_state.get(show_all_key):
        hidden = 0
    else:
        hidden = max(0, len(turns) - SHOWN_TURNS) // SHOWN_STEP * SHOWN_STEP
    if hidden:
        st.button(
            f"⬆️ Show {hidden} earlier turn{'s' if hidden != 1 else ''}",
            key=f"show-earlier-{thread_id}",
            on_click=_show_all,
            args=(show_all_key, leave_found if found is not None else None),
        )
    if found is not None:
        return _draw_found(turns, found, actions, leave_found, latest)
    buttons = None
    for turn in turns[hidden:]:
        buttons = draw_turn(turn, turn is latest, actions) or buttons
    return buttons


def _draw_found(
    turns: Sequence[Turn],
    found: int,
    actions: ReplyActions,
    leave: Callable[[], None] | None,
    latest: Turn | None,
) -> Any:
    """The search result's turn, framed, with later turns behind a button: it is then
    the last thing on the page, where a chat page is scrolled to."""
    with st.container(border=True, key="search-found-turn"):
        st.caption("🔎 Found by your search")
        buttons = draw_turn(turns[found], turns[found] is latest, actions)
    later = len(turns) - found - 1
    if later:
        st.button(
            f"⬇️ Show {later} later turn{'s' if later != 1 else ''}",
            key="show-later-turns",
            on_click=leave,
        )
    return buttons


def _turn_holding(turns: Sequence[Turn], message_id: str | None) -> int | None:
    if message_id:
        for index, turn in enumerate(turns):
            if any(m.id == message_id for m in turn.messages):
                return index
    return None


def draw_pending_approval(
    pending: Mapping[str, Any] | None, on_decide: Callable[[str, str, bool], None]
) -> None:
    """A tool call waiting for the user's Approve or Deny; the click names the call it
    decides (its conversation and key), so it can run nothing else."""
    if not pending:
        return
    with st.chat_message("user"):
        st.markdown(markdown_text(pending["text"]))
    with st.chat_message("assistant"):
        st.info(f"The agent wants to run **{label_text(pending['tool'])}** with:", icon="🔐")
        if pending.get("reason"):
            st.caption(label_text(pending["reason"]))
        st.code(_pretty(pending["args"]), language="json", wrap_lines=True)
        approve, deny = st.columns(2)
        call = (pending["thread_id"], pending["key"])
        wide = {"on_click": on_decide, "use_container_width": True}
        approve.button("✅ Approve", args=(*call, True), **wide)
        deny.button("🚫 Deny", args=(*call, False), **wide)


class StepLabeler(LLMThoughtLabeler):
    """Labels `StreamlitCallbackHandler`'s thoughts with `step_title`, the function that
    labels stored steps, from the recorder's `Step` being drawn (`step`): a live step's
    label, duration included, is the one a reload shows. Plain text, no shortcodes."""

    def __init__(self) -> None:
        self.step: Step | None = None

    def get_initial_label(self) -> str:  # type: ignore[override]
        return f"{STEP_ICONS['running']} Working…"

    def get_tool_label(self, tool: ToolRecord, is_complete: bool) -> str:  # type: ignore[override]
        if self.step is not None and self.step.tool == tool.name:
            return step_title(self.step)
        return step_label(STEP_ICONS["ok" if is_complete else "running"], tool.name, tool.input_str)

    def get_history_label(self) -> str:  # type: ignore[override]
        return "📚 Earlier steps"

    def get_final_agent_thought_label(self) -> str:  # type: ignore[override]
        return "✅ Done"


def _step_body(step: Step) -> str:
    """`step_body` for `StreamlitCallbackHandler`, which draws a tool's output inside
    `**…**`: the body loses its opening `**` and ends by opening an empty (invisible) one."""
    return f"{step_body(step).removeprefix('**')}\n\n**\u2060"


class LiveSteps(StreamlitCallbackHandler):
    """LangChain's `StreamlitCallbackHandler`, fed the recorder's own `Step`s
    (`StepRecorder.watch`: `show` gets each call when it starts and when it ends), so a
    live step reads exactly as it will after a reload, whatever order LangChain calls
    its handlers in; it is not one of the run's handlers, so the model's tokens never
    reach a thought (the answer has `AnswerStream`, the text before a call `draw_lead_in`).

    Only its public seams are used: a labeler, and its callback methods. It keeps one
    current thought and completes it at its tool's end, so each call opens its own
    thought (`on_llm_start`): the second of two calls in one reply gets its step too.
    """

    def __init__(self, container: Any) -> None:
        self.labeler = StepLabeler()
        super().__init__(
            container,
            max_thought_containers=MAX_LIVE_STEPS,
            expand_new_thoughts=False,
            collapse_completed_thoughts=True,
            thought_labeler=self.labeler,
        )
        self.container = container
        self.open_step: Step | None = None  # the call whose thought is open, if any
        self.show = on_this_page(self.show)  # type: ignore[method-assign]  # tools' threads

    def show(self, step: Step) -> None:
        if step.status != "running":
            if self.open_step is not None and self.open_step.call_id == step.call_id:
                self._end(step)
            return
        if self.open_step is not None:  # its end never came (the tool raised): keep it
            self._end(self.open_step)
        with self.container:
            draw_lead_in(step)
        self.labeler.step = step
        self.on_llm_start({}, [])
        self.on_tool_start({"name": step.tool}, _one_line(step.input))

    def _end(self, step: Step) -> None:
        self.labeler.step = step
        self.on_tool_end(_step_body(step))
        with self.container:
            draw_memory_note(step)

    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], **kwargs: Any) -> None:
        super().on_llm_start(serialized, prompts, **kwargs)
        self.open_step = self.labeler.step

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        """Tokens are the answer's (`AnswerStream`), never a thought's."""

    def on_tool_end(
        self,
        output: Any,
        color: str | None = None,
        observation_prefix: str | None = None,
        llm_prefix: str | None = None,
        **kwargs: Any,
    ) -> None:
        escaped = markdown_text(str(output))
        super().on_tool_end(escaped, color, observation_prefix, llm_prefix, **kwargs)
        self.open_step = None

    def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        """No traceback on the page: a tool's failure goes back to the model as its result,
        and an error raised here is a pause for the user's approval."""

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        """No traceback on the page: the turn's error is drawn under the reply."""


class AnswerStream(BaseCallbackHandler):
    """Streams the answer into its slot, and the model's reasoning above it: the first
    token at once, then at most every `interval_s`, and never sooner than three times the
    last redraw took: each redraw checks the whole text so far (safe_markdown.py), so a
    long answer would otherwise cost time growing with the square of its length. Tokens
    held back by that pace are drawn by the page's next `catch_up` (a stream that stalls
    would otherwise hide its last words). A reply that calls tools is cleared from here;
    its text and reasoning are drawn above its steps (`LiveSteps`)."""

    def __init__(self, thinking_slot: Any, slot: Any, interval_s: float = 0.03) -> None:
        self.thinking_slot = thinking_slot
        self.slot = slot
        self.interval_s = interval_s
        self.text = ""
        self.reasoning = ""
        self._thinking_shown = ""
        self._text_shown = ""
        self._next_draw_at = 0.0
        # Tokens arrive on the run's thread and catch_up comes from the page's: one drawer
        # at a time keeps the slot's last delta the latest text.
        self._lock = threading.Lock()

    def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.text = self.reasoning = self._thinking_shown = self._text_shown = ""
            self._next_draw_at = 0.0

    on_chat_model_start = on_llm_start

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        with self._lock:
            self.text += token
            self.reasoning += reasoning_of(getattr(kwargs.get("chunk"), "message", None))
            self._draw_when_due()

    def catch_up(self) -> None:
        """Draw what the pace held back, once it is due (the page calls this while it waits)."""
        with self._lock:
            if self.text != self._text_shown or self.reasoning != self._thinking_shown:
                self._draw_when_due()

    def _draw_when_due(self) -> None:
        started = time.monotonic()
        if started >= self._next_draw_at:
            self._draw(cursor=" ▌")
            took = time.monotonic() - started
            self._next_draw_at = started + max(self.interval_s, 3 * took)

    def _draw(self, cursor: str = "") -> None:
        if self.reasoning and self.reasoning != self._thinking_shown:
            self._thinking_shown = self.reasoning
            with self.thinking_slot.container():
                draw_thinking(self.reasoning)
        if self.text:
            self._text_shown = self.text
            self.slot.markdown(markdown_text(self.text) + cursor)

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        calls_tools = any(
            getattr(getattr(g, "message", None), "tool_calls", None)
            for gens in response.generations
            for g in gens
        )
        with self._lock:
            if calls_tools:
                self.slot.empty()
                self.thinking_slot.empty()
                self.text = self.reasoning = self._thinking_shown = self._text_shown = ""
            else:
                self._draw()


@dataclass
class LiveTurn:
    """What the page hands a running turn: the handlers that stream its answer, where its
    steps are drawn (`steps.show`, for the recorder), a progress tick, and where the
    finished reply replaces the live one."""

    steps: LiveSteps
    handlers: list[BaseCallbackHandler]
    tick: Callable[[float], None]
    live: Any
    slots: Sequence[Any] = ()  # the live block's parts below Stop

    def finish(self, turn: Turn, actions: ReplyActions) -> None:
        """Draw the stored turn in place of the live one: the page then shows what a
        reload would, without running the whole script again."""
        # The parts are emptied one by one: a new block in the live one's place keeps the
        # old block's children past its own (the browser's rule; emptying the whole slot
        # first is merged away by Streamlit's message queue), so a short reply would show
        # the live progress line or streamed text below it until the next run.
        for slot in self.slots:
            slot.empty()
        with self.live.container():
            draw_reply(turn, True, actions)


def draw_live_turn(
    text: str, question: BaseMessage | None = None, thumbnails: Mapping[str, bytes] | None = None
) -> LiveTurn:
    """The question (with its files) and an empty answer with Stop; the returned handlers
    fill it in."""
    with st.chat_message("user"):
        st.markdown(markdown_text(text))
        draw_attachments(question, thumbnails or {})
    with st.chat_message("assistant"):
        live = st.empty()
        with live.container():
            st.button("⏹ Stop", key="stop-run", help="Stop this answer; what arrived is kept.")
            slots = [st.empty() for _ in range(4)]
    steps_slot, thinking_slot, answer_slot, progress_slot = slots
    answer = AnswerStream(thinking_slot, answer_slot)

    def tick(elapsed_s: float) -> None:
        answer.catch_up()
        progress_slot.caption(f"⏳ Working… {elapsed_s:.0f} s")

    return LiveTurn(LiveSteps(steps_slot.container()), [answer], tick, live, slots)


def draw_starters(starters: Sequence[str], on_pick: Callable[[str], None]) -> Any:
    """Example questions on an empty conversation; returns their slot (None without
    starters), which the page empties once a question is on its way."""
    if not starters:
        return None
    slot = st.empty()
    with slot.container():
        st.caption("Try one of these, or ask your own question below.")
        for column, (number, text) in zip(
            st.columns(len(starters)), enumerate(starters), strict=True
        ):
            column.button(
                label_text(text, 90),
                key=f"starter-{number}",
                on_click=on_pick,
                args=(text,),
                use_container_width=True,
            )
    return slot
