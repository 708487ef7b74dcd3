"""Shared fixtures: the scripted model server and the app under `streamlit run`.

The browser fixtures (`browser`, `page`, …) are pytest-playwright's; only the launch
arguments are overridden, as in Streamlit's own e2e suite.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import (
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    REPO_ROOT,
    VIEWPORT,
    AppProcess,
    chromium_available,
    ensure_loopback_bypasses_proxies,
)
from tests.oidc_support import TestIdentityProvider
from tests.scripted_openai import ScriptedOpenAI

ARTIFACTS = REPO_ROOT / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the app in a real browser (Chromium)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    ensure_loopback_bypasses_proxies()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Fixtures read these at teardown to keep evidence (screenshots, logs) of a failure.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    node = request.node
    return any(
        getattr(getattr(node, f"rep_{when}", None), "failed", False) for when in ("setup", "call")
    )


def _artifact_name(request: pytest.FixtureRequest, suffix: str) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", request.node.nodeid).strip("_")
    return ARTIFACTS / f"{safe}{suffix}"


@pytest.fixture
def scripted_model() -> Iterator[ScriptedOpenAI]:
    """A started `ScriptedOpenAI` on 127.0.0.1, stopped after the test."""
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's browser, launched as Debian's Chromium (the only override)."""
    reason = None
    if not chromium_available():
        reason = f"browser tests need Chromium at {CHROMIUM_PATH} (apt-get install chromium)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run them", pytrace=False)
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture
def app_factory(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., AppProcess]]:
    """`start(env, **kwargs)` runs the app under `streamlit run` and waits until healthy.

    `env` adds to a cleaned environment (no inherited OPENAI_* etc.); kwargs go to
    `AppProcess` (e.g. `script=`). Every app started is stopped at teardown, and a failing
    test gets the logs printed and copied to test-artifacts/.
    """
    apps: list[AppProcess] = []

    def start(env: dict[str, str] | None = None, **kwargs: Any) -> AppProcess:
        kwargs.setdefault("log_dir", tmp_path / f"app-{len(apps)}")
        app = AppProcess(env, **kwargs)
        apps.append(app)
        return app.start()

    yield start

    failed = _failed(request)
    for index, app in enumerate(apps):
        app.stop()
        if failed:
            print(app.log_tail())
            try:
                ARTIFACTS.mkdir(exist_ok=True)
                _artifact_name(request, f".app{index}.log").write_text(app.log_text())
            except OSError:
                pass


MODEL_SETTINGS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "STREAMLIT_AGENT_MODEL")


@pytest.fixture
def nothing_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No model settings (so the bundled model is chosen) and a SQLite store per test."""
    for name in MODEL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STREAMLIT_AGENT_DB_URL", f"sqlite:///{tmp_path / 'chat.db'}")
    return tmp_path


@pytest.fixture
def app_env(
    nothing_configured: Path, monkeypatch: pytest.MonkeyPatch, scripted_model: ScriptedOpenAI
) -> ScriptedOpenAI:
    """The app's model is the scripted server on loopback; its store a SQLite file per test."""
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_model.base_url)
    monkeypatch.setenv("STREAMLIT_AGENT_MODEL", "scripted-model")
    return scripted_model


@pytest.fixture
def identity_provider(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The mock provider; skipped where its packages are missing, except in CI."""
    for module, requirement in [
        ("oidc_provider_mock", "oidc-provider-mock"),
        ("authlib", "streamlit[auth]"),
    ]:
        if importlib.util.find_spec(module) is None:
            reason = f"sign-in tests need {requirement} (requirements-dev.txt)"
            if os.environ.get("CI"):
                pytest.fail(f"{reason}; CI must run them", pytrace=False)
            pytest.skip(reason)
    with TestIdentityProvider(log_dir=tmp_path / "idp") as idp:
        yield idp
        if getattr(getattr(request.node, "rep_call", None), "failed", False):
            print(idp.log_tail())


@pytest.fixture
def shared_postgres_url() -> Iterator[str]:
    """A database URL on the local PostgreSQL, in a schema of its own, for tests that run
    several app processes on one database (several instances)."""
    import uuid

    import sqlalchemy as sa

    from tests.pg_support import PG_URL, pg_admin

    admin = pg_admin()
    schema = f"e2e_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
