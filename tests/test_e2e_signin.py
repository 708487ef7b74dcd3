"""The app behind real OIDC sign-in (st.login) against a provider on loopback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import (
    SECRET_QUESTION,
    AppProcess,
    assert_not_theirs,
    chat_messages,
    free_port,
    model_env,
    new_page,
    open_refused,
    owner_chats,
    sidebar_text,
    wait_for_app,
)
from tests.oidc_support import TestIdentityProvider, auth_secrets_toml, finish_sign_out, sign_in
from tests.scripted_openai import ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def signed_in_app(
    tmp_path: Path,
    identity_provider: TestIdentityProvider,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
) -> AppProcess:
    port = free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(auth_secrets_toml(identity_provider, port))
    env = model_env(scripted_model, STREAMLIT_AGENT_DB_URL=f"sqlite:///{tmp_path / 'c.db'}")
    return app_factory(env, port=port, extra_args=["--secrets.files", str(secrets)])


def log_in(page: Any, app: AppProcess, user: str) -> None:
    body = open_refused(page, app.url)
    assert "Sign in to see your conversations" in body
    assert page.locator('[data-testid="stChatInput"]').count() == 0
    page.get_by_role("button", name="Sign in").click()
    sign_in(page, user)
    wait_for_app(page)
    assert f"Signed in as {user.title()}" in sidebar_text(page)


def test_signed_in_users_see_only_their_own_and_sign_out_ends_access(
    signed_in_app: AppProcess, browser: Any
) -> None:
    alice, bob = new_page(browser), new_page(browser)
    log_in(alice, signed_in_app, "alice")
    url = owner_chats(alice)

    log_in(bob, signed_in_app, "bob")
    assert "bank PIN" not in sidebar_text(bob)
    assert_not_theirs(bob, url)

    alice.goto(url)
    wait_for_app(alice)
    assert SECRET_QUESTION in chat_messages(alice)[0]
    alice.get_by_role("button", name="Sign out").click()
    finish_sign_out(alice)
    body = open_refused(alice, url)
    assert "Sign in to see your conversations" in body and "4321" not in body
    assert alice.locator('[data-testid="stChatInput"]').count() == 0
