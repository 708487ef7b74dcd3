"""Searching your conversations from the sidebar, in a real browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from streamlit_agent.store.database import ConversationStore
from streamlit_agent.web.ui.chat import SHOWN_TURNS
from tests.e2e_support import (
    APP_ROOT,
    AppProcess,
    as_anonymous_browser,
    chat_messages,
    model_env,
    new_page,
    open_url,
    send_chat,
    sidebar_text,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import ScriptedOpenAI
from tests.test_store import a_turn

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SEARCH_BOX = '[data-testid="stSidebar"] input[aria-label="Search your conversations"]'


class Searching(NamedTuple):
    app: AppProcess
    page: Any
    owner: str  # the page's anonymous user
    store: ConversationStore  # the app's own database, to seed conversations


@pytest.fixture
def searching(
    browser: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> Iterator[Searching]:
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    app = app_factory(model_env(scripted_model, STREAMLIT_AGENT_DB_URL=db_url))
    page = new_page(browser)
    store = ConversationStore(db_url)
    yield Searching(app, page, as_anonymous_browser(page.context, app.url), store)
    store.close()


def _search(page: Any, query: str) -> None:
    box = page.locator(SEARCH_BOX)
    box.fill(query)
    box.press("Enter")
    wait_for_idle(page)


def test_search_finds_a_word_from_an_old_message_and_opens_it(searching: Searching) -> None:
    app, page, owner, store = searching
    # A long conversation whose second turn holds the word, older than the page shows.
    store.save_messages(owner, "zoo", a_turn("Trip planning", 0))
    old = a_turn("Where do quokkas live in the wild?", 1)
    store.save_messages(owner, "zoo", old)
    for n in range(SHOWN_TURNS + 2):
        store.save_messages(owner, "zoo", a_turn(f"Filler question {n}", n))
    store.save_messages(owner, "newer", a_turn("Something else entirely", 7))
    store.save_messages("anon:someone-else", "theirs", a_turn("Their quokka diary", 8))
    store.close()

    open_url(page, app.url)
    _search(page, "QUOKKA")
    hits = page.locator('[data-testid="stSidebar"] button', has_text="🔎")
    assert hits.count() == 1  # the stranger's quokka is not theirs to find
    sidebar = sidebar_text(page)
    assert "Trip planning" in sidebar and "quokkas live" in sidebar
    assert "diary" not in sidebar

    hits.first.click()
    found = page.locator('[class*="st-key-search-found-turn"]')
    found.wait_for()
    wait_for_idle(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"thread": ["zoo"], "message": [old[0].id]}
    assert "Where do quokkas live in the wild?" in found.inner_text()
    assert "Found by your search" in found.inner_text()
    # It opens at the match: its turn alone, earlier and later ones behind buttons, and
    # (last on the page, where a chat page is scrolled to) on screen.
    assert page.get_by_role("button", name="Show 1 earlier turn").count() == 1
    assert page.get_by_role("button", name=f"Show {SHOWN_TURNS + 2} later turns").count() == 1
    bubbles = chat_messages(page)
    assert len(bubbles) == 2 and "Where do quokkas live in the wild?" in bubbles[0]
    expect(found.get_by_text("Where do quokkas live in the wild?")).to_be_in_viewport()

    # A reload (or a shared link) opens at the same message.
    page.reload()
    found.wait_for()
    assert "quokkas live" in found.inner_text()

    # Later turns: back to the newest ones, as the conversation normally opens.
    page.get_by_role("button", name="later turns").click()
    wait_for_idle(page)
    assert parse_qs(urlsplit(page.url).query) == {"thread": ["zoo"]}
    assert found.count() == 0
    assert f"Filler question {SHOWN_TURNS + 1}" in chat_messages(page)[-2]

    # A new question asked from a search result joins the newest turns, too.
    page.goto(f"{app.url}/?thread=zoo&message={old[0].id}")
    found.wait_for()
    wait_for_idle(page)
    send_chat(page, "My name is Ada")
    wait_for_chat_text(page, "Nice to meet you, Ada")
    wait_for_idle(page)
    assert "message" not in parse_qs(urlsplit(page.url).query)
    assert found.count() == 0
    assert "Nice to meet you, Ada" in chat_messages(page)[-1]


def test_search_with_operators_and_quotes_shows_a_message_not_an_error(
    searching: Searching,
) -> None:
    app, page, owner, store = searching
    store.save_messages(owner, "zoo", a_turn("zebra crossing **bold** <b>tag</b>", 1))
    store.close()

    open_url(page, app.url)
    for query in ['"', "NEAR(", "*", "zebra AND (", "' OR 1=1 --"]:
        _search(page, query)
        body = page.locator(APP_ROOT).inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0, query
        assert "Traceback" not in body and "syntax" not in body.lower(), query
    assert "Nothing found" in sidebar_text(page)

    _search(page, 'zebra" *')
    hits = page.locator('[data-testid="stSidebar"] button', has_text="🔎")
    assert hits.count() == 1
    # Stored text is drawn as text: the title's Markdown and HTML show literally.
    assert "**bold** <b>tag</b>" in hits.first.inner_text()
