"""Heavy objects, built once per app process behind `st.cache_resource`.

The model server, the store, the tool registry and each agent (per model and
tool set) are shared by all sessions; session-specific state never lives here.
"""

from __future__ import annotations

import logging
import threading
import warnings

import streamlit as st
from langchain_core.runnables.history import RunnableWithMessageHistory

from streamlit_agent.agent.build import SYSTEM_PROMPT, build_agent
from streamlit_agent.config import Settings
from streamlit_agent.mcp_servers.client import discover_all_tools
from streamlit_agent.models.bundled.server import BackgroundStart
from streamlit_agent.models.catalog import LocalServers, server_urls
from streamlit_agent.models.providers import ModelChoice, build_chat_model, history_budget
from streamlit_agent.models.replay import Recording, ReplayChatModel, replay_tools
from streamlit_agent.store.blobs import S3Blobs
from streamlit_agent.store.database import ConversationStore, StoreError
from streamlit_agent.store.owned import Conversations
from streamlit_agent.tools import Registry
from streamlit_agent.web.history import DurableChatHistory, session_conversations

logger = logging.getLogger(__name__)
# The brief fixes RunnableWithMessageHistory as the memory wrapper; its deprecation
# notice would only add noise to every run's log.
warnings.filterwarnings("ignore", message=".*RunnableWithMessageHistory.*")


@st.cache_resource(show_spinner=False)
def _bundled_model(model_path: str | None) -> BackgroundStart:
    return BackgroundStart(model_path)


def bundled_model(model_path: str | None) -> BackgroundStart:
    """The bundled model, loading in the background; one that failed is tried again."""
    start = _bundled_model(model_path)
    if start.status == "failed":
        _bundled_model.clear()  # the next question (or rerun) starts it again
    return start


def warm_agent(
    choice: ModelChoice, settings: Settings, tool_names: tuple[str, ...]
) -> threading.Thread:
    """Build, in the background once the page is drawn, the agent the next question here
    will use: its libraries (~1 s on a fresh start), its model client (a TLS context per
    server, ~0.1 s) and its graph, so neither the page nor the first answer waits for
    them. A question asked meanwhile waits for the same build, never a second one."""
    # The key is part of what is cached on (the agent differs by it); Settings is not hashed.
    return _warm(choice, tool_names, settings.openai_api_key, settings)


@st.cache_resource(show_spinner=False, max_entries=32)
def _warm(
    choice: ModelChoice, tool_names: tuple[str, ...], api_key: str | None, _settings: Settings
) -> threading.Thread:
    def warm() -> None:
        try:
            agent_for_choice(choice, _settings, tool_names)
        except Exception:  # the question builds it again, and says what went wrong
            logger.info("the agent could not be built ahead of the question", exc_info=True)

    thread = threading.Thread(target=warm, name="warm-agent", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def local_servers(setting: str | None, timeout_s: float) -> LocalServers:
    """Model servers on this machine, probed in the background (one prober per process)."""
    return LocalServers(server_urls(setting), timeout_s)


@st.cache_resource(show_spinner=False)
def tool_registry(tools_dir: str | None, mcp_config: str | None = None) -> Registry:
    return discover_all_tools(tools_dir, mcp_config)


@st.cache_resource(show_spinner=False)
def _store(
    url: str, legacy_owner: str | None, bucket: str | None = None, endpoint: str | None = None
) -> ConversationStore:
    store = ConversationStore(url)
    if bucket:  # attached files' bytes in a bucket every instance shares (store/blobs.py)
        store.blobs = S3Blobs(bucket, endpoint_url=endpoint)
    if legacy_owner:
        adopted = store.adopt_legacy(legacy_owner)
        if adopted:
            logger.info("%d conversations from before owners were handed over", adopted)
    return store


def conversations_for(settings: Settings, owner: str) -> Conversations:
    """The owner's conversations; the store is None while it cannot be opened (retried
    on the next rerun)."""
    try:
        store: ConversationStore | None = _store(
            settings.resolved_db_url,
            settings.legacy_owner,
            settings.files_bucket,
            settings.files_bucket_endpoint,
        )
    except StoreError as exc:
        logger.warning("conversation store unavailable: %s", exc)
        store = None
    return session_conversations(store, owner)


def history_for(
    settings: Settings, thread_id: str, label: str, conversations: Conversations
) -> DurableChatHistory:
    return DurableChatHistory(settings.history_key, thread_id, conversations, model_label=label)


@st.cache_resource(show_spinner=False, max_entries=32)
def agent_for(
    kind: str,
    model: str,
    base_url: str | None,
    local_path: str | None,
    api_key: str | None,
    tool_names: tuple[str, ...],
    _settings: Settings,
) -> RunnableWithMessageHistory:
    """One agent per model (provider, name, server or GGUF file) and tool set: sessions
    on the same model share it, their histories stay apart; two models never do."""
    choice = ModelChoice(kind, model, base_url, local_path)  # type: ignore[arg-type]
    settings = _settings.with_api_key(api_key)
    if kind == "replay":  # the recording stands in for the model and the tools alike
        recording = Recording.load(model)
        llm = ReplayChatModel(recording=recording)
        return build_agent(llm, replay_tools(recording), settings)
    local_url = local_key = model_path = None
    if kind == "bundled":
        server = bundled_model(local_path).wait()
        local_url, local_key = server.base_url, server.api_key
        model_path = str(server.model_path)
    llm = build_chat_model(
        choice,
        settings,
        local_base_url=local_url,
        local_api_key=local_key,
        local_model_path=model_path,
    )
    tools = tool_registry(settings.tools_dir, settings.mcp_config).select(tool_names)
    budget = history_budget(choice, settings, tools, model_path, SYSTEM_PROMPT)
    return build_agent(llm, tools, settings, budget=budget)


def agent_for_choice(
    choice: ModelChoice, settings: Settings, tool_names: tuple[str, ...]
) -> RunnableWithMessageHistory:
    return agent_for(
        choice.kind,
        choice.model,
        choice.base_url,
        choice.local_path,
        settings.openai_api_key,
        tool_names,
        settings,
    )
