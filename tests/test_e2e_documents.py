"""A conversation's documents in a real browser: the document tool's step and the answer
quote the page, and hostile text from the document loads and runs nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streamlit_agent.store.database import ConversationStore
from tests.e2e_support import (
    AppProcess,
    as_anonymous_browser,
    chat_messages,
    model_env,
    new_page,
    open_url,
    send_chat,
    wait_for_chat_text,
)
from tests.scripted_openai import ScriptedOpenAI
from tests.test_store import a_turn

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOSTILE = (
    "The budget is 81,500 euros. <img src=http://evil.example/pixel.png> "
    "<script>alert('doc')</script> ![x](http://evil.example/leak.png)"
)


def test_the_answer_quotes_the_page_and_the_document_loads_nothing(
    browser: Any, app_factory: Callable[..., AppProcess], scripted_model: ScriptedOpenAI, tmp_path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    app = app_factory(model_env(scripted_model, STREAMLIT_AGENT_DB_URL=db_url))
    page = new_page(browser)
    owner = as_anonymous_browser(page.context, app.url)
    store = ConversationStore(db_url)
    store.save_messages(owner, "docs", a_turn("I attached our report", 0))
    store.add_passages(
        owner, "docs", "f1", "report.pdf", [("page 1", "Cover."), ("page 2", HOSTILE)]
    )
    store.close()
    requested: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    open_url(page, f"{app.url}/?thread=docs")
    send_chat(page, "What is the budget in the attached report?")
    wait_for_chat_text(page, "report.pdf, page 2")
    answer = chat_messages(page)[-1]
    assert "81,500 euros" in answer and "search_documents" in answer
    assert "evil.example" in answer  # shown as text
    assert not [url for url in requested if "evil.example" in url]
    assert dialogs == []
    assert page.locator('[data-testid="stChatMessage"] img[src*="evil"]').count() == 0
