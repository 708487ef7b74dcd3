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

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import streamlit as st

from streamlit_agent.config import MIN_SECRET_CHARS, Settings
from streamlit_agent.web.page_state import (
    BROWSER_KEY,
    CLAIM_KEY,
    COOKIE_KEY,
    OWNER_KEY,
)

if TYPE_CHECKING:  # the store (SQLAlchemy, LangChain) is imported after the chat box
    from streamlit_agent.store.database import ConversationStore
    from streamlit_agent.store.owned import Conversations

logger = logging.getLogger(__name__)

BROWSER_COOKIE = "streamlit_agent_browser"
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


class DuplicateIdentityHeader(ValueError):
    """The identity header came more than once (or as a list): which one the proxy set
    cannot be told, so the request is refused rather than guessed at."""


def _header_user(header: str, headers: object = None) -> User | None:
    """The proxy's user, or None when the header is absent. A proxy that appends rather
    than replaces leaves the client's own value first; both spellings of that (the
    header twice, or values joined by a comma) raise DuplicateIdentityHeader."""
    headers = st.context.headers if headers is None else headers
    get_all = getattr(headers, "get_all", None)
    values = [_string(v).strip() for v in (get_all(header) if get_all else [])]
    values = [v for v in values if v]
    if len(values) > 1 or any("," in v for v in values):
        raise DuplicateIdentityHeader(header)
    if not values:
        return None
    return User(id=f"header:{values[0]}", name=values[0], mode="header")


def _refuse_duplicate_header(header: str) -> None:
    st.title("🦜 streamlit-agent")
    st.error(
        f"This request carried the sign-in header {header[:80]} more than once, so who "
        "is asking cannot be told. The proxy in front of the app must replace that header, "
        "not add to it; open the app through its sign-in address.",
        icon="🔒",
    )
    st.stop()


# --- anonymous browsers ---------------------------------------------------------
# A token is `payload.signature`: 32 random bytes, and their HMAC-SHA256 under a key
# only this server (every instance of it) knows. A token it did not sign is no one.
_PART_CHARS = 43  # base64url of 32 bytes, unpadded
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_SECRET_NAME = "anonymous-identity"


def _signed_shape(token: str) -> bool:
    """Whether `token` looks like `payload.signature` (plain string checks: it is
    whatever the browser sent)."""
    payload, dot, mac = token.partition(".")
    return (
        bool(dot)
        and len(payload) == len(mac) == _PART_CHARS
        and _B64URL.issuperset(payload)
        and _B64URL.issuperset(mac)
    )


def browser_owner(token: str) -> str:
    """The owner key of the anonymous browser holding `token` (or its payload)."""
    return _hashed("anon", token.partition(".")[0])


def sign(payload: str, secret: str) -> str:
    """The cookie value for `payload`: the payload and its signature."""
    mac = hmac.new(secret.encode(), b"anon-v1:" + payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def signed_by(token: str, secret: str) -> bool:
    """Whether this server's `secret` made `token`."""
    if not _signed_shape(token):
        return False
    return hmac.compare_digest(sign(token.partition(".")[0], secret), token)


def _new_payload() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def _sent_token() -> str:
    return _string(st.context.cookies.get(BROWSER_COOKIE))


def _browser_user() -> User:
    """This session's anonymous owner. The first run takes it from the cookie or makes a
    new one, unconfirmed: the key to check or sign with lives in the store, which is
    opened only after the chat box is drawn (`confirmed` settles it before any read)."""
    owner = st.session_state.get(BROWSER_KEY)
    if not owner:
        token = _sent_token()
        if _signed_shape(token):
            st.session_state[CLAIM_KEY] = ("verify", token)
            owner = browser_owner(token)
        else:
            payload = _new_payload()
            st.session_state[CLAIM_KEY] = ("issue", payload)
            owner = browser_owner(payload)
        st.session_state[BROWSER_KEY] = owner
    return User(id=owner, name="this browser", mode="anonymous")


def _server_key(settings: Settings, store: ConversationStore | None) -> str | None:
    if settings.secret and len(settings.secret.strip()) >= MIN_SECRET_CHARS:
        return settings.secret.strip()
    if store is None:
        return None
    from streamlit_agent.store.database import StoreError  # loaded with the store

    try:
        return store.server_secret(_SECRET_NAME)
    except StoreError as exc:  # the store is down: settle it on a later run
        logger.warning("cannot read the server's signing key: %s", exc)
        return None


def confirmed(conversations: Conversations, settings: Settings) -> Conversations:
    """`conversations` for the owner this session really is. An anonymous session's cookie
    is accepted only if this server signed it; otherwise the browser gets a new identity
    (and a cookie for it). Until the key can be read (store down, no
    STREAMLIT_AGENT_SECRET) the session stays as it is and no cookie is written."""
    claim = st.session_state.get(CLAIM_KEY)
    if claim is not None:
        secret = _server_key(settings, conversations.store)
        if secret is not None:
            _settle(claim, secret)
    if cookie := st.session_state.get(COOKIE_KEY):
        _remember_browser(*cookie)
    owner = st.session_state.get(BROWSER_KEY)
    if claim is None or not owner or owner == conversations.owner:
        return conversations
    _forget_other_owners_state(User(id=owner, name="this browser", mode="anonymous"))
    return conversations.for_owner(owner)


def _settle(claim: tuple[str, str], secret: str) -> None:
    kind, value = claim
    del st.session_state[CLAIM_KEY]
    if kind == "verify" and signed_by(value, secret):
        return
    sent = value if kind == "verify" else ""  # a token this server did not sign
    payload = value if kind == "issue" else _new_payload()
    st.session_state[BROWSER_KEY] = browser_owner(payload)
    st.session_state[COOKIE_KEY] = (sign(payload, secret), sent)


# The cookie is set by a script, as Streamlit cannot set one. On a first visit in two
# tabs at once each is issued a token; the first to write its cookie wins, and the other
# page reloads to take it up (before anyone can type), so the browser is one person.
_COOKIE_SCRIPT = """<script>
(function () {
  var name = %(name)s, mine = %(mine)s, sent = %(sent)s, signed = /^%(part)s\\.%(part)s$/;
  function now() {
    var found = document.cookie.split("; ").filter(function (c) {
      return c.indexOf(name + "=") === 0;
    });
    return found.length ? found[0].slice(name.length + 1) : "";
  }
  function adopt() { window.parent.location.reload(); }
  var there = now();
  if (there === mine) return;
  if (signed.test(there) && there !== sent) return adopt();
  var secure = window.parent.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = name + "=" + mine + "; path=/; max-age=%(age)d; SameSite=Strict" + secure;
  setTimeout(function () {
    var later = now();
    if (later !== mine && signed.test(later)) adopt();
  }, 500);
})();
</script>"""


def _remember_browser(token: str, sent: str) -> None:
    # A same-origin iframe, drawn on every run of the session that issued the token: the
    # script does nothing once the cookie is there, so running again is harmless.
    script = _COOKIE_SCRIPT % {
        "name": json.dumps(BROWSER_COOKIE),
        "mine": json.dumps(token),
        "sent": json.dumps(sent),  # a signed-token shape only: nothing else reaches here
        "part": f"[A-Za-z0-9_-]{{{_PART_CHARS}}}",
        "age": _COOKIE_DAYS * 86400,
    }
    st.iframe(script, height=1)


def current_user(settings: Settings) -> User | None:
    """The person this session acts for, or None while they still have to sign in."""
    if sign_in_configured():
        user = _signed_in_user()
    elif settings.auth_header:
        try:
            user = _header_user(settings.auth_header)
        except DuplicateIdentityHeader:
            _refuse_duplicate_header(settings.auth_header)
            raise  # st.stop() ends the run; never reached
    else:
        user = _browser_user()
    _forget_other_owners_state(user)
    return user


def client_address() -> str | None:
    """The connection's address, None on loopback or outside a browser request. Behind a
    proxy it is the proxy's, so every visitor shares it."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def _forget_other_owners_state(user: User | None) -> None:
    """Session state cached for one owner never serves another (sign-out, then in)."""
    owner = user.id if user else None
    if st.session_state.get(OWNER_KEY, owner) != owner:
        forget_session_state(keep=())
    st.session_state[OWNER_KEY] = owner


def forget_session_state(keep: tuple[str, ...] = (OWNER_KEY,)) -> None:
    """Everything this session holds but who it is (the browser's identity keys, and
    `keep`): open conversation, unsaved messages, drafts, widgets."""
    for key in list(st.session_state.keys()):
        if key not in (BROWSER_KEY, CLAIM_KEY, COOKIE_KEY, *keep):
            del st.session_state[key]
