"""Per-turn latency of the app next to the plain recipe (benchmarks/recipe_app.py).

One `ScriptedOpenAI` answering at once; the app and then the recipe (alternating, for
--rounds), each under a real `streamlit run` with its own headless Chromium, chat N
turns that alternate between small talk and arithmetic:

    odd turns   "My name is Ada7"      -> "Nice to meet you, Ada7!"
    even turns  "What is 108 * 1008?"  -> calculator step -> "The calculator returned: 108864."

A turn lasts, in the page's own clock, from the Enter keydown until the answer text is
visible and the app is idle (as `e2e_support.send_chat` + `wait_for_idle` see it). Where
the time goes, measured from outside the app (it is not edited for this):

- script runs per turn, from the server's messages (`new_session`) and from the page
  (`data-test-script-state` going to "running": it may stay there across an `st.rerun`);
- first answer word visible, whole answer visible, idle;
- the WebSocket timeline, as the page received it: Enter to the first run's start,
  inside runs, between runs, last run's end to idle; KB and deltas received;
- CPU seconds per turn of the app process, of the browser (+ Playwright driver) and of
  this process (scripted model + Playwright client), from /proc.

Both apps import a copy of streamlit_agent/ taken at the start, so edits made meanwhile
do not mix two versions into one run.

    .venv/bin/python -m benchmarks.turns                  # 60 turns each, one round
    .venv/bin/python -m benchmarks.turns --turns 60 --rounds 3 --publish

Writes turns.json and turns.png to --out (default benchmarks/results/); --publish copies
the plot to docs/performance.png or the path given. Exits 1 when a turn failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.load import SETTLED_JS, cpu_snapshot
from tests.e2e_support import (
    CHAT_INPUT,
    CHAT_MESSAGE,
    AppProcess,
    as_anonymous_browser,
    ensure_loopback_bypasses_proxies,
    launch_chromium,
    start_playwright,
    wait_for_app,
)
from tests.scripted_openai import ScriptedOpenAI

REPO_ROOT = Path(__file__).resolve().parents[1]

APPS = {"app": "streamlit_agent/app.py", "recipe": "benchmarks/recipe_app.py"}
BANDS = ((1, 5), (25, 30), (56, 60), (120, 125))
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results"
DEFAULT_PUBLISH = REPO_ROOT / "docs" / "performance.png"
SETTLE_MS = 200  # as wait_for_idle: a finished run may start another at once
POLL_MS = 100  # Python's polling only decides when to read; the page clock times the turn

# Installed before the app's own scripts. Times in performance.now() ms. `turn` is armed
# from Python before each Enter: which bubble is this turn's answer and what it must say.
# WebSocket is wrapped only to timestamp each frame; Python reads the same frames' types
# from Playwright's websocket events, in the same order.
TURN_JS = """
(() => {
  const s = {turn: null, enterAt: null, idleAt: null, firstAt: null, answerAt: null,
             runs: 0, state: null, frames: []};
  window.__turnBench = s;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const d = e.data;
        const size = d.byteLength !== undefined ? d.byteLength
                   : d.size !== undefined ? d.size : d.length;
        s.frames.push([performance.now(), size]);
      });
    }
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && e.target && e.target.tagName === 'TEXTAREA') {
      Object.assign(s, {enterAt: performance.now(), idleAt: null, firstAt: null,
                        answerAt: null, runs: 0});
    }
  }, true);
  const look = () => {
    const t = s.turn;
    if (!t || s.enterAt === null || (s.firstAt !== null && s.answerAt !== null)) return;
    // The answer's bubble follows the question's; not found by position, since an app
    // may draw only the newest turns. Questions are unique to their turn.
    const all = document.querySelectorAll('[data-testid="stChatMessageContent"]');
    let at = all.length - 2;
    while (at >= 0 && all[at].textContent.trim() !== t.question) at--;
    if (at < 0 || !all[at + 1]) return;
    // innerText, not textContent: a collapsed expander's text is not visible.
    const text = all[at + 1].innerText;
    const now = performance.now();
    if (s.firstAt === null && text.includes(t.first)) s.firstAt = now;
    if (s.answerAt === null && text.includes(t.answer)) s.answerAt = now;
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type !== 'attributes') continue;
      const state = r.target.getAttribute('data-test-script-state');
      if (s.enterAt !== null && state === 'running' && s.state !== 'running') s.runs++;
      if (s.enterAt !== null && state === 'notRunning') s.idleAt = performance.now();
      s.state = state;
    }
    look();
  }).observe(document, {subtree: true, childList: true, characterData: true,
                        attributes: true, attributeFilter: ['data-test-script-state']});
})();
"""
ARM_JS = """(turn) => {
  const s = window.__turnBench;
  s.turn = turn;
  return s.frames.length;
}"""
DONE_JS = f"() => window.__turnBench.answerAt !== null && ({SETTLED_JS.strip()})()"
READ_JS = """(from) => {
  const s = window.__turnBench;
  return {enterAt: s.enterAt, idleAt: s.idleAt, firstAt: s.firstAt, answerAt: s.answerAt,
          runs: s.runs, frames: s.frames.slice(from), readAt: performance.now()};
}"""


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class TurnSpec:
    number: int
    kind: str  # talk | math
    question: str
    answer: str

    @property
    def first_word(self) -> str:
        return self.answer.split()[0]


def make_turns(count: int) -> list[TurnSpec]:
    """Small talk and arithmetic in turn; no two turns share a name or a number."""
    turns = []
    for number in range(1, count + 1):
        if number % 2:
            name = f"Ada{number}"
            turns.append(
                TurnSpec(number, "talk", f"My name is {name}", f"Nice to meet you, {name}!")
            )
        else:
            a, b = 100 + number, 1000 + number
            answer = f"The calculator returned: {a * b}."
            turns.append(TurnSpec(number, "math", f"What is {a} * {b}?", answer))
    return turns


# --------------------------------------------------------------------------- one turn


@dataclass
class TurnRecord:
    app: str
    turn: int
    kind: str
    ok: bool
    round: int = 1
    error: str | None = None
    latency_s: float | None = None  # Enter -> answer visible and idle
    first_text_s: float | None = None  # Enter -> the answer's first word visible
    answer_s: float | None = None  # Enter -> the whole answer visible
    idle_s: float | None = None  # Enter -> the last switch to "notRunning"
    runs_seen: int | None = None  # the page's switches to "running"
    script_runs: int | None = None  # the server's new_session messages
    to_first_run_s: float | None = None  # Enter -> first new_session arrives
    in_runs_s: float | None = None  # new_session -> script_finished, summed
    first_run_s: float | None = None  # the run that asks the model (the answer streams here)
    later_runs_s: float | None = None  # reruns after it, summed (redraws)
    between_runs_s: float | None = None  # script_finished -> next new_session, summed
    after_last_run_s: float | None = None  # last script_finished -> idle (browser side)
    run_s: list[float] | None = None  # each run, new_session -> script_finished
    frames: int | None = None
    deltas: int | None = None
    kb_received: float | None = None
    app_cpu_s: float | None = None
    browser_cpu_s: float | None = None
    harness_cpu_s: float | None = None
    model_calls: int | None = None
    bubbles: int | None = None  # chat bubbles on the page when the turn was done


@dataclass
class FrameLog:
    """Types and sizes of the frames the app sent, in order (Playwright's websocket events)."""

    frames: list[tuple[str, int]] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("websocket", lambda ws: ws.on("framereceived", self._received))

    def _received(self, payload: bytes | str) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        kind = "text"
        if isinstance(payload, bytes):
            try:
                kind = ForwardMsg.FromString(payload).WhichOneof("type") or "none"
            except Exception:  # not a ForwardMsg: count it, name it so
                kind = "unparsed"
        self.frames.append((kind, len(payload)))


def wait_until_done(page: Any, timeout_ms: float) -> None:
    """The answer is visible and the app idle, still so SETTLE_MS later."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        remaining = max(1_000.0, (deadline - time.monotonic()) * 1000)
        page.wait_for_function(DONE_JS, timeout=remaining, polling=POLL_MS)
        page.wait_for_timeout(SETTLE_MS)
        if page.evaluate(DONE_JS):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the turn did not settle within {timeout_ms / 1000:.0f} s")


def frames_of_turn(page: Any, log: FrameLog, start: int, count: int) -> list[tuple[str, int]]:
    """The Python-side frames start..start+count; Playwright may deliver the last late."""
    deadline = time.monotonic() + 2
    while len(log.frames) < start + count and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    return log.frames[start : start + count]


def timeline(
    enter_at: float,
    idle_at: float,
    stamped: Sequence[tuple[float, int]],
    typed: Sequence[tuple[str, int]],
) -> dict[str, Any]:
    """Split Enter..idle at the server's run boundaries; {} when the two logs disagree."""
    if len(stamped) != len(typed) or any(a[1] != b[1] for a, b in zip(stamped, typed, strict=True)):
        return {}
    events = [(t, kind) for (t, _), (kind, _) in zip(stamped, typed, strict=True)]
    starts = [t for t, kind in events if kind == "new_session"]
    ends = [t for t, kind in events if kind == "script_finished"]
    result: dict[str, Any] = {
        "script_runs": len(starts),
        "frames": len(events),
        "deltas": sum(1 for _, kind in events if kind == "delta"),
        "kb_received": sum(size for _, size in typed) / 1024,
    }
    if starts and len(ends) == len(starts):
        result["to_first_run_s"] = (starts[0] - enter_at) / 1000
        result["run_s"] = [round((e - s) / 1000, 4) for s, e in zip(starts, ends, strict=True)]
        result["in_runs_s"] = sum(result["run_s"])
        result["first_run_s"] = result["run_s"][0]
        result["later_runs_s"] = sum(result["run_s"][1:])
        result["between_runs_s"] = (
            sum(s - e for e, s in zip(ends[:-1], starts[1:], strict=True)) / 1000
        )
        result["after_last_run_s"] = (idle_at - ends[-1]) / 1000
    return result


def _seconds(later: float | None, enter_at: float) -> float | None:
    return None if later is None else (later - enter_at) / 1000


@dataclass
class Session:
    """One app's page and what watches it."""

    name: str
    round: int
    page: Any
    app_pid: int
    log: FrameLog
    scripted: ScriptedOpenAI
    timeout_ms: float


def drive_turn(session: Session, spec: TurnSpec) -> TurnRecord:
    page, log, scripted, pid = session.page, session.log, session.scripted, session.app_pid
    record = TurnRecord(session.name, spec.number, spec.kind, ok=False, round=session.round)
    cpu_before, calls_before, py_start = cpu_snapshot(pid), len(scripted.requests), len(log.frames)
    page_start = page.evaluate(
        ARM_JS, {"question": spec.question, "first": spec.first_word, "answer": spec.answer}
    )
    box = page.locator(CHAT_INPUT).first
    box.fill(spec.question)  # waits until the input is enabled again
    box.press("Enter")
    try:
        wait_until_done(page, session.timeout_ms)
    except Exception as exc:
        record.error = f"turn {spec.number}: {exc!r}"
        return record
    cpu_after = cpu_snapshot(pid)
    seen = page.evaluate(READ_JS, page_start)
    enter_at, idle_at = seen["enterAt"], seen["idleAt"]
    if idle_at is None:
        # The page settled but its run-state attribute never toggled where the observer saw
        # it (seen once in 180 recipe turns): the read's own time bounds the turn from above.
        idle_at = seen["readAt"]
    record.latency_s = (max(idle_at, seen["answerAt"]) - enter_at) / 1000
    record.first_text_s = _seconds(seen["firstAt"], enter_at)
    record.answer_s = _seconds(seen["answerAt"], enter_at)
    record.idle_s = _seconds(idle_at, enter_at)
    record.runs_seen = seen["runs"]
    typed = frames_of_turn(page, log, py_start, len(seen["frames"]))
    for name, value in timeline(enter_at, idle_at, seen["frames"], typed).items():
        setattr(record, name, value)
    for name in ("app", "browser", "harness"):
        key = "browsers" if name == "browser" else name
        used = cpu_after.get(key, 0.0) - cpu_before.get(key, 0.0)
        setattr(record, f"{name}_cpu_s", round(used, 3))
    record.model_calls = len(scripted.requests) - calls_before
    record.bubbles = page.locator(CHAT_MESSAGE).count()
    record.ok = True  # the question's own answer was seen, in its place
    return record


# --------------------------------------------------------------------------- one app


def app_env_for(scripted: ScriptedOpenAI, work: Path, run_dir: Path) -> dict[str, str]:
    return {
        # The snapshot's package wins over the editable install of the work tree.
        "PYTHONPATH": os.pathsep.join([str(work / "src"), str(REPO_ROOT)]),
        "OPENAI_BASE_URL": scripted.base_url,
        "STREAMLIT_AGENT_MODEL": "scripted-model",
        "STREAMLIT_AGENT_DB_URL": f"sqlite:///{run_dir / 'app.db'}",  # a new store each run
        "STREAMLIT_AGENT_MESSAGES_PER_MINUTE": "0",  # 60 turns in a few minutes is the point
        "STREAMLIT_AGENT_ANON_MESSAGES_PER_MINUTE": "0",  # all sessions together
    }


def open_page(browser: Any, url: str, timeout_s: float, app: bool) -> tuple[Any, FrameLog]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(timeout_s * 1000)
    context.add_init_script(TURN_JS)
    if app:  # the recipe has no identity cookie to wait for
        as_anonymous_browser(context, url)
    page = context.new_page()
    log = FrameLog()
    log.attach(page)  # before goto, so the app's WebSocket is seen from its first frame
    page.goto(url)
    wait_for_app(page, timeout_s * 1000)
    return page, log


@dataclass
class AppRun:
    name: str
    round: int
    records: list[TurnRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0  # while chatting
    cores: dict[str, float] = field(default_factory=dict)  # CPU s / wall s, by whom
    load_before: float | None = None  # 1-minute load average: others on the machine show
    load_after: float | None = None


def chat(session: Session, turns: int, run: AppRun, say: Callable[[str], None]) -> None:
    for spec in make_turns(turns):
        record = drive_turn(session, spec)
        run.records.append(record)
        if record.error:
            run.errors.append(f"{session.name} {record.error}")
        if record.latency_s is None:
            break  # the page is stuck; later turns would only time out too
        if spec.number % 10 == 0:
            say(f"{session.name}: turn {spec.number}, {record.latency_s:.2f} s")


def run_app(
    name: str,
    round_: int,
    scripted: ScriptedOpenAI,
    turns: int,
    work: Path,
    timeout_s: float,
    say: Callable[[str], None],
) -> AppRun:
    """`turns` turns in a fresh `streamlit run` of one app, with its own Chromium."""
    from benchmarks.load import app_log_problems

    run = AppRun(name, round_)
    scripted.reset()
    brain_errors = len(scripted.errors)  # the model server is shared by both apps
    script = work / "src" / APPS[name] if name == "app" else REPO_ROOT / APPS[name]
    # `python -m` puts the working directory first on sys.path: it must be the copy's.
    run_dir = work / f"{name}-{round_}"
    env = app_env_for(scripted, work, run_dir)
    cwd = work / "src"
    if name != "app":
        # The recipe runs on Streamlit's defaults, as a user would run it: not from the
        # folder holding this app's .streamlit/config.toml, only importing from it.
        cwd = work / "recipe"
        cwd.mkdir(exist_ok=True)
    app = AppProcess(env, script=script, cwd=cwd, log_dir=run_dir)
    with app:
        assert app.process is not None
        playwright = start_playwright()
        try:
            browser = launch_chromium(playwright)
            page, log = open_page(browser, app.url, timeout_s, app=name == "app")
            session = Session(name, round_, page, app.process.pid, log, scripted, timeout_s * 1000)
            run.load_before, before, began = (
                os.getloadavg()[0],
                cpu_snapshot(app.process.pid),
                time.perf_counter(),
            )
            chat(session, turns, run, say)
            run.wall_s = time.perf_counter() - began
            after, run.load_after = cpu_snapshot(app.process.pid), os.getloadavg()[0]
            run.cores = {k: round((after[k] - before[k]) / run.wall_s, 2) for k in after}
            browser.close()
        finally:
            playwright.stop()
        if not app.is_running():
            run.errors.append(f"{name} exited with code {app.process.poll()}")
    run.errors += [f"{name}: {p}" for p in app_log_problems(app.log_text(), str(app.log_path))]
    run.errors += [
        f"{name}: scripted model brain failed: {e}" for e in scripted.errors[brain_errors:]
    ]
    return run


def snapshot_sources(work: Path) -> dict[str, Any]:
    """Copy streamlit_agent/ into work/src; returns what names the copy.

    Others edit and commit while a run takes minutes; both apps import the copy, so one
    run measures one version of the code: the commit and uncommitted edits of this
    moment, and the digest of the copy.
    """
    code: dict[str, Any] = {}
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        git = ["git", "-C", str(REPO_ROOT)]
        head = subprocess.check_output([*git, "rev-parse", "--short", "HEAD"], text=True)
        status = [*git, "status", "--porcelain", "--", "streamlit_agent"]
        code["commit"] = head.strip()
        code["uncommitted"] = subprocess.check_output(status, text=True).splitlines()
    target = work / "src" / "streamlit_agent"
    shutil.copytree(
        REPO_ROOT / "streamlit_agent", target, ignore=shutil.ignore_patterns("__pycache__")
    )
    # Streamlit reads .streamlit/config.toml from its working directory, the copy's root.
    (work / "src" / ".streamlit").mkdir()
    shutil.copy(REPO_ROOT / ".streamlit" / "config.toml", work / "src" / ".streamlit")
    digest = hashlib.sha256()
    for path in sorted(target.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(target)).encode() + b"\0" + path.read_bytes())
    code["sources_digest"] = digest.hexdigest()[:12]
    return code


# --------------------------------------------------------------------------- the report

BREAKDOWN = (
    "script_runs",
    "runs_seen",
    "first_text_s",
    "answer_s",
    "idle_s",
    "to_first_run_s",
    "in_runs_s",
    "first_run_s",
    "later_runs_s",
    "between_runs_s",
    "after_last_run_s",
    "app_cpu_s",
    "browser_cpu_s",
    "harness_cpu_s",
    "kb_received",
    "deltas",
    "model_calls",
)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def bands(records: Sequence[TurnRecord], turns: int) -> list[dict[str, Any]]:
    """Median latency and mean breakdown per band of turns that this run reached."""
    rows = []
    for index, (low, high) in enumerate(BANDS):
        if turns < high and not (index == 0 and turns >= low):
            continue  # a band is reported whole; only a short run's first band is cut
        high = min(high, turns)
        chosen = [r for r in records if low <= r.turn <= high and r.latency_s is not None]
        row: dict[str, Any] = {"band": f"{low}–{high}", "turns": len(chosen)}
        latencies = [r.latency_s for r in chosen if r.latency_s is not None]
        row["median_latency_s"] = statistics.median(latencies) if latencies else None
        for name in BREAKDOWN:
            row[name] = _mean([getattr(r, name) for r in chosen])
        rows.append(row)
    return rows


def growth(rows: Sequence[dict[str, Any]]) -> tuple[str, float | None]:
    """Band 56–60 over band 1–5 (or the last band reached over the first)."""
    if len(rows) < 2:
        return "", None
    last = next((r for r in rows if r["band"] == "56–60"), rows[-1])
    first, later = rows[0]["median_latency_s"], last["median_latency_s"]
    ratio = later / first if first and later is not None else None
    return f"{last['band']} ÷ {rows[0]['band']}", ratio


def _f(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{suffix}"


def latency_table(summary: dict[str, list[dict[str, Any]]]) -> str:
    names = list(summary)
    lines = [
        "| turns | " + " | ".join(f"{n} median s" for n in names) + " | app / recipe |",
        "|---" * (len(names) + 2) + "|",
    ]
    for index, row in enumerate(summary[names[0]]):
        cells = [_f(summary[n][index]["median_latency_s"]) for n in names]
        ratio = "–"
        if {"app", "recipe"} <= set(names):
            a, r = (summary[n][index]["median_latency_s"] for n in ("app", "recipe"))
            ratio = _f(a / r if a and r else None, 2, "×")
        lines.append(f"| {row['band']} | " + " | ".join(cells) + f" | {ratio} |")
    label = growth(summary[names[0]])[0]
    if label:
        cells = [_f(growth(summary[n])[1], 2, "×") for n in names]
        lines.append(f"| growth {label} | " + " | ".join(cells) + " | |")
    return "\n".join(lines)


def breakdown_table(summary: dict[str, list[dict[str, Any]]]) -> str:
    head = (
        "| app | turns | script runs (server / page) | first word s | answer s | idle s "
        "| Enter→1st run s | 1st run s | between runs s | later runs s | last run→idle s "
        "| app CPU s | browser CPU s | KB received |"
    )
    lines = [head, "|---" * 14 + "|"]
    for name, rows in summary.items():
        for row in rows:
            cells = [
                f"{_f(row['script_runs'], 1)} / {_f(row['runs_seen'], 1)}",
                *(_f(row[k]) for k in ("first_text_s", "answer_s", "idle_s")),
                *(_f(row[k]) for k in ("to_first_run_s", "first_run_s", "between_runs_s")),
                *(_f(row[k]) for k in ("later_runs_s", "after_last_run_s")),
                _f(row["app_cpu_s"]),
                _f(row["browser_cpu_s"]),
                _f(row["kb_received"], 0),
            ]
            lines.append(f"| {name} | {row['band']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the numbers were measured on; they mean little without it."""
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version()}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024**2, 1)
    from importlib.metadata import version

    for package in ("streamlit", "langchain-core", "langchain", "langgraph", "playwright"):
        with contextlib.suppress(Exception):
            info[package] = version(package)
    return info


def plot(results: dict[str, list[TurnRecord]], path: Path, title: str) -> bool:
    """Seconds per turn against turn number; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display; a file is all that is wanted
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return False
    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=110)
    for (name, records), marker in zip(results.items(), "os^v", strict=False):
        by_turn: dict[int, list[float]] = {}
        for r in records:
            if r.latency_s is not None:
                by_turn.setdefault(r.turn, []).append(r.latency_s)
        turns = sorted(by_turn)
        medians = [statistics.median(by_turn[t]) for t in turns]
        line = axes.plot(turns, medians, marker=marker, markersize=3, linewidth=1)[0]
        rounds = max((len(v) for v in by_turn.values()), default=1)
        line.set_label(
            f"{name} ({APPS[name]})" + (f", median of {rounds} rounds" if rounds > 1 else "")
        )
        if rounds > 1:  # the rounds themselves, faint: how much the machine moved them
            points = [(t, v) for t in turns for v in by_turn[t]]
            axes.scatter(*zip(*points, strict=True), s=4, alpha=0.25, color=line.get_color())
    axes.set_xlabel("turn")
    axes.set_ylabel("seconds: Enter → answer visible and idle")
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    axes.legend()
    axes.set_title(title, fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return True


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=60, help="turns per app (default 60)")
    parser.add_argument("--apps", default="app,recipe", help="which, in order: app,recipe")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="for turns.json/.png")
    parser.add_argument(
        "--publish",
        type=Path,
        nargs="?",
        const=DEFAULT_PUBLISH,
        help=f"also copy the plot here (default {DEFAULT_PUBLISH.relative_to(REPO_ROOT)})",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat both apps, alternating (default 1)"
    )
    parser.add_argument("--turn-timeout", type=float, default=60.0, help="seconds per turn")
    args = parser.parse_args(argv)
    args.apps = [a.strip() for a in args.apps.split(",") if a.strip()]
    unknown = [a for a in args.apps if a not in APPS]
    if unknown or not args.apps or args.turns < 1 or args.rounds < 1:
        parser.error(f"--apps takes {', '.join(APPS)}; --turns/--rounds >= 1 (got {unknown})")
    return args


def machine_line(runs: Sequence[AppRun]) -> str:
    parts = []
    for run in runs:
        cores = ", ".join(f"{k} {v:.2f}" for k, v in run.cores.items())
        parts.append(
            f"{run.name} round {run.round}: {run.wall_s:.0f} s chatting; CPU cores busy: {cores}; "
            f"load average {_f(run.load_before)} -> {_f(run.load_after)}"
        )
    return "\n".join(parts)


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else path.name


def report(args: argparse.Namespace, runs: Sequence[AppRun], code: dict[str, Any]) -> None:
    results: dict[str, list[TurnRecord]] = {}
    for run in runs:  # rounds pooled: a band's median is over every round's turns
        results.setdefault(run.name, []).extend(run.records)
    summary = {name: bands(records, args.turns) for name, records in results.items()}
    print("\nSeconds per turn (median), Enter -> answer visible and idle\n")
    print(latency_table(summary))
    print("\nWhere the time goes (means per turn)\n")
    print(breakdown_table(summary))
    print("\n" + machine_line(runs))
    info = machine()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    data = {
        "date": when,
        "command": " ".join([_shown(Path(sys.executable)), *sys.argv]),
        "machine": info,
        "code": code,
        "turns": args.turns,
        "rounds": args.rounds,
        "bands": summary,
        "growth": {name: growth(rows)[1] for name, rows in summary.items()},
        "runs": [{k: v for k, v in asdict(r).items() if k != "records"} for r in runs],
        "records": {name: [asdict(r) for r in records] for name, records in results.items()},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "turns.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    title = (
        f"{args.turns} turns × {args.rounds} rounds, instant scripted model · "
        f"{info.get('nproc')} cores · {when}"
    )
    png = args.out / "turns.png"
    if not plot(results, png, title):
        print(f"\nwrote {args.out / 'turns.json'}; no plot: pip install matplotlib")
        return
    print(f"\nwrote {args.out / 'turns.json'} and {png}")
    if args.publish:
        args.publish.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, args.publish)
        print(f"published the plot as {args.publish}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_loopback_bypasses_proxies()
    work = Path(tempfile.mkdtemp(prefix="turns-bench-"))
    print(f"logs and databases in {work}", flush=True)
    runs: list[AppRun] = []
    code = snapshot_sources(work)
    print(f"measuring a copy of streamlit_agent/: {code}", flush=True)
    # One after the other, so neither app's turns compete with the other's for the CPU;
    # rounds alternate them, so a change in the machine's other load falls on both.
    with ScriptedOpenAI(chunk_delay=0) as scripted:
        for round_ in range(1, args.rounds + 1):
            for name in args.apps:
                print(f"{name} round {round_}: {args.turns} turns ({APPS[name]})", flush=True)
                run = run_app(name, round_, scripted, args.turns, work, args.turn_timeout, print)
                runs.append(run)
    report(args, runs, code)
    errors = [error for run in runs for error in run.errors]
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
