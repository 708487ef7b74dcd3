"""The readers that turn a document's bytes into labelled sections of text.

They run inside the extraction worker (`_extract_worker.py`, under its time and memory
limits) and are plain functions of bytes, so the tests call them directly too. Each
returns `[(label, text), ...]`, a label being "page 3", "section: Results", "rows 1-50"
or "lines 1-40", and raises `Unreadable(reason)` for a file it will not read. Caps here
keep every reader's work proportional to the input, which is capped before it arrives.

Only the standard library, pypdf and python-docx (through lxml, entities unresolved):
the worker imports this module with nothing of the app around it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser

Section = tuple[str, str]

MAX_PDF_PAGES = 1_000
MAX_SECTION_CHARS = 1_500  # text, CSV and JSON are grouped into sections about this long
MAX_CSV_ROWS = 100_000
MAX_CSV_COLUMNS = 500
MAX_CSV_FIELD_CHARS = 100_000
MAX_JSON_VALUES = 200_000
MAX_JSON_DEPTH = 100
CSV_ROWS_PER_SECTION = 50
LABEL_CHARS = 80
# DOCX is a zip: its directory says how big each part unpacks, checked before any is read.
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 200  # unpacked / packed for any part over a megabyte: a zip bomb's mark


class Unreadable(Exception):
    """The document cannot or will not be read; `str()` is the reason, for a person."""


def _label(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= LABEL_CHARS else line[: LABEL_CHARS - 1] + "…"


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM dropped), else Windows-1252 for the older files people have."""
    if b"\x00" in data[:8192]:
        raise Unreadable("it holds binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _grouped_lines(lines: list[str], first_line: int = 1) -> Iterator[Section]:
    """Lines gathered into sections of about `MAX_SECTION_CHARS`, labelled by line numbers."""
    start, size, group = first_line, 0, []
    for number, line in enumerate(lines, start=first_line):
        if group and size + len(line) > MAX_SECTION_CHARS:
            yield f"lines {start}-{number - 1}", "\n".join(group)
            start, size, group = number, 0, []
        group.append(line)
        size += len(line) + 1
    if group:
        yield f"lines {start}-{start + len(group) - 1}", "\n".join(group)


def read_text(data: bytes) -> list[Section]:
    return [s for s in _grouped_lines(decode_text(data).splitlines()) if s[1].strip()]


def _heading(line: str) -> str | None:
    """The text of a Markdown ATX heading ("## Results"), else None."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith("#"):
        return None
    level = len(stripped) - len(stripped.lstrip("#"))
    rest = stripped[level:]
    if level > 6 or (rest and not rest.startswith((" ", "\t"))):
        return None
    return rest.strip().rstrip("#").strip() or None


def read_markdown(data: bytes) -> list[Section]:
    sections: list[Section] = []
    label, lines = "start", []
    for line in decode_text(data).splitlines():
        heading = _heading(line)
        if heading is not None:
            if "\n".join(lines).strip():
                sections.append((label, "\n".join(lines)))
            label, lines = f"section: {_label(heading)}", []
        lines.append(line)
    if "\n".join(lines).strip():
        sections.append((label, "\n".join(lines)))
    return sections


def read_csv(data: bytes) -> list[Section]:
    text = decode_text(data)
    csv.field_size_limit(MAX_CSV_FIELD_CHARS)
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows, [])
        if len(header) > MAX_CSV_COLUMNS:
            raise Unreadable(f"it has {len(header):,} columns; the limit is {MAX_CSV_COLUMNS:,}")
        sections, group, first = [], [], 2
        for number, row in enumerate(rows, start=2):
            if number - 1 > MAX_CSV_ROWS:
                raise Unreadable(f"it has more than {MAX_CSV_ROWS:,} rows")
            row = row[:MAX_CSV_COLUMNS]
            names = header + [f"column {i}" for i in range(len(header) + 1, len(row) + 1)]
            cells = zip(names, row, strict=False)  # a short row has its first columns only
            group.append("; ".join(f"{h}: {v}" for h, v in cells if str(v).strip()))
            if len(group) == CSV_ROWS_PER_SECTION:
                sections.append((f"rows {first}-{number}", "\n".join(group)))
                group, first = [], number + 1
    except csv.Error as exc:
        raise Unreadable(f"it is not valid CSV ({exc})") from None
    if group:
        sections.append((f"rows {first}-{first + len(group) - 1}", "\n".join(group)))
    if not sections and header:
        sections.append(("rows 1-1", "; ".join(header)))
    return [s for s in sections if s[1].strip()]


def _json_lines(value: object) -> Iterator[tuple[str, str]]:
    """(top-level key, "path: value") for every scalar, without recursion: a deep
    document cannot exhaust the stack, and `MAX_JSON_VALUES` caps the walk."""
    stack: list[tuple[str, str, object, int]] = [("", "$", value, 0)]
    seen = 0
    while stack:
        top, path, item, depth = stack.pop()
        seen += 1
        if seen > MAX_JSON_VALUES:
            raise Unreadable(f"it holds more than {MAX_JSON_VALUES:,} values")
        if depth > MAX_JSON_DEPTH:
            raise Unreadable(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(item, dict):
            children = [(f"{path}.{k}", v) for k, v in item.items()]
        elif isinstance(item, list):
            children = [(f"{path}[{i}]", v) for i, v in enumerate(item)]
        else:
            yield top, f"{path}: {'null' if item is None else item}"
            continue
        for child_path, child in reversed(children):
            stack.append((top or child_path, child_path, child, depth + 1))


def read_json(data: bytes) -> list[Section]:
    try:
        value = json.loads(decode_text(data))
    except RecursionError:
        raise Unreadable(f"it is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:
        raise Unreadable(f"it is not valid JSON ({str(exc).split(':')[0]})") from None
    sections: list[Section] = []
    top, lines, size = None, [], 0
    for key, line in _json_lines(value):
        if lines and (key != top or size + len(line) > MAX_SECTION_CHARS):
            sections.append((_label(top or "$"), "\n".join(lines)))
            lines, size = [], 0
        top = key
        lines.append(line)
        size += len(line) + 1
    if lines:
        sections.append((_label(top or "$"), "\n".join(lines)))
    return sections


_SKIPPED = frozenset({"script", "style", "template", "noscript", "svg", "math", "head"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "table", "section", "article", "blockquote", "pre", "hr"}
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr"})


class _TextOfHtml(HTMLParser):
    """The visible text of a page, split at its headings; scripts and styles dropped.
    html.parser is a tokenizer, not a regex over the whole page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self.label = "start"
        self.parts: list[str] = []
        self.skipping: list[str] = []
        self.heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED and tag not in _VOID:
            self.skipping.append(tag)
        elif tag in _HEADINGS and not self.skipping:
            self._close_section()
            self.heading = []
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()
        elif tag in _HEADINGS and self.heading is not None:
            title = "".join(self.heading)
            self.label = f"section: {_label(title)}" if title.strip() else self.label
            self.parts.append(title + "\n")
            self.heading = None
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        (self.heading if self.heading is not None else self.parts).append(data)

    def _close_section(self) -> None:
        text = "".join(self.parts)
        if text.strip():
            lines = (" ".join(line.split()) for line in text.splitlines())
            self.sections.append((self.label, "\n".join(line for line in lines if line)))
        self.parts = []

    def finish(self) -> list[Section]:
        self.close()
        if self.heading is not None:
            self.parts.append("".join(self.heading))
        self._close_section()
        return self.sections


def read_html(data: bytes) -> list[Section]:
    parser = _TextOfHtml()
    text = decode_text(data)
    for start in range(0, len(text), 65_536):
        parser.feed(text[start : start + 65_536])
    return parser.finish()


def read_pdf(data: bytes) -> list[Section]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Unreadable("it is an encrypted (password-protected) PDF; attach an unlocked copy")
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise Unreadable(f"it has {count:,} pages; the limit is {MAX_PDF_PAGES:,}")
        return [(f"page {n}", page.extract_text() or "") for n, page in enumerate(reader.pages, 1)]
    except Unreadable:
        raise
    # pypdf raises many kinds of error on a damaged file, not only its own.
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        raise Unreadable("it is not a readable PDF (damaged or not a PDF)") from None


def check_zip(data: bytes) -> None:
    """Refuse a zip whose directory promises too many parts or too many bytes."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Unreadable("it is not a readable DOCX (damaged or not a Word file)") from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise Unreadable(f"it holds {len(entries):,} parts; the limit is {MAX_ZIP_ENTRIES:,}")
    unpacked = sum(e.file_size for e in entries)
    if unpacked > MAX_ZIP_UNPACKED_BYTES:
        raise Unreadable(
            f"it unpacks to {unpacked / 2**20:,.0f} MB; the limit is "
            f"{MAX_ZIP_UNPACKED_BYTES // 2**20} MB"
        )
    for entry in entries:
        if entry.file_size > 2**20 and entry.file_size > MAX_ZIP_RATIO * max(
            entry.compress_size, 1
        ):
            raise Unreadable("it is compressed suspiciously far (a zip bomb?)")


def _docx_style(paragraph: object) -> str:
    try:
        return str(paragraph.style.name or "")  # type: ignore[attr-defined]
    except (AttributeError, KeyError, ValueError):
        return ""


def read_docx(data: bytes) -> list[Section]:
    check_zip(data)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        sections: list[Section] = []
        label, lines = "start", []
        for paragraph in document.paragraphs:
            text = paragraph.text
            if _docx_style(paragraph).startswith(("Heading", "Title")) and text.strip():
                if "\n".join(lines).strip():
                    sections.append((label, "\n".join(lines)))
                label, lines = f"section: {_label(text)}", []
            lines.append(text)
        if "\n".join(lines).strip():
            sections.append((label, "\n".join(lines)))
        for number, table in enumerate(document.tables, start=1):
            rows = [" | ".join(cell.text for cell in row.cells) for row in table.rows]
            sections.append((f"table {number}", "\n".join(rows)))
        return sections
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, OSError):
        raise Unreadable("it is not a readable DOCX (damaged or not a Word file)") from None
    except Exception as exc:  # lxml's XMLSyntaxError and the like: a damaged part
        if type(exc).__module__.startswith(("lxml", "docx")):
            raise Unreadable("it is not a readable DOCX (a damaged part)") from None
        raise


READERS = {
    "text": read_text,
    "markdown": read_markdown,
    "csv": read_csv,
    "json": read_json,
    "html": read_html,
    "pdf": read_pdf,
    "docx": read_docx,
}
