"""Which models the app can reach, for the sidebar's picker.

The bundled model always; OpenAI's models when a key is set; the configured
OpenAI-compatible server; and OpenAI-compatible servers already running on this
machine at their usual ports, found by `GET /v1/models`. Those probes run on a
background thread with a short timeout and their answer is kept for a while, so a
page never waits for a port that does not answer.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from streamlit_agent.config import DEFAULT_OPENAI_MODEL, Settings
from streamlit_agent.models.providers import ModelChoice, choose_model
from streamlit_agent.safety.redact import redact_url

logger = logging.getLogger(__name__)

# Where local model servers listen unless told otherwise.
USUAL_LOCAL_SERVERS = (
    "http://127.0.0.1:11434/v1",  # Ollama
    "http://127.0.0.1:1234/v1",  # LM Studio
    "http://127.0.0.1:8080/v1",  # llama.cpp server
    "http://127.0.0.1:8000/v1",  # vLLM
)
NO_DISCOVERY = "off"
PROBE_TIMEOUT_S = 1.0  # the default of STREAMLIT_AGENT_LOCAL_SERVERS_TIMEOUT
# How long a page opened before the first probe round ended waits for it: enough for
# a closed port or a running server to answer, too short to notice.
FIRST_LOOK_S = 0.15
FRESH_FOR_S = 60.0
OPENAI_MODELS = ("gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini", "gpt-4o")
# A server listing thousands of ids (or huge ones) is not drawn whole.
MAX_MODELS_PER_SERVER = 20
MAX_MODEL_ID_CHARS = 200


def server_urls(setting: str | None) -> tuple[str, ...]:
    """`STREAMLIT_AGENT_LOCAL_SERVERS`: unset, the usual ports; "off", none; else its
    comma-separated base URLs."""
    if setting is None:
        return USUAL_LOCAL_SERVERS
    if setting.strip().lower() == NO_DISCOVERY:
        return ()
    return tuple(url.strip().rstrip("/") for url in setting.split(",") if url.strip())


def _model_ids(listing: object) -> list[str]:
    entries = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(entries, list):
        return []
    ids = [e.get("id") for e in entries if isinstance(e, dict)]
    valid = [i for i in ids if isinstance(i, str) and 0 < len(i) <= MAX_MODEL_ID_CHARS]
    return valid[:MAX_MODELS_PER_SERVER]


# Discovered servers are on this machine: a proxy from the environment must not see them.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe(base_url: str, timeout_s: float = PROBE_TIMEOUT_S) -> list[str]:
    """The model ids a server lists at `GET {base_url}/models`; [] when nothing answers."""
    try:
        with _opener.open(f"{base_url}/models", timeout=timeout_s) as response:
            return _model_ids(json.loads(response.read(1_000_000)))
    except Exception as exc:  # closed port, timeout, not JSON: simply not listed
        logger.debug("no model server at %s: %s", redact_url(base_url), exc)
        return []


@dataclass(frozen=True)
class Discovery:
    """The servers found so far ({base URL: model ids}). `searching` while the first
    probe round is still out; `version` changes whenever `found` does."""

    found: dict[str, tuple[str, ...]]
    searching: bool = False
    version: int = 0


class LocalServers:
    """Probes `urls` in the background when its last round is older than `fresh_for_s`;
    each server counts as found the moment it answers."""

    def __init__(
        self,
        urls: Sequence[str],
        timeout_s: float = PROBE_TIMEOUT_S,
        fresh_for_s: float = FRESH_FOR_S,
    ) -> None:
        self.urls = tuple(urls)
        self.timeout_s = timeout_s
        self.fresh_for_s = fresh_for_s
        self._lock = threading.Lock()
        self._found: dict[str, tuple[str, ...]] = {}
        self._version = 0
        self._finished_at: float | None = None
        self._round: threading.Event | None = None

    def snapshot(self, wait_s: float = 0.0) -> Discovery:
        """What is known now; starts a round when stale. Before the first round has
        finished, waits up to `wait_s` for it (quick servers answer in milliseconds)."""
        with self._lock:
            stale = self._finished_at is None or (
                time.monotonic() - self._finished_at > self.fresh_for_s
            )
            if stale and self.urls and self._round is None:
                self._round = threading.Event()
                threading.Thread(
                    target=self._probe_all, args=(self._round,), name="model-discovery", daemon=True
                ).start()
            first_round = self._round if self._finished_at is None else None
        if first_round is not None and wait_s > 0:
            first_round.wait(wait_s)
        with self._lock:
            searching = self._finished_at is None and bool(self.urls)
            return Discovery(dict(self._found), searching, self._version)

    def _probe_all(self, done: threading.Event) -> None:
        answered: set[str] = set()
        try:
            with ThreadPoolExecutor(max_workers=len(self.urls)) as pool:
                futures = {pool.submit(probe, url, self.timeout_s): url for url in self.urls}
                for future in as_completed(futures):
                    url, ids = futures[future], tuple(future.result())
                    answered.add(url)
                    self._record(url, ids)
        finally:  # a round ends even if something odd happened in it
            with self._lock:
                for url in set(self._found) - answered:
                    del self._found[url]
                    self._version += 1
                self._finished_at, self._round = time.monotonic(), None
            done.set()

    def _record(self, url: str, ids: tuple[str, ...]) -> None:
        with self._lock:
            if self._found.get(url, ()) == ids:
                return
            if ids:
                self._found[url] = ids
            else:
                self._found.pop(url, None)
            self._version += 1


def _unique(choices: Iterable[ModelChoice]) -> list[ModelChoice]:
    seen: dict[str, ModelChoice] = {}
    for choice in choices:
        seen.setdefault(choice.key, choice)
    return list(seen.values())


def available_models(settings: Settings, discovery: Discovery) -> list[ModelChoice]:
    """Every model the picker offers; the configured default first."""
    choices = [choose_model(settings)]
    # With a base URL the key belongs to that server; it is never sent to OpenAI.
    if settings.openai_api_key and not settings.openai_base_url:
        named = settings.model_name or DEFAULT_OPENAI_MODEL
        choices += [ModelChoice("openai", m) for m in (named, *OPENAI_MODELS)]
    choices.append(ModelChoice("bundled", "smollm2", local_path=settings.local_model_path))
    for base_url, ids in discovery.found.items():
        choices += [ModelChoice("compatible", model_id, base_url) for model_id in ids]
    return _unique(choices)


def pick(options: Sequence[ModelChoice], saved_key: str | None) -> ModelChoice:
    """The conversation's saved choice when it is still reachable, else the default."""
    return next((c for c in options if c.key == saved_key), options[0])
