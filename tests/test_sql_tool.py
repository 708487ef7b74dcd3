from __future__ import annotations

import sqlite3
import threading
import time
from collections import defaultdict
from contextlib import closing
from pathlib import Path

import pytest

from streamlit_agent.tools import _sql_worker as sql_worker
from streamlit_agent.tools import discover_tools
from streamlit_agent.tools import sql as sql_module
from streamlit_agent.tools.sql import (
    DB_ENV_VAR,
    FORMAT_REFUSED,
    ONLY_ONE_STATEMENT,
    ONLY_SELECT,
    connect_readonly,
    database_path,
    ensure_database,
    run_query,
    sql_query,
    sql_schema,
)

TABLES = ("authors", "books", "customers", "orders", "order_items")


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Never touch the real home directory, even if the variable is not read.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "data" / "bookshop.db"
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path


@pytest.fixture
def db(db_path: Path) -> Path:
    return ensure_database()


def query_plain(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def counts(path: Path) -> dict[str, int]:
    return {t: query_plain(path, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def dump(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return list(conn.iterdump())


def parse_table(markdown: str) -> tuple[list[str], list[list[str]]]:
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    assert lines, markdown
    header = [cell.strip() for cell in lines[0].strip("|").split(" | ")]
    assert set(lines[1]) <= {"|", "-"}
    rows = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]
    return header, rows


# --- creation ------------------------------------------------------------------------------


def test_default_location_is_in_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DB_ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert database_path() == tmp_path / ".streamlit-agent" / "bookshop.db"
    assert not database_path().exists()  # asking where it lives does not create it


def test_database_is_generated_on_first_use_and_then_reused(db_path: Path) -> None:
    assert not db_path.exists()
    sql_schema.invoke({})
    assert db_path.exists()
    assert counts(db_path) == {
        "authors": 10,
        "books": 30,
        "customers": 15,
        "orders": 40,
        "order_items": counts(db_path)["order_items"],
    }
    assert counts(db_path)["order_items"] >= 40  # every order has at least one item

    # Mark the file: if it were rebuilt the marker would be gone.
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE TABLE marker (x)")
        conn.commit()
    inode = db_path.stat().st_ino
    assert "marker (0 rows)" in sql_schema.invoke({})
    assert db_path.stat().st_ino == inode
    assert [p.name for p in db_path.parent.iterdir()] == ["bookshop.db"]  # no temp files left


def test_content_is_deterministic(tmp_path: Path) -> None:
    first = ensure_database(tmp_path / "a.db")
    second = ensure_database(tmp_path / "b.db")
    assert dump(first) == dump(second)


def test_concurrent_first_use_yields_one_valid_database(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hold both builders until each has built its copy, so both really race to move it in.
    both_built = threading.Barrier(2, timeout=10)
    original_build = sql_module._build

    def slow_build(path: str) -> None:
        original_build(path)
        both_built.wait()

    monkeypatch.setattr(sql_module, "_build", slow_build)
    results: list[str] = []
    errors: list[BaseException] = []

    def first_use() -> None:
        try:
            results.append(sql_query.invoke({"query": "SELECT count(*) AS n FROM books"}))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors
    assert len(results) == 2
    assert all(parse_table(r)[1] == [["30"]] for r in results)
    assert query_plain(db_path, "PRAGMA integrity_check") == [("ok",)]
    assert counts(db_path)["books"] == 30
    assert [p.name for p in db_path.parent.iterdir()] == ["bookshop.db"]


# --- schema --------------------------------------------------------------------------------


def test_schema_lists_tables_columns_foreign_keys_and_counts(db: Path) -> None:
    text = sql_schema.invoke({})
    for table, count in counts(db).items():
        assert f"{table} ({count} rows):" in text
    assert "price REAL" in text
    assert "ordered_at TEXT" in text
    assert "author_id → authors.id" in text
    assert "customer_id → customers.id" in text
    assert "order_id → orders.id" in text
    assert "book_id → books.id" in text
    assert "primary key: (order_id, book_id)" in text


# --- queries -------------------------------------------------------------------------------


def test_revenue_per_author_matches_an_independent_computation(db: Path) -> None:
    author_of = dict(query_plain(db, "SELECT id, author_id FROM books"))
    names = dict(query_plain(db, "SELECT id, name FROM authors"))
    expected: dict[str, float] = defaultdict(float)
    for book_id, quantity, unit_price in query_plain(
        db, "SELECT book_id, quantity, unit_price FROM order_items"
    ):
        expected[names[author_of[book_id]]] += quantity * unit_price

    result = sql_query.invoke(
        {
            "query": """
                SELECT a.name AS author, SUM(oi.quantity * oi.unit_price) AS revenue
                FROM authors AS a
                JOIN books AS b ON b.author_id = a.id
                JOIN order_items AS oi ON oi.book_id = b.id
                GROUP BY a.id
                ORDER BY revenue DESC
            """
        }
    )
    header, rows = parse_table(result)
    assert header == ["author", "revenue"]
    got = {name: float(revenue) for name, revenue in rows}
    assert got == pytest.approx(dict(expected), abs=1e-6)
    revenues = [float(revenue) for _, revenue in rows]
    assert revenues == sorted(revenues, reverse=True)


def test_with_query_and_recursive_cte_work(db: Path) -> None:
    result = sql_query.invoke(
        {
            "query": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) "
            "SELECT sum(i) AS total FROM n"
        }
    )
    assert parse_table(result) == (["total"], [["15"]])
    expected = query_plain(db, "SELECT count(*) FROM books WHERE genre = 'Mystery'")[0][0]
    result = sql_query.invoke(
        {"query": "WITH m AS (SELECT * FROM books WHERE genre = 'Mystery') SELECT count(*) FROM m"}
    )
    assert parse_table(result)[1] == [[str(expected)]]


def test_rows_are_capped_with_the_total(db: Path) -> None:
    total = counts(db)["order_items"]
    assert total > 50
    result = sql_query.invoke({"query": "SELECT * FROM order_items"})
    header, rows = parse_table(result)
    assert header == ["order_id", "book_id", "quantity", "unit_price"]
    assert len(rows) == 50
    assert result.endswith(f"(showing 50 of {total} rows)")

    result = run_query("SELECT title FROM books", row_limit=5)
    assert len(parse_table(result)[1]) == 5
    assert result.endswith("(showing 5 of 30 rows)")


def test_endless_rows_are_capped_without_counting_them_all(db: Path) -> None:
    result = sql_query.invoke(
        {"query": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n"}
    )
    assert len(parse_table(result)[1]) == 50
    assert result.endswith("(first 50 rows; more exist)")


def test_no_rows_and_cells_are_made_table_safe(db: Path) -> None:
    result = sql_query.invoke({"query": "SELECT title, year FROM books WHERE year < 0"})
    assert result == "The query returned no rows (columns: title, year)."

    result = sql_query.invoke(
        {
            "query": "SELECT 'a|b' || char(10) || 'c' AS odd, NULL AS missing, "
            "hex(zeroblob(300)) AS long"
        }
    )
    lines = result.splitlines()
    assert len(lines) == 3  # the newline in the value did not split the row
    assert "a\\|b c" in lines[2]
    assert "NULL" in lines[2]
    longest = max(len(cell) for cell in lines[2].split(" | "))
    assert longest <= sql_module.CELL_CHARS + 2


def test_sql_errors_are_sentences(db: Path) -> None:
    assert sql_query.invoke({"query": "SELECT * FROM nope"}) == "SQL error: no such table: nope"
    result = sql_query.invoke({"query": "SELECT FROM WHERE"})
    assert result.startswith("SQL error: ") and "syntax error" in result
    assert "Traceback" not in result


def test_semicolon_inside_a_string_literal_is_accepted(db: Path) -> None:
    result = sql_query.invoke({"query": "SELECT 'a; DELETE FROM books' AS s;"})
    assert parse_table(result) == (["s"], [["a; DELETE FROM books"]])
    result = sql_query.invoke(
        {"query": "SELECT count(*) AS n FROM books WHERE title <> 'x;y' -- the end; really\n"}
    )
    assert parse_table(result) == (["n"], [["30"]])
    assert counts(db)["books"] == 30


@pytest.mark.parametrize(
    "query",
    ["SELECT 1;", "SELECT 1;;  ", "SELECT 1; -- done", "/* hi */ select 1 /* ; */", "SELECT 1\n;;"],
)
def test_trailing_semicolons_and_comments_are_fine(db: Path, query: str) -> None:
    assert parse_table(sql_query.invoke({"query": query}))[1] == [["1"]]


def test_time_limit_stops_a_runaway_query(db: Path) -> None:
    started = time.monotonic()
    result = sql_query.invoke(
        {
            "query": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
            "SELECT count(*) FROM n"
        }
    )
    assert result == "The query took too long and was stopped (limit 2 s)."
    assert time.monotonic() - started < 10


SLOW_COUNT = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)


def test_time_limit_stops_a_slow_query_in_the_worker_itself(db: Path) -> None:
    # SQLite's progress handler stops it: the worker answers and stays for the next query.
    started = time.monotonic()
    result, retire = sql_worker.run_query(SLOW_COUNT, db, time_limit_s=1)
    assert result == "The query took too long and was stopped (limit 1 s)."
    assert not retire
    assert time.monotonic() - started < 2


def test_printf_with_a_huge_precision_is_refused_at_once(db: Path) -> None:
    started = time.monotonic()
    result = sql_query.invoke({"query": "SELECT length(printf('%!.*c', 2147483647, 'x'))"})
    assert result == FORMAT_REFUSED
    assert time.monotonic() - started < 8  # it used to run some 20 s past the limit


@pytest.mark.parametrize(
    "query",
    [
        "SELECT printf('%.*c', 5, 'x')",
        "SELECT printf('%.2147483647c', 'x')",
        "SELECT printf('%1001d', 1)",
        "SELECT printf('%4294967297d', 1)",  # SQLite's parser would wrap this to 1
        "SELECT printf('%" + "9" * 4900 + "d', 1)",  # more digits than int() will parse
        "select PrInTf ( '%*d' , 5, 1)",
        "SELECT \"printf\" /* a quoted name */ ('%.*c', 5, 'x')",
        "SELECT `format`('%.*c', 5, 'x'), [FORMAT]('%d', 1)",
        "SELECT printf(-- a comment\n '%.*c', 5, 'x')",
        "SELECT printf('it''s %.*c', 5, 'x')",
        "SELECT printf(title, 1) FROM books",
        "SELECT printf('%' || '5000c', 'x')",
        "SELECT format(('%5d'), 1)",
        "SELECT printf('%d', 1), printf(genre, 1) FROM books",
    ],
)
def test_printf_formats_that_could_run_long_are_refused(db: Path, query: str) -> None:
    assert sql_query.invoke({"query": query}) == FORMAT_REFUSED


def test_printf_with_small_literal_formats_still_works(db: Path) -> None:
    result = sql_query.invoke(
        {
            "query": "SELECT printf('%5d', 3) = '    3' AS a, printf('%05d', 3) AS b, "
            "format('%.1f%%', 12.5) AS c, printf('it''s %s', 'ok') AS d, "
            "length(printf('%1000d', 1)) AS e, printf('%%5000d') AS f, "
            "'printf(x)' AS g -- printf(title)"
        }
    )
    assert parse_table(result) == (
        ["a", "b", "c", "d", "e", "f", "g"],
        [["1", "00003", "12.5%", "it's ok", "1000", "%5000d", "printf(x)"]],
    )


def test_printf_the_text_check_cannot_see_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "views.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE VIEW wide AS SELECT printf('%.*c', 3, 'x') AS s")
        conn.commit()
    assert run_query("SELECT s FROM wide", path=path) == FORMAT_REFUSED


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("SELECT fts3_tokenizer('simple')", "fts3_tokenizer"),
        ("SELECT hex(FTS3_TOKENIZER('simple'))", "fts3_tokenizer"),
        ("SELECT fts3_tokenizer('evil', x'0100000000000000')", "fts3_tokenizer"),
        ("SELECT rtreenode(2, x'00')", "rtreenode"),
        ("SELECT sqlite_log(1, 'x')", "sqlite_log"),
    ],
)
def test_dangerous_functions_are_refused(db: Path, query: str, name: str) -> None:
    assert sql_query.invoke({"query": query}) == f"The function {name}() is not allowed here."


def test_query_length_is_capped(db: Path) -> None:
    query = "SELECT 1" + " " * sql_module.MAX_QUERY_CHARS
    assert sql_query.invoke({"query": query}).startswith("The query is too long")
    assert sql_query.invoke({"query": "   "}).startswith("The query is empty")


# --- refusals ------------------------------------------------------------------------------

WRITES = [
    (
        "INSERT INTO books (title, author_id, genre, year, price) VALUES ('x', 1, 'x', 1, 1)",
        ONLY_SELECT,
    ),
    ("UPDATE books SET price = 0", ONLY_SELECT),
    ("DELETE FROM books", ONLY_SELECT),
    ("DROP TABLE books", ONLY_SELECT),
    ("CREATE TABLE evil (x)", ONLY_SELECT),
    ("ALTER TABLE books ADD COLUMN evil", ONLY_SELECT),
    ("ATTACH DATABASE 'evil.db' AS evil", ONLY_SELECT),
    ("BEGIN", ONLY_SELECT),
    ("VACUUM", ONLY_SELECT),
    ("VACUUM INTO 'evil.db'", ONLY_SELECT),
    ("REPLACE INTO authors VALUES (1, 'x', 'x', 1)", ONLY_SELECT),
    ("PRAGMA user_version = 5", "PRAGMA is not allowed"),
    ("PRAGMA table_info(books)", "PRAGMA is not allowed"),
    ("SELECT 1; DELETE FROM books", ONLY_ONE_STATEMENT),
    ("SELECT 'a;b'; DROP TABLE books;", ONLY_ONE_STATEMENT),
    ("WITH x AS (SELECT 1) DELETE FROM books", ONLY_SELECT),
    ("WITH x AS (SELECT 1) UPDATE books SET price = 0", ONLY_SELECT),
    ("WITH x AS (SELECT 1) INSERT INTO customers (name, city) SELECT 'x', 'y'", ONLY_SELECT),
    ("SELECT * FROM pragma_table_info('books')", "Table-valued functions"),
    ("SELECT load_extension('evil')", "The function load_extension() is not allowed"),
]


@pytest.mark.parametrize(("query", "message"), WRITES)
def test_writes_are_refused_and_nothing_changes(db: Path, query: str, message: str) -> None:
    before = dump(db)
    result = sql_query.invoke({"query": query})
    assert result.startswith(message), result
    assert dump(db) == before
    assert not (db.parent / "evil.db").exists()


def test_data_is_unchanged_after_all_attempts(db: Path) -> None:
    before = counts(db)
    for query, _ in WRITES:
        sql_query.invoke({"query": query})
    assert counts(db) == before
    assert before["books"] == 30
    assert query_plain(db, "PRAGMA user_version") == [(0,)]


# Each layer alone stops a write: check them one at a time, bypassing the others.


def test_layer_readonly_connection_alone_refuses_writes(db: Path) -> None:
    with closing(connect_readonly(db)) as conn, pytest.raises(sqlite3.OperationalError) as info:
        conn.execute("DELETE FROM books")
    assert "readonly" in str(info.value)
    assert counts(db)["books"] == 30


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM books",
        "INSERT INTO customers (name, city) VALUES ('x', 'y')",
        "CREATE TABLE evil (x)",
        "PRAGMA user_version = 5",
        "ATTACH DATABASE ':memory:' AS evil",
        "BEGIN",
    ],
)
def test_layer_authorizer_alone_refuses_writes(db: Path, statement: str) -> None:
    guard = sql_worker._QueryLimits(time_limit_s=5)
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:  # writable on purpose
        conn.set_authorizer(guard.authorize)
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM books").fetchone() == (30,)
    assert guard.denied
    assert query_plain(db, "PRAGMA user_version") == [(0,)]


def test_tools_are_registered() -> None:
    registry = discover_tools()
    assert {"sql_schema", "sql_query"} <= set(registry.tools)
    assert not registry.tools["sql_query"].requires_approval
