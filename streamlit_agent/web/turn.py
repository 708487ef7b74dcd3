"""One turn's life cycle: store the question, run the agent in a worker thread while the
page waits, record and checkpoint its steps, and end it as an answer, an error, a
request for approval, or an interruption kept as far as it got.

Nothing here draws: the page hands in the callback handlers that draw (ui/chat.py) and
a `tick` that shows progress; the click callbacks the UI forwards (retry, approve,
deny) change only the turn state kept here.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from math import inf
from pathlib import Path
from typing import Any

import streamlit as st
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables.history import RunnableWithMessageHistory
from streamlit.runtime.scriptrunner import add_script_run_ctx

from streamlit_agent.agent.build import run_turn
from streamlit_agent.agent.errors import describe_error
from streamlit_agent.agent.tool_runner import ApprovalGate, ApprovalRequired
from streamlit_agent.agent.tracing import tracing_secrets
from streamlit_agent.conversation.memory import TurnMemory
from streamlit_agent.conversation.steps import (
    STATUS_ERROR,
    STATUS_INTERRUPTED,
    Step,
    StepRecorder,
    Turn,
    group_turns,
    new_message_id,
    reasoning_of,
)
from streamlit_agent.files.attach import file_references
from streamlit_agent.models.replay import RunRecorder
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web.history import DurableChatHistory, TurnWriter, show_branch
from streamlit_agent.web.page_context import on_this_page, yield_to_a_click
from streamlit_agent.web.page_state import (
    ACTIVE_RUN_KEY,
    APPROVED_RESULTS_KEY,
    DECISIONS_KEY,
    PENDING_APPROVAL_KEY,
    RETRY_FILES_KEY,
    RETRY_REQUEST_KEY,
)

logger = logging.getLogger(__name__)


# What one turn may stream, answer, reasoning and tool-call arguments together: far
# beyond any real answer (a model's own max_tokens ends it first), small enough that a
# server streaming without end cannot fill the page, the store or memory.
TURN_OUTPUT_CHARS = 200_000
# How long past its deadline the page waits for a run to end itself at its next event
# (a stream that sends nothing at all has no next event) before ending the turn anyway.
DEADLINE_GRACE_S = 1.0


class RunCancelled(BaseException):
    """Raised inside an abandoned run to end it."""


class TurnLimitReached(RunCancelled):
    """Raised inside a run that reached its time or output budget; `reason` says which,
    `arrived` is the answer text streamed so far."""

    def __init__(self, reason: str, arrived: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.arrived = arrived


def time_limit_reason(seconds: float) -> str:
    return (
        f"Stopped at the time limit of {seconds:g} s for one answer "
        "(STREAMLIT_AGENT_MAX_RUN_SECONDS); what arrived is kept."
    )


class TurnGuard(BaseCallbackHandler):
    """First handler of a run: ends it at its next event once the page was interrupted,
    its deadline passed or it streamed more than `TURN_OUTPUT_CHARS`. Checked at every
    token too, so a stream that trickles forever still ends at the deadline."""

    def __init__(self, writer: TurnWriter, max_seconds: float) -> None:
        self.writer = writer
        self.max_seconds = max_seconds
        self.deadline = time.monotonic() + max_seconds if max_seconds > 0 else float("inf")
        self.streamed = 0
        # The model call's text so far, kept here too: LangChain does not promise that the
        # step recorder sees a token before this handler ends the run on it.
        self.arrived = ""

    def _check(self, *args: Any, **kwargs: Any) -> None:
        if self.writer.cancelled.is_set():
            raise RunCancelled
        if time.monotonic() >= self.deadline:
            raise TurnLimitReached(time_limit_reason(self.max_seconds), self.arrived)

    def _call_starts(self, *args: Any, **kwargs: Any) -> None:
        self.arrived = ""
        self._check()

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.arrived = (self.arrived + token)[:TURN_OUTPUT_CHARS]
        self._check()
        message = getattr(kwargs.get("chunk"), "message", None)
        calls = getattr(message, "tool_call_chunks", None) or []
        arguments = sum(
            len(str(c.get("args") or "")) + len(str(c.get("name") or "")) for c in calls
        )
        self.streamed += len(token) + len(reasoning_of(message)) + arguments
        if self.streamed > TURN_OUTPUT_CHARS:
            raise TurnLimitReached(
                f"Stopped: the answer passed {TURN_OUTPUT_CHARS:,} characters, the most one "
                "answer may stream; what arrived is kept.",
                self.arrived,
            )

    on_llm_start = on_chat_model_start = _call_starts
    on_tool_start = on_chain_start = _check


@dataclass
class _RunResult:
    error: BaseException | None = None


# --- click callbacks the UI forwards -------------------------------------------------
def request_retry(question: str, message_ids: Sequence[str]) -> None:
    """Retry, Regenerate, or Edit & resend (with the edited `question`): the question is
    asked again as a new branch beside the latest turn (`message_ids`), which the store
    keeps as its sibling; the model sees only the branch on screen."""
    st.session_state[RETRY_REQUEST_KEY] = {"text": question, "remove": list(message_ids)}


def ask(question: str) -> None:
    """A starter prompt was picked: it is sent as if typed."""
    st.session_state[RETRY_REQUEST_KEY] = {"text": question}


def starters_for(
    starters: Sequence[tuple[str, str]], enabled_tools: Iterable[str], limit: int
) -> list[str]:
    """The starter questions whose tool (if any) is on in this conversation."""
    enabled = set(enabled_tools)
    return [text for text, tool in starters if not tool or tool in enabled][:limit]


def decide(thread_id: str, key: str, approved: bool) -> None:
    """Approve or Deny the call waiting in conversation `thread_id`; the turn runs again
    there with the decision. A click meant for another call (a stale page) does nothing."""
    waiting = st.session_state.get(PENDING_APPROVAL_KEY, {})
    pending = waiting.get(thread_id)
    if pending is None or pending["key"] != key:
        return
    del waiting[thread_id]
    decisions = st.session_state.setdefault(DECISIONS_KEY, {})
    decisions.setdefault(pending["message_id"], {})[key] = approved
    st.session_state[RETRY_REQUEST_KEY] = {
        "text": pending["text"],
        "message_id": pending["message_id"],
        "thread_id": thread_id,
    }


def choose_branch(key: str, thread_id: str, conversations: Conversations, message_id: str) -> None:
    """‹ or › clicked: a run still answering is ended and stored first (on the branch it
    was asked on), then the branch through `message_id` is shown."""
    settle_previous_run()
    show_branch(key, thread_id, conversations, message_id)


def forget_pending_approval(thread_id: str) -> None:
    """A new question instead of Approve/Deny: the waiting one stays unanswered (kept,
    with Retry while it is the last turn), not waiting under the new one."""
    st.session_state.get(PENDING_APPROVAL_KEY, {}).pop(thread_id, None)


def pending_approval(thread_id: str) -> dict[str, Any] | None:
    """The call waiting for Approve or Deny in conversation `thread_id` (an approval
    belongs to its conversation): text, message_id, tool, args, key, thread_id."""
    return st.session_state.get(PENDING_APPROVAL_KEY, {}).get(thread_id)


def take_retry_request(history: DurableChatHistory) -> tuple[str, str | None] | None:
    """If Retry (or an approval) asks for it, branch off before the turn it replaces;
    return (question, id). A request made in another conversation is dropped, never
    asked here."""
    request = st.session_state.pop(RETRY_REQUEST_KEY, None)
    if not request or request.get("thread_id", history.thread_id) != history.thread_id:
        return None
    remove = set(request.get("remove", []))
    asked = request.get("message_id")
    # The question asked again keeps its files (references; the files stay stored).
    earlier = next((m for m in history.messages if m.id in remove | {asked}), None)
    if isinstance(earlier, HumanMessage):
        st.session_state[RETRY_FILES_KEY] = file_references(earlier.additional_kwargs)
    if remove:
        turns = group_turns(history.messages)
        latest = turns[-1].messages if turns else []
        if remove != {m.id for m in latest}:
            st.session_state.pop(RETRY_FILES_KEY, None)
            return None  # a button left from an earlier page: only the latest turn is replaced
        history.branch_before(str(latest[0].id))
    return request["text"], asked


def take_retry_files() -> dict[str, Any]:
    """The files of the question `take_retry_request` just returned ({} when none)."""
    return st.session_state.pop(RETRY_FILES_KEY, None) or {}


# --- running -----------------------------------------------------------------------------
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


def _save_interrupted(writer: TurnWriter, recorder: StepRecorder) -> None:
    """Store the interrupted turn as far as it went, marked interrupted."""

    def save() -> None:
        try:
            writer.finish(recorder.messages(recorder.partial_answer, status=STATUS_INTERRUPTED))
        finally:
            writer.settled.set()

    _off_page(save)


def settle_previous_run(timeout_s: float = 10.0) -> None:
    """Cancel a run this session left behind and wait until its turn is in history."""
    writer: TurnWriter | None = st.session_state.get(ACTIVE_RUN_KEY)
    if writer is None or writer.settled.is_set():
        return
    writer.cancelled.set()
    writer.settled.wait(timeout_s)


def refuse(history: DurableChatHistory, question: HumanMessage, reason: str) -> None:
    """Keep a question that may not be answered now (with its files), with the reason
    (and Retry)."""
    notice = AIMessage(
        content=reason, id=new_message_id(), response_metadata={"status": STATUS_ERROR}
    )
    history.add_messages([question, notice])
    st.rerun()


def _start_worker(work: Callable[[], None]) -> threading.Thread:
    worker = threading.Thread(
        target=contextvars.copy_context().run, args=(work,), name="agent-run", daemon=True
    )
    add_script_run_ctx(worker)
    worker.start()
    return worker


def _wait(worker: threading.Thread, tick: Callable[[float], None], give_up_s: float) -> bool:
    """Wait for the run; False if it was still going after `give_up_s` (a read that never
    returns: the run is left to end at its next event, the turn ends now)."""
    # Each tick draws, and drawing is where Streamlit can interrupt the page for Stop or
    # a new message, so the wait stays responsive however long a tool or the model takes.
    started = time.monotonic()
    while True:
        worker.join(0.2)
        if not worker.is_alive():
            return True  # no tick now: a finished run's "Working…" would outlive it
        waited = time.monotonic() - started
        if waited > give_up_s:
            return False
        yield_to_a_click()
        tick(waited)


def _await_run(
    worker: threading.Thread, tick: Callable[[float], None], guard: TurnGuard, result: _RunResult
) -> None:
    """Wait for the run; a second past its deadline, end the turn at its time limit."""
    give_up = guard.max_seconds + DEADLINE_GRACE_S if guard.max_seconds > 0 else inf
    if not _wait(worker, tick, give_up):
        guard.writer.cancelled.set()
        result.error = TurnLimitReached(time_limit_reason(guard.max_seconds), guard.arrived)


def _conclude(
    result: _RunResult,
    writer: TurnWriter,
    recorder: StepRecorder,
    secrets: Iterable[str | None],
) -> None:
    """End the turn: wait for approval, store the failure, or forget the decisions."""
    error, history, question = result.error, writer.history, writer.question
    if isinstance(error, ApprovalRequired):
        st.session_state.setdefault(PENDING_APPROVAL_KEY, {})[history.thread_id] = {
            "text": str(question.content),
            "message_id": question.id,
            "tool": error.tool_name,
            "args": error.call_args,
            "key": error.key,
            "thread_id": history.thread_id,
            "reason": error.reason,
        }
    elif isinstance(error, TurnLimitReached):
        arrived = max(recorder.partial_answer, error.arrived, key=len)[:TURN_OUTPUT_CHARS]
        kept = recorder.messages(arrived, status=STATUS_INTERRUPTED, stop_reason=error.reason)
        _off_page(lambda: writer.finish(kept))
    elif error is not None:
        # The page says what to do; the log keeps the cause (scrubbed like every record).
        logger.warning("a turn failed", exc_info=(type(error), error, error.__traceback__))
        failed = recorder.messages(describe_error(error, secrets), status=STATUS_ERROR)
        _off_page(lambda: writer.finish(failed))
    else:
        st.session_state[DECISIONS_KEY].pop(question.id, None)
        st.session_state[APPROVED_RESULTS_KEY].pop(question.id, None)


def _save_recording(folder: str, question: HumanMessage, recording: RunRecorder) -> None:
    try:
        path = Path(folder) / f"{question.id}.json"
        recording.recording(str(question.content)).save(path)
    except OSError:  # a recording is a by-product: never a reason to fail the turn
        logger.warning("could not save the run's recording in %s", folder, exc_info=True)


def _approval_gate(thread_id: str, question: HumanMessage) -> ApprovalGate:
    """The decisions taken so far on `question`'s calls, and the approved calls' results
    (kept across its runs); nothing waits for a decision while it runs."""
    forget_pending_approval(thread_id)
    decisions = st.session_state.setdefault(DECISIONS_KEY, {}).setdefault(question.id, {})
    approved = st.session_state.setdefault(APPROVED_RESULTS_KEY, {}).setdefault(question.id, {})
    return ApprovalGate(decisions, approved)


def run(
    get_agent: Callable[[], RunnableWithMessageHistory],
    history: DurableChatHistory,
    question: HumanMessage,
    handlers: Sequence[BaseCallbackHandler],
    show_step: Callable[[Step], None],
    tick: Callable[[float], None],
    secrets: Iterable[str | None] = (),
    on_usage: Callable[[dict[str, int]], None] | None = None,
    record_to: str | None = None,
    max_seconds: float = 0.0,
    model_question: HumanMessage | None = None,
    answer_note: str | None = None,
    memory: TurnMemory | None = None,
) -> Turn:
    """Answer `question` (drawn already) through `handlers`, each step to `show_step`;
    return the turn as stored. `max_seconds`: one deadline (0: none); `model_question`:
    sent instead of the stored question (its files, web/attachments.py). The question is
    stored first, every result after it; a call awaiting approval reruns the page."""
    gate = _approval_gate(history.thread_id, question)
    writer = TurnWriter(history, question)
    writer.start()
    # Checkpoints come from the threads that ran the tools; writing uses session state.
    recorder = StepRecorder(on_step=on_this_page(writer.checkpoint))
    st.session_state[ACTIVE_RUN_KEY] = writer
    result = _RunResult()
    recording = RunRecorder() if record_to else None
    recorder.watch(show_step)
    guard = TurnGuard(writer, max_seconds)

    def work() -> None:
        callbacks = [guard, *handlers, *([recording] if recording else [])]
        try:
            run_turn(
                get_agent(), history.thread_id, model_question or question, recorder,
                callbacks, history=writer, approval_gate=gate, answer_note=answer_note,
                memory=memory, documents=history.document_scope(),
            )  # fmt: skip
        except BaseException as exc:
            result.error = exc

    worker = _start_worker(work)
    try:
        _await_run(worker, tick, guard, result)
    except BaseException:
        # Stop, a new message or a closed tab interrupts the page: keep what arrived.
        writer.cancelled.set()
        _save_interrupted(writer, recorder)
        raise
    if record_to and recording is not None and result.error is None:
        _save_recording(record_to, question, recording)
    try:
        _conclude(result, writer, recorder, [*secrets, *tracing_secrets()])
    finally:
        writer.settled.set()
        if on_usage is not None and recorder.usage:
            on_usage(dict(recorder.usage))
    if pending_approval(history.thread_id):
        st.rerun()
    return group_turns(history.messages)[-1]
