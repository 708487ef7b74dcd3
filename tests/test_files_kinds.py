"""What kind a file is (by its bytes, not its name), the limits a batch is held to, and
images checked under a pixel cap (decompression bombs refused before decoding)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from streamlit_agent.files.attach import ATTACHMENTS_KEY, prepare, references
from streamlit_agent.files.errors import FileRejected
from streamlit_agent.files.images import THUMBNAIL_PX, check_image, thumbnail
from streamlit_agent.files.kinds import KINDS, TEXT_KINDS, Incoming, Limits, sniff, sort_batch
from streamlit_agent.files.model_input import question_content


def _image(fmt: str, size: tuple[int, int] = (40, 30), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format=fmt, **save)
    return out.getvalue()


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


LIMITS = Limits(
    file_bytes=1000, conversation_bytes=2500, person_bytes=4000, files_per_message=5,
    image_pixels=1_000_000,
)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("photo.txt", _image("PNG"), "png"),  # the name does not decide
        ("a.jpg", _image("JPEG"), "jpeg"),
        ("a.webp", _image("WEBP"), "webp"),
        ("a.gif", _image("GIF"), "gif"),
        ("paper.png", b"%PDF-1.7\n...", "pdf"),
        ("report.docx", _docx(), "docx"),
        ("notes", b"plain words", "text"),
        ("readme.md", b"# Title", "markdown"),
        ("t.csv", b"a,b\n1,2\n", "csv"),
        ("data.txt", b'{"a": [1, 2]}', "json"),
        ("x.txt", b"  <!DOCTYPE html><p>hi", "html"),
        ("broken.json", b"{not json", "text"),
        ("v.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio"),
        ("pic.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "text"),  # never an image
    ],
)
def test_kind_is_decided_by_content(name: str, data: bytes, kind: str) -> None:
    assert sniff(name, data) == kind


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("prog.exe", b"MZ\x90\x00\x03\x00\x00\x00", "not supported"),
        ("latin.txt", "caf\xe9".encode("latin-1"), "neither UTF-8"),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 30, "ZIP"),
    ],
)
def test_unsupported_files_are_named_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected) as refused:
        sniff(name, data)
    assert refused.value.name == name and reason in refused.value.reason


@given(st.text(max_size=40), st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_sniff_answers_a_kind_or_a_named_refusal(name: str, data: bytes) -> None:
    try:
        assert sniff(name, data) in KINDS
    except FileRejected as refused:
        assert refused.name == name and refused.reason


@given(st.text(min_size=1, max_size=500).filter(lambda t: "\x00" not in t), st.text(max_size=20))
@settings(max_examples=300, deadline=None)
def test_utf8_text_is_a_text_kind_whatever_its_name(text: str, name: str) -> None:
    data = text.encode()
    magic = (b"GIF8", b"ID3", b"OggS", b"fLaC", b"RIFF", b"\x1a\x45\xdf\xa3", b"PK\x03\x04")
    if data.startswith(magic) or b"%PDF-" in data[:1024] or data[4:8] == b"ftyp":
        return  # the bytes say another kind; covered by the examples above
    assert sniff(name + ".png", data) in TEXT_KINDS  # never an image, whatever the name


sizes = st.lists(st.integers(min_value=1, max_value=1500), max_size=12)


@given(sizes, st.integers(0, 3000), st.integers(0, 5000))
@settings(max_examples=300, deadline=None)
def test_a_batch_never_passes_a_limit(lengths: list[int], here: int, mine: int) -> None:
    files = [Incoming(f"f{i}.txt", b"a" * n) for i, n in enumerate(lengths)]
    out = sort_batch(files, LIMITS, conversation_used=here, person_used=mine)
    kept = [len(f.data) for f, _ in out.accepted]
    assert len(out.accepted) + len(out.rejected) == len(files)  # every file is answered
    assert len(kept) <= LIMITS.files_per_message
    assert all(n <= LIMITS.file_bytes for n in kept)
    if kept:
        assert here + sum(kept) <= LIMITS.conversation_bytes
        assert mine + sum(kept) <= LIMITS.person_bytes
    names = [f.name for f in files]
    assert all(r.name in names and r.reason for r in out.rejected)


def test_a_thousand_files_at_once_keep_the_first_few_and_name_the_rest() -> None:
    files = [Incoming(f"n{i}.txt", b"hi") for i in range(1000)]
    out = sort_batch(files, LIMITS, conversation_used=0, person_used=0)
    assert [f.name for f, _ in out.accepted] == [f"n{i}.txt" for i in range(5)]
    assert len(out.rejected) == 995
    assert out.rejected[0].name == "n5.txt" and "at most 5 files" in out.rejected[0].reason


def test_each_limit_names_the_file_and_the_limit() -> None:
    big = Incoming("big.txt", b"a" * 1001)
    out = sort_batch([big], LIMITS, conversation_used=0, person_used=0)
    assert out.rejected[0].name == "big.txt" and "at most 1000 bytes" in out.rejected[0].reason
    ok = Incoming("ok.txt", b"a" * 600)
    out = sort_batch([ok], LIMITS, conversation_used=2000, person_used=0)
    assert "this conversation's files" in out.rejected[0].reason
    out = sort_batch([ok], LIMITS, conversation_used=0, person_used=3500)
    assert "your files" in out.rejected[0].reason
    sound = Incoming("v.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ")
    out = sort_batch([sound], LIMITS, conversation_used=0, person_used=0)
    assert "transcription" in out.rejected[0].reason


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG claiming a huge size: the header is all that is needed to refuse it."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = _bomb_png(5000, 5000)  # 25 Mpx in a few KB
    assert len(bomb) < 20_000
    with pytest.raises(FileRejected) as refused:
        check_image("bomb.png", bomb, "png", 1_000_000)
    assert refused.value.name == "bomb.png" and "5,000 x 5,000 pixels" in refused.value.reason
    with pytest.raises(FileRejected):
        thumbnail("bomb.png", bomb, "png", 1_000_000)
    # Past Pillow's own bomb limit (about 179 Mpx) whatever our cap: refused, not a
    # warning or a traceback.
    huge = _bomb_png(20_000, 20_000)
    with pytest.raises(FileRejected, match="too many pixels"):
        check_image("huge.png", huge, "png", 10**12)


def test_damaged_and_disguised_images_are_refused() -> None:
    png = _image("PNG")
    with pytest.raises(FileRejected, match="damaged"):
        check_image("cut.png", png[: len(png) // 2], "png", 10**6)
    with pytest.raises(FileRejected):
        check_image("fake.png", b"\x89PNG\r\n\x1a\n" + b"junk" * 10, "png", 10**6)


@pytest.mark.parametrize(
    "fmt,kind", [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_thumbnail_is_a_small_png_made_by_the_app(fmt: str, kind: str) -> None:
    data = _image(fmt, (900, 600))
    assert check_image("p", data, kind, 10**6) == (900, 600)
    small = Image.open(io.BytesIO(thumbnail("p", data, kind, 10**6)))
    assert small.format == "PNG" and max(small.size) <= THUMBNAIL_PX


def test_prepare_keeps_the_good_and_names_the_bad() -> None:
    files = [
        Incoming("ok.png", _image("PNG")),
        Incoming("bomb.png", _bomb_png(5000, 5000)),
        Incoming("notes.md", b"# hi"),
        Incoming("tool.exe", b"MZ\x00\x00"),
    ]
    limits = Limits(10**6, 10**7, 10**8, 10, 1_000_000)
    ready, refused = prepare(files, limits, conversation_used=0, person_used=0)
    assert [(p.name, p.kind) for p in ready] == [("ok.png", "png"), ("notes.md", "markdown")]
    assert ready[0].thumbnail and ready[1].thumbnail is None
    # Read once by the document reader: the text by section, the sections for the index.
    assert ready[1].text == "[section: hi]\n# hi" and ready[1].extracted is not None
    assert sorted(r.name for r in refused) == ["bomb.png", "tool.exe"]


def test_model_content_carries_images_only_for_a_model_that_sees_them() -> None:
    refs = [
        {"id": "i1", "name": "cat.png", "kind": "png", "size": 10},
        {"id": "t1", "name": "n.txt", "kind": "text", "size": 5},
    ]
    data = {"i1": b"PNGDATA"}
    seeing = question_content(
        "what is this?", refs, [{"name": "x.exe", "reason": "not supported"}],
        sees_images=True, data_of=data.get, text_of={"t1": "hello"}.get,
    )  # fmt: skip
    assert isinstance(seeing, list) and seeing[1]["type"] == "image_url"
    assert seeing[1]["image_url"]["url"] == "data:image/png;base64,UE5HREFUQQ=="
    assert "hello" in seeing[0]["text"] and "x.exe" in seeing[0]["text"]
    blind = question_content(
        "what is this?", refs, [], sees_images=False, data_of=data.get, text_of=lambda _: None
    )
    assert isinstance(blind, str) and "cannot see" in blind


def test_references_ignore_malformed_entries() -> None:
    good = {"id": "a", "name": "n", "kind": "png", "size": 1}
    kwargs = {ATTACHMENTS_KEY: [good, {"id": 1}, "x", {"id": "b", "name": "n", "kind": "png"}]}
    assert references(kwargs) == [good]
    assert references({ATTACHMENTS_KEY: "nope"}) == [] and references({}) == []


def test_json_detection_is_by_parsing() -> None:
    assert sniff("a.json", json.dumps({"k": "v"}).encode()) == "json"
    assert sniff("a.json", b"not json at all") == "text"


def test_refusals_are_grouped_by_reason() -> None:
    from streamlit_agent.files.attach import refusal_lines

    refused = [{"name": f"f{i}", "reason": "too many"} for i in range(8)]
    refused.insert(1, {"name": "x.exe", "reason": "not supported"})
    assert refusal_lines(refused) == [
        "f0, f1, f2, f3, f4 and 3 more: too many",
        "x.exe: not supported",
    ]


@given(st.lists(st.tuples(st.text(max_size=8), st.sampled_from(["a", "b", "c"])), max_size=60))
@settings(max_examples=200, deadline=None)
def test_grouped_refusals_count_every_file(pairs: list[tuple[str, str]]) -> None:
    from streamlit_agent.files.attach import refusal_lines

    lines = refusal_lines([{"name": n, "reason": r} for n, r in pairs], names_shown=3)
    assert len(lines) == len({r for _, r in pairs})
    for reason in {r for _, r in pairs}:
        count = sum(1 for _, r in pairs if r == reason)
        line = next(x for x in lines if x.endswith(f": {reason}"))
        assert (f" and {count - 3:,} more" in line) == (count > 3)
