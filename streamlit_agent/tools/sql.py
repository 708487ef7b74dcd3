"""Read-only SQL over a small sample bookshop database (SQLite).

The database is built from fixed data in this module on first use, at
$STREAMLIT_AGENT_SAMPLE_DB or else ~/.streamlit-agent/bookshop.db, and reused after
that; it is built in a temporary file and moved into place so that a half-built file
is never visible. Pointing the variable at another SQLite file explores that file.

The model writes the SQL, so nothing it sends is trusted. Each layer below would on
its own stop a write:

a. the file is opened read-only (`mode=ro`): SQLite itself refuses to write;
b. an authorizer allows only what plain SELECTs (with CTEs, recursive too) need
   (SELECT, READ, FUNCTION, RECURSIVE) and denies everything else: INSERT, UPDATE,
   DELETE, CREATE, DROP, ALTER, ATTACH (so VACUUM too), PRAGMA, transactions...; it
   also denies functions such as load_extension() and fts3_tokenizer() (a pointer).

sqlite3 itself refuses a second statement (trailing `;`s and comments are dropped first).
Reads that are not SELECTs, such as `EXPLAIN SELECT ...`, may run.

The work is bounded too: queries longer than `MAX_QUERY_CHARS` are refused; at
`TIME_LIMIT_S` a timer interrupts the query and a progress handler stops it; values
are capped in size, and only `ROW_LIMIT` rows are shown, each cell cut to `CELL_CHARS`
characters. As neither can stop one long printf() call, printf() and format() need a
literal format whose widths and precisions are at most `MAX_FORMAT_WIDTH`, without `*`.

PRAGMA statements are refused even when they only read (`PRAGMA table_info(books)`),
as are table-valued functions such as `pragma_table_info()` or `json_each()`: SQLite
reports setting those up as a write to `sqlite_master`. `sql_schema` describes the
tables instead.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

from langchain_core.tools import tool

DB_ENV_VAR = "STREAMLIT_AGENT_SAMPLE_DB"
ROW_LIMIT = 50
CELL_CHARS = 200
MAX_QUERY_CHARS = 5000
TIME_LIMIT_S = 2.0
# Past this many rows, stop counting and just say that more exist.
MAX_COUNTED_ROWS = 10_000
# Keeps `zeroblob(1e9)` or a runaway `group_concat` from eating the server's memory.
MAX_VALUE_BYTES = 1_000_000
# SQLite calls the progress handler every this many virtual machine instructions.
_PROGRESS_STEPS = 1000
# printf('%1000d') is still a short value; the width is what makes one call run long.
MAX_FORMAT_WIDTH = 1000

ONLY_ONE_STATEMENT = "Only one statement at a time is allowed."
ONLY_SELECT = "Only SELECT queries are allowed; this tool cannot change the database."
FORMAT_REFUSED = (
    "printf() and format() need a string literal as their format (first argument), with "
    f"widths and precisions of at most {MAX_FORMAT_WIDTH} and no '*'."
)

# ---------------------------------------------------------------------------------------
# The sample data. Names and titles are invented.

_AUTHORS: list[tuple[int, str, str, int]] = [
    (1, "Margaret Ellery", "United Kingdom", 1948),
    (2, "Tomás Ibarra", "Spain", 1962),
    (3, "Ingrid Solberg", "Norway", 1975),
    (4, "Kwame Mensah-Oduro", "Ghana", 1969),
    (5, "Hana Takeda", "Japan", 1981),
    (6, "Julien Marchetti", "France", 1957),
    (7, "Priya Raghunathan", "India", 1978),
    (8, "Daniel Okafor", "Nigeria", 1985),
    (9, "Eleanor Whitcombe", "United States", 1940),
    (10, "Lukas Brenner", "Germany", 1972),
]

# (id, title, author_id, genre, year, price in USD)
_BOOKS: list[tuple[int, str, int, str, int, float]] = [
    (1, "The Salt Road Home", 1, "Fiction", 1989, 14.99),
    (2, "A Winter in Harrowgate", 1, "Mystery", 1995, 12.50),
    (3, "The Lantern Keeper's Daughter", 1, "Fiction", 2004, 16.00),
    (4, "Cartographers of the Dry Sea", 2, "Fiction", 1998, 18.75),
    (5, "The Orchard at San Lucas", 2, "Fiction", 2011, 15.25),
    (6, "Saints of the Last Bus", 2, "Fiction", 2020, 14.00),
    (7, "The Fjord Ledger", 3, "Mystery", 2008, 13.99),
    (8, "Silence at Kvalsund", 3, "Mystery", 2012, 14.50),
    (9, "Cold Harbour Accounts", 3, "Mystery", 2019, 17.99),
    (10, "The Weaver's Almanac", 4, "Fiction", 2001, 15.99),
    (11, "A History of the Gold Coast Markets", 4, "History", 2010, 24.00),
    (12, "Rain over Kumasi", 4, "Fiction", 2016, 13.75),
    (13, "The Clockwork Persimmon", 5, "Fantasy", 2013, 11.99),
    (14, "Signals from the Quiet Moon", 5, "Science Fiction", 2018, 12.99),
    (15, "Paper Cranes at Low Tide", 5, "Poetry", 2021, 9.50),
    (16, "The Last Tram to Lyon", 6, "Mystery", 1991, 10.99),
    (17, "Bread, Salt and Revolution", 6, "History", 2003, 22.50),
    (18, "Vineyard of Small Hours", 6, "Fiction", 2015, 14.25),
    (19, "The Monsoon Equations", 7, "Science", 2009, 27.99),
    (20, "Ten Thousand Lamps", 7, "Fantasy", 2014, 16.50),
    (21, "Her Mother's Orbit", 7, "Science Fiction", 2020, 15.00),
    (22, "Lagos After Midnight", 8, "Mystery", 2017, 13.50),
    (23, "The Harmattan Protocol", 8, "Science Fiction", 2022, 16.99),
    (24, "Ink and Iron: A Life of Ada Nwosu", 8, "Biography", 2023, 21.00),
    (25, "Letters from Cedar Creek", 9, "Fiction", 1968, 9.99),
    (26, "The Prairie Astronomer", 9, "Biography", 1976, 19.50),
    (27, "Collected River Poems", 9, "Poetry", 1983, 11.25),
    (28, "Glass Mountains", 10, "Fantasy", 1999, 12.75),
    (29, "The Physics of Ordinary Things", 10, "Science", 2006, 23.50),
    (30, "The Watchmaker of Lübeck", 10, "History", 2012, 19.99),
]

_CUSTOMERS: list[tuple[int, str, str]] = [
    (1, "Alice Moreau", "Paris"),
    (2, "Ben Carter", "London"),
    (3, "Chiara Rossi", "Milan"),
    (4, "David Kim", "Seoul"),
    (5, "Emma Johansson", "Stockholm"),
    (6, "Farid Haddad", "Beirut"),
    (7, "Grace O'Neill", "Dublin"),
    (8, "Hiroshi Sato", "Osaka"),
    (9, "Isabel Fernández", "Madrid"),
    (10, "James Whitaker", "Boston"),
    (11, "Kofi Asante", "Accra"),
    (12, "Lena Fischer", "Berlin"),
    (13, "Mateo Silva", "Lisbon"),
    (14, "Nadia Petrova", "Sofia"),
    (15, "Oliver Grant", "London"),
]

_ORDER_COUNT = 40

_SCHEMA = """
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    born INTEGER
);
CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author_id INTEGER NOT NULL REFERENCES authors(id),
    genre TEXT NOT NULL,
    year INTEGER NOT NULL,
    price REAL NOT NULL
);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    ordered_at TEXT NOT NULL
);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    book_id INTEGER NOT NULL REFERENCES books(id),
    quantity INTEGER NOT NULL,
    unit_price REAL NOT NULL,
    PRIMARY KEY (order_id, book_id)
);
"""

_SAMPLE_TABLES = frozenset({"authors", "books", "customers", "orders", "order_items"})

_SCHEMA_NOTES = (
    "Notes: prices are in USD; order_items.unit_price is the price actually paid "
    "(sometimes discounted from books.price); orders.ordered_at is text "
    "'YYYY-MM-DD HH:MM:SS'."
)


def _orders() -> tuple[list[tuple[int, int, str]], list[tuple[int, int, int, float]]]:
    """Orders and their items, the same on every run (seeded generator)."""
    rng = random.Random(42)
    prices = {book[0]: book[5] for book in _BOOKS}
    start = datetime(2024, 1, 1, 9, 0, 0)
    # Draw the times first and sort them so that order ids rise with time, as in a real shop.
    moments = sorted(
        start + timedelta(days=rng.randrange(366), minutes=rng.randrange(12 * 60))
        for _ in range(_ORDER_COUNT)
    )
    orders: list[tuple[int, int, str]] = []
    items: list[tuple[int, int, int, float]] = []
    for order_id, moment in enumerate(moments, start=1):
        orders.append((order_id, rng.randint(1, len(_CUSTOMERS)), f"{moment:%Y-%m-%d %H:%M:%S}"))
        for book_id in sorted(rng.sample(sorted(prices), rng.randint(1, 4))):
            quantity = rng.choice((1, 1, 1, 2, 2, 3))
            price = prices[book_id]
            if rng.random() < 0.2:
                price = round(price * 0.9, 2)  # a 10% promotion
            items.append((order_id, book_id, quantity, price))
    return orders, items


def _build(path: str) -> None:
    orders, items = _orders()
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(_SCHEMA)
        conn.executemany("INSERT INTO authors VALUES (?, ?, ?, ?)", _AUTHORS)
        conn.executemany("INSERT INTO books VALUES (?, ?, ?, ?, ?, ?)", _BOOKS)
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?)", _CUSTOMERS)
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?)", orders)
        conn.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)", items)
        conn.commit()


def database_path() -> Path:
    """Where the sample database lives: $STREAMLIT_AGENT_SAMPLE_DB, else the user's home."""
    default = Path.home() / ".streamlit-agent" / "bookshop.db"
    return Path(os.environ.get(DB_ENV_VAR) or default).expanduser()


def ensure_database(path: Path | None = None) -> Path:
    """The sample database's path, building the file first if it does not exist yet."""
    path = database_path() if path is None else path
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the target so os.replace is a same-filesystem atomic rename: a racing
    # process sees either no file or a complete one, and the last identical copy wins.
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        _build(temp)
        os.replace(temp, path)
    finally:
        for leftover in (temp, f"{temp}-journal"):
            if os.path.exists(leftover):
                os.remove(leftover)
    return path


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

    def expire(self, conn: sqlite3.Connection) -> None:
        self.timed_out = True  # first, so the interrupted query finds the reason set
        conn.interrupt()


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
# other character. A block comment may run to the end, as in SQLite; an unclosed string
# is a syntax error there, and reading on as code can only find more calls to check.
_TOKEN = re.compile(
    r"--[^\n]*|/\*.*?(?:\*/|\Z)|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\[[^\]]*\]"
    r"|[\w$\x80-\U0010ffff]+|\S",
    re.DOTALL,
)
# A literal %, or the flags, width, precision and size of one printf conversion.
_CONVERSION = re.compile(r"%%|%[-+ #!0,0-9.*l]*")


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
        numbers = [n.lstrip("0") or "0" for n in re.findall(r"\d+", conversion)]
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


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<blob of {len(value)} bytes>"
    # 12 significant digits hide binary noise such as 38.970000000000006.
    text = f"{value:.12g}" if isinstance(value, float) else str(value)
    text = " ".join(text.split())  # a newline would break the table row
    if len(text) > CELL_CHARS:
        text = text[: CELL_CHARS - 1] + "…"
    return text.replace("|", "\\|")


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows as a Markdown table with a header line."""
    lines = [
        "| " + " | ".join(_cell(c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return "\n".join(lines)


def _count_rest(cursor: sqlite3.Cursor) -> int | None:
    """How many rows remain, or None if there are too many or they take too long to count."""
    counted = 0
    try:
        while batch := cursor.fetchmany(1000):
            counted += len(batch)
            if counted > MAX_COUNTED_ROWS:
                return None
    except sqlite3.Error:
        return None  # the time limit ran out while counting: the shown rows still stand
    return counted


def run_query(
    query: str,
    path: Path | None = None,
    row_limit: int = ROW_LIMIT,
    time_limit_s: float = TIME_LIMIT_S,
) -> str:
    """The result of one read-only SELECT as a Markdown table, or a sentence saying why not."""
    problem = check_query(query)
    if problem:
        return problem
    statement, formats = _read(query)
    limits = _QueryLimits(time_limit_s, formats_checked=bool(formats))
    try:
        with closing(connect_readonly(ensure_database(path))) as conn:
            conn.set_authorizer(limits.authorize)
            conn.set_progress_handler(limits.progress, _PROGRESS_STEPS)
            # The progress handler only runs between instructions; interrupt() also
            # works where SQLite checks for it itself, while parsing for one.
            timer = threading.Timer(time_limit_s, limits.expire, args=(conn,))
            timer.start()
            try:
                cursor = conn.execute(statement)
                columns = [d[0] for d in cursor.description or ()]
                rows = cursor.fetchmany(row_limit + 1)
                more = len(rows) > row_limit
                rest = _count_rest(cursor) if more else 0
            finally:
                timer.cancel()
                timer.join()  # so it never fires at the connection once that is closed
    except (sqlite3.Error, sqlite3.Warning) as exc:  # Python 3.10 warns on a second statement
        if limits.timed_out:
            return f"The query took too long and was stopped (limit {time_limit_s:g} s)."
        if limits.denied:
            return _refusal(limits.denied)
        if "one statement" in str(exc):
            return ONLY_ONE_STATEMENT
        return f"SQL error: {exc}"
    except OSError as exc:
        return f"The sample database could not be created: {exc}"
    if not columns:
        return ONLY_SELECT
    if not rows:
        return "The query returned no rows (columns: " + ", ".join(columns) + ")."
    table = markdown_table(columns, rows[:row_limit])
    if not more:
        return table
    if rest is None:
        return f"{table}\n(first {row_limit} rows; more exist)"
    return f"{table}\n(showing {row_limit} of {len(rows) + rest} rows)"


# ---------------------------------------------------------------------------------------
# The schema.


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def describe_schema(path: Path | None = None) -> str:
    """Tables with their columns, types, keys and row counts, as compact text."""
    try:
        db = ensure_database(path)
        # Our own fixed statements: read-only mode is enough, no authorizer needed.
        with closing(connect_readonly(db)) as conn:
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
                )
            ]
            blocks = [_describe_table(conn, table) for table in tables]
    except sqlite3.Error as exc:
        return f"SQL error: {exc}"
    except OSError as exc:
        return f"The sample database could not be created: {exc}"
    if not blocks:
        return f"The database {db.name} has no tables."
    header = f"SQLite database {db.name}, {len(blocks)} tables (read-only):"
    # The notes describe our sample data, not whatever file the variable may point at.
    notes = [_SCHEMA_NOTES] if set(tables) == _SAMPLE_TABLES else []
    return "\n".join([header, *blocks, *notes])


def _describe_table(conn: sqlite3.Connection, table: str) -> str:
    (count,) = conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()
    # table_info rows: (cid, name, type, notnull, default, pk position)
    info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    columns = []
    for _, name, kind, notnull, _default, pk in info:
        text = f"{name} {kind or 'ANY'}"
        if pk and len(keys) == 1:
            text += " PRIMARY KEY"
        elif notnull:
            text += " NOT NULL"
        columns.append(text)
    lines = [f"{table} ({count} rows): " + ", ".join(columns)]
    if len(keys) > 1:
        lines.append(f"  primary key: ({', '.join(keys)})")
    # foreign_key_list rows: (id, seq, table, from, to, ...)
    foreign = conn.execute(f"PRAGMA foreign_key_list({_quote(table)})").fetchall()
    if foreign:
        links = [f"{row[3]} → {row[2]}.{row[4] or 'rowid'}" for row in foreign]
        lines.append("  foreign keys: " + ", ".join(links))
    return "\n".join(lines)


@tool
def sql_schema() -> str:
    """List the tables of the sample bookshop database with columns, types, foreign keys and row
    counts. Call it before writing a query for sql_query.
    """
    return describe_schema()


@tool
def sql_query(query: str) -> str:
    """Run one read-only SQL SELECT (SQLite dialect; WITH ... SELECT works too) on the sample
    bookshop database and get the rows as a Markdown table (at most 50 rows are shown).

    The database has authors, books, customers, orders and order_items; call sql_schema
    first for the exact columns. Use it for questions about the bookshop's books, sales and
    customers, e.g. 'SELECT genre, count(*) FROM books GROUP BY genre'. It cannot change data.
    """
    return run_query(query)
