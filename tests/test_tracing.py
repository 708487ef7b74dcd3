"""Tracing, only when asked, in-process: the answer carries its run id only when LangSmith
tracing is on, and its link is built only from ids the app checked."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import langsmith
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langsmith.run_helpers import tracing_context
from langsmith.utils import get_env_var

from streamlit_agent.agent import tracing as tracing_module
from streamlit_agent.agent.build import run_turn
from streamlit_agent.agent.errors import describe_error
from streamlit_agent.agent.tracing import trace_url, tracing_secrets
from streamlit_agent.conversation.steps import StepRecorder
from tests.fake_langsmith import PROJECT_ID, TENANT_ID, FakeLangSmith
from tests.test_agent import call, make

TRACING_VARIABLES = [
    f"{ns}_{name}"
    for ns in ("LANGSMITH", "LANGCHAIN")
    for name in ("TRACING", "TRACING_V2", "API_KEY", "ENDPOINT", "PROJECT")
]


@pytest.fixture
def langsmith_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No tracing variables, and no cached reading of them or of the project link."""
    for name in TRACING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tracing_module, "_trace_project", {"base": None, "retry_at": 0.0})
    get_env_var.cache_clear()
    yield monkeypatch
    get_env_var.cache_clear()


@pytest.fixture
def fake_langsmith() -> Iterator[FakeLangSmith]:
    fake = FakeLangSmith().start()
    yield fake
    fake.stop()


def _answer(traced: bool | None) -> AIMessage:
    agent, history, _ = make([call("multiply", {"a": 6, "b": 7}, "c1"), AIMessage("42.")])
    with tracing_context(enabled=traced):
        run_turn(agent, "t1", HumanMessage("6*7?"), StepRecorder())
    answer = history.messages[-1]
    assert isinstance(answer, AIMessage) and answer.content == "42."
    return answer


def test_with_tracing_off_the_answer_has_no_run_id_and_no_client_is_made(
    langsmith_env: pytest.MonkeyPatch,
) -> None:
    def no_client(*args: object, **kwargs: object) -> None:
        raise AssertionError("a LangSmith client was created with tracing off")

    langsmith_env.setenv("LANGSMITH_API_KEY", "a key alone is not a request to trace")
    langsmith_env.setattr(langsmith, "Client", no_client)
    answer = _answer(None)
    assert "trace_id" not in answer.response_metadata
    assert trace_url(str(uuid.uuid4())) is None


def test_with_tracing_on_the_answer_links_to_its_run_on_the_configured_host(
    langsmith_env: pytest.MonkeyPatch, fake_langsmith: FakeLangSmith
) -> None:
    langsmith_env.setenv("LANGSMITH_TRACING", "true")
    langsmith_env.setenv("LANGSMITH_ENDPOINT", fake_langsmith.url)
    langsmith_env.setenv("LANGSMITH_API_KEY", "test-key")
    langsmith_env.setenv("LANGSMITH_PROJECT", "unit-tests")
    get_env_var.cache_clear()

    answer = _answer(True)
    run_id = answer.response_metadata["trace_id"]
    assert str(uuid.UUID(run_id)) == run_id
    host = langsmith.Client(api_url=fake_langsmith.url, api_key="x")._host_url.rstrip("/")
    url = trace_url(run_id)
    assert url == f"{host}/o/{TENANT_ID}/projects/p/{PROJECT_ID}/r/{run_id}?poll=true"
    lookups = [r.path for r in fake_langsmith.requests if r.path.startswith("/sessions")]
    assert any("name=unit-tests" in path for path in lookups), lookups

    # Stored text that is not an id of ours never becomes part of a link.
    for stored in ("../../evil", "https://elsewhere.test/x", f"{run_id}?x=1", ""):
        assert trace_url(stored) is None

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if run_id.encode() in b"".join(r.body for r in fake_langsmith.run_posts()):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the run never reached the configured LangSmith endpoint")


def test_a_link_waits_for_the_project_instead_of_failing_the_page(
    langsmith_env: pytest.MonkeyPatch,
) -> None:
    langsmith_env.setenv("LANGSMITH_TRACING", "true")
    langsmith_env.setenv("LANGSMITH_ENDPOINT", "http://127.0.0.1:9")  # nothing listens
    langsmith_env.setenv("LANGSMITH_API_KEY", "test-key")
    get_env_var.cache_clear()
    started = time.monotonic()
    assert trace_url(str(uuid.uuid4())) is None
    first = time.monotonic() - started
    started = time.monotonic()
    assert trace_url(str(uuid.uuid4())) is None  # not asked again right away
    assert time.monotonic() - started < 0.05, first


def test_langsmith_keys_are_hidden_from_error_messages(langsmith_env: pytest.MonkeyPatch) -> None:
    langsmith_env.setenv("LANGSMITH_API_KEY", "lsv2_pt_first_secret_0123")
    langsmith_env.setenv("LANGCHAIN_API_KEY", "ls__second_secret_4567")
    error = RuntimeError("rejected lsv2_pt_first_secret_0123, then ls__second_secret_4567")
    text = describe_error(error, tracing_secrets())
    assert "first_secret" not in text and "second_secret" not in text
    assert "rejected" in text
