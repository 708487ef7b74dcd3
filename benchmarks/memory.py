"""Memory: the app's resident memory per extra idle browser session, and its growth over
one long conversation.

One `ScriptedOpenAI` answering at once, one `streamlit run` of the app on a SQLite store
in a temporary folder, one headless Chromium:

1. the first session opens the page; once the app is idle (its CPU quiet, so the
   background warm-up is done too) its RSS is the baseline;
2. K more sessions (each its own browser context, so its own anonymous owner and
   Streamlit session) open the page one by one and stay open; RSS after each; the
   slope of RSS over sessions is the cost of an idle session;
3. the first session chats N turns (small talk and calculator turns in turn, as
   benchmarks/turns.py), RSS after the checkpoint turns; the slope over them is the
   growth per 100 turns.

RSS is the app process's (psutil), read when its CPU has been quiet for a moment;
child processes (none on the scripted model) are reported apart.

    .venv/bin/python -m benchmarks.memory [--sessions 10] [--turns 200] [--json out.json]

Exits 1 when a turn failed or the app logged a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.load import app_log_problems
from benchmarks.turns import ARM_JS, TURN_JS, machine, make_turns, wait_until_done
from tests.e2e_support import (
    CHAT_INPUT,
    AppProcess,
    as_anonymous_browser,
    ensure_loopback_bypasses_proxies,
    launch_chromium,
    start_playwright,
    wait_for_app,
)
from tests.scripted_openai import ScriptedOpenAI

REPO_ROOT = Path(__file__).resolve().parents[1]

MIB = 1024 * 1024
# Turn 1 shows what the first turn loads once (agent, model client); growth is counted
# from turn 10 on, so that one-time cost is not spread over the conversation.
CHECKPOINTS = (1, 10, 50, 100, 200)
GROWTH_FROM_TURN = 10
QUIET_CPU_S = 0.03  # app CPU seconds per QUIET_WINDOW_S that still counts as idle
QUIET_WINDOW_S = 0.5


@dataclass
class Sample:
    """The app's memory at one point: after `sessions` sessions opened, or `turn` turns."""

    label: str
    sessions: int
    turn: int
    rss_mib: float
    children_rss_mib: float
    waited_s: float  # until the app's CPU was quiet


@dataclass
class MemoryRun:
    sessions: list[Sample] = field(default_factory=list)
    turns: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    turn_seconds: list[float] = field(default_factory=list)


def app_memory(pid: int) -> tuple[float, float]:
    """(RSS of the app process, summed RSS of its child processes), MiB."""
    import psutil

    app = psutil.Process(pid)
    children = 0
    for child in app.children(recursive=True):
        try:
            children += child.memory_info().rss
        except psutil.Error:  # gone meanwhile
            continue
    return app.memory_info().rss / MIB, children / MIB


def quiet_sample(pid: int, label: str, sessions: int, turn: int, timeout_s: float = 30.0) -> Sample:
    """Memory once the app has been idle for two windows running (warm-ups, sessions'
    clean-up and the like finished), or after `timeout_s` regardless."""
    import psutil

    app = psutil.Process(pid)

    def cpu() -> float:
        times = app.cpu_times()
        return times.user + times.system

    began = time.monotonic()
    quiet_windows, last = 0, cpu()
    while quiet_windows < 2 and time.monotonic() - began < timeout_s:
        time.sleep(QUIET_WINDOW_S)
        now = cpu()
        quiet_windows = quiet_windows + 1 if now - last < QUIET_CPU_S else 0
        last = now
    rss, children = app_memory(pid)
    return Sample(label, sessions, turn, rss, children, time.monotonic() - began)


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x; None with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    xs, ys = zip(*points, strict=True)
    return statistics.linear_regression(xs, ys).slope


def open_session(browser: Any, url: str, timeout_ms: float, *, timed: bool = False) -> Any:
    """A new browser context (its own owner and Streamlit session) with the app idle in it."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(timeout_ms)
    if timed:
        context.add_init_script(TURN_JS)
    as_anonymous_browser(context, url)
    page = context.new_page()
    page.goto(url)
    wait_for_app(page, timeout_ms)
    return page


def chat(
    page: Any, pid: int, turns: int, sessions: int, run: MemoryRun, timeout_ms: float, say: Any
) -> None:
    """`turns` turns in `page`, sampling memory after each checkpoint turn."""
    checkpoints = {t for t in CHECKPOINTS if t <= turns} | {turns}
    for spec in make_turns(turns):
        page.evaluate(
            ARM_JS,
            {"question": spec.question, "first": spec.answer.split()[0], "answer": spec.answer},
        )
        began = time.perf_counter()
        box = page.locator(CHAT_INPUT).first
        box.fill(spec.question)
        box.press("Enter")
        try:
            wait_until_done(page, timeout_ms)
        except Exception as exc:
            run.errors.append(f"turn {spec.number}: {exc!r}")
            return
        run.turn_seconds.append(time.perf_counter() - began)
        if spec.number in checkpoints:
            sample = quiet_sample(pid, f"after turn {spec.number}", sessions, spec.number)
            run.turns.append(sample)
            say(f"turn {spec.number}: RSS {sample.rss_mib:.1f} MiB")


def measure(
    sessions: int, turns: int, timeout_s: float, work: Path, say: Callable[[str], None]
) -> MemoryRun:
    run = MemoryRun()
    timeout_ms = timeout_s * 1000
    with ScriptedOpenAI(chunk_delay=0) as scripted:
        env = {
            "OPENAI_BASE_URL": scripted.base_url,
            "STREAMLIT_AGENT_MODEL": "scripted-model",
            "STREAMLIT_AGENT_DB_URL": f"sqlite:///{work / 'memory.db'}",
            "STREAMLIT_AGENT_MESSAGES_PER_MINUTE": "0",  # hundreds of turns is the point
            "STREAMLIT_AGENT_ANON_MESSAGES_PER_MINUTE": "0",  # all sessions together
        }
        app = AppProcess(env, log_dir=work)
        with app:
            assert app.process is not None
            pid = app.process.pid
            playwright = start_playwright()
            try:
                browser = launch_chromium(playwright)
                first = open_session(browser, app.url, timeout_ms, timed=True)
                run.sessions.append(quiet_sample(pid, "first session idle", 1, 0))
                say(f"first session idle: RSS {run.sessions[-1].rss_mib:.1f} MiB")
                for count in range(2, sessions + 2):
                    open_session(browser, app.url, timeout_ms)
                    run.sessions.append(quiet_sample(pid, f"{count} sessions idle", count, 0))
                say(f"{sessions + 1} sessions idle: RSS {run.sessions[-1].rss_mib:.1f} MiB")
                chat(first, pid, turns, sessions + 1, run, timeout_ms, say)
                browser.close()
            finally:
                playwright.stop()
            if not app.is_running():
                run.errors.append(f"the app exited with code {app.process.poll()}")
        run.errors += [f"scripted model brain failed: {e}" for e in scripted.errors]
    run.errors += app_log_problems(app.log_text(), str(app.log_path))
    return run


def summarise(run: MemoryRun) -> dict[str, Any]:
    per_session = slope([(s.sessions, s.rss_mib) for s in run.sessions])
    later = [s for s in run.turns if s.turn >= GROWTH_FROM_TURN]
    per_turn = slope([(s.turn, s.rss_mib) for s in later])
    first_turn = next((s for s in run.turns if s.turn == 1), None)
    opened = run.sessions[-1].sessions - 1 if run.sessions else 0
    return {
        "baseline_rss_mib": run.sessions[0].rss_mib if run.sessions else None,
        "per_idle_session_mib": per_session,
        "per_idle_session_mean_mib": (
            (run.sessions[-1].rss_mib - run.sessions[0].rss_mib) / opened if opened else None
        ),
        "first_turn_mib": (
            first_turn.rss_mib - run.sessions[-1].rss_mib if first_turn and run.sessions else None
        ),
        "growth_mib_per_100_turns": per_turn * 100 if per_turn is not None else None,
        "growth_turns": [s.turn for s in later],
        "turn_s_median": statistics.median(run.turn_seconds) if run.turn_seconds else None,
    }


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(run: MemoryRun, summary: dict[str, Any]) -> str:
    lines = [
        "",
        "| when | sessions | turns | app RSS (MiB) | children RSS (MiB) |",
        "|---|---|---|---|---|",
    ]
    for s in [*run.sessions, *run.turns]:
        lines.append(
            f"| {s.label} | {s.sessions} | {s.turn} | {s.rss_mib:.1f} | {s.children_rss_mib:.1f} |"
        )
    lines += [
        "",
        f"per extra idle session: {_f(summary['per_idle_session_mib'], 2)} MiB (slope); "
        f"{_f(summary['per_idle_session_mean_mib'], 2)} MiB (last - first) / sessions",
        f"first turn (loads the agent and model client once): {_f(summary['first_turn_mib'])} MiB",
        f"growth over the conversation: {_f(summary['growth_mib_per_100_turns'], 2)} MiB per "
        f"100 turns (slope over turns {', '.join(map(str, summary['growth_turns']))})",
        f"median turn {_f(summary['turn_s_median'], 2)} s; load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10, help="extra idle sessions (K)")
    parser.add_argument("--turns", type=int, default=200, help="turns in one conversation (N)")
    parser.add_argument("--turn-timeout", type=float, default=60.0, help="seconds per turn")
    parser.add_argument("--json", type=Path, help="also write the samples and summary here")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.turns < 1:
        parser.error("--sessions and --turns must be at least 1")
    ensure_loopback_bypasses_proxies()
    work = Path(tempfile.mkdtemp(prefix="memory-bench-"))

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    say(f"app log and store in {work}")
    run = measure(args.sessions, args.turns, args.turn_timeout, work, say)
    summary = summarise(run)
    print(report(run, summary), flush=True)
    for error in run.errors:
        print(f"ERROR {error}", file=sys.stderr)
    if args.json:
        data = {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "summary": summary,
            **{k: v for k, v in asdict(run).items() if k != "turn_seconds"},
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
