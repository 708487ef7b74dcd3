"""Read-only SQL over a small sample bookshop database (SQLite).

The database is built from fixed data in this module on first use, at
$STREAMLIT_AGENT_SAMPLE_DB or else ~/.streamlit-agent/bookshop.db, and reused after
that; it is built in a temporary file and moved into place so that a half-built file
is never visible. Pointing the variable at another SQLite file explores that file.

The model writes the SQL, so nothing it sends is trusted: the query runs in a worker
process (`_sql_worker.py`, which describes the layers that refuse writes) with its own
memory cap, and the app kills that worker shortly after the time limit, whatever the
query does inside one row. The app reads at most the worker's result cap from its pipe,
so a huge result never exists here. Idle workers are kept for the next query, so a
normal query pays no process start; at most `MAX_WORKERS` run at once.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing, suppress
from datetime import datetime, timedelta
from pathlib import Path

from langchain_core.tools import tool

from streamlit_agent.tools._sql_worker import (
    CELL_CHARS,
    FORMAT_REFUSED,
    KEEP,
    MAX_COLUMNS,
    MAX_QUERY_CHARS,
    MAX_RESULT_BYTES,
    ONLY_ONE_STATEMENT,
    ONLY_SELECT,
    ROW_LIMIT,
    TIME_LIMIT_S,
    WORKER_MEMORY_BYTES,
    check_query,
    connect_readonly,
    markdown_table,
    too_long,
)

__all__ = [
    "CELL_CHARS",
    "FORMAT_REFUSED",
    "MAX_COLUMNS",
    "MAX_QUERY_CHARS",
    "MAX_RESULT_BYTES",
    "ONLY_ONE_STATEMENT",
    "ONLY_SELECT",
    "ROW_LIMIT",
    "TIME_LIMIT_S",
    "check_query",
    "connect_readonly",
    "describe_schema",
    "ensure_database",
    "markdown_table",
    "run_query",
    "sql_query",
    "sql_schema",
]

DB_ENV_VAR = "STREAMLIT_AGENT_SAMPLE_DB"
# Each worker may use WORKER_MEMORY_BYTES; this many at once bounds them all together.
MAX_WORKERS = 2
# The worker stops a query itself at the limit when SQLite gets a say; a call that never
# yields gets this long more before the worker is killed.
KILL_GRACE_S = 0.5
_WORKER_FILE = Path(__file__).with_name("_sql_worker.py")

BUSY = "The database is busy with other queries; try again in a moment."
WORKER_LOST = (
    "The query stopped the database worker (most likely it needed more than its "
    f"{WORKER_MEMORY_BYTES // 2**20} MB memory limit)."
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


# ---------------------------------------------------------------------------------------
# The worker processes.


class _Deadline(Exception):
    """The query's time is up and its worker has been killed."""


class _Lost(Exception):
    """The worker's output ended before its answer did: it died."""


class _Worker:
    """One worker process, asked one query at a time over its pipes."""

    def __init__(self) -> None:
        # No environment: the worker needs none and so never holds the app's keys. Its own
        # session keeps a Ctrl-C meant for the app from reaching it mid-answer.
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(_WORKER_FILE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={},
            start_new_session=True,
        )

    def ask(self, request: dict[str, object], deadline: float) -> tuple[bytes, str]:
        """The worker's status byte and answer; raises _Deadline, _Lost or BrokenPipeError."""
        payload = json.dumps(request).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(struct.pack(">I", len(payload)) + payload)
        self.proc.stdin.flush()
        header = self._read(5, deadline)
        (size,) = struct.unpack(">I", header[1:])
        if size > MAX_RESULT_BYTES:  # never from our worker; read no more of it
            raise _Lost
        return header[:1], self._read(size, deadline).decode("utf-8", "replace")

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        data = b""
        while len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                self.kill()
                raise _Deadline
            chunk = os.read(fd, size - len(data))
            if not chunk:
                raise _Lost
            data += chunk
        return data

    def kill(self) -> None:
        self.proc.kill()
        self.close()

    def close(self) -> None:
        """End the worker: closing its input ends its loop; kill it if that takes long."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                # The worker may be gone, so the buffer cannot be flushed: nothing to keep.
                with suppress(OSError):
                    pipe.close()
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _Pool:
    """Idle workers kept for the next query, and a cap on how many run at once."""

    def __init__(self, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._size = size
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def ask(self, request: dict[str, object], deadline: float) -> str:
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return BUSY
        try:
            return self._ask(request, deadline)
        finally:
            self._slots.release()

    def _ask(self, request: dict[str, object], deadline: float) -> str:
        time_limit_s = float(request["time_limit_s"])  # type: ignore[arg-type]
        for attempt in range(2):
            worker = self._take() if attempt == 0 else _Worker()
            try:
                status, answer = worker.ask(request, deadline)
            except BrokenPipeError:
                worker.kill()  # an idle worker that died since: once more with a new one
                continue
            except _Deadline:
                return too_long(time_limit_s)
            except _Lost:
                worker.kill()
                return too_long(time_limit_s) if _out_of_cpu(worker) else WORKER_LOST
            if status == KEEP:
                self._give_back(worker)
            else:
                worker.close()
            return answer
        return WORKER_LOST

    def _take(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Worker()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < self._size:
                self._idle.append(worker)
                return
        worker.close()

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


def _out_of_cpu(worker: _Worker) -> bool:
    return worker.proc.returncode == -signal.SIGXCPU


_POOL = _Pool(MAX_WORKERS)
atexit.register(_POOL.shutdown)


def run_query(
    query: str,
    path: Path | None = None,
    row_limit: int = ROW_LIMIT,
    time_limit_s: float = TIME_LIMIT_S,
) -> str:
    """The result of one read-only SELECT as capped Markdown, or a sentence saying why not.

    Returns within `time_limit_s` + KILL_GRACE_S, however the query behaves.
    """
    deadline = time.monotonic() + time_limit_s + KILL_GRACE_S
    problem = check_query(query)  # refused here at once, without a worker
    if problem:
        return problem
    try:
        db = ensure_database(path)
    except (OSError, sqlite3.Error) as exc:
        return f"The sample database could not be created: {exc}"
    request = {
        "query": query,
        "path": str(db),
        "row_limit": row_limit,
        "time_limit_s": time_limit_s,
    }
    try:
        return _POOL.ask(request, deadline)
    except OSError as exc:
        return f"The database worker could not be started: {exc.strerror or exc}"


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
    bookshop database and get the rows as a Markdown table (at most 50 rows and 50 columns
    are shown).

    The database has authors, books, customers, orders and order_items; call sql_schema
    first for the exact columns. Use it for questions about the bookshop's books, sales and
    customers, e.g. 'SELECT genre, count(*) FROM books GROUP BY genre'. It cannot change data.
    """
    return run_query(query)
