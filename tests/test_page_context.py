"""yield_to_a_click: a click waiting behind a running turn ends the turn's run; a timer's
rerun does not. (The browser tests of Stop and of a new message on a later turn show it
end to end; these pin the decision to Streamlit's request queue.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

from streamlit_agent.web import page_context


@pytest.fixture
def reruns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []
    monkeypatch.setattr(page_context.st, "rerun", lambda scope="app": asked.append(scope))
    return asked


def _page(monkeypatch: pytest.MonkeyPatch, fragment_run: bool) -> ScriptRequests:
    requests = ScriptRequests()
    ctx = SimpleNamespace(
        script_requests=requests, fragment_ids_this_run=["f1"] if fragment_run else None
    )
    monkeypatch.setattr(page_context, "get_script_run_ctx", lambda suppress_warning=True: ctx)
    return requests


@pytest.mark.parametrize(("fragment_run", "scope"), [(True, "fragment"), (False, "app")])
def test_a_click_waiting_behind_the_run_ends_it(
    monkeypatch: pytest.MonkeyPatch, reruns: list[str], fragment_run: bool, scope: str
) -> None:
    requests = _page(monkeypatch, fragment_run)
    page_context.yield_to_a_click()
    assert reruns == []  # nothing asked: the turn goes on
    requests.request_rerun(RerunData(fragment_id="f1"))  # Stop, or a new message
    page_context.yield_to_a_click()
    assert reruns == [scope]


def test_a_timers_rerun_waits_for_the_turn(
    monkeypatch: pytest.MonkeyPatch, reruns: list[str]
) -> None:
    requests = _page(monkeypatch, fragment_run=True)
    requests.request_rerun(RerunData(fragment_id="watcher", is_auto_rerun=True))
    page_context.yield_to_a_click()
    assert reruns == []


def test_outside_a_page_run_nothing_happens(
    monkeypatch: pytest.MonkeyPatch, reruns: list[str]
) -> None:
    monkeypatch.setattr(page_context, "get_script_run_ctx", lambda suppress_warning=True: None)
    page_context.yield_to_a_click()
    assert reruns == []
