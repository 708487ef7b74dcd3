"""The page side of attaching (web/attachments.py) with a real store: what is kept, what
is refused and why, a store that is down, a thousand files at once, and what a vision or
a text-only model is sent."""

from __future__ import annotations

import io
import time

from langchain_core.messages import HumanMessage
from PIL import Image

from streamlit_agent.config import Settings
from streamlit_agent.files.attach import ATTACHMENTS_KEY, REFUSED_KEY
from streamlit_agent.files.kinds import Incoming
from streamlit_agent.models.providers import ModelChoice, sees_images
from streamlit_agent.store.owned import Conversations
from streamlit_agent.web import attachments
from tests import test_store
from tests.test_store import OWNER, STRANGER

sqlite_file = test_store.sqlite_file


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, format="PNG")
    return out.getvalue()


def test_kept_and_refused_files_are_recorded_on_the_question(sqlite_file) -> None:
    store = sqlite_file()
    mine = Conversations(store, OWNER)
    thread = store.create_thread(OWNER)
    extra = attachments.attach(
        mine,
        Settings(file_max_bytes=1000),
        thread,
        "q1",
        [
            Incoming("a.png", _png()),
            Incoming("big.txt", b"x" * 2000),
            Incoming("run.exe", b"MZ\x00\x01"),
        ],
    )
    assert [r["name"] for r in extra[ATTACHMENTS_KEY]] == ["a.png"]
    assert [r["name"] for r in extra[REFUSED_KEY]] == ["big.txt", "run.exe"]
    assert "at most 1000 bytes" in extra[REFUSED_KEY][0]["reason"]
    assert list(attachments.thumbnails(mine, thread)) == [extra[ATTACHMENTS_KEY][0]["id"]]
    # Nobody else sees the thumbnails, the bytes or the text.
    stranger = Conversations(store, STRANGER)
    assert attachments.thumbnails(stranger, thread) == {}
    assert stranger.file_data(thread, extra[ATTACHMENTS_KEY][0]["id"]) is None


def test_a_store_that_is_down_keeps_no_file_and_names_each(sqlite_file) -> None:
    problems: list[str] = []
    down = Conversations(None, OWNER, on_problem=problems.append)
    extra = attachments.attach(down, Settings(), "t", "q", [Incoming("a.txt", b"hi")])
    assert extra[ATTACHMENTS_KEY] == []
    assert (
        extra[REFUSED_KEY][0]["name"] == "a.txt" and "not kept" in extra[REFUSED_KEY][0]["reason"]
    )
    assert problems


def test_a_thousand_files_at_once_are_answered_quickly(sqlite_file) -> None:
    store = sqlite_file()
    mine = Conversations(store, OWNER)
    thread = store.create_thread(OWNER)
    files = [Incoming(f"f{i}.txt", b"hello") for i in range(1000)]
    started = time.monotonic()
    extra = attachments.attach(mine, Settings(), thread, "q", files)
    assert time.monotonic() - started < 5
    assert len(extra[ATTACHMENTS_KEY]) == 20 and len(extra[REFUSED_KEY]) == 980
    assert len(mine.files(thread)) == 20


def test_the_model_gets_image_parts_only_when_it_takes_images(sqlite_file) -> None:
    store = sqlite_file()
    mine = Conversations(store, OWNER)
    thread = store.create_thread(OWNER)
    extra = attachments.attach(mine, Settings(), thread, "q1", [Incoming("cat.png", _png())])
    question = HumanMessage("what is it?", id="q1", additional_kwargs=extra)

    vision = ModelChoice("compatible", "llava:7b", "http://127.0.0.1:11434/v1")
    sent, note = attachments.for_model(question, mine, thread, vision, Settings())
    assert sent is not None and sent.id == "q1" and note is None
    assert sent.content[1]["image_url"]["url"].startswith("data:image/png;base64,")

    bundled = ModelChoice("bundled", "smollm2")
    sent, note = attachments.for_model(question, mine, thread, bundled, Settings())
    assert isinstance(sent.content, str) and "cannot see it" in sent.content
    assert note is not None and "cannot see images" in note and "cat.png" in note

    plain = HumanMessage("hi", id="q2")
    assert attachments.for_model(plain, mine, thread, vision, Settings()) == (None, None)


def test_which_models_see_images() -> None:
    listed = Settings(vision_models="my-model, Other")
    assert sees_images(ModelChoice("openai", "gpt-4.1-mini"), Settings())
    assert not sees_images(ModelChoice("openai", "gpt-3.5-turbo"), Settings())
    assert not sees_images(ModelChoice("bundled", "smollm2"), Settings())
    assert not sees_images(ModelChoice("compatible", "my-model", "http://x/v1"), Settings())
    assert sees_images(ModelChoice("compatible", "my-model", "http://x/v1"), listed)
    assert sees_images(ModelChoice("compatible", "other", "http://x/v1"), listed)
    assert sees_images(
        ModelChoice("compatible", "anything", "http://x/v1"), Settings(vision_models="all")
    )
    assert sees_images(ModelChoice("compatible", "qwen2.5vl:7b", "http://x/v1"), Settings())


def test_file_settings_are_checked_like_the_others() -> None:
    from streamlit_agent.config import load_settings

    bad = load_settings(
        env={
            "STREAMLIT_AGENT_FILES_BUCKET": "https://bucket.example.org",
            "STREAMLIT_AGENT_FILE_MAX_BYTES": "0",
            "STREAMLIT_AGENT_FILES_PER_MESSAGE": "5000",
        }
    )
    assert bad.files_bucket is None  # the database keeps the files instead
    assert bad.file_max_bytes == Settings().file_max_bytes
    assert bad.files_per_message == 20
    named = " ".join(bad.problems)
    for variable in (
        "STREAMLIT_AGENT_FILES_BUCKET",
        "STREAMLIT_AGENT_FILE_MAX_BYTES",
        "STREAMLIT_AGENT_FILES_PER_MESSAGE",
    ):
        assert variable in named
    good = load_settings(env={"STREAMLIT_AGENT_FILES_BUCKET": "s3://team-files/chat"})
    assert good.files_bucket == "s3://team-files/chat" and not good.problems


def test_an_attached_pdf_is_indexed_for_the_document_tools(sqlite_file) -> None:
    from tests.document_support import make_pdf

    store = sqlite_file()
    mine = Conversations(store, OWNER)
    thread = store.create_thread(OWNER)
    pdf = make_pdf(["Opening remarks.", "The harvest in 2025 was 4,300 tonnes of apples."])
    extra = attachments.attach(mine, Settings(), thread, "q1", [Incoming("report.pdf", pdf)])
    [ref] = extra[ATTACHMENTS_KEY]
    hits = mine.search_passages(thread, "harvest tonnes")
    assert hits and hits[0].file_id == ref["id"] and hits[0].label == "page 2"
    assert "4,300 tonnes" in hits[0].text
    # The stored text keeps its pages, for exports; nobody else finds the passages.
    [info] = mine.files(thread)
    assert "[page 2]" in (info.text or "")
    assert Conversations(store, STRANGER).search_passages(thread, "harvest") in ([], None)
    # Deleting the conversation takes the passages with it.
    mine.delete(thread)
    assert not mine.search_passages(thread, "harvest")


def test_a_file_that_cannot_be_read_is_refused_by_name(sqlite_file) -> None:
    from tests.document_support import encrypted_pdf

    store = sqlite_file()
    mine = Conversations(store, OWNER)
    thread = store.create_thread(OWNER)
    extra = attachments.attach(
        mine, Settings(), thread, "q1", [Incoming("locked.pdf", encrypted_pdf(["secret"]))]
    )
    assert extra[ATTACHMENTS_KEY] == []
    [refused] = extra[REFUSED_KEY]
    assert refused["name"] == "locked.pdf" and "password" in refused["reason"].lower()
