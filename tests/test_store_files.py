"""Attached files in the store: kept with their conversation on SQLite and PostgreSQL, in
the database or in a real S3-compatible server (moto in server mode, on loopback), never
given to another owner, deleted with their conversation and by "Delete all my data"."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from streamlit_agent.store.blobs import S3Blobs
from streamlit_agent.store.database import StoreError, ThreadNotFound
from streamlit_agent.store.files import NewFile
from streamlit_agent.store.owned import Conversations
from streamlit_agent.store.schema import attachments
from tests import test_store
from tests.test_store import OWNER, STRANGER, a_turn

make_store = test_store.make_store
pg_schema = test_store.pg_schema
sqlite_file = test_store.sqlite_file

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3-compatible server on a free loopback port; yields its endpoint URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("moto server did not start")
    yield endpoint
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def bucket(s3_server, monkeypatch):
    """A fresh bucket on the moto server; yields a factory of S3Blobs on it."""
    import boto3

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    name = f"files-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server)
    client.create_bucket(Bucket=name)
    return lambda: S3Blobs(f"s3://{name}/team", endpoint_url=s3_server), client, name


@pytest.fixture(params=["database", "bucket"])
def backend(request):
    """None (bytes in the database) or a bucket factory."""
    if request.param == "database":
        return None
    return request.getfixturevalue("bucket")


def _open(make_store, backend):
    store = make_store()
    if backend is not None:
        store.blobs = backend[0]()
    return store


def _objects(backend) -> list[str]:
    _, client, name = backend
    return [o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", [])]


def test_files_round_trip_and_stay_with_their_owner(make_store, backend):
    store = _open(make_store, backend)
    mine = Conversations(store, OWNER)
    thread = store.create_thread(OWNER)
    turn = a_turn("look at these")
    mine.save_or_raise(thread, turn, None)
    kept = mine.save_files(
        thread,
        turn[0].id,
        [
            NewFile("a.png", "png", PNG_BYTES, thumbnail=b"thumb"),
            NewFile("notes.txt", "text", b"hello", text="hello"),
        ],
    )
    assert [f.name for f in kept] == ["a.png", "notes.txt"]
    listed = mine.files(thread)
    assert [(f.name, f.kind, f.size, f.message_id) for f in listed] == [
        ("a.png", "png", len(PNG_BYTES), turn[0].id),
        ("notes.txt", "text", 5, turn[0].id),
    ]
    assert listed[0].thumbnail == b"thumb" and listed[1].text == "hello"
    assert mine.file_data(thread, listed[0].id) == PNG_BYTES
    assert mine.files_used(thread) == (len(PNG_BYTES) + 5, len(PNG_BYTES) + 5)
    if backend is not None:
        assert len(_objects(backend)) == 2  # the bytes are in the bucket, not the row
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(attachments.c.data)).scalars().all() == [None, None]

    # Someone else: not found, by file id, by conversation, by any owner key.
    with pytest.raises(ThreadNotFound):
        store.file_data(STRANGER, thread, listed[0].id)
    with pytest.raises(ThreadNotFound):
        store.file_data(OWNER, "another-conversation", listed[0].id)
    stranger = Conversations(store, STRANGER)
    assert stranger.file_data(thread, listed[0].id) is None
    assert stranger.files(thread) == []
    assert stranger.files_used(thread) == (0, 0)
    assert stranger.save_files(thread, turn[0].id, [NewFile("x.txt", "text", b"x")]) is None
    assert [f.name for f in mine.files(thread)] == ["a.png", "notes.txt"]

    # A second store on the same database (another instance) reads the same bytes.
    again = _open(make_store, backend)
    assert Conversations(again, OWNER).file_data(thread, listed[1].id) == b"hello"


def test_files_go_with_their_conversation(make_store, backend):
    store = _open(make_store, backend)
    mine = Conversations(store, OWNER)
    keep, drop = store.create_thread(OWNER), store.create_thread(OWNER)
    for thread in (keep, drop):
        turn = a_turn("q")
        mine.save_or_raise(thread, turn, None)
        mine.save_files(thread, turn[0].id, [NewFile("f.txt", "text", b"data")])
    mine.delete(drop)
    assert mine.files(drop) == [] and len(mine.files(keep)) == 1
    if backend is not None:
        assert len(_objects(backend)) == 1
    counts = mine.delete_all()
    assert counts is not None and counts.files == 1
    assert mine.files(keep) == [] and mine.files_used(keep) == (0, 0)
    if backend is not None:
        assert _objects(backend) == []


def test_delete_all_leaves_other_owners_files(make_store):
    store = make_store()
    mine, theirs = Conversations(store, OWNER), Conversations(store, STRANGER)
    for who in (mine, theirs):
        thread = store.create_thread(who.owner)
        turn = a_turn("q")
        who.save_or_raise(thread, turn, None)
        who.save_files(thread, turn[0].id, [NewFile("f.txt", "text", b"data")])
    mine.delete_all()
    assert theirs.files_used(store.list_threads(STRANGER)[0].id) == (4, 4)


def test_a_bucket_that_is_down_keeps_nothing_and_says_so(make_store):
    store = make_store()
    store.blobs = S3Blobs("s3://nowhere", client=_Broken())
    problems: list[str] = []
    mine = Conversations(store, OWNER, on_problem=problems.append)
    thread = store.create_thread(OWNER)
    assert mine.save_files(thread, "m1", [NewFile("f.txt", "text", b"data")]) is None
    assert problems and mine.files(thread) == []
    with pytest.raises(StoreError, match="s3://nowhere"):
        store.save_files(OWNER, thread, "m1", [NewFile("f.txt", "text", b"data")])


class _Broken:
    def put_object(self, **_kwargs):
        raise ConnectionError("refused")

    def delete_objects(self, **_kwargs):
        raise ConnectionError("refused")


def test_bucket_url_must_name_a_bucket():
    with pytest.raises(ValueError, match="s3://bucket"):
        S3Blobs("https://example.org/x", client=object())


def test_exports_list_the_files_and_the_json_has_their_text(sqlite_file):
    import json

    from langchain_core.messages import AIMessage, HumanMessage

    from streamlit_agent.conversation.export import (
        AnswerNotes,
        export_everything,
        export_json,
        export_markdown,
    )

    store = sqlite_file()
    mine = Conversations(store, OWNER)
    thread = store.create_thread(OWNER)
    kept = store.save_files(
        OWNER, thread, "q1", [NewFile("notes.txt", "text", b"milk", text="milk and eggs")]
    )
    refs = [{"id": kept[0].id, "name": "notes.txt", "kind": "text", "size": 4}]
    refused = [{"name": "evil.exe", "reason": "this type of file is not supported"}]
    turn = [
        HumanMessage(
            "read it", id="q1", additional_kwargs={"attachments": refs, "files_refused": refused}
        ),
        AIMessage("done", id="a1"),
    ]
    mine.save_or_raise(thread, turn, None)
    messages = mine.load(thread)
    thread_row = mine.get(thread)
    notes = AnswerNotes(files=mine.files(thread))

    text = export_markdown(thread_row, messages, notes)
    assert "📎 notes.txt (TEXT, 4 bytes)" in text
    assert "Not attached: evil.exe: this type of file is not supported" in text

    turn_doc = json.loads(export_json(thread_row, messages, notes))["turns"][0]
    assert turn_doc["files"][0]["name"] == "notes.txt"
    assert turn_doc["files"][0]["text"] == "milk and eggs"
    assert turn_doc["files_refused"] == refused

    everything = json.loads(export_everything(mine.export_all(), OWNER))
    item = everything["sections"]["conversations"]["items"][0]
    assert item["turns"][0]["files"][0]["text"] == "milk and eggs"
