"""`oidc_support` end to end: real `st.login()` in Chromium against the mock OIDC provider.

A throwaway Streamlit page (not the app) proves the pieces fit: the provider, the
`[auth]` secrets handed over with `--secrets.files`, `sign_in` and `finish_sign_out`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import AppProcess, free_port, wait_for_idle
from tests.oidc_support import TestIdentityProvider, auth_secrets_toml, finish_sign_out, sign_in

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: Streamlit's own TOML parser reads the same
    import toml as tomllib

PAGE = """
import streamlit as st

if not st.user.is_logged_in:
    st.button("Log in", on_click=st.login)
else:
    st.text(f"sub={st.user.sub}")
    st.text(f"email={st.user.email}")
    st.text(f"name={st.user.name}")
    st.text(f"iss={st.user.iss}")
    st.text(f"fields={','.join(sorted(st.user.to_dict()))}")
    st.button("Log out", on_click=st.logout)
"""


@pytest.fixture
def login_page(
    tmp_path: Path, identity_provider: TestIdentityProvider, app_factory: Callable[..., Any]
) -> AppProcess:
    """The throwaway page under `streamlit run`, signed in through `identity_provider`."""
    script = tmp_path / "login_page.py"
    script.write_text(PAGE)
    port = free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(auth_secrets_toml(identity_provider, port))
    # cwd is tmp_path, so no .streamlit/ of the repo (or of anyone) is read.
    return app_factory(
        script=script, port=port, cwd=tmp_path, extra_args=["--secrets.files", str(secrets)]
    )


def _shown(page: Any) -> dict[str, str]:
    """The key=value lines the page shows for a signed-in user."""
    texts = page.locator('[data-testid="stText"]').all_inner_texts()
    return dict(text.split("=", 1) for text in texts if "=" in text)


def _log_in(page: Any, app: AppProcess, user: str) -> dict[str, str]:
    page.goto(app.url)
    page.get_by_role("button", name="Log in").click()
    sign_in(page, user)
    page.get_by_text(f"sub={user}").wait_for()
    wait_for_idle(page)
    return _shown(page)


def test_auth_secrets_toml_is_what_streamlit_validates(
    identity_provider: TestIdentityProvider,
) -> None:
    auth = tomllib.loads(auth_secrets_toml(identity_provider, 8599))["auth"]
    assert auth["redirect_uri"] == "http://127.0.0.1:8599/oauth2callback"
    assert len(auth["cookie_secret"]) >= 32
    assert auth["server_metadata_url"] == identity_provider.server_metadata_url
    assert auth["client_id"] and auth["client_secret"]

    named = tomllib.loads(auth_secrets_toml(identity_provider, 8599, provider="testidp"))
    assert set(named["auth"]) == {"redirect_uri", "cookie_secret", "testidp"}
    assert set(named["auth"]["testidp"]) == {"client_id", "client_secret", "server_metadata_url"}


@pytest.mark.e2e
def test_two_users_sign_in_and_one_signs_out(
    login_page: AppProcess, identity_provider: TestIdentityProvider, page: Any, browser: Any
) -> None:
    alice = _log_in(page, login_page, "alice")
    assert alice["email"] == "alice@example.org"
    assert alice["name"] == "Alice"
    assert alice["iss"] == identity_provider.issuer
    assert {"is_logged_in", "sub", "iss", "email", "name"} <= set(alice["fields"].split(","))
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert "_streamlit_user" in cookies

    bob_context = browser.new_context()
    try:
        bob_page = bob_context.new_page()
        bob = _log_in(bob_page, login_page, "bob")
        assert (bob["sub"], bob["email"]) == ("bob", "bob@example.org")

        page.reload()  # alice is still alice: the sign-in lives in her browser's cookie
        page.get_by_text("sub=alice").wait_for()

        page.get_by_role("button", name="Log out").click()
        finish_sign_out(page)
        page.get_by_role("button", name="Log in").wait_for()
        assert "_streamlit_user" not in {c["name"] for c in page.context.cookies()}
        page.reload()
        page.get_by_role("button", name="Log in").wait_for()
        assert page.get_by_text("sub=alice").count() == 0

        bob_page.reload()  # alice signing out leaves bob signed in
        bob_page.get_by_text("sub=bob").wait_for()
    finally:
        bob_context.close()
