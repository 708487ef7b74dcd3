from __future__ import annotations

import time
from typing import Any

import pytest
from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

from streamlit_agent.tools import web_search as module
from streamlit_agent.tools.web_search import (
    BACKEND_ENV_VAR,
    MAX_SNIPPET_CHARS,
    UNTRUSTED_NOTE,
    ddgs_backend,
    get_backend,
    search_web,
    web_search,
)

RESULTS = [
    {"title": "Streamlit docs", "href": "https://docs.streamlit.io", "body": "Build data apps."},
    {"title": "  LangChain\n tools ", "href": "https://python.langchain.com", "body": ""},
]


@pytest.fixture(autouse=True)
def _no_env_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BACKEND_ENV_VAR, raising=False)


@pytest.fixture
def fake_search_module(monkeypatch: pytest.MonkeyPatch) -> Any:
    from tests import fake_search

    fake_search.calls.clear()
    return fake_search


def test_formats_numbered_results(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, int]] = []

    def fake(query: str, max_results: int) -> list[dict[str, Any]]:
        seen.append((query, max_results))
        return RESULTS

    monkeypatch.setattr(module, "default_backend", fake)
    output = web_search.invoke({"query": "  streamlit   agents "})
    assert seen == [("streamlit agents", 5)]
    assert output == (
        f"{UNTRUSTED_NOTE}\n"
        "1. Streamlit docs — https://docs.streamlit.io\n"
        "   Build data apps.\n"
        "2. LangChain tools — https://python.langchain.com"
    )


def test_caps_results_and_snippets() -> None:
    many = [
        {"title": f"T{n}", "href": f"https://e.test/{n}", "body": "word " * 200} for n in range(9)
    ]
    output = search_web("q", backend=lambda query, max_results: many)
    note, *lines = output.splitlines()
    assert note == UNTRUSTED_NOTE
    assert [line.split(".")[0] for line in lines[::2]] == ["1", "2", "3", "4", "5"]
    snippet = lines[1].strip()
    assert len(snippet) <= MAX_SNIPPET_CHARS and snippet.endswith("…")


def test_no_results() -> None:
    assert search_web("zzqx", backend=lambda query, max_results: []) == (
        "No web results found for 'zzqx'."
    )


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query(query: str) -> None:
    calls: list[str] = []
    output = search_web(query, backend=lambda q, n: calls.append(q) or [])
    assert output.startswith("The search query is empty")
    assert calls == []


def test_too_long_query() -> None:
    assert search_web("word " * 200, backend=lambda q, n: []).startswith(
        "The search query is too long"
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RatelimitException("https://html.duckduckgo.com/html 202 Ratelimit"), "rate-limiting"),
        (TimeoutException("https://html.duckduckgo.com/html timed out"), "did not answer in time"),
        (DDGSException("DNSError: error resolving DNS"), "could not be reached"),
        (ConnectionError("connection refused"), "could not be reached"),
        (RuntimeError("boom\nTraceback (most recent call last):"), "RuntimeError: boom"),
    ],
)
def test_failures_become_one_sentence(error: Exception, reason: str) -> None:
    def failing(query: str, max_results: int) -> list[dict[str, Any]]:
        raise error

    output = search_web("python", backend=failing)
    assert output.startswith("Web search is unavailable: ")
    assert reason in output
    assert "\n" not in output and "Traceback" not in output


def test_malformed_backend_output_is_contained() -> None:
    output = search_web("python", backend=lambda q, n: 42)  # type: ignore[arg-type,return-value]
    assert output.startswith("Web search is unavailable: TypeError")


def test_env_var_names_the_backend(
    monkeypatch: pytest.MonkeyPatch, fake_search_module: Any
) -> None:
    monkeypatch.setenv(BACKEND_ENV_VAR, "tests.fake_search:backend")
    assert get_backend() is fake_search_module.backend
    output = web_search.invoke({"query": "agents"})
    assert fake_search_module.calls == [("agents", 5)]
    assert output.startswith(
        UNTRUSTED_NOTE + "\n1. Result 1 for agents — https://example.test/1\n   x\n2. "
    )
    assert output.count("\n") == 10  # the note, then five results of two lines


def test_env_var_failing_backend(monkeypatch: pytest.MonkeyPatch, fake_search_module: Any) -> None:
    monkeypatch.setenv(BACKEND_ENV_VAR, "tests.fake_search:failing_backend")
    assert web_search.invoke({"query": "agents"}) == (
        "Web search is unavailable: the search service could not be reached (network error)."
    )


@pytest.mark.parametrize(
    "spec", ["no_such_module_xyz:backend", "fake_search", "tests.fake_search:nope"]
)
def test_bad_env_var_is_reported(
    monkeypatch: pytest.MonkeyPatch, fake_search_module: Any, spec: str
) -> None:
    monkeypatch.setenv(BACKEND_ENV_VAR, spec)
    output = web_search.invoke({"query": "agents"})
    assert output.startswith(f"Web search is unavailable: the search backend '{spec}' could not")


def test_default_backend_is_ddgs() -> None:
    assert get_backend() is ddgs_backend


def test_real_ddgs_path_fails_cleanly_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real ddgs code runs up to the network. This machine has none, so ddgs fails
    # (a DNS error, at once here) and the tool must answer with one sentence. The small
    # timeout bounds the wait where DNS or a connection would hang instead.
    monkeypatch.setattr(module, "DDGS_TIMEOUT_S", 3)
    monkeypatch.setattr(module, "default_backend", ddgs_backend)
    start = time.perf_counter()
    output = web_search.invoke({"query": "streamlit langchain agent"})
    assert time.perf_counter() - start < 30
    # With internet access the same call may succeed; both shapes are fine.
    assert output.startswith(
        ("Web search is unavailable: ", UNTRUSTED_NOTE, "No web results found")
    )
    if output.startswith("Web search is unavailable: "):
        assert "\n" not in output and "Traceback" not in output
