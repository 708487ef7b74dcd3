"""Files attached through the chat box in a real browser: shown on the question (name,
type, size, a thumbnail the app made), sent to a model that takes images as image parts,
refused with a reason when bad, and still there after a reload and a restart."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests import test_store_files
from tests.e2e_support import (
    APP_ROOT,
    CHAT_INPUT,
    CHAT_MESSAGE,
    AppProcess,
    model_env,
    new_page,
    open_url,
    send_chat,
    wait_for_chat_text,
    wait_for_idle,
)
from tests.scripted_openai import ScriptedOpenAI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# A fresh bucket on moto's S3 server (the store tests' fixtures, found under these names).
s3_server = test_store_files.s3_server
bucket = test_store_files.bucket

FILE_INPUT = '[data-testid="stChatInput"] input[type="file"]'


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _bomb() -> bytes:
    """64 Mpx in a few KB: refused by its header, never decoded."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def attach_and_send(page: Any, text: str, files: list[dict[str, Any]]) -> None:
    page.locator(FILE_INPUT).first.set_input_files(files)
    chips = page.locator('[data-testid="stFileChipName"]')
    for name in [f["name"] for f in files]:
        chips.filter(has_text=name).first.wait_for(timeout=30_000)
    # Each chip spins while its file uploads; the send button is enabled only after.
    page.locator('[data-testid="stFileChipIconSpinner"]').first.wait_for(
        state="detached", timeout=60_000
    )
    page.locator(CHAT_INPUT).first.fill(text)
    send = page.locator('[data-testid="stChatInputSubmitButton"]')
    expect(send).to_be_enabled(timeout=30_000)
    send.click()
    page.locator(CHAT_MESSAGE).first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    wait_for_idle(page)


def wait_for_thumbnail(page: Any) -> None:
    """The question's thumbnail (the app's PNG) is drawn, and it is the only image there."""
    images = question_bubble(page).locator("img")
    images.first.wait_for(timeout=30_000)
    assert images.count() == 1
    assert question_bubble(page).locator("[data-testid='stImage']").count() == 1


def question_bubble(page: Any) -> Any:
    return page.locator(CHAT_MESSAGE).first


def image_parts(requests: list[dict[str, Any]]) -> list[str]:
    urls = []
    for body in requests:
        for message in body.get("messages", []):
            content = message.get("content")
            if isinstance(content, list):
                urls += [p["image_url"]["url"] for p in content if p.get("type") == "image_url"]
    return urls


def test_files_attach_show_reach_the_model_and_survive_reload_and_restart(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    tmp_path: Path,
) -> None:
    db = tmp_path / "files.db"
    env = model_env(
        scripted_model,
        STREAMLIT_AGENT_DB_URL=f"sqlite:///{db}",
        STREAMLIT_AGENT_VISION_MODELS="scripted-model",
    )
    app = app_factory(env)
    page = new_page(browser)
    open_url(page, app.url)
    # Files can be attached; no microphone is offered (no transcription is configured).
    assert page.locator('[data-testid="stChatInputFileUploadButton"]').count() == 1
    assert page.locator('[data-testid="stChatInputMicButton"]').count() == 0
    png = _png()
    attach_and_send(
        page,
        "What is in this picture?",
        [
            {"name": "cat.png", "mimeType": "image/png", "buffer": png},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"remember the milk"},
            {"name": "tool.png", "mimeType": "image/png", "buffer": b"MZ\x90\x00binary"},
            {"name": "bomb.png", "mimeType": "image/png", "buffer": _bomb()},
            {"name": "empty.txt", "mimeType": "text/plain", "buffer": b""},
            {"name": "pic.svg", "mimeType": "image/svg+xml", "buffer": SVG},
        ],
    )
    bubble = question_bubble(page)
    text = bubble.inner_text()
    assert "cat.png · PNG" in text and "notes.txt · TEXT" in text
    assert "Not attached: tool.png" in text and "not supported" in text
    assert "Not attached: bomb.png: the image is 8,000 x 8,000 pixels" in text
    assert "Not attached: empty.txt: the file is empty" in text
    assert "pic.svg · TEXT" in text  # kept as text, never drawn (one image: the thumbnail)
    wait_for_thumbnail(page)  # drawn from the app's PNG

    sent = image_parts(scripted_model.requests)
    assert sent and sent[0] == "data:image/png;base64," + base64.b64encode(png).decode()
    last_user = [m for m in scripted_model.requests[-1]["messages"] if m.get("role") == "user"][-1]
    words = str(last_user["content"])
    assert "remember the milk" in words and "tool.png" in words

    # Regenerate asks the same question again, with the same files.
    scripted_model.reset()
    page.get_by_role("button", name="🔄 Regenerate").click()
    page.wait_for_timeout(500)
    wait_for_idle(page)
    wait_for_chat_text(page, "cat.png · PNG")
    assert image_parts(scripted_model.requests)[0] == sent[0]
    assert "remember the milk" in str(scripted_model.requests[-1]["messages"])

    url = page.url
    assert "thread=" in url
    page.reload()
    wait_for_chat_text(page, "cat.png · PNG")
    wait_for_thumbnail(page)

    # Another person (another browser) opening the same address sees nothing of it.
    stranger = new_page(browser)
    stranger.goto(url)
    stranger.get_by_text("Conversation not found").first.wait_for(timeout=30_000)
    wait_for_idle(stranger)
    assert "cat.png" not in stranger.locator(APP_ROOT).inner_text()
    assert stranger.locator(f"{APP_ROOT} [data-testid='stImage']").count() == 0

    app.stop()
    again = app_factory(env)
    open_url(page, url.replace(app.url, again.url))
    wait_for_chat_text(page, "notes.txt · TEXT")
    assert "Not attached: tool.png" in question_bubble(page).inner_text()
    wait_for_thumbnail(page)


def test_a_text_only_model_says_it_cannot_see_the_image_and_keeps_it(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
) -> None:
    app = app_factory(model_env(scripted_model))  # scripted-model is not a vision model
    page = new_page(browser)
    open_url(page, app.url)
    attach_and_send(
        page, "Describe it", [{"name": "dog.png", "mimeType": "image/png", "buffer": _png()}]
    )
    wait_for_chat_text(page, "cannot see images")
    answer = page.locator(CHAT_MESSAGE).nth(1).inner_text()
    assert "dog.png" in answer and "Model for this conversation" in answer
    assert image_parts(scripted_model.requests) == []
    assert "dog.png · PNG" in question_bubble(page).inner_text()


def test_two_instances_share_files_kept_in_a_bucket(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
    bucket: Any,
    tmp_path: Path,
) -> None:
    import sqlite3

    _, client, name = bucket
    db = tmp_path / "shared.db"
    env = model_env(
        scripted_model,
        STREAMLIT_AGENT_DB_URL=f"sqlite:///{db}",
        STREAMLIT_AGENT_FILES_BUCKET=f"s3://{name}/team",
        STREAMLIT_AGENT_FILES_BUCKET_ENDPOINT=client.meta.endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    first, second = app_factory(env), app_factory(env)
    page = new_page(browser)
    open_url(page, first.url)
    attach_and_send(
        page, "Keep this", [{"name": "plan.md", "mimeType": "text/markdown", "buffer": b"# Plan"}]
    )
    assert "plan.md · MARKDOWN" in question_bubble(page).inner_text()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith("team/")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT location, data FROM attachments").fetchall() == [("s3", None)]
    open_url(page, page.url.replace(first.url, second.url))
    wait_for_chat_text(page, "plan.md · MARKDOWN")


def test_a_thousand_files_at_once_get_one_message_and_others_keep_being_answered(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
) -> None:
    app = app_factory(model_env(scripted_model))
    heavy, other = new_page(browser), new_page(browser)
    open_url(heavy, app.url)
    open_url(other, app.url)
    files = [
        {"name": f"n{i:04}.txt", "mimeType": "text/plain", "buffer": b"note %d" % i}
        for i in range(1000)
    ]
    heavy.locator(FILE_INPUT).first.set_input_files(files)
    # Meanwhile someone else asks and is answered.
    send_chat(other, "What is 6 * 7?")
    wait_for_chat_text(other, "42")
    heavy.locator('[data-testid="stFileChipIconSpinner"]').first.wait_for(
        state="detached", timeout=240_000
    )
    heavy.locator(CHAT_INPUT).first.fill("Here are my notes")
    send = heavy.locator('[data-testid="stChatInputSubmitButton"]')
    expect(send).to_be_enabled(timeout=60_000)
    send.click()
    wait_for_chat_text(heavy, "and 975 more: at most 20 files go with one message", 120_000)
    text = question_bubble(heavy).inner_text()
    assert "n0000.txt · TEXT" in text and "n0019.txt · TEXT" in text
    assert "n0020.txt, n0021.txt" in text and "n0020.txt · TEXT" not in text
    # The question itself was kept and answered.
    assert "Here are my notes" in text
    assert heavy.locator(CHAT_MESSAGE).count() == 2


def test_a_question_refused_by_a_limit_keeps_its_files(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
) -> None:
    app = app_factory(model_env(scripted_model, STREAMLIT_AGENT_MESSAGES_PER_MINUTE="1"))
    page = new_page(browser)
    open_url(page, app.url)
    send_chat(page, "What is 6 * 7?")
    wait_for_chat_text(page, "42")
    asked = len(scripted_model.requests)
    attach_and_send(
        page,
        "And this one?",
        [{"name": "later.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2"}],
    )
    wait_for_chat_text(page, "later.csv · CSV")
    assert len(scripted_model.requests) == asked  # refused before any model call
    page.reload()
    wait_for_chat_text(page, "later.csv · CSV")  # kept with the question, for Retry


def test_an_attached_pdf_is_read_and_the_document_tool_finds_its_page(
    browser: Any,
    app_factory: Callable[..., AppProcess],
    scripted_model: ScriptedOpenAI,
) -> None:
    from tests.document_support import make_pdf
    from tests.scripted_openai import Reply

    pdf = make_pdf(["Opening remarks.", "The harvest in 2025 was 4,300 tonnes of apples."])
    scripted_model.enqueue(
        Reply.tool("search_documents", {"query": "harvest tonnes"}),
        Reply.text("The report gives 4,300 tonnes (report.pdf, page 2)."),
    )
    app = app_factory(model_env(scripted_model))
    page = new_page(browser)
    open_url(page, app.url)
    attach_and_send(
        page,
        "How big was the harvest?",
        [{"name": "report.pdf", "mimeType": "application/pdf", "buffer": pdf}],
    )
    wait_for_chat_text(page, "The report gives 4,300 tonnes")
    assert "report.pdf · PDF" in question_bubble(page).inner_text()
    first, second = scripted_model.requests[-2:]
    # The question went with the document's text, marked as the file's data ...
    asked = " ".join(str(m.get("content")) for m in first["messages"] if m["role"] == "user")
    assert "Attached file 'report.pdf'" in asked and "not instructions" in asked
    # ... and the tool found the passage in the conversation's index, naming its page.
    found = [str(m.get("content")) for m in second["messages"] if m["role"] == "tool"]
    assert found and "report.pdf" in found[-1] and "page 2" in found[-1]
    assert "4,300 tonnes" in found[-1]
