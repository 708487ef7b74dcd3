"""sql_query's budget: time, memory and output stay bounded whatever the statement does.

The statements are the ones an attacker used against the in-process version: heavy work
inside one row (ran 19 s past a 2 s limit), 40 one-megabyte blobs a row (took the app
from 181 MB to 1.4 GB) and 1,990 columns (a 20 MB answer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamlit_agent.tools import _sql_worker as sql_worker
from streamlit_agent.tools import sql as sql_module
from streamlit_agent.tools.sql import DB_ENV_VAR, ensure_database, run_query

# instr() over a megabyte is one call: SQLite's progress handler never runs inside it.
HEAVY_ROW = (
    "WITH s(a, b) AS (SELECT hex(zeroblob(499999)) || '1', hex(zeroblob(200000)) || '1') "
    "SELECT instr(a, b) + instr(a || 'x', b) + instr(a || 'y', b) + instr(a || 'z', b) "
    "+ instr(a || 'w', b) FROM s"
)
ZEROBLOBS = "SELECT " + ", ".join(f"zeroblob(999999) AS c{i}" for i in range(40)) + " FROM books"
FIFTY_ONE = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 51) "
STARS = ",".join(["*"] * 1990)  # 1,990 columns in 4,000 characters
WIDE = FIFTY_ONE + f"SELECT {STARS} FROM (SELECT hex(randomblob(150)) h FROM n)"
TOO_BIG_A_ROW = f"SELECT {STARS} FROM (SELECT zeroblob(999999) z)"
MB = 2**20


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(DB_ENV_VAR, str(tmp_path / "bookshop.db"))
    yield ensure_database()
    sql_module._POOL.shutdown()


def worker_processes() -> list[psutil.Process]:
    """This process's children that are SQL workers, zombies included."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE or "_sql_worker" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def idle_pids() -> set[int]:
    return {worker.proc.pid for worker in sql_module._POOL._idle}


def test_heavy_work_inside_one_row_stops_within_the_limit_and_leaves_no_worker(db: Path) -> None:
    assert run_query("SELECT 1")  # a warm worker exists, as in a running app
    started = time.monotonic()
    result = run_query(HEAVY_ROW, time_limit_s=1)
    elapsed = time.monotonic() - started
    assert result == "The query took too long and was stopped (limit 1 s)."
    assert elapsed < 2  # the limit + 1 s; it used to run some 20 s
    # What is left is idle workers only: the one that ran the query is killed and reaped.
    left = worker_processes()
    assert {p.pid for p in left} <= idle_pids()
    assert all(p.status() != psutil.STATUS_ZOMBIE for p in left)
    # And the next query gets a working worker.
    assert run_query("SELECT 7 AS n") == "| n |\n|---|\n| 7 |"


def test_the_tool_wrapper_keeps_the_same_bound(db: Path) -> None:
    started = time.monotonic()
    result = sql_module.sql_query.invoke({"query": HEAVY_ROW})
    assert result == "The query took too long and was stopped (limit 2 s)."
    assert time.monotonic() - started < sql_module.TIME_LIMIT_S + 1


class PeakRss:
    """The app process's highest resident size while the block runs, sampled every 5 ms."""

    def __enter__(self) -> PeakRss:
        self.process = psutil.Process()
        self.before = self.peak = self.process.memory_info().rss
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.before


def test_forty_megabyte_rows_do_not_grow_the_app(db: Path) -> None:
    with PeakRss() as rss:
        result = run_query(ZEROBLOBS)
    assert rss.growth < 256 * MB, f"grew {rss.growth / MB:.0f} MB"
    lines = result.splitlines()
    assert len(lines) == 2 + 30  # header, separator, one line per book
    assert lines[2].count("<blob of 999999 bytes>") == 40
    assert len(result.encode()) <= sql_module.MAX_RESULT_BYTES


def test_a_row_past_the_worker_memory_gets_a_clear_message(db: Path) -> None:
    with PeakRss() as rss:
        result = run_query(TOO_BIG_A_ROW)
    assert result == sql_worker.OUT_OF_MEMORY
    assert "Traceback" not in result
    assert rss.growth < 256 * MB
    assert run_query("SELECT 8 AS n") == "| n |\n|---|\n| 8 |"


def test_a_sort_past_sqlites_heap_limit_gets_a_clear_message(db: Path) -> None:
    query = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
        "SELECT i FROM n ORDER BY hex(randomblob(400000))"
    )
    assert run_query(query) == sql_worker.OUT_OF_MEMORY


@pytest.mark.parametrize(
    "query",
    [
        "SELECT zeroblob(2000000000)",
        "SELECT length(replace(hex(zeroblob(499999)), '0', 'ab'))",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
        "SELECT length(group_concat(hex(randomblob(100)))) FROM n",
    ],
)
def test_a_value_past_its_limit_gets_a_clear_message(db: Path, query: str) -> None:
    # SQLite alone would say "string or blob too big", which names no limit.
    assert run_query(query) == sql_worker.VALUE_TOO_BIG
    assert "1,000,000 bytes" in sql_worker.VALUE_TOO_BIG


def test_a_wide_result_is_capped_in_bytes_rows_and_columns(db: Path) -> None:
    result = run_query(WIDE)
    assert len(result.encode()) <= sql_module.MAX_RESULT_BYTES  # it was 20 MB
    lines = result.splitlines()
    assert lines[0].count(" | ") == sql_module.MAX_COLUMNS - 1
    assert "(1,990 columns, first 50 shown)" in lines
    shown = len([line for line in lines if line.startswith("|")]) - 2
    assert 0 < shown < 50
    assert lines[-1] == f"(showing {shown} of 51 rows; the rest would pass the 64 KB result cap)"


def test_the_worker_runs_with_its_own_limits_and_no_environment(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql_module._POOL.shutdown()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-for-the-worker")
    assert run_query("SELECT 1")
    (worker,) = worker_processes()
    assert worker.rlimit(psutil.RLIMIT_AS) == (sql_worker.WORKER_MEMORY_BYTES,) * 2
    assert worker.environ() == {}


def test_an_idle_worker_that_died_is_replaced(db: Path) -> None:
    assert run_query("SELECT 1")
    assert idle_pids()  # the worker is kept for the next query
    for pid in idle_pids():
        psutil.Process(pid).kill()
        psutil.Process(pid).wait(5)
    assert run_query("SELECT 2 AS n") == "| n |\n|---|\n| 2 |"


def test_queries_beyond_the_worker_cap_wait_then_get_a_clear_message(db: Path) -> None:
    slots = sql_module._POOL._slots
    taken = [slots.acquire(timeout=5) for _ in range(sql_module.MAX_WORKERS)]
    try:
        started = time.monotonic()
        assert run_query("SELECT 1", time_limit_s=0.2) == sql_module.BUSY
        assert time.monotonic() - started < 1.2
    finally:
        for _ in taken:
            slots.release()
    assert run_query("SELECT 3 AS n") == "| n |\n|---|\n| 3 |"


# --- the caps hold for any shape of result ---------------------------------------------------

cells = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.binary(max_size=64),
    st.text(max_size=300),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["|", "é", "𝄞", "a", " ", "\n"]), st.integers(0, 900)
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    columns=st.integers(1, 2100),
    data=st.data(),
)
def test_formatted_result_never_exceeds_the_caps(columns: int, data: st.DataObject) -> None:
    names = [data.draw(st.text(max_size=250)) or f"c{i}" for i in range(min(columns, 60))]
    names += [f"c{i}" for i in range(len(names), columns)]
    width = min(columns, sql_worker.MAX_COLUMNS)
    rows = data.draw(
        st.lists(st.lists(cells, min_size=width, max_size=width), max_size=sql_worker.ROW_LIMIT)
    )
    extra = data.draw(st.one_of(st.none(), st.integers(0, 10**6)))
    total = None if extra is None else len(rows) + extra
    text = sql_worker.format_result(names, rows, total)
    assert len(text.encode()) <= sql_worker.MAX_RESULT_BYTES
    table = [line for line in text.splitlines() if line.startswith("|")]
    if rows:
        assert len(table) - 2 <= len(rows)
        if len(table) - 2 < len(rows) or (total is not None and total > len(rows)):
            assert text.splitlines()[-1].startswith(("(showing", "(first"))
    if columns > sql_worker.MAX_COLUMNS:
        assert f"({columns:,} columns, first {sql_worker.MAX_COLUMNS} shown)" in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(0, 80),
    stars=st.integers(1, 1200),
    size=st.integers(0, 2000),
    char=st.sampled_from(["a", "|", "é", "𝄞", " "]),
)
def test_real_queries_never_exceed_the_caps(
    rows: int, stars: int, size: int, char: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = ensure_database(tmp_path_factory.getbasetemp() / "budget-bookshop.db")
    value = f"substr(replace(hex(zeroblob({size})), '00', '{char}'), 1, {size})"
    query = (
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "
        f"SELECT {','.join(['*'] * stars)} FROM (SELECT {value} AS v FROM n WHERE {rows} > 0)"
    )
    result = run_query(query, path=path)
    assert len(result.encode()) <= sql_module.MAX_RESULT_BYTES
    if rows == 0:
        assert result.startswith("The query returned no rows")
        return
    table = [line for line in result.splitlines() if line.startswith("|")]
    assert table[0].count(" | ") == min(stars, sql_module.MAX_COLUMNS) - 1
    assert len(table) - 2 <= sql_module.ROW_LIMIT
