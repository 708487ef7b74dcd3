"""LangSmith tracing, only when asked: with its variables set every run is traced and the
answer links to its trace; without them nothing leaves loopback."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e_support import (
    APP_ROOT,
    AppProcess,
    model_env,
    new_page,
    open_url,
    send_chat,
    wait_for_app,
    wait_for_chat_text,
)
from tests.fake_langsmith import PROJECT_ID, TENANT_ID, ConnectionRecorder, FakeLangSmith
from tests.scripted_openai import ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

API_KEY = "lsv2_pt_test_key_never_shown_0123456789"
TRACE_LINK = '[data-testid="stChatMessage"] a:has-text("Trace in LangSmith")'


@pytest.fixture
def fake_langsmith() -> Iterator[FakeLangSmith]:
    fake = FakeLangSmith().start()
    yield fake
    fake.stop()


@pytest.fixture
def outside_world() -> Iterator[ConnectionRecorder]:
    recorder = ConnectionRecorder()
    yield recorder
    recorder.stop()


def _wait_for(check: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_with_langsmith_variables_every_run_is_traced_and_the_answer_links_to_it(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    fake_langsmith: FakeLangSmith,
) -> None:
    from langsmith import Client

    env = model_env(
        scripted_model,
        LANGSMITH_TRACING="true",
        LANGSMITH_API_KEY=API_KEY,
        LANGSMITH_ENDPOINT=fake_langsmith.url,
        LANGSMITH_PROJECT="streamlit-agent-tests",
    )
    app = app_factory(env)
    page = new_page(browser)
    open_url(page, app.url)
    send_chat(page, "What is 37 * 41?")
    wait_for_chat_text(page, "The calculator returned: 1517.")

    link = page.locator(TRACE_LINK)
    link.wait_for()
    href = link.get_attribute("href") or ""
    match = re.search(r"/r/([0-9a-f-]{36})\?", href)
    assert match, href
    run_id = match.group(1)
    # The configured LangSmith's own web host, the project it named, and this run.
    host = Client(api_url=fake_langsmith.url, api_key=API_KEY)._host_url.rstrip("/")
    assert href == f"{host}/o/{TENANT_ID}/projects/p/{PROJECT_ID}/r/{run_id}?poll=true"

    # The run itself (with its tool call) was posted to the configured endpoint.
    def traced() -> bool:
        bodies = b"".join(r.body for r in fake_langsmith.run_posts())
        return run_id.encode() in bodies and b"calculator" in bodies

    assert _wait_for(traced), [r.path for r in fake_langsmith.requests]
    assert all(r.headers.get("x-api-key") == API_KEY for r in fake_langsmith.run_posts())

    # The link is kept with the answer, and the key never reaches the page or the log.
    page.reload()
    wait_for_app(page)
    assert page.locator(TRACE_LINK).get_attribute("href") == href
    assert API_KEY not in page.content()
    assert API_KEY not in app.log_text()


def test_without_tracing_variables_no_request_leaves_loopback(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    outside_world: ConnectionRecorder,
) -> None:
    # A LangSmith key alone is not a request to trace. Every proxy variable points at a
    # local listener, so any client that tried to reach beyond loopback would land there.
    proxies = {
        name: outside_world.url
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
    }
    app = app_factory(model_env(scripted_model, LANGSMITH_API_KEY=API_KEY, **proxies))
    page = new_page(browser)
    open_url(page, app.url)
    send_chat(page, "What is 37 * 41?")
    wait_for_chat_text(page, "The calculator returned: 1517.")
    send_chat(page, "My name is Ada")
    wait_for_chat_text(page, "Nice to meet you, Ada")
    time.sleep(3)  # longer than a tracer's background flush
    assert outside_world.connections == []
    assert page.locator(TRACE_LINK).count() == 0
    assert "LangSmith" not in page.locator(APP_ROOT).inner_text()
