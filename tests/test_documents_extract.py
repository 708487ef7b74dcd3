"""Documents' text: each kind read by page or section in the worker, bad files refused
with a reason, and the passage splitter and text readers under Hypothesis."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamlit_agent.files import _readers
from streamlit_agent.files import extract as extract_module
from streamlit_agent.files.errors import FileRejected
from streamlit_agent.files.extract import extract
from streamlit_agent.files.passages import PASSAGE_CHARS, split_passages, split_section
from tests.document_support import (
    encrypted_pdf,
    make_docx,
    make_pdf,
    many_parts_docx,
    zip_bomb_docx,
)


def test_a_pdf_is_read_page_by_page():
    data = make_pdf(["Tern Valley report (draft)", "", "The budget is 81,500 euros.\nSecond line"])
    found = extract("pdf", data, "report.pdf")
    assert [(s.label, s.text) for s in found.sections] == [
        ("page 1", "Tern Valley report (draft)"),
        ("page 3", "The budget is 81,500 euros.\nSecond line"),
    ]
    assert found.name == "report.pdf" and found.kind == "pdf"


def test_a_docx_is_read_by_heading_with_its_tables():
    data = make_docx(
        [("", ["Cover note."]), ("Methods", ["We counted terns."]), ("Results", ["412 pairs."])],
        table=[["site", "pairs"], ["north", "300"]],
    )
    found = extract("docx", data, "study.docx")
    assert [s.label for s in found.sections] == [
        "start",
        "section: Methods",
        "section: Results",
        "table 1",
    ]
    assert "412 pairs." in found.sections[2].text
    assert found.sections[3].text == "site | pairs\nnorth | 300"


def test_html_gives_its_visible_text_only_split_at_headings():
    page = (
        b"<html><head><title>T</title><style>p{color:red}</style></head><body>"
        b"<script>document.write('never')</script><h1>Intro</h1><p>Hello <b>you</b> &amp; me"
        b"<noscript>not this</noscript></p><h2>Costs</h2><ul><li>one</li><li>two</li></ul>"
        b"<img src=x onerror=alert(1)></body></html>"
    )
    found = extract("html", page, "page.html")
    assert [(s.label, s.text) for s in found.sections] == [
        ("section: Intro", "Intro\nHello you & me"),
        ("section: Costs", "Costs\none\ntwo"),
    ]
    assert "never" not in found.text() and "color" not in found.text()


def test_text_markdown_csv_and_json_keep_their_places():
    text = extract("text", "\n".join(f"line {n}" for n in range(1, 400)).encode(), "a.txt")
    assert text.sections[0].label.startswith("lines 1-") and len(text.sections) > 1
    markdown = extract("markdown", b"Intro\n# Aims\nTo count.\n## Notes ##\nLate.", "a.md")
    assert [s.label for s in markdown.sections] == ["start", "section: Aims", "section: Notes"]
    table = extract("csv", b"site,pairs\nnorth,300\nsouth,112\n", "a.csv")
    assert [(s.label, s.text) for s in table.sections] == [
        ("rows 2-3", "site: north; pairs: 300\nsite: south; pairs: 112")
    ]
    data = extract("json", json.dumps({"site": "north", "counts": [1, 2]}).encode(), "a.json")
    assert [(s.label, s.text) for s in data.sections] == [
        ("$.site", "$.site: north"),
        ("$.counts", "$.counts[0]: 1\n$.counts[1]: 2"),
    ]


def test_windows_1252_text_is_read():
    assert extract("text", "café".encode("cp1252"), "old.txt").sections[0].text == "café"


BAD = [
    ("text", b"", "the file is empty"),
    ("pdf", b"%PDF-1.4\n1 0 obj <<>> garbage", "not a readable PDF"),
    ("pdf", b"not a pdf at all", "not a readable PDF"),
    ("pdf", make_pdf([" "]), "no text to read (a scanned PDF"),
    ("docx", b"PK\x03\x04 broken", "not a readable DOCX"),
    ("docx", many_parts_docx(3_000), "3,000 parts; the limit is 2,000"),
    ("json", b"[" * 50_000, "nested more than 100 levels"),
    ("json", b'{"a": 1,', "not valid JSON"),
    ("json", json.dumps(list(range(250_000))).encode(), "more than 200,000 values"),
    ("csv", b"a\n" + b"1\n" * 100_001, "more than 100,000 rows"),
    ("csv", (",".join(str(n) for n in range(600)) + "\n").encode(), "600 columns"),
    ("text", b"\x00\x01binary", "binary data"),
    ("png", b"\x89PNG\r\n", "reads no text from this kind of file (png)"),
]


@pytest.mark.parametrize(("kind", "data", "reason"), BAD, ids=[f"{k}-{r[:20]}" for k, _, r in BAD])
def test_a_bad_file_is_refused_with_its_reason(kind, data, reason):
    with pytest.raises(FileRejected) as refused:
        extract(kind, data, "bad.file")
    assert refused.value.name == "bad.file"
    assert reason in refused.value.reason and refused.value.reason.endswith(".")


def test_an_encrypted_pdf_is_refused():
    with pytest.raises(FileRejected, match=r"encrypted \(password-protected\) PDF"):
        extract("pdf", encrypted_pdf(["secret budget"]), "locked.pdf")


def test_a_docx_zip_bomb_is_refused_from_its_directory():
    with pytest.raises(FileRejected, match="unpacks to 200 MB; the limit is 100 MB"):
        extract("docx", zip_bomb_docx(200), "bomb.docx")
    with pytest.raises(FileRejected, match="zip bomb"):
        extract("docx", zip_bomb_docx(20), "bomb.docx")


def test_a_file_over_its_kinds_size_is_refused_unread(monkeypatch):
    monkeypatch.setitem(extract_module.MAX_BYTES, "csv", 10)
    with pytest.raises(FileRejected, match="a csv file may be at most 0 MB"):
        extract("csv", b"a,b\n1,2\n3,4\n", "big.csv")


def test_too_much_text_is_refused(monkeypatch):
    monkeypatch.setattr(extract_module, "MAX_TEXT_CHARS", 100)
    with pytest.raises(FileRejected, match="characters of text; the limit is 100"):
        extract("text", b"word " * 100, "long.txt")


def test_the_worker_is_ended_at_its_deadline():
    with pytest.raises(FileRejected, match="took longer than a document may take"):
        extract("pdf", make_pdf(["x"] * 50), "slow.pdf", timeout_s=0.01)


def test_extractions_beyond_the_workers_wait_then_are_refused(monkeypatch):
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(extract_module, "_slots", slots)
    slots.acquire()  # every worker busy
    with pytest.raises(FileRejected, match="busy reading other documents"):
        extract("text", b"hello", "a.txt", timeout_s=0.2)
    slots.release()
    assert extract("text", b"hello", "a.txt").sections[0].text == "hello"


def test_a_worker_out_of_memory_is_a_refusal_not_a_crash(monkeypatch):
    monkeypatch.setattr(extract_module, "EXTRACT_MEMORY_BYTES", 64 * 2**20)
    with pytest.raises(FileRejected, match=r"more (time or )?memory than a document may use"):
        extract("json", json.dumps(["x" * 100] * 100_000).encode(), "wide.json")


# --- Hypothesis: the splitter and the text readers -----------------------------------------

_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=5_000,
)


@settings(max_examples=300, deadline=None)
@given(_text, st.integers(min_value=1, max_value=2_000))
def test_split_keeps_every_word_in_order_within_the_limit(text, limit):
    pieces = list(split_section(text, limit))
    assert all(0 < len(p) <= limit and p == p.strip() for p in pieces)
    # Only whitespace at the cuts is lost: words (cut mid-word only without a break) remain.
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["page 1", "page 2", "section: A"]), _text), max_size=5))
def test_passages_keep_their_sections_labels_and_reading_order(sections):
    passages = split_passages(sections)
    assert [p.seq for p in passages] == list(range(len(passages)))
    assert all(len(p.text) <= PASSAGE_CHARS for p in passages)
    by_label = [label for label, text in sections for _ in split_section(text)]
    assert [p.label for p in passages] == by_label


_TAGS = [
    "<p>",
    "</p>",
    "<h1>",
    "</h1>",
    "<h2>",
    "</h2>",
    "<b>",
    "</b>",
    "<br/>",
    "<li>",
    "&amp;",
    "&lt;",
    "<style>p{}</style>",
    "<div class='x'>",
    "</div>",
    "<!-- c -->",
]
# Well-formed markup: text without "<" and whole tags (an unclosed "<!--" hides the rest
# of the page from a browser's eyes too, script included, as text).
_markup = st.lists(
    st.one_of(_text.map(lambda t: t[:200].replace("<", " ")), st.sampled_from(_TAGS)),
    max_size=60,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_markup, st.text(alphabet="xyz", min_size=1, max_size=8))
def test_html_never_shows_script_text(markup, secret):
    page = f"{markup}<script>var {secret}SECRET = 1;</script>{markup}"
    sections = _readers.read_html(page.encode())
    assert all(f"{secret}SECRET" not in text for _, text in sections)
    assert all(label and text.strip() for label, text in sections)


_anything = st.lists(
    st.one_of(_text.map(lambda t: t[:100]), st.sampled_from([*_TAGS, "<!--", "<![CDATA[", "<", ">",
                                                             "<script>", "</script>", "&#x"])),
    max_size=80,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_anything)
def test_html_reader_never_fails(markup):
    for label, text in _readers.read_html(markup.encode()):
        assert isinstance(label, str) and isinstance(text, str)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000) | _text.map(str.encode))
def test_csv_and_json_readers_give_sections_or_a_reason(data):
    for reader in (_readers.read_csv, _readers.read_json):
        try:
            sections = reader(data)
        except _readers.Unreadable as exc:
            assert str(exc)
        else:
            assert all(isinstance(label, str) and text.strip() for label, text in sections)


_words = st.text("abc XYZ.:[]$-1", max_size=12)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _words,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_words, inner, max_size=4),
    max_leaves=40,
)


def _scalars(value: object) -> list[object]:
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            found.append(item)
    return found


@settings(max_examples=200, deadline=None)
@given(_json_values)
def test_json_gives_one_line_per_value(value):
    lines = [
        line
        for _, text in _readers.read_json(json.dumps(value).encode())
        for line in text.split("\n")
    ]
    assert len(lines) == len(_scalars(value))
    assert all(line.startswith("$") for line in lines)
