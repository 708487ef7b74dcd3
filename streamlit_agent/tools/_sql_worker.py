"""The query engine of `sql_query`, run in a worker process the app can kill.

`sql.py` starts this file as its own Python process (standard library and RE2 only, so it
starts in about 30 ms and is small) and sends it one query at a time over a pipe; the
worker answers with the finished Markdown, already cut to the result caps. Running
it apart is what bounds a query, whatever it does inside one row:

- time: a progress handler stops the statement at `time_limit_s` between SQLite's
  instructions; one long call (`instr` over megabytes, say) never reaches one, so the
  app kills the worker shortly after the limit, and RLIMIT_CPU ends it if the app
  itself is gone;
- memory: the worker's address space is capped at `WORKER_MEMORY_BYTES` (RLIMIT_AS)
  and SQLite's heap at `SQLITE_HEAP_BYTES`; a value is at most `MAX_VALUE_BYTES`;
- output: at most `ROW_LIMIT` rows, `MAX_COLUMNS` columns, `CELL_CHARS` characters a
  cell and `MAX_RESULT_BYTES` in all, with a note saying what was cut; the app reads
  no more than that from the pipe.

The model writes the SQL, so nothing it sends is trusted. Each layer below would on
its own stop a write:

a. the file is opened read-only (`mode=ro`): SQLite itself refuses to write;
b. an authorizer allows only what plain SELECTs (with CTEs, recursive too) need
   (SELECT, READ, FUNCTION, RECURSIVE) and denies everything else: INSERT, UPDATE,
   DELETE, CREATE, DROP, ALTER, ATTACH (so VACUUM too), PRAGMA, transactions...; it
   also denies functions such as load_extension() and fts3_tokenizer() (a pointer).

sqlite3 itself refuses a second statement (trailing `;`s and comments are dropped first).
Reads that are not SELECTs, such as `EXPLAIN SELECT ...`, may run. As the time limit
cannot stop one long printf() call without killing the worker, printf() and format()
need a literal format whose widths and precisions are at most `MAX_FORMAT_WIDTH`,
without `*`.

PRAGMA statements are refused even when they only read (`PRAGMA table_info(books)`),
as are table-valued functions such as `pragma_table_info()` or `json_each()`: SQLite
reports setting those up as a write to `sqlite_master`. `sql_schema` describes the
tables instead.

Protocol: a request is a 4-byte big-endian length and that much JSON
({"query", "path", "row_limit", "time_limit_s"}); the answer is one status byte
(`KEEP`, or `RETIRE` when the worker should not be reused), a 4-byte length and that
much UTF-8. End of input ends the worker.
"""

from __future__ import annotations

import json
import math
import sqlite3
import struct
import sys
import time
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path
from typing import BinaryIO

import re2

try:
    import resource
except ImportError:  # not on Windows: the app's kill at the deadline still bounds time
    resource = None  # type: ignore[assignment]

ROW_LIMIT = 50
MAX_COLUMNS = 50
CELL_CHARS = 200
# The whole answer, Markdown and notes, in UTF-8: what the page, the store and the model
# get at most, and all the app ever reads from the worker.
MAX_RESULT_BYTES = 64 * 1024
MAX_QUERY_CHARS = 5000
TIME_LIMIT_S = 2.0
# Past this many rows, stop counting and just say that more exist.
MAX_COUNTED_ROWS = 10_000
# Keeps `zeroblob(1e9)` or a runaway `group_concat` from eating the worker's memory.
MAX_VALUE_BYTES = 1_000_000
# A text value is read this far: enough for a CELL_CHARS cell after whitespace is folded.
TEXT_READ_BYTES = 4096
WORKER_MEMORY_BYTES = 256 * 1024 * 1024
# Below the address-space cap, so SQLite reports "out of memory" before Python runs dry.
SQLITE_HEAP_BYTES = 128 * 1024 * 1024
# SQLite calls the progress handler every this many virtual machine instructions.
_PROGRESS_STEPS = 1000
# printf('%1000d') is still a short value; the width is what makes one call run long.
MAX_FORMAT_WIDTH = 1000

KEEP = b"K"
RETIRE = b"R"

ONLY_ONE_STATEMENT = "Only one statement at a time is allowed."
ONLY_SELECT = "Only SELECT queries are allowed; this tool cannot change the database."
FORMAT_REFUSED = (
    "printf() and format() need a string literal as their format (first argument), with "
    f"widths and precisions of at most {MAX_FORMAT_WIDTH} and no '*'."
)
OUT_OF_MEMORY = (
    f"The query needed more memory than its limit ({WORKER_MEMORY_BYTES // 2**20} MB) and "
    "was stopped; select fewer or smaller values."
)
# SQLite's own words for a value past SQLITE_LIMIT_LENGTH are "string or blob too big".
VALUE_TOO_BIG = (
    f"A value in the query grew past its limit ({MAX_VALUE_BYTES:,} bytes) and the query "
    "was stopped; select smaller values."
)


def too_long(time_limit_s: float) -> str:
    """The answer when a query runs out of time, however it was stopped."""
    return f"The query took too long and was stopped (limit {time_limit_s:g} s)."


def _read_text(raw: bytes) -> str:
    # Only the start of a long text can be shown, so the rest never becomes a str; invalid
    # UTF-8 in someone else's file is shown, not an error.
    return raw[:TEXT_READ_BYTES].decode("utf-8", "replace")


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that cannot write: SQLite opens the file in read-only mode (layer a)."""
    # as_uri() percent-encodes, so a path with '?' or '#' cannot smuggle in URI options.
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    if hasattr(conn, "setlimit"):  # Python 3.11+
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    return conn


# ---------------------------------------------------------------------------------------
# Layer b: the authorizer.

_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)

# The authorizer's action codes, named for messages; sqlite3's constants mix them with
# result codes that share the same numbers, so they cannot be looked up by value.
_ACTION_NAMES = {
    1: "CREATE INDEX",
    2: "CREATE TABLE",
    3: "CREATE TEMP INDEX",
    4: "CREATE TEMP TABLE",
    5: "CREATE TEMP TRIGGER",
    6: "CREATE TEMP VIEW",
    7: "CREATE TRIGGER",
    8: "CREATE VIEW",
    9: "DELETE",
    10: "DROP INDEX",
    11: "DROP TABLE",
    12: "DROP TEMP INDEX",
    13: "DROP TEMP TABLE",
    14: "DROP TEMP TRIGGER",
    15: "DROP TEMP VIEW",
    16: "DROP TRIGGER",
    17: "DROP VIEW",
    18: "INSERT",
    19: "PRAGMA",
    22: "transaction",
    23: "UPDATE",
    24: "ATTACH",
    25: "DETACH",
    26: "ALTER TABLE",
    27: "REINDEX",
    28: "ANALYZE",
    29: "CREATE VIRTUAL TABLE",
    30: "DROP VIRTUAL TABLE",
    32: "SAVEPOINT",
}

_DATA_CHANGES = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})

# load_extension() runs native code; fts3_tokenizer() hands out native pointers (and, in
# builds with ENABLE_FTS3_TOKENIZER such as Debian's, installs them); rtree's debug
# functions parse raw node blobs (one had an out-of-bounds read); sqlite_log() writes logs.
_DENIED_FUNCTIONS = frozenset(
    {"load_extension", "fts3_tokenizer", "rtreenode", "rtreedepth", "rtreecheck", "sqlite_log"}
)
_FORMAT_FUNCTIONS = frozenset({"printf", "format"})


class _QueryLimits:
    """The authorizer and the time limit for one query; remembers why it stopped one."""

    def __init__(self, time_limit_s: float, formats_checked: bool = False) -> None:
        self.deadline = time.monotonic() + time_limit_s
        # True when the text calls printf() and check_query passed those calls. If the text
        # has none, a call SQLite meets anyway (inside a view, say) went unchecked.
        self.formats_checked = formats_checked
        self.denied: str | None = None
        self.timed_out = False

    def authorize(
        self,
        action: int,
        arg1: str | None,
        arg2: str | None,
        database: str | None,
        trigger: str | None,
    ) -> int:
        if action == sqlite3.SQLITE_FUNCTION:
            # The name SQLite resolved, however the query spelled or quoted it.
            name = (arg2 or "").lower()
            if name in _DENIED_FUNCTIONS:
                return self._deny(f"function {name}")
            if name in _FORMAT_FUNCTIONS and not self.formats_checked:
                return self._deny("format")
        elif action not in _ALLOWED_ACTIONS:
            name = _ACTION_NAMES.get(action, f"action {action}")
            if arg1 and action in _DATA_CHANGES:
                name += f" on {arg1}"
            elif arg1:
                name += f" {arg1}"
            return self._deny(name)
        return sqlite3.SQLITE_OK

    def _deny(self, what: str) -> int:
        # Keep the first refusal: it names what the query itself asked for.
        if self.denied is None:
            self.denied = what
        return sqlite3.SQLITE_DENY

    def progress(self) -> int:
        # A non-zero answer makes SQLite abandon the statement with "interrupted".
        if time.monotonic() > self.deadline:
            self.timed_out = True
            return 1
        return 0


def _refusal(denied: str) -> str:
    if denied.startswith("PRAGMA"):
        return "PRAGMA is not allowed here; call sql_schema to see the tables and columns."
    if denied == "UPDATE on sqlite_master":
        # What SQLite reports when a table-valued function such as json_each() is set up.
        return (
            "Table-valued functions such as pragma_table_info() or json_each() are not "
            "available here; call sql_schema to see the tables and columns."
        )
    if denied == "format":
        return FORMAT_REFUSED
    if denied.startswith("function "):
        return f"The function {denied.removeprefix('function ')}() is not allowed here."
    return f"{ONLY_SELECT} (Refused: {denied}.)"


# ---------------------------------------------------------------------------------------
# The query text, read as SQLite's tokenizer does.

# Comments, strings and quoted names (a doubled quote stays inside), words, then any
# other character. A comment, string or quoted name left open runs to the end, as SQLite
# reads it (an open string or name is a syntax error there, so nothing in it runs); each
# token then ends where it must, so one pass reads the text in linear time, and RE2 has
# no backtracking to go quadratic or worse on the model's text.
_TOKEN = re2.compile(
    r"(?s)--[^\n]*|/\*.*?(?:\*/|\z)|'(?:[^']|'')*(?:'|\z)|\"(?:[^\"]|\"\")*(?:\"|\z)"
    r"|`(?:[^`]|``)*(?:`|\z)|\[[^\]]*(?:\]|\z)|[\w$\x{80}-\x{10FFFF}]+|\S"
)
# A literal %, or the flags, width, precision and size of one printf conversion.
_CONVERSION = re2.compile(r"%%|%[-+ #!0,0-9.*l]*")
_DIGITS = re2.compile(r"\d+")


def _read(query: str) -> tuple[str, list[str | None]]:
    """The statement to run and the format of each printf()/format() call in it.

    Trailing `;`s and comments are dropped, as sqlite3 would take a second `;` for a
    second statement. A format is the literal's text, or None if it is not one literal.
    """
    code = [m for m in _TOKEN.finditer(query) if not m.group().startswith(("--", "/*"))]
    tokens = [m.group() for m in code]
    formats: list[str | None] = []
    for i, token in enumerate(tokens):
        name = token[1:-1] if token[0] in '"`[' else token  # "printf"(...) calls it too
        if name.lower() not in _FORMAT_FUNCTIONS or tokens[i + 1 : i + 2] != ["("]:
            continue
        literal, after = [*tokens[i + 2 : i + 4], "", ""][:2]
        is_literal = literal.startswith("'") and after in (",", ")")
        formats.append(literal[1:-1].replace("''", "'") if is_literal else None)
    while code and code[-1].group() == ";":
        code.pop()
    return (query[: code[-1].end()] if code else ""), formats


def _format_allowed(fmt: str | None) -> bool:
    if fmt is None:
        return False
    for conversion in _CONVERSION.findall(fmt):
        # Strip zeros first: int() refuses over 4300 digits, and "%0005d" means width 5.
        numbers = [n.lstrip("0") or "0" for n in _DIGITS.findall(conversion)]
        if "*" in conversion or any(len(n) > 4 or int(n) > MAX_FORMAT_WIDTH for n in numbers):
            return False
    return True


def check_query(query: str) -> str | None:
    """Why `query` is refused before it reaches SQLite, or None if it may run."""
    if not query.strip():
        return "The query is empty: give one SELECT statement."
    if len(query) > MAX_QUERY_CHARS:
        return f"The query is too long ({len(query)} characters; the limit is {MAX_QUERY_CHARS})."
    if not all(_format_allowed(fmt) for fmt in _read(query)[1]):
        return FORMAT_REFUSED
    return None


# ---------------------------------------------------------------------------------------
# Output.


class _OutOfTime(Exception):
    """The time limit passed while Python, not SQLite, was reading rows."""


class _BlobSize(int):
    """A blob's length, kept instead of the blob: a cell shows only the length."""


def _shrink(value: object) -> object:
    return _BlobSize(len(value)) if isinstance(value, bytes) else value


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, _BlobSize | bytes):
        size = value if isinstance(value, _BlobSize) else len(value)
        return f"<blob of {size} bytes>"
    # 12 significant digits hide binary noise such as 38.970000000000006.
    text = f"{value:.12g}" if isinstance(value, float) else str(value)
    text = " ".join(text.split())  # a newline would break the table row
    if len(text) > CELL_CHARS:
        text = text[: CELL_CHARS - 1] + "…"
    return text.replace("|", "\\|")


def _line(values: Iterable[object]) -> str:
    return "| " + " | ".join(_cell(v) for v in values) + " |"


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows as a Markdown table with a header line (no caps: see `format_result`)."""
    lines = [_line(columns), "|" + "|".join("---" for _ in columns) + "|"]
    lines.extend(_line(row) for row in rows)
    return "\n".join(lines)


# The notes under the table are short; this much of the byte cap is kept for them. A
# header line is at most MAX_COLUMNS cells of CELL_CHARS characters of up to 4 bytes,
# about 40 KB, so it always fits with its notes.
_NOTES_BYTES = 256


def _row_note(kept: int, fetched: int, total: int | None, cut: bool) -> str:
    if total == kept:
        return ""
    why = f"; the rest would pass the {MAX_RESULT_BYTES // 1024} KB result cap" if cut else ""
    if total is None:
        return f"(first {kept:,} rows; more exist{why})"
    return f"(showing {kept:,} of {total:,} rows{why})"


def format_result(
    columns: Sequence[str], rows: Sequence[Sequence[object]], total: int | None
) -> str:
    """Rows as Markdown of at most MAX_RESULT_BYTES, with notes on whatever was cut.

    `rows` are the rows to show if they fit; `total` counts all the query's rows, or is
    None when more exist than were counted.
    """
    if not columns:
        return ONLY_SELECT
    shown = list(columns[:MAX_COLUMNS])
    column_note = (
        f"({len(columns):,} columns, first {MAX_COLUMNS} shown)"
        if len(columns) > MAX_COLUMNS
        else ""
    )
    if not rows:
        names = ", ".join(_cell(c) for c in shown)
        empty = f"The query returned no rows (columns: {names})."
        return f"{empty} {column_note}" if column_note else empty
    lines = [_line(shown), "|" + "|".join("---" for _ in shown) + "|"]
    used = sum(len(line.encode()) + 1 for line in lines) + _NOTES_BYTES
    for row in rows:
        line = _line(row[:MAX_COLUMNS])
        used += len(line.encode()) + 1
        if used > MAX_RESULT_BYTES:
            break
        lines.append(line)
    kept = len(lines) - 2
    notes = [column_note, _row_note(kept, len(rows), total, kept < len(rows))]
    return "\n".join(lines + [note for note in notes if note])


def _fetch(cursor: sqlite3.Cursor, limits: _QueryLimits, count: int) -> list[list[object]]:
    """Up to `count` rows, each cut to the shown columns, blobs kept as their length only."""
    rows: list[list[object]] = []
    while len(rows) < count and (row := cursor.fetchone()) is not None:
        rows.append([_shrink(v) for v in row[:MAX_COLUMNS]])
        del row  # one full row at a time, however wide
        if time.monotonic() > limits.deadline:
            limits.timed_out = True
            raise _OutOfTime
    return rows


def _count_rest(cursor: sqlite3.Cursor, limits: _QueryLimits) -> int | None:
    """How many rows remain, or None if there are too many or they take too long to count."""
    counted = 0
    try:
        while cursor.fetchone() is not None:
            counted += 1
            if counted > MAX_COUNTED_ROWS or time.monotonic() > limits.deadline:
                return None
    except sqlite3.Error:
        return None  # the time limit ran out while counting: the shown rows still stand
    return counted


def _failure(
    exc: sqlite3.Error | sqlite3.Warning, limits: _QueryLimits, time_limit_s: float
) -> str:
    if limits.timed_out:
        return too_long(time_limit_s)
    if limits.denied:
        return _refusal(limits.denied)
    if "one statement" in str(exc):
        return ONLY_ONE_STATEMENT
    if "out of memory" in str(exc):
        return OUT_OF_MEMORY
    if "string or blob too big" in str(exc):
        return VALUE_TOO_BIG
    return f"SQL error: {exc}"


def run_query(
    query: str,
    path: Path,
    row_limit: int = ROW_LIMIT,
    time_limit_s: float = TIME_LIMIT_S,
) -> tuple[str, bool]:
    """One read-only SELECT's capped Markdown (or why not), and whether to retire the worker.

    Runs in the worker process: call `sql.run_query` from the app.
    """
    problem = check_query(query)
    if problem:
        return problem, False
    statement, formats = _read(query)
    limits = _QueryLimits(time_limit_s, formats_checked=bool(formats))
    try:
        with closing(connect_readonly(path)) as conn:
            conn.text_factory = _read_text
            # Sorts and temporary tables then count against SQLite's heap limit, not the disk.
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.set_authorizer(limits.authorize)
            conn.set_progress_handler(limits.progress, _PROGRESS_STEPS)
            cursor = conn.execute(statement)
            columns = [d[0] for d in cursor.description or ()]
            rows = _fetch(cursor, limits, row_limit + 1)
            rest = _count_rest(cursor, limits) if len(rows) > row_limit else 0
    except _OutOfTime:
        return too_long(time_limit_s), False
    except MemoryError:
        # What is left of the heap after this is not worth trusting with the next query.
        return OUT_OF_MEMORY, True
    except (sqlite3.Error, sqlite3.Warning) as exc:  # Python 3.10 warns on a second statement
        return _failure(exc, limits, time_limit_s), False
    total = None if rest is None else len(rows) + rest
    return format_result(columns, rows[:row_limit], total), False


# ---------------------------------------------------------------------------------------
# The worker process.

_MAX_REQUEST_BYTES = 4 * MAX_QUERY_CHARS + 64 * 1024  # a query in UTF-8, a path, numbers


def _limit_resources() -> None:
    """Cap this process's memory, keep SQLite's heap below that, and write no core file."""
    sqlite3.connect(":memory:").execute(f"PRAGMA hard_heap_limit = {SQLITE_HEAP_BYTES}")
    if resource is None:
        return
    for kind, value in ((resource.RLIMIT_AS, WORKER_MEMORY_BYTES), (resource.RLIMIT_CORE, 0)):
        _soft, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value))  # the hard limit too: no way back up


def _cpu_budget(time_limit_s: float) -> None:
    """Let the kernel end this process if one query uses more CPU than its time limit.

    The app kills the worker at the deadline; this covers an app that is itself gone.
    """
    if resource is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + time_limit_s) + 2
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _answer(request: dict[str, object]) -> tuple[bytes, bool]:
    try:
        time_limit_s = float(request["time_limit_s"])  # type: ignore[arg-type]
        _cpu_budget(time_limit_s)
        text, retire = run_query(
            str(request["query"]),
            Path(str(request["path"])),
            int(request["row_limit"]),  # type: ignore[call-overload]
            time_limit_s,
        )
    except MemoryError:
        text, retire = OUT_OF_MEMORY, True
    except Exception:  # a sentence, never a traceback; and a fresh worker next time
        text, retire = "The query failed inside the database worker.", True
    # An SQL error can quote the query; the cap holds for every answer, cut on a character.
    data = text.encode("utf-8", "replace")[:MAX_RESULT_BYTES]
    return data.decode("utf-8", "ignore").encode(), retire


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the input ends (the app closed the pipe or is gone)."""
    _limit_resources()
    while len(header := requests.read(4)) == 4:
        (size,) = struct.unpack(">I", header)
        if size > _MAX_REQUEST_BYTES:
            return
        data, retire = _answer(json.loads(requests.read(size)))
        answers.write((RETIRE if retire else KEEP) + struct.pack(">I", len(data)) + data)
        answers.flush()
        if retire:
            return


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
