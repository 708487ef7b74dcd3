"""The chat area: earlier turns with their steps, and a turn run live.

Model and tool text is always drawn with `st.markdown`/`st.code` without
`unsafe_allow_html`, so HTML in an answer shows as text and never runs.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st
from langchain_community.callbacks.streamlit.streamlit_callback_handler import (
    LLMThoughtLabeler,
    StreamlitCallbackHandler,
    ToolRecord,
)
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables.history import RunnableWithMessageHistory
from streamlit.runtime.scriptrunner import add_script_run_ctx

from streamlit_agent.agent import run_turn
from streamlit_agent.errors import describe_error
from streamlit_agent.export import printable
from streamlit_agent.memory import (
    DurableChatHistory,
    TurnGuard,
    checkpoint_to,
    guarded_turn,
    using_history,
)
from streamlit_agent.steps import (
    STATUS_ERROR,
    STATUS_INTERRUPTED,
    Step,
    StepRecorder,
    Turn,
    group_turns,
    new_message_id,
    shown_input,
)
from streamlit_agent.tool_runner import ApprovalGate, ApprovalRequired, approvals
from streamlit_agent.ui.text import label_text, markdown_text

RETRY_REQUEST_KEY = "retry_request"
ACTIVE_RUN_KEY = "active_agent_run"
PENDING_APPROVAL_KEY = "pending_approval"
DECISIONS_KEY = "tool_decisions"  # {user message id: {call key: approved?}}
APPROVED_RESULTS_KEY = "approved_results"  # {user message id: {call key: its result}}
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


def _request_retry(turn: Turn) -> None:
    if turn.user is None:
        return
    st.session_state[RETRY_REQUEST_KEY] = {
        "text": str(turn.user.content),
        "remove": [m.id for m in turn.messages if m.id],
    }


FeedbackSaver = Callable[[str, "int | None"], None]


def _feedback_changed(answer_id: str, save: FeedbackSaver) -> None:
    save(answer_id, st.session_state.get(f"feedback-{answer_id}"))


def draw_turn(
    turn: Turn,
    is_last: bool,
    feedback: Mapping[str, int] | None = None,
    save_feedback: FeedbackSaver | None = None,
) -> None:
    if turn.user is not None:
        with st.chat_message("user"):
            st.markdown(markdown_text(str(turn.user.content)))
    with st.chat_message("assistant"):
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
        if is_last and status in (STATUS_ERROR, STATUS_INTERRUPTED) and turn.user is not None:
            st.button("↻ Retry", key=f"retry-{turn.user.id}", on_click=_request_retry, args=(turn,))
        if answer is not None and answer.id and status != STATUS_ERROR and save_feedback:
            st.feedback(
                "thumbs",
                key=f"feedback-{answer.id}",
                default=(feedback or {}).get(answer.id),
                on_change=_feedback_changed,
                args=(answer.id, save_feedback),
            )


def draw_conversation(
    messages: list[BaseMessage],
    feedback: Mapping[str, int] | None = None,
    save_feedback: FeedbackSaver | None = None,
) -> None:
    """Every turn from history: steps collapsed, answers, errors with Retry, thumbs.

    A question waiting for a tool approval is stored but unanswered; the approval prompt
    draws it (`draw_pending_approval`), so it is not drawn here as a cut-off turn too.
    """
    waiting = (st.session_state.get(PENDING_APPROVAL_KEY) or {}).get("message_id")
    turns = [t for t in group_turns(messages) if not (t.user and waiting and t.user.id == waiting)]
    for index, turn in enumerate(turns):
        draw_turn(turn, index == len(turns) - 1, feedback, save_feedback)


def take_retry_request(history: DurableChatHistory) -> tuple[str, str | None] | None:
    """If Retry (or an approval) asks for it, drop the failed turn; return (question, id)."""
    request = st.session_state.pop(RETRY_REQUEST_KEY, None)
    if not request:
        return None
    history.remove(set(request.get("remove", [])))
    return request["text"], request.get("message_id")


def _decide(approved: bool) -> None:
    pending = st.session_state.pop(PENDING_APPROVAL_KEY)
    decisions = st.session_state.setdefault(DECISIONS_KEY, {})
    decisions.setdefault(pending["message_id"], {})[pending["key"]] = approved
    st.session_state[RETRY_REQUEST_KEY] = {
        "text": pending["text"],
        "message_id": pending["message_id"],
    }


def draw_pending_approval() -> None:
    """A tool call waiting for the user's Approve or Deny."""
    pending = st.session_state.get(PENDING_APPROVAL_KEY)
    if not pending:
        return
    with st.chat_message("user"):
        st.markdown(markdown_text(pending["text"]))
    with st.chat_message("assistant"):
        st.info(f"The agent wants to run **{label_text(pending['tool'])}** with:", icon="🔐")
        st.code(_pretty(pending["args"]), language="json", wrap_lines=True)
        approve, deny = st.columns(2)
        approve.button("✅ Approve", on_click=_decide, args=(True,), use_container_width=True)
        deny.button("🚫 Deny", on_click=_decide, args=(False,), use_container_width=True)


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
        if self._current_thought is not None:
            note = (
                "**Waiting for your approval.**"
                if isinstance(error, ApprovalRequired)
                else f"**Tool failed:** {type(error).__name__}"
            )
            self._current_thought.container.markdown(note)


class AnswerStream(BaseCallbackHandler):
    """Streams the answer into its slot token by token."""

    def __init__(self, slot: Any) -> None:
        self.slot = slot
        self.text = ""

    def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
        self.text = ""

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.text += token
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


class CancelOnStop(BaseCallbackHandler):
    """First handler of a run: once the page was interrupted, end the run at its next event."""

    def __init__(self, guard: TurnGuard) -> None:
        self.guard = guard

    def _check(self, *args: Any, **kwargs: Any) -> None:
        if self.guard.cancelled.is_set():
            raise RunCancelled

    on_llm_start = on_chat_model_start = on_llm_new_token = _check
    on_tool_start = on_agent_action = on_chain_start = _check


class RunCancelled(BaseException):
    """Raised inside an abandoned run to end it."""


@dataclass
class _Outcome:
    result: dict[str, Any] | None = None
    error: BaseException | None = None


def _wait_showing_progress(worker: threading.Thread, slot: Any) -> None:
    # Each update is also where Streamlit can interrupt the page for Stop or a new
    # message, so the wait stays responsive however long a tool or the model takes.
    started = time.monotonic()
    while worker.is_alive():
        worker.join(0.2)
        slot.caption(f"⏳ Working… {time.monotonic() - started:.0f} s")
    slot.empty()


def _off_page(write: Callable[[], Any]) -> None:
    """Run a history write on a helper thread and wait for it.

    Once Streamlit has asked the page to stop (Stop, a new message, a closed tab),
    every session-state access on the page's own thread raises again; a helper
    thread with the same context can still finish the write.
    """
    failure: list[BaseException] = []

    def run() -> None:
        try:
            write()
        except BaseException as exc:
            failure.append(exc)

    helper = threading.Thread(target=run, name="history-write", daemon=True)
    add_script_run_ctx(helper)
    helper.start()
    helper.join(timeout=10)
    if failure:
        raise failure[0]


def _save_interrupted(
    history: DurableChatHistory, guard: TurnGuard, question: HumanMessage, recorder: StepRecorder
) -> None:
    """Store the interrupted turn as far as it went, marked interrupted."""

    def save() -> None:
        try:
            if guard.claim():
                partial = recorder.messages(recorder.partial_answer, status=STATUS_INTERRUPTED)
                history.add_messages([question, *partial])
        finally:
            guard.settled.set()

    _off_page(save)


def settle_previous_run(timeout_s: float = 10.0) -> None:
    """Cancel a run this session left behind and wait until its turn is in history."""
    guard: TurnGuard | None = st.session_state.get(ACTIVE_RUN_KEY)
    if guard is None or guard.settled.is_set():
        return
    guard.cancelled.set()
    guard.settled.wait(timeout_s)


def refuse(
    history: DurableChatHistory, text: str, reason: str, message_id: str | None = None
) -> None:
    """Keep a question that may not be answered now, with the reason and Retry."""
    question = HumanMessage(content=text, id=message_id or new_message_id())
    notice = AIMessage(
        content=reason, id=new_message_id(), response_metadata={"status": STATUS_ERROR}
    )
    history.add_messages([question, notice])
    st.rerun()


def run_live(
    get_agent: Callable[[], RunnableWithMessageHistory],
    history: DurableChatHistory,
    text: str,
    secrets: Iterable[str | None] = (),
    message_id: str | None = None,
    on_usage: Callable[[dict[str, int]], None] | None = None,
) -> None:
    """Ask the agent `text`, streaming steps and answer into the chat; nothing is lost.

    `message_id` re-asks a question already stored (after an approval) without
    storing it twice.
    """
    user_message = HumanMessage(content=text, id=message_id or new_message_id())
    # A new question instead of Approve/Deny leaves the waiting one unanswered (kept,
    # with Retry while it is the last turn), not waiting under the new one.
    st.session_state.pop(PENDING_APPROVAL_KEY, None)
    decisions = st.session_state.setdefault(DECISIONS_KEY, {}).setdefault(user_message.id, {})
    approved = st.session_state.setdefault(APPROVED_RESULTS_KEY, {}).setdefault(user_message.id, {})
    history.add_messages([user_message])  # stored before the agent runs
    with st.chat_message("user"):
        st.markdown(markdown_text(text))
    with st.chat_message("assistant"):
        st.button("⏹ Stop", key="stop-run", help="Stop this answer; what arrived is kept.")
        steps_box = st.container()
        answer_slot = st.empty()
        progress_slot = st.empty()
        guard = TurnGuard()
        recorder = StepRecorder(on_step=checkpoint_to(history, guard, user_message))
        st.session_state[ACTIVE_RUN_KEY] = guard
        handlers = [CancelOnStop(guard), LiveSteps(steps_box), AnswerStream(answer_slot)]
        outcome = _Outcome()

        def work() -> None:
            try:
                gate = ApprovalGate(decisions, approved)
                with approvals(gate), guarded_turn(guard), using_history(history):
                    agent = get_agent()
                    outcome.result = run_turn(
                        agent, history.thread_id, user_message, recorder, handlers
                    )
            except BaseException as exc:
                outcome.error = exc

        worker = threading.Thread(
            target=contextvars.copy_context().run, args=(work,), name="agent-run", daemon=True
        )
        add_script_run_ctx(worker)
        worker.start()
        try:
            _wait_showing_progress(worker, progress_slot)
        except BaseException:
            # Stop, a new message or a closed tab interrupts the page: keep what arrived.
            guard.cancelled.set()
            _save_interrupted(history, guard, user_message, recorder)
            raise
        error = outcome.error
        try:
            if isinstance(error, ApprovalRequired):
                st.session_state[PENDING_APPROVAL_KEY] = {
                    "text": text,
                    "message_id": user_message.id,
                    "tool": error.tool_name,
                    "args": error.call_args,
                    "key": error.key,
                }
            elif error is not None:
                message = describe_error(error, secrets)
                failed = recorder.messages(message, status=STATUS_ERROR)
                _off_page(lambda: guard.claim() and history.add_messages([user_message, *failed]))
            else:
                st.session_state[DECISIONS_KEY].pop(user_message.id, None)
                st.session_state[APPROVED_RESULTS_KEY].pop(user_message.id, None)
        finally:
            guard.settled.set()
            if on_usage is not None and recorder.usage:
                on_usage(dict(recorder.usage))
        # Redraw from history, so the page shows exactly what a reload would: the
        # recorded steps collapsed, an error bubble with Retry, or the approval prompt.
        st.rerun()
