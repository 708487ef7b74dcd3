"""streamlit-agent: the page. Run with `streamlit run streamlit_agent/app.py`."""

# ruff: noqa: E402 - LangChain and SQLAlchemy are imported below the chat box on purpose.
from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from streamlit_agent.config import (
    MAX_MESSAGE_CHARS,
    MAX_STARTERS,
    Settings,
    configuration_problems,
    load_settings,
)
from streamlit_agent.files.kinds import Incoming
from streamlit_agent.safety import redact
from streamlit_agent.web import identity, voice
from streamlit_agent.web.page_state import (
    ASKING_KEY,
    CHAT_INPUT_KEY,
    DRAFT_THREAD_KEY,
    PAGE_DRAWN_KEY,
    STORE_PROBLEM_KEY,
    UNREADABLE_KEY,
    USER_API_KEY,
)
from streamlit_agent.web.ui import sidebar

st.set_page_config(page_title="streamlit-agent", page_icon="🦜", layout="centered")


def _secrets() -> dict[str, object]:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml is the normal case
        return {}


def _typed(value: object) -> tuple[str | None, list, Incoming | None]:
    """The chat box's value as (text, files, recording): a str without attaching or a
    microphone, else Streamlit's ChatInputValue (text, UploadedFiles, a WAV recording)."""
    if value is None or isinstance(value, str):
        return value, [], None
    text = str(getattr(value, "text", "") or "")
    return text, list(getattr(value, "files", None) or []), voice.recording_of(value)


def _submitted() -> None:
    sidebar.leave_found()  # the new question and its answer show with the newest turns
    text, files, recording = _typed(st.session_state.get(CHAT_INPUT_KEY))
    text = text or ""
    sent = bool(text.strip()) or bool(files) or recording is not None
    st.session_state[ASKING_KEY] = sent and len(text) <= MAX_MESSAGE_CHARS


def chat_box() -> tuple[str | None, list, Incoming | None]:
    """The chat box, with files when attaching is on, and a microphone only when a
    transcription service is configured (voice.py)."""
    value = st.chat_input(
        "Ask a question",
        key=CHAT_INPUT_KEY,
        on_submit=_submitted,
        accept_file="multiple" if settings.files_per_message else False,
        accept_audio=voice.offered(settings),
    )
    return _typed(value)


redact.install_log_scrubber()  # every log record of this process, the libraries' too
settings = load_settings(secrets=_secrets())
redact.remember(  # values from secrets.toml are not in the environment scan
    settings.openai_api_key,
    redact.url_password(settings.openai_base_url),
    redact.url_password(settings.db_url),
    redact.url_password(settings.transcribe_base_url),
)
user = identity.current_user(settings)
if user is None:
    sidebar.sign_in_page(identity.sign_in_configured(), settings.auth_header)
    st.stop()
with st.sidebar:
    st.title("🦜 streamlit-agent")
    sidebar.user_section(user.name, user.id, signed_in=user.mode == "oidc")
# The first page after the server starts draws its box before the rest of the page imports
# LangChain and SQLAlchemy (about a second), so the browser loads it meanwhile; a
# conversation named in the URL gets it only once it is known to be this user's.
requested = sidebar.requested_thread_id()
# Every other run draws the box inside the conversation's fragment (below), so that asking
# reruns the conversation alone, not the sidebar: a question sent in the early box costs a
# whole-page run, worth it only while the imports would keep the page without a box.
early_box = (
    not requested
    and not st.session_state.get(PAGE_DRAWN_KEY)
    and "langchain_core.messages" not in sys.modules
)
st.session_state[PAGE_DRAWN_KEY] = True
if early_box:
    chat_box()

from langchain_core.messages import HumanMessage

from streamlit_agent.agent.tracing import trace_url
from streamlit_agent.conversation import limits
from streamlit_agent.conversation.memory import MEMORY_TOOLS
from streamlit_agent.conversation.meter import conversation_usage
from streamlit_agent.conversation.steps import Turn, new_message_id
from streamlit_agent.models.catalog import FIRST_LOOK_S, available_models, pick
from streamlit_agent.models.providers import ModelChoice, choose_model, uses_configured_key
from streamlit_agent.models.replay import replay_problems
from streamlit_agent.store.database import ThreadSummary
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web import attachments, memory, my_data, resources, turn
from streamlit_agent.web.history import (
    DurableChatHistory,
    flush_unsaved,
    issue_thread_id,
    open_thread,
)
from streamlit_agent.web.page_context import rerunning_alone
from streamlit_agent.web.ui import chat, memory_panel

turn.settle_previous_run()  # a Stop or new message: the cut-off turn is saved first
# An anonymous cookie is checked (or a new one signed) with the store's key, so only now.
conversations = identity.confirmed(resources.conversations_for(settings, user.id), settings)
flush_unsaved(conversations)

# A conversation is opened by the id in the URL only when it is this user's; with no
# id, the page is a new chat whose id the server made (it reaches the URL once used).
thread_id = requested or st.session_state.get(DRAFT_THREAD_KEY) or issue_thread_id()
st.session_state[DRAFT_THREAD_KEY] = None if requested else thread_id
if requested and not conversations.may_open(requested):
    with st.sidebar:
        sidebar.conversations_section(conversations, None, list)
    sidebar.not_found_page(store_down=not conversations.available)
    st.stop()
open_thread(settings.history_key, thread_id, conversations)
registry = resources.tool_registry(settings.tools_dir, settings.mcp_config)

with st.sidebar:
    # A key can be typed where no key or own server is configured (the default model).
    ask_for_key = choose_model(settings).kind != "compatible" and not settings.openai_api_key
    problems = [*configuration_problems(settings), *replay_problems(settings.replay_file)]
    settings = sidebar.model_section(settings, problems, ask_for_key)
    servers = resources.local_servers(settings.local_servers, settings.local_servers_timeout_s)
    found = servers.snapshot(wait_s=FIRST_LOOK_S)
    options = available_models(settings, found)
    saved_model = conversations.model_choice(thread_id)
    current = pick(options, saved_model)
    choice = sidebar.model_picker(
        options,
        current,
        thread_id,
        lambda chosen: conversations.set_model_choice(thread_id, chosen.key),
        saved_is_gone=saved_model not in (None, current.key) and not found.searching,
    )
    sidebar.watch_for_models(found.searching, found.version, servers.snapshot)
    # The bundled model's loading state, drawn once it is started (below).
    model_status_slot = st.empty() if choice.kind == "bundled" else None
    enabled_tools = sidebar.tools_section(
        registry,
        thread_id,
        choice,
        conversations.tool_choice(thread_id),
        lambda chosen: conversations.set_tool_choice(thread_id, chosen),
    )
with st.sidebar:
    # Filled last, so a conversation asked in this run is listed; meanwhile the browser
    # keeps the previous run's list in this box. One asked in a later run of the
    # conversation alone is named above the actions (open_slot) until the next.
    list_box = st.container()
    st.divider()
    open_slot = st.empty()  # filled by the conversation, which changes it
    actions_box = st.container()


@dataclass
class Page:
    """What the whole page's run settled, for the conversation's fragment to use."""

    settings: Settings
    conversations: Conversations
    thread_id: str
    history: DurableChatHistory  # made again when the fragment reopens the thread
    choice: ModelChoice
    enabled_tools: Sequence[str]
    switch: memory.MemorySwitch
    open_slot: DeltaGenerator
    current: ThreadSummary | None  # the open conversation as stored (None: a new chat)
    model_status_slot: DeltaGenerator | None

    @property
    def offered_tools(self) -> tuple[str, ...]:
        return memory.offered_tools(self.enabled_tools, self.switch)


def store_notices(slot: DeltaGenerator) -> None:
    """Whether the store is saving, and what of this conversation it could not read."""
    problem, unreadable = (st.session_state.get(k) for k in (STORE_PROBLEM_KEY, UNREADABLE_KEY))
    if not (problem or unreadable):
        slot.empty()
        return
    with slot.container():
        if problem:
            st.warning(
                "Conversations are not being saved right now: the database is unavailable. "
                "Chatting continues; unsaved messages are written as soon as it is back.",
                icon="💾",
            )
        if unreadable:
            st.warning(
                f"Stored messages of this conversation that could not be read: {unreadable}. "
                "They are left out; the rest is shown and new messages are saved as usual.",
                icon="🩹",
            )


def sidebar_status(page: Page) -> None:
    """The open conversation's title and usage, and the bundled model's loading state
    (which starts it loading), in the sidebar's slots."""
    usage = conversation_usage(page.history.messages, page.settings.prices)
    sidebar.open_conversation(page.open_slot, page.current, page.conversations.available, usage)
    if page.model_status_slot is not None:
        local = resources.bundled_model(page.choice.local_path)
        calls_tools = local.server is None or local.server.calls_tools
        with page.model_status_slot.container():
            sidebar.model_status(local.status, calls_tools)


def reply_actions(page: Page) -> chat.ReplyActions:
    """What the drawn replies offer, bound to this conversation."""
    conversations, thread_id = page.conversations, page.thread_id

    def save_feedback(message_id: str, value: int | None) -> None:
        conversations.set_feedback(thread_id, message_id, value)

    def save_comment(message_id: str, comment: str) -> None:
        conversations.set_feedback(thread_id, message_id, 0, comment)

    feedback = conversations.feedback(thread_id)
    return chat.ReplyActions(
        feedback,
        save_feedback,
        turn.request_retry,
        comments=conversations.feedback_comments(thread_id) if 0 in feedback.values() else {},
        save_comment=save_comment,
        prices=page.settings.prices,
        trace_link=trace_url,
        branches=conversations.branches(thread_id),
        on_switch=lambda chosen: turn.choose_branch(
            page.settings.history_key, thread_id, conversations, chosen
        ),
        thumbnails=attachments.thumbnails(conversations, thread_id),
    )


def catch_up(page: Page) -> None:
    """Run alone, the fragment first does what the whole page's run does first."""
    turn.settle_previous_run()  # a Stop or new message: the cut-off turn is saved first
    flush_unsaved(page.conversations)
    open_thread(page.settings.history_key, page.thread_id, page.conversations)
    # The history holds the list it was made with; a switched branch is a new list.
    page.history = resources.history_for(
        page.settings, page.thread_id, page.choice.label, page.conversations
    )


def sent_in_box(draws_box: bool) -> tuple[str | None, list, Incoming | None]:
    """The chat box (in `st.bottom`) and what was sent in it in this run."""
    if draws_box:
        with st.bottom:
            return chat_box()
    # The box drawn before the imports: its value, in the run it was sent in only.
    return _typed(st.session_state.get(CHAT_INPUT_KEY))


def askable(prompt: str | None, sent_files: bool) -> str | None:
    """The question to ask; None when nothing was sent, or when the message is over the
    limit (said on the page)."""
    if not ((prompt is not None and prompt.strip()) or sent_files):
        return None
    prompt = prompt or ""
    if len(prompt) > MAX_MESSAGE_CHARS:
        st.error(
            f"That message is {len(prompt):,} characters long; the limit is "
            f"{MAX_MESSAGE_CHARS:,}. Shorten it or send it in parts.",
            icon="✂️",
        )
        return None
    return prompt


@st.fragment
def conversation(page: Page, draws_box: bool) -> None:
    """The conversation, its chat box and the turn being answered. A question, a click
    on a turn or an approval reruns this alone (a Streamlit fragment): the sidebar is
    neither run nor sent again. `page` is the last whole run's."""
    asked = st.session_state.pop(ASKING_KEY, None)  # None: nothing was typed since the last run
    if rerunning_alone():
        catch_up(page)
    if asked is not None:
        turn.forget_pending_approval(page.thread_id)  # a new question instead of Approve/Deny
    notices = st.empty()  # the store's warnings, once this run has used it
    sidebar.data_notice(my_data.take_notice())  # what "Delete all my data" just did

    history = page.history
    retry = turn.take_retry_request(history)  # before drawing: Retry drops the turn it replaces
    pending = turn.pending_approval(page.thread_id)
    actions = reply_actions(page)
    latest_buttons = chat.draw_conversation(
        history.messages,
        actions,
        offer_latest=not (asked or retry),
        # A question waiting for approval, or re-asked after one, is drawn below it, not here.
        waiting_id=(pending or {}).get("message_id") or (retry[1] if retry else None),
        thread_id=page.thread_id,
        found_id=sidebar.requested_message_id(),
        leave_found=sidebar.leave_found,
    )
    chat.draw_pending_approval(pending, on_decide=turn.decide)
    empty = not history.messages and not pending and retry is None
    starters = turn.starters_for(page.settings.starters, page.enabled_tools, MAX_STARTERS)
    starters_slot = chat.draw_starters(starters if empty else [], on_pick=turn.ask)
    store_notices(notices)
    typed, typed_files, typed_audio = sent_in_box(draws_box)
    # Only now, with the page drawn, do the bundled model and the agent's libraries start
    # loading in the background (a question asked meanwhile waits for them): on a first
    # visit they would otherwise compete with drawing that page for the CPU.
    sidebar_status(page)
    resources.warm_agent(page.choice, page.settings, page.offered_tools)
    prompt, message_id = retry or (typed, None)
    retry_files = turn.take_retry_files() if retry is not None else {}
    if retry is not None:
        typed_files, typed_audio = [], None  # asked again: its stored files (retry_files)
    prompt = askable(prompt, bool(typed_files) or typed_audio is not None)
    if prompt is None:
        return
    if starters_slot is not None:
        starters_slot.empty()
    if latest_buttons is not None:
        latest_buttons.empty()  # the turn drawn above is no longer the latest
    was_new = not history.messages
    finished = answer(page, actions, prompt, message_id, (typed_files, typed_audio), retry_files)
    if was_new:
        page.current = page.conversations.get(page.thread_id)
    sidebar_status(page)  # the model loaded by now, or failed
    store_notices(notices)
    # Run alone, this turn left the rest of the sidebar as it was: a changed memory is
    # shown in the memory panel by running the whole page once more.
    if rerunning_alone() and any(step.tool in MEMORY_TOOLS for step in finished.steps):
        st.rerun()


def answer(
    page: Page,
    actions: chat.ReplyActions,
    prompt: str,
    message_id: str | None,
    sent: tuple[list, Incoming | None],
    retry_files: dict[str, Any],
) -> Turn:
    """Ask `prompt` with what was `sent` beside it (the chat box's files and recording)
    and draw the turn as it runs; the stored turn."""
    typed_files, recording = sent
    settings, conversations, thread_id = page.settings, page.conversations, page.thread_id
    sidebar.show_in_url(thread_id)
    server_pays = uses_configured_key(page.choice, settings) and not st.session_state.get(
        USER_API_KEY
    )
    address = identity.client_address()
    # The files are kept before any limit is applied: a question refused for now is
    # kept with them, and Retry asks it again with the same files.
    message_id = message_id or new_message_id()
    refusal = limits.refusal(conversations, settings, server_pays, address)
    # A recording is transcribed only for a question that may be asked now (so the
    # limits bound the service's cost too); it is kept with the question either way.
    if recording is not None and refusal is None:
        prompt, refusal = voice.question_text(prompt, recording, settings)
    files = attachments.incoming(typed_files)
    files = [recording, *files] if recording is not None else files
    extra = attachments.attach(conversations, settings, thread_id, message_id, files)
    extra = extra or retry_files
    prompt = prompt if prompt.strip() else attachments.placeholder_text(extra)
    question = HumanMessage(content=prompt, id=message_id, additional_kwargs=extra)
    if refusal is not None:
        turn.refuse(page.history, question, refusal)
    limits.record_message(conversations, address)
    live = chat.draw_live_turn(
        prompt, question, attachments.thumbnails(conversations, thread_id) if extra else {}
    )
    model_question, answer_note = attachments.for_model(
        question, conversations, thread_id, page.choice, settings
    )
    finished = turn.run(
        lambda: resources.agent_for_choice(page.choice, settings, page.offered_tools),
        page.history,
        question,
        live.handlers,
        live.steps.show,
        live.tick,
        secrets=[settings.openai_api_key],
        on_usage=lambda used: limits.record_tokens(conversations, used),
        record_to=settings.record_dir,
        max_seconds=settings.max_execution_time_s,
        model_question=model_question,
        answer_note=answer_note,
        memory=memory.turn_memory(conversations, page.choice, page.switch),
    )
    # A new version of a question (Regenerate, Edit & resend) gets its ‹ n / m › now.
    live.finish(finished, replace(actions, branches=conversations.branches(thread_id)))
    return finished


page = Page(
    settings,
    conversations,
    thread_id,
    resources.history_for(settings, thread_id, choice.label, conversations),
    choice,
    enabled_tools,
    memory.switch_for(conversations, thread_id),  # memory off: no memories, no memory tools
    open_slot,
    conversations.get(thread_id),
    model_status_slot,
)
conversation(page, draws_box=not early_box)
with list_box:
    listed = sidebar.conversation_list(conversations, thread_id)
if listed:
    with actions_box:
        sidebar.open_conversation_actions(
            conversations, thread_id, lambda: page.history.messages, settings.prices
        )
with st.sidebar:
    sidebar.your_data_section(
        lambda: my_data.export_document(conversations, settings),
        lambda: my_data.delete_everything(conversations, settings),
        my_data.CONFIRM_WORD,
    )
    memory_panel.memory_section(conversations, thread_id, page.switch, conversations.memories)
