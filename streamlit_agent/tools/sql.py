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
   DELETE, CREATE, DROP, ALTER, ATTACH, PRAGMA, transactions...;
c. the text must be one statement whose first keyword is SELECT or WITH; semicolons
   inside strings, quoted names and comments do not count, a trailing `;` is fine.

The work is bounded too: queries longer than `MAX_QUERY_CHARS` are refused, a
progress handler stops a query after `TIME_LIMIT_S`, values are capped in size, and
only `ROW_LIMIT` rows are shown, each cell cut to `CELL_CHARS` characters.

PRAGMA statements are refused even when they only read (`PRAGMA table_info(books)`),
as are table-valued functions such as `pragma_table_info()` or `json_each()`: SQLite
reports setting those up as a write to `sqlite_master`. `sql_schema` describes the
tables instead.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
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

ONLY_ONE_STATEMENT = "Only one statement at a time is allowed."
ONLY_SELECT = "Only SELECT queries are allowed; this tool cannot change the database."

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

# Disabled in Python's sqlite3 unless enabled, but an extension could do anything.
_DENIED_FUNCTIONS = frozenset({"load_extension"})


class _Guard:
    """The authorizer and the time limit for one query; remembers why it stopped one."""

    def __init__(self, time_limit_s: float) -> None:
        self.deadline = time.monotonic() + time_limit_s
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
        if action in _ALLOWED_ACTIONS:
            if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
                self.denied = f"function {arg2}"
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        # Keep the first refusal: it names what the query itself asked for.
        if self.denied is None:
            name = _ACTION_NAMES.get(action, f"action {action}")
            if arg1 and action in _DATA_CHANGES:
                name += f" on {arg1}"
            elif arg1:
                name += f" {arg1}"
            self.denied = name
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
    if denied.startswith("function "):
        return f"The function {denied.removeprefix('function ')}() is not allowed here."
    return f"{ONLY_SELECT} (Refused: {denied}.)"


# ---------------------------------------------------------------------------------------
# Layer c: one statement, starting with SELECT or WITH.


def _skip_quoted(text: str, start: int) -> int:
    """The index just past the quoted token opening at `start` (or the end of the text)."""
    closing_char = "]" if text[start] == "[" else text[start]
    # A doubled quote ('it''s') reads as a close and a reopen, which this handles naturally.
    end = text.find(closing_char, start + 1)
    return len(text) if end < 0 else end + 1


def _skip_comment(text: str, start: int) -> int | None:
    """The index just past a comment opening at `start`, or None if none opens there."""
    if text.startswith("--", start):
        end = text.find("\n", start)
        return len(text) if end < 0 else end + 1
    if text.startswith("/*", start):
        end = text.find("*/", start + 2)
        return len(text) if end < 0 else end + 2
    return None


def _skip_blank(text: str, start: int, also: str = "") -> int:
    """The index of the first character from `start` that is not space, comment or `also`."""
    i = start
    while i < len(text):
        if text[i].isspace() or text[i] in also:
            i += 1
            continue
        after_comment = _skip_comment(text, i)
        if after_comment is None:
            return i
        i = after_comment
    return i


def split_first_statement(query: str) -> tuple[str, str]:
    """The first statement of `query` and the text after its `;` (empty if none).

    Semicolons inside strings, quoted names ("x", `x`, [x]) and comments do not end
    the statement.
    """
    i = 0
    while i < len(query):
        char = query[i]
        if char in "'\"`[":
            i = _skip_quoted(query, i)
        elif char == ";":
            return query[:i], query[i + 1 :]
        else:
            after_comment = _skip_comment(query, i)
            i = i + 1 if after_comment is None else after_comment
    return query, ""


def first_keyword(statement: str) -> str:
    """The statement's first word in upper case, after any leading comments."""
    start = _skip_blank(statement, 0)
    end = start
    while end < len(statement) and (statement[end].isalnum() or statement[end] == "_"):
        end += 1
    return statement[start:end].upper()


def check_query(query: str) -> str | None:
    """Why `query` is refused before it reaches SQLite, or None if it may run."""
    if not query.strip():
        return "The query is empty: give one SELECT statement."
    if len(query) > MAX_QUERY_CHARS:
        return f"The query is too long ({len(query)} characters; the limit is {MAX_QUERY_CHARS})."
    statement, rest = split_first_statement(query)
    # Only blanks, comments and stray semicolons may follow the first statement.
    if _skip_blank(rest, 0, also=";") < len(rest):
        return ONLY_ONE_STATEMENT
    keyword = first_keyword(statement)
    if keyword == "PRAGMA":
        return "PRAGMA is not allowed here; call sql_schema to see the tables and columns."
    if keyword not in ("SELECT", "WITH"):
        return ONLY_SELECT
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
    guard = _Guard(time_limit_s)
    try:
        with closing(connect_readonly(ensure_database(path))) as conn:
            conn.set_authorizer(guard.authorize)
            conn.set_progress_handler(guard.progress, _PROGRESS_STEPS)
            cursor = conn.execute(query)
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchmany(row_limit + 1)
            more = len(rows) > row_limit
            rest = _count_rest(cursor) if more else 0
    except (sqlite3.Error, sqlite3.Warning) as exc:  # Python 3.10 warns on a second statement
        if guard.timed_out:
            return f"The query took too long and was stopped (limit {time_limit_s:g} s)."
        if guard.denied:
            return _refusal(guard.denied)
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
