"""Who is asking, under AppTest and against the store: an anonymous identity is only one
this server issued, anonymous traffic has ceilings a new cookie does not reset, and a
proxy's identity header that came twice is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.runtime.context import StreamlitHeaders
from streamlit.testing.v1 import AppTest

from streamlit_agent.config import Settings
from streamlit_agent.conversation import limits
from streamlit_agent.store.database import ConversationStore
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web import identity
from streamlit_agent.web.identity import BROWSER_COOKIE, BROWSER_KEY, browser_owner
from tests.apptest_support import APP, ask, texts, thread_of
from tests.test_store import make_store, pg_schema, sqlite_file  # noqa: F401 - fixtures

HEADER = "X-Forwarded-Email"


def _store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(f"sqlite:///{tmp_path / 'chat.db'}")


def _sent(monkeypatch: pytest.MonkeyPatch, name: str, value: object) -> None:
    """What the page's request carried (AppTest sends no cookies and no headers)."""
    monkeypatch.setattr(type(st.context), name, property(lambda _self: value))


def _visit(monkeypatch: pytest.MonkeyPatch, cookie: str = "") -> AppTest:
    """A new session of a browser sending `cookie`."""
    _sent(monkeypatch, "cookies", {BROWSER_COOKIE: cookie} if cookie else {})
    return AppTest.from_file(APP, default_timeout=60).run()


def _signed_elsewhere(payload: str) -> str:
    """A token of the signed shape, under a key that is not this server's."""
    mac = hmac.new(b"another server's key", b"anon-v1:" + payload.encode(), hashlib.sha256)
    return f"{payload}.{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')}"


def _errors(at: AppTest) -> list[str]:
    return [e.value for m in at.chat_message for e in m.error]


def test_a_planted_well_formed_token_is_not_an_identity(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Someone who can set this host's cookies (another app on another port) plants a
    # token they chose, hoping to read what the victim writes under it.
    for planted in (
        secrets.token_urlsafe(32),  # the old, unsigned shape
        f"{secrets.token_urlsafe(32)}.{secrets.token_urlsafe(32)}",  # signed-looking
        _signed_elsewhere(secrets.token_urlsafe(32)),
    ):
        victim = ask(_visit(monkeypatch, planted), "My name is Ada")
        assert texts(victim)[-1] == "Nice to meet you, Ada!"
        owner = victim.session_state[BROWSER_KEY]
        assert owner != browser_owner(planted)
        assert _store(tmp_path).list_threads(browser_owner(planted)) == []
        assert [t.id for t in _store(tmp_path).list_threads(owner)] == [thread_of(victim)]


def test_a_token_this_server_signed_is_the_same_person_after_a_restart(
    app_env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = ask(_visit(monkeypatch), "My name is Ada")
    # The browser gets its cookie from the script drawn on the page.
    [frame] = [e for e in first.get("iframe")]
    token = frame.proto.srcdoc.split('mine = "')[1].split('"')[0]
    assert identity.signed_by(token, _store(tmp_path).server_secret("anonymous-identity"))
    owner = first.session_state[BROWSER_KEY]
    assert owner == browser_owner(token)
    again = _visit(monkeypatch, token)
    assert again.session_state[BROWSER_KEY] == owner
    assert not again.get("iframe")  # nothing to set: the browser has its cookie
    assert "My name is Ada" in " ".join(b.label for b in again.sidebar.button)


def test_a_set_secret_signs_instead_and_a_short_one_is_named(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s" * 40
    monkeypatch.setenv("STREAMLIT_AGENT_SECRET", secret)
    token = identity.sign(secrets.token_urlsafe(32), secret)
    at = _visit(monkeypatch, token)
    assert at.session_state[BROWSER_KEY] == browser_owner(token)
    monkeypatch.setenv("STREAMLIT_AGENT_SECRET", "short")
    at = _visit(monkeypatch, token)  # signed with a key this server does not use now
    assert at.session_state[BROWSER_KEY] != browser_owner(token)
    sidebar_errors = " ".join(e.value for e in at.sidebar.error)
    assert "STREAMLIT_AGENT_SECRET must be at least 32 characters" in sidebar_errors


def test_many_cookie_less_sessions_cannot_get_past_the_anonymous_ceiling(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_ANON_MESSAGES_PER_MINUTE", "3")
    answered = [ask(_visit(monkeypatch), "What is 6 * 7?") for _ in range(3)]
    assert [texts(at)[-1] for at in answered] == ["The calculator returned: 42."] * 3
    requests_before = len(app_env.requests)
    late = ask(_visit(monkeypatch), "What is 6 * 7?")
    [refusal] = _errors(late)
    assert "not signed in" in refusal and "3 a minute" in refusal
    assert len(app_env.requests) == requests_before  # the model was not asked
    assert len({at.session_state[BROWSER_KEY] for at in [*answered, late]}) == 4


def test_one_client_address_is_limited_whatever_its_cookies(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_ADDRESS_MESSAGES_PER_MINUTE", "2")
    monkeypatch.setattr(identity, "client_address", lambda: "203.0.113.7")
    for _ in range(2):
        assert _errors(ask(_visit(monkeypatch), "What is 6 * 7?")) == []
    [refusal] = _errors(ask(_visit(monkeypatch), "What is 6 * 7?"))
    assert "from your network address" in refusal and "the limit is 2" in refusal
    monkeypatch.setattr(identity, "client_address", lambda: "198.51.100.9")
    assert _errors(ask(_visit(monkeypatch), "What is 6 * 7?")) == []


def test_the_anonymous_ceiling_is_shared_by_instances_through_the_store(
    make_store: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(anon_messages_per_minute=3, messages_per_minute=0)
    first, second = make_store(), make_store()  # two app instances on one database
    monkeypatch.setattr(limits, "_windows", type(limits._windows)(limits._Window))
    for n in range(3):
        visitor = Conversations(first, f"anon:visitor-{n}")
        assert limits.refusal(visitor, settings, server_pays=False) is None
        limits.record_message(visitor)
    # The other instance's process has counted nothing itself.
    monkeypatch.setattr(limits, "_windows", type(limits._windows)(limits._Window))
    refused = limits.refusal(Conversations(second, "anon:visitor-new"), settings, False)
    assert refused is not None and "3 a minute" in refused
    # Signed-in people are not anonymous visitors.
    assert limits.refusal(Conversations(second, "oidc:idp|alice"), settings, False) is None


def test_the_anonymous_token_budget_is_shared_through_the_store(
    make_store: Any,  # noqa: F811
) -> None:
    settings = Settings(daily_tokens=100)  # anonymous together: ten times that
    store = make_store()
    for n in range(10):
        limits.record_tokens(Conversations(store, f"anon:visitor-{n}"), {"total_tokens": 100})
    refused = limits.refusal(Conversations(store, "anon:visitor-new"), settings, True)
    assert refused is not None and "budget of 1,000 tokens" in refused
    assert limits.refusal(Conversations(store, "anon:visitor-new"), settings, False) is None


def test_instances_starting_at_once_agree_on_one_signing_key(
    make_store: Any,  # noqa: F811
) -> None:
    make_store()  # the schema exists; the key does not yet
    stores = [make_store() for _ in range(4)]
    keys: list[str] = []
    start = threading.Barrier(len(stores))

    def first_start(store: ConversationStore) -> None:
        start.wait()
        keys.append(store.server_secret("anonymous-identity"))

    threads = [threading.Thread(target=first_start, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 4 and len(set(keys)) == 1 and len(keys[0]) >= 32
    assert make_store().server_secret("anonymous-identity") == keys[0]


def test_an_identity_header_sent_twice_or_as_a_list_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sent(monkeypatch, "headers", StreamlitHeaders([(HEADER, "alice@example.org")]))
    user = identity._header_user(HEADER)
    assert user is not None and user.id == "header:alice@example.org"
    # A proxy that appends to the header leaves the client's own value first.
    for sent in (
        [(HEADER, "mallory@example.org"), (HEADER, "alice@example.org")],
        [(HEADER, "mallory@example.org, alice@example.org")],
    ):
        _sent(monkeypatch, "headers", StreamlitHeaders(sent))
        with pytest.raises(ValueError):
            identity._header_user(HEADER)
    _sent(monkeypatch, "headers", StreamlitHeaders([("Other", "x")]))
    assert identity._header_user(HEADER) is None


def test_the_page_says_why_a_repeated_identity_header_is_refused(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_AUTH_HEADER", HEADER)
    sent = [(HEADER, "mallory@example.org"), (HEADER, "alice@example.org")]
    _sent(monkeypatch, "headers", StreamlitHeaders(sent))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "more than once" in " ".join(e.value for e in at.error)
    assert not at.chat_input and not at.sidebar.button


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_only_this_servers_signature_makes_a_cookie_an_identity() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st_

    secret = secrets.token_urlsafe(48)
    part = st_.text(alphabet=_B64URL, min_size=43, max_size=43)
    near = st_.builds(lambda p, m: f"{p}.{m}", part, part)  # the signed shape, any MAC
    cookie = st_.one_of(near, st_.text(max_size=200), part)

    @settings(max_examples=300, deadline=None)
    @given(cookie, part)
    def check(token: str, payload: str) -> None:
        assert not identity.signed_by(token, secret)
        good = identity.sign(payload, secret)
        assert identity.signed_by(good, secret)
        assert not identity.signed_by(good, secret + "x")  # another server's key
        # One changed character of the signature is no longer this server's.
        flipped = good[:-1] + ("A" if good[-1] != "A" else "B")
        assert not identity.signed_by(flipped, secret)

    check()


def test_one_address_over_its_limit_does_not_use_up_everyone_elses_ceiling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = Settings(
        anon_messages_per_minute=5, address_messages_per_minute=2, messages_per_minute=0
    )
    store = _store(tmp_path)
    monkeypatch.setattr(limits, "_windows", type(limits._windows)(limits._Window))
    answered = 0
    for n in range(10):  # one address, a new cookie each time
        flood = Conversations(store, f"anon:flood-{n}")
        if limits.refusal(flood, settings, False, "203.0.113.7") is None:
            answered += 1
    assert answered == 2
    for n, address in enumerate(("198.51.100.1", "198.51.100.2", "198.51.100.3")):
        other = Conversations(store, f"anon:other-{n}")
        assert limits.refusal(other, settings, False, address) is None
    refused = limits.refusal(Conversations(store, "anon:other-x"), settings, False)
    assert refused is not None and "5 a minute" in refused


def test_an_anonymous_message_is_counted_for_all_three_keys_in_one_write(tmp_path: Path) -> None:
    store = _store(tmp_path)
    writes: list[tuple[str, ...]] = []
    original = store.record_usage

    def counting(owner: str, kind: str, amount: int = 1, also_under: Any = ()) -> None:
        writes.append((owner, *also_under))
        original(owner, kind, amount, also_under)

    store.record_usage = counting  # type: ignore[method-assign]
    visitor = Conversations(store, "anon:visitor")
    limits.record_message(visitor, "203.0.113.7")
    assert len(writes) == 1 and len(writes[0]) == 3
    for key in writes[0]:
        assert Conversations(store, key).usage_since(limits.MESSAGES, 0) == 1
