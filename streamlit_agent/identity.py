"""Who is asking: the owner of every conversation this session reads or writes.

Three ways, the first that is configured wins:

1. **Sign-in (OIDC)**: an `[auth]` section in `.streamlit/secrets.toml` turns on
   Streamlit's own `st.login`; the owner is the identity provider's issuer and subject.
2. **Trusted header**: `STREAMLIT_AGENT_AUTH_HEADER` names a header that an
   authenticating proxy (oauth2-proxy and the like) sets; honoured only when set.
3. **Anonymous**: each browser is its own user, remembered by a random token in a
   cookie, so it finds its conversations after reloads and restarts; another browser
   opening its link finds nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from streamlit_agent.config import Settings

BROWSER_COOKIE = "streamlit_agent_browser"
OWNER_KEY = "owner"  # the owner this session's cached conversation state belongs to
BROWSER_KEY = "browser_owner"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
_COOKIE_DAYS = 400  # browsers cap cookie lifetimes at about this


@dataclass(frozen=True)
class User:
    id: str  # the store's owner key
    name: str  # what the sidebar shows
    mode: Literal["oidc", "header", "anonymous"]


def sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def _hashed(kind: str, value: str) -> str:
    # The store keeps a digest, so a leaked database holds no bearer tokens.
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _signed_in_user() -> User | None:
    if not st.user.is_logged_in:
        return None
    issuer = str(st.user.get("iss") or "")
    subject = str(st.user.get("sub") or "")
    if not subject:
        return None
    name = str(st.user.get("name") or st.user.get("email") or subject)
    return User(id=f"oidc:{issuer}|{subject}", name=name, mode="oidc")


def _string(value: object) -> str:
    # Outside a browser request (AppTest, bare runs) these mappings are stand-ins.
    return value if isinstance(value, str) else ""


def _header_user(header: str) -> User | None:
    value = _string(st.context.headers.get(header)).strip()
    if not value:
        return None
    return User(id=f"header:{value}", name=value, mode="header")


def browser_owner(token: str) -> str:
    """The owner key of the anonymous browser holding `token` in its cookie."""
    return _hashed("anon", token)


def _browser_user() -> User:
    token = _string(st.context.cookies.get(BROWSER_COOKIE))
    if _TOKEN.match(token):
        owner = browser_owner(token)
    else:
        owner = st.session_state.get(BROWSER_KEY) or ""
        if not owner:
            token = secrets.token_urlsafe(32)
            owner = browser_owner(token)
            _remember_browser(token)
    st.session_state[BROWSER_KEY] = owner
    return User(id=owner, name="this browser", mode="anonymous")


def _remember_browser(token: str) -> None:
    # Streamlit has no API to set a cookie; these few lines in a same-origin iframe
    # set it for the app's path, so the next page load sends it to the server.
    script = (
        "<script>document.cookie = "
        + json.dumps(
            f"{BROWSER_COOKIE}={token}; path=/; max-age={_COOKIE_DAYS * 86400}; SameSite=Strict"
        )
        + ";</script>"
    )
    st.iframe(script, height=1)


def current_user(settings: Settings) -> User | None:
    """The person this session acts for, or None while they still have to sign in."""
    if sign_in_configured():
        user = _signed_in_user()
    elif settings.auth_header:
        user = _header_user(settings.auth_header)
    else:
        user = _browser_user()
    _forget_other_owners_state(user)
    return user


def _forget_other_owners_state(user: User | None) -> None:
    """Session state cached for one owner never serves another (sign-out, then in)."""
    owner = user.id if user else None
    if st.session_state.get(OWNER_KEY, owner) != owner:
        for key in list(st.session_state.keys()):
            if key != BROWSER_KEY:
                del st.session_state[key]
    st.session_state[OWNER_KEY] = owner
