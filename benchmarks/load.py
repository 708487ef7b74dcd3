"""Load benchmark: many concurrent browser sessions chatting with one app process.

One `ScriptedOpenAI` and one `streamlit run` of the app; N sessions, each its own thread
with its own sync Playwright and Chromium, open the app, wait until all are ready and then
chat at once, T turns each, with content unique to the session:

    turn 1        "My name is User7"          -> "Nice to meet you, User7!"
    turns 2..T-1  "What is 107002 * 32?"       -> calculator step -> "The calculator returned: …"
    turn T        "What is my name?"           -> "Your name is User7."

Latency per turn is measured in the page, from the Enter keydown to the app's last switch
back to "not running" (the answer is complete and redrawn from history). Afterwards:

- errors: exceptions, timeouts, error/warning bubbles, wrong or missing answers, app log
  tracebacks, scripted-model brain failures;
- cross-talk: a session's chat shows another session's name or numbers, a session's
  conversation id changes, or one model request mixes two sessions' messages;
- stored: each session's conversation, loaded from the store, holds exactly T questions
  and T complete answers with the expected text (and the calculator steps), no duplicates.

    .venv/bin/python -m benchmarks.load --sessions 20 --turns 5
    .venv/bin/python -m benchmarks.load --postgres          # a fresh schema, dropped after

Exits 1 when anything above went wrong. `run_benchmark()` is the core, used by
tests/test_load.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e_support import (
    _IDLE_JS,
    CHAT_INPUT,
    CHAT_MESSAGE,
    AppProcess,
    as_anonymous_browser,
    chat_messages,
    chat_roles,
    ensure_loopback_bypasses_proxies,
    launch_chromium,
    start_playwright,
    wait_for_app,
)
from tests.scripted_openai import ScriptedOpenAI

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_PG_URL = os.environ.get(
    "STREAMLIT_AGENT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NAME_TOKEN = re.compile(r"\bUser(\d+)\b")
BIG_NUMBER = re.compile(r"\b\d{6,}\b")  # operands (6 digits) and products (7+) of the plans
ALERTS = '[data-testid="stMain"] [data-testid="stAlert"], [data-testid="stException"]'
THREAD_IN_URL = re.compile(r"[?&]thread=([A-Za-z0-9_-]+)")
# e2e_support's waits poll on every animation frame; twenty pages doing that keep Chromium
# drawing 60 frames a second each and take most of two cores from the app under test.
POLL_MS = 100
SETTLE_MS = 200
BUBBLES_AT_LEAST_JS = """(want) =>
  document.querySelectorAll('[data-testid="stChatMessage"]').length >= want"""
# Done = idle and redrawn from history: the live run's Stop button is gone. Idle alone
# was once seen for 200 ms on a starved page whose run was still going.
SETTLED_JS = f"""() => ({_IDLE_JS.strip()})()
  && !document.querySelector('.st-key-stop-run')"""
IDLE_SINCE_JS = f"() => ({SETTLED_JS.strip()})() && performance.now()"

# Installed in every page before the app's own scripts: the Enter keydown on the chat
# input, and the latest time the app's script state became "notRunning".
TIMING_JS = """
(() => {
  const t = {enterAt: null, idleAt: null};
  window.__loadBench = t;
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && e.target && e.target.tagName === 'TEXTAREA') {
      t.enterAt = performance.now();
      t.idleAt = null;
    }
  }, true);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.getAttribute('data-test-script-state') === 'notRunning') {
        t.idleAt = performance.now();
      }
    }
  }).observe(document, {subtree: true, attributes: true,
                        attributeFilter: ['data-test-script-state']});
})();
"""


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class TurnPlan:
    question: str
    answer: str  # the exact text of the stored final answer
    kind: str  # name | math | recall
    expression: str | None = None  # the calculator input for a math turn
    result: str | None = None  # the calculator output for a math turn


@dataclass(frozen=True)
class SessionPlan:
    index: int
    name: str
    turns: tuple[TurnPlan, ...]

    @property
    def numbers(self) -> set[str]:
        """The session's own big numbers: operands and products."""
        found: set[str] = set()
        for turn in self.turns:
            found.update(BIG_NUMBER.findall(turn.question + " " + turn.answer))
        return found


def make_plans(sessions: int, turns: int) -> list[SessionPlan]:
    """Session-unique conversations; no number belongs to two sessions."""
    if sessions < 1 or turns < 1:
        raise ValueError("need at least one session and one turn")
    plans = []
    for index in range(1, sessions + 1):
        name = f"User{index}"
        steps = [TurnPlan(f"My name is {name}", f"Nice to meet you, {name}!", "name")]
        for turn in range(2, turns):
            a, b = 100_000 + 1_000 * index + turn, 30 + turn
            expression = f"{a} * {b}"
            steps.append(
                TurnPlan(
                    f"What is {expression}?",
                    f"The calculator returned: {a * b}.",
                    "math",
                    expression,
                    str(a * b),
                )
            )
        if turns >= 2:
            steps.append(TurnPlan("What is my name?", f"Your name is {name}.", "recall"))
        plans.append(SessionPlan(index, name, tuple(steps)))
    owners: dict[str, int] = {}
    for plan in plans:
        for number in plan.numbers:
            if owners.setdefault(number, plan.index) != plan.index:
                raise ValueError(f"{number} belongs to two sessions; change the plan")
    return plans


def number_owners(plans: Sequence[SessionPlan]) -> dict[str, int]:
    return {number: plan.index for plan in plans for number in plan.numbers}


def find_cross_talk(
    texts: Sequence[str], plan: SessionPlan, owners: dict[str, int], where: str = "page"
) -> list[str]:
    """Another session's name or numbers in `texts` (e.g. one session's chat bubbles)."""
    found = []
    for text in texts:
        for match in NAME_TOKEN.finditer(text):
            if int(match.group(1)) != plan.index:
                found.append(f"session {plan.index} {where} shows {match.group(0)}: {text!r}")
        for number in BIG_NUMBER.findall(text):
            owner = owners.get(number)
            if owner is not None and owner != plan.index:
                found.append(
                    f"session {plan.index} {where} shows {number} of session {owner}: {text!r}"
                )
    return found


def request_cross_talk(requests: Sequence[dict[str, Any]], owners: dict[str, int]) -> list[str]:
    """Model requests whose user messages come from more than one session."""
    found = []
    for number, request in enumerate(requests):
        sessions: set[int] = set()
        for message in request.get("messages") or ():
            if message.get("role") != "user":
                continue
            text = str(message.get("content"))
            sessions.update(int(m) for m in NAME_TOKEN.findall(text))
            sessions.update(owners[n] for n in BIG_NUMBER.findall(text) if n in owners)
        if len(sessions) > 1:
            found.append(f"model request {number} mixes sessions {sorted(sessions)}")
    return found


# --------------------------------------------------------------------------- the store check


def check_store(
    db_url: str,
    plans: Sequence[SessionPlan],
    thread_ids: dict[int, str | None],
    owners: dict[int, str],
) -> list[str]:
    """Problems with what the store holds for each session; [] when all is there, once."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from streamlit_agent.conversation.steps import STATUS_COMPLETE, group_turns
    from streamlit_agent.store.database import ConversationStore

    problems: list[str] = []
    store = ConversationStore(db_url)
    try:
        for plan in plans:
            who = f"session {plan.index}"
            thread_id = thread_ids.get(plan.index)
            owner = owners.get(plan.index, "")
            if not thread_id:
                problems.append(f"{who}: no conversation id")
                continue
            if [t.id for t in store.list_threads(owner)] != [thread_id]:
                problems.append(f"{who}: its browser does not list exactly {thread_id}")
            stored = store.load_messages(owner, thread_id)
            ids = [m.id for m in stored]
            if len(set(ids)) != len(ids):
                problems.append(f"{who}: duplicate message ids")
            questions = [str(m.content) for m in stored if isinstance(m, HumanMessage)]
            answers = [m for m in stored if isinstance(m, AIMessage) and not m.tool_calls]
            expected_questions = [t.question for t in plan.turns]
            if questions != expected_questions:
                problems.append(f"{who}: stored questions {questions} != {expected_questions}")
            if len(answers) != len(plan.turns):
                problems.append(f"{who}: {len(answers)} answers stored, {len(plan.turns)} sent")
            for number, (turn, want) in enumerate(
                zip(group_turns(stored), plan.turns, strict=False), 1
            ):
                got = turn.answer.content if turn.answer is not None else None
                if got != want.answer:
                    problems.append(f"{who} turn {number}: answer {got!r} != {want.answer!r}")
                elif turn.status != STATUS_COMPLETE:
                    problems.append(f"{who} turn {number}: answer status {turn.status}")
                steps = [(s.tool, s.output, s.status) for s in turn.steps]
                want_steps = [("calculator", want.result, "ok")] if want.kind == "math" else []
                if steps != want_steps:
                    problems.append(f"{who} turn {number}: steps {steps} != {want_steps}")
                tools = [m for m in turn.messages if isinstance(m, ToolMessage)]
                if len(turn.messages) != 2 + 2 * len(want_steps) or len(tools) != len(want_steps):
                    problems.append(f"{who} turn {number}: {len(turn.messages)} messages stored")
    finally:
        store.close()
    return problems


# --------------------------------------------------------------------------- sessions


@dataclass
class TurnResult:
    session: int
    turn: int
    kind: str
    latency_s: float | None  # in the page: Enter keydown to the last "notRunning"
    client_s: float  # around send_turn: fill, Enter, wait until idle and settled
    ok: bool
    timing: str = "observer"  # how the end was seen: "observer" (exact) or "poll"


@dataclass
class SessionResult:
    index: int
    thread_id: str | None = None
    owner: str = ""
    turns: list[TurnResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cross_talk: list[str] = field(default_factory=list)
    final_texts: list[str] = field(default_factory=list)


def _thread_of(url: str) -> str | None:
    match = THREAD_IN_URL.search(url)
    return match.group(1) if match else None


def _wait(barrier: threading.Barrier, result: SessionResult, what: str) -> None:
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        result.errors.append(f"session {result.index}: gave up waiting for the others {what}")


def _run_session(
    plan: SessionPlan,
    app_url: str,
    owners: dict[str, int],
    ready: threading.Barrier,
    finished: threading.Barrier,
    launch_gate: threading.Semaphore,
    turn_timeout_s: float,
    artifacts: Path,
) -> SessionResult:
    result = SessionResult(plan.index)
    who = f"session {plan.index}"
    playwright = browser = page = None
    try:
        try:
            with launch_gate:  # many Chromiums starting at once only slow each other down
                playwright = start_playwright()
                browser = launch_chromium(playwright)
                context = browser.new_context(viewport={"width": 1100, "height": 900})
                context.set_default_timeout(turn_timeout_s * 1000)
                context.add_init_script(TIMING_JS)
                result.owner = as_anonymous_browser(context, app_url)
                page = context.new_page()
                page.goto(app_url)
                wait_for_app(page, timeout_ms=turn_timeout_s * 1000)
        except Exception as exc:
            result.errors.append(f"{who}: could not open the app: {exc!r}")
        _wait(ready, result, "to open the app")
        if page is not None and not result.errors:
            _chat(plan, page, result, owners, turn_timeout_s)
        _wait(finished, result, "to finish chatting")
        if page is not None:
            _check_page(plan, page, result, owners)
            if result.errors or result.cross_talk:
                with contextlib.suppress(Exception):
                    page.screenshot(path=str(artifacts / f"session-{plan.index}.png"))
    except Exception as exc:  # never let a session take the benchmark down
        result.errors.append(f"{who}: {exc!r}\n{traceback.format_exc()}")
    finally:
        if browser is not None:
            with contextlib.suppress(Exception):
                browser.close()
        if playwright is not None:
            with contextlib.suppress(Exception):
                playwright.stop()
    return result


def send_turn(page: Any, text: str, bubbles: int, timeout_ms: float) -> float:
    """`e2e_support.send_chat`, waiting for this turn's own bubbles and polling gently.

    Done means: at least `bubbles` chat bubbles (so the run for this message started,
    however long the app took to begin it) and then idle with no live run on the page,
    still so `SETTLE_MS` later.
    Returns the page's clock (performance.now(), ms) when idle was first seen.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    box = page.locator(CHAT_INPUT).first
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(BUBBLES_AT_LEAST_JS, arg=bubbles, timeout=timeout_ms, polling=POLL_MS)
    while True:
        remaining = max(1_000.0, (deadline - time.monotonic()) * 1000)
        seen = page.wait_for_function(IDLE_SINCE_JS, timeout=remaining, polling=POLL_MS)
        page.wait_for_timeout(SETTLE_MS)
        if page.evaluate(SETTLED_JS):
            return float(seen.json_value())
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app did not settle within {timeout_ms / 1000:.0f} s")


def _chat(
    plan: SessionPlan,
    page: Any,
    result: SessionResult,
    owners: dict[str, int],
    turn_timeout_s: float,
) -> None:
    who = f"session {plan.index}"
    for number, turn in enumerate(plan.turns, 1):
        started = time.perf_counter()
        try:
            polled_idle_at = send_turn(page, turn.question, 2 * number, turn_timeout_s * 1000)
        except Exception as exc:
            result.errors.append(f"{who} turn {number}: {exc!r}")
            left = len(plan.turns) - number
            if left:
                result.errors.append(f"{who}: {left} later turns not sent")
            return
        client_s = time.perf_counter() - started
        timing = page.evaluate("() => window.__loadBench")
        # The observer sees the exact switch to "not running"; a page that was starved of
        # CPU can apply a whole run's updates at once and never switch visibly, so then
        # the first idle poll stands in (up to POLL_MS late).
        latency, source = None, "observer"
        if timing and timing.get("idleAt") is None:
            timing["idleAt"], source = polled_idle_at, "poll"
        if timing and timing.get("enterAt") is not None:
            latency = max(0.0, (timing["idleAt"] - timing["enterAt"]) / 1000)
        texts = chat_messages(page)
        ok = True
        if len(texts) != 2 * number:
            ok = False
            result.errors.append(f"{who} turn {number}: {len(texts)} bubbles, not {2 * number}")
        if len(texts) < 2 or turn.question not in texts[-2] or turn.answer not in texts[-1]:
            ok = False
            last = texts[-1] if texts else None
            result.errors.append(f"{who} turn {number}: expected {turn.answer!r}, saw {last!r}")
        alerts = page.locator(ALERTS).all_inner_texts()
        if alerts:
            result.errors.append(f"{who} turn {number}: error/warning bubbles {alerts}")
        result.cross_talk += find_cross_talk(texts[-2:], plan, owners, f"turn {number}")
        thread_id = _thread_of(page.url)
        if result.thread_id is None:  # a new chat gets its id in the URL with its first turn
            result.thread_id = thread_id
        elif thread_id != result.thread_id:
            result.cross_talk.append(
                f"{who} turn {number}: conversation changed {result.thread_id} -> {thread_id}"
            )
        result.turns.append(
            TurnResult(plan.index, number, turn.kind, latency, client_s, ok, source)
        )


def _check_page(
    plan: SessionPlan, page: Any, result: SessionResult, owners: dict[str, int]
) -> None:
    """The whole chat once every session is done: late deltas into the wrong page show here."""
    who = f"session {plan.index}"
    texts = chat_messages(page)
    result.final_texts = texts
    roles = chat_roles(page)
    sent = len(result.turns)
    if roles != ["user", "assistant"] * sent:
        result.errors.append(f"{who}: bubble roles {roles}")
    for number, (turn, pair) in enumerate(
        zip(plan.turns, zip(texts[::2], texts[1::2], strict=False), strict=False), 1
    ):
        if turn.question not in pair[0] or turn.answer not in pair[1]:
            result.errors.append(f"{who} turn {number} at the end: {pair!r}")
    alerts = page.locator(ALERTS).all_inner_texts()
    if alerts:
        result.errors.append(f"{who}: error/warning bubbles {alerts}")
    result.cross_talk += find_cross_talk(texts, plan, owners, "final page")
    if page.locator(CHAT_MESSAGE).count() != len(texts):
        result.errors.append(f"{who}: bubbles changed while reading them")


# --------------------------------------------------------------------------- the run


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def cpu_snapshot(app_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the app, by this process's browsers and drivers, by this
    process, and by the whole machine.

    Browsers and app share the machine, so a latency only means something next to this.
    """
    import psutil

    def seconds(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:
            return 0.0  # gone meanwhile
        return times.user + times.system

    def tree(root: psutil.Process) -> list[psutil.Process]:
        try:
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    me = psutil.Process()
    app = tree(psutil.Process(app_pid)) if psutil.pid_exists(app_pid) else []
    app_pids = {p.pid for p in app}
    browsers = [p for p in tree(me)[1:] if p.pid not in app_pids]
    machine = psutil.cpu_times()
    busy = ("user", "nice", "system", "irq", "softirq", "steal")  # guest is inside user
    return {
        "app": sum(seconds(p) for p in app),
        "browsers": sum(seconds(p) for p in browsers),
        "harness": seconds(me),
        "machine": sum(getattr(machine, field, 0.0) for field in busy),
    }


@dataclass
class BenchmarkResult:
    sessions: int
    turns: int
    db: str
    plans: list[SessionPlan]
    thread_ids: dict[int, str | None]
    turn_results: list[TurnResult]
    errors: list[str]
    cross_talk: list[str]
    store_problems: list[str]
    setup_s: float
    wall_s: float
    total_s: float
    cpu_s: dict[str, float]  # while chatting, by app / browsers / harness / machine
    model_requests: int
    work_dir: str

    @property
    def latencies_s(self) -> list[float]:
        return [t.latency_s for t in self.turn_results if t.latency_s is not None]

    @property
    def stored_ok(self) -> bool:
        return not self.store_problems

    @property
    def ok(self) -> bool:
        return not self.errors and not self.cross_talk and not self.store_problems

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_s
        client = [t.client_s for t in self.turn_results]
        by_kind = {}
        for kind in ("name", "math", "recall"):
            values = [t.latency_s for t in self.turn_results if t.kind == kind and t.latency_s]
            if values:
                by_kind[kind] = {"n": len(values), "p50_s": percentile(values, 0.5)}
        return {
            "ok": self.ok,
            "sessions": self.sessions,
            "turns_per_session": self.turns,
            "turns_completed": len(self.turn_results),
            "db": self.db,
            "errors": len(self.errors),
            "cross_talk": len(self.cross_talk),
            "stored_ok": self.stored_ok,
            "store_problems": len(self.store_problems),
            "latency_s": {
                "p50": percentile(lat, 0.50),
                "p90": percentile(lat, 0.90),
                "p99": percentile(lat, 0.99),
                "max": max(lat) if lat else None,
                "mean": sum(lat) / len(lat) if lat else None,
            },
            "latency_by_kind": by_kind,
            "client_latency_s": {
                "p50": percentile(client, 0.50),
                "p90": percentile(client, 0.90),
                "max": max(client) if client else None,
            },
            "setup_s": self.setup_s,
            "wall_s": self.wall_s,
            "total_s": self.total_s,
            "turns_per_s": len(self.turn_results) / self.wall_s if self.wall_s else None,
            "cpu_s": self.cpu_s,
            "cpu_cores": {k: v / self.wall_s for k, v in self.cpu_s.items()} if self.wall_s else {},
            "machine_cores": os.cpu_count(),
            "latency_from_poll": sum(1 for t in self.turn_results if t.timing == "poll"),
            "model_requests": self.model_requests,
            "work_dir": self.work_dir,
            "error_details": self.errors,
            "cross_talk_details": self.cross_talk,
            "store_problem_details": self.store_problems,
            "turn_results": [asdict(t) for t in self.turn_results],
            "thread_ids": self.thread_ids,
        }


def app_log_problems(log_text: str, where: str = "the app log") -> list[str]:
    """Tracebacks and failed store reads/writes the app logged (users saw a warning)."""
    problems = []
    traces = log_text.count("Traceback (most recent call last)")
    if traces:
        problems.append(f"{traces} tracebacks in {where}")
    failures: dict[str, int] = {}
    for line in log_text.splitlines():
        if "conversation store unavailable" in line:
            reason = line.split("unavailable:")[-1].strip()
            failures[reason] = failures.get(reason, 0) + 1
    for reason, count in failures.items():
        problems.append(f"store failed {count} times ({reason}), see {where}")
    return problems


def run_benchmark(
    sessions: int = 20,
    turns: int = 5,
    db_url: str | None = None,
    *,
    chunk_delay: float = 0.01,
    turn_timeout_s: float = 120.0,
    launch_concurrency: int = 4,
    work_dir: str | os.PathLike[str] | None = None,
    log: Any = None,
) -> BenchmarkResult:
    """Run the load: one scripted model, one app, `sessions` browsers chatting `turns` each."""
    from streamlit_agent.safety.redact import redact_url

    say = log or (lambda message: None)
    ensure_loopback_bypasses_proxies()
    begin = time.perf_counter()
    plans = make_plans(sessions, turns)
    owners = number_owners(plans)
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="load-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{work / 'load.db'}"
    results: list[SessionResult | None] = [None] * sessions
    marks: dict[str, float] = {}
    errors: list[str] = []
    cpu: dict[str, dict[str, float]] = {}

    with ScriptedOpenAI(chunk_delay=chunk_delay) as scripted:
        env = {
            "OPENAI_BASE_URL": scripted.base_url,
            "STREAMLIT_AGENT_MODEL": "scripted-model",
            "STREAMLIT_AGENT_DB_URL": db_url,
            # Every session is anonymous: the shared ceiling would measure itself, not the app.
            "STREAMLIT_AGENT_ANON_MESSAGES_PER_MINUTE": "0",
        }
        app = AppProcess(env, log_dir=work)
        say(f"starting the app ({redact_url(db_url)}), logs in {work}")
        with app:
            pid = app.process.pid if app.process else 0

            def all_ready() -> None:
                marks["ready"] = time.perf_counter()
                cpu["ready"] = cpu_snapshot(pid)

            def all_finished() -> None:
                marks["finished"] = time.perf_counter()
                cpu["finished"] = cpu_snapshot(pid)

            # Generous: a stuck session must time out on its own turn first.
            wait_s = turn_timeout_s * (len(plans[0].turns) + 2) + 60
            ready = threading.Barrier(sessions, action=all_ready, timeout=wait_s)
            finished = threading.Barrier(sessions, action=all_finished, timeout=wait_s)
            gate = threading.Semaphore(max(1, launch_concurrency))

            def session(plan: SessionPlan) -> None:
                results[plan.index - 1] = _run_session(
                    plan, app.url, owners, ready, finished, gate, turn_timeout_s, work
                )

            say(f"opening {sessions} browser sessions")
            threads = [
                threading.Thread(target=session, args=(plan,), name=f"session-{plan.index}")
                for plan in plans
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if not app.is_running():
                errors.append(f"the app exited with code {app.process and app.process.poll()}")
        log_text = app.log_text()
        requests = scripted.requests
        errors += [f"scripted model brain failed: {e}" for e in scripted.errors]

    errors += app_log_problems(log_text, str(app.log_path))
    done = [
        r if r is not None else SessionResult(i + 1, errors=["no result"])
        for i, r in enumerate(results)
    ]
    for result in done:
        errors += result.errors
    cross_talk = [c for r in done for c in r.cross_talk] + request_cross_talk(requests, owners)
    thread_ids = {r.index: r.thread_id for r in done}
    if len({t for t in thread_ids.values() if t}) != sum(1 for t in thread_ids.values() if t):
        cross_talk.append(f"two sessions share a conversation id: {thread_ids}")
    say("checking the store")
    try:
        owner_keys = {r.index: r.owner for r in done}
        store_problems = check_store(db_url, plans, thread_ids, owner_keys)
    except Exception as exc:
        store_problems = [f"store check failed: {exc!r}"]
    ready_at = marks.get("ready", begin)
    finished_at = marks.get("finished", time.perf_counter())
    return BenchmarkResult(
        sessions=sessions,
        turns=turns,
        db=redact_url(db_url),
        plans=plans,
        thread_ids=thread_ids,
        turn_results=[t for r in done for t in r.turns],
        errors=errors,
        cross_talk=cross_talk,
        store_problems=store_problems,
        setup_s=ready_at - begin,
        wall_s=finished_at - ready_at,
        total_s=time.perf_counter() - begin,
        cpu_s={k: v - cpu.get("ready", {}).get(k, 0.0) for k, v in cpu.get("finished", {}).items()},
        model_requests=len(requests),
        work_dir=str(work),
    )


# --------------------------------------------------------------------------- PostgreSQL


@contextlib.contextmanager
def postgres_schema(admin_url: str = DEFAULT_PG_URL) -> Iterator[str]:
    """A fresh schema in `admin_url`'s database, dropped afterwards; yields the app's URL."""
    import sqlalchemy as sa

    schema = f"load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in admin_url else "?"
        yield f"{admin_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with contextlib.suppress(Exception), admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# --------------------------------------------------------------------------- CLI


def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


def format_summary(result: BenchmarkResult) -> str:
    s = result.summary()
    lat, client = s["latency_s"], s["client_latency_s"]
    kinds = ", ".join(f"{k} {_fmt(v['p50_s'])}" for k, v in s["latency_by_kind"].items())
    cores = s["cpu_cores"]
    lines = [
        "",
        "=== load benchmark ===",
        f"store          {s['db']}",
        f"sessions       {s['sessions']}",
        f"turns          {s['turns_per_session']} per session, "
        f"{s['turns_completed']} of {s['sessions'] * s['turns_per_session']} completed",
        f"errors         {s['errors']}",
        f"cross-talk     {s['cross_talk']}",
        "stored         "
        + ("all present, no duplicates" if s["stored_ok"] else f"{s['store_problems']} problems"),
        f"latency        p50 {_fmt(lat['p50'])}  p90 {_fmt(lat['p90'])}  "
        f"p99 {_fmt(lat['p99'])}  max {_fmt(lat['max'])}   (Enter -> answer complete)",
        f"  per kind     p50 {kinds}",
        f"  client side  p50 {_fmt(client['p50'])}  p90 {_fmt(client['p90'])}  "
        f"max {_fmt(client['max'])}   (fill + Enter + settled idle)",
        f"wall time      {_fmt(s['wall_s'])} chatting ({s['turns_per_s'] or 0:.2f} turns/s), "
        f"{_fmt(s['setup_s'])} opening sessions, {_fmt(s['total_s'])} total",
        "CPU (cores)    "
        + (
            f"app {cores['app']:.2f}, browsers+drivers {cores['browsers']:.2f}, "
            f"harness {cores['harness']:.2f}; machine busy {cores['machine']:.2f} of "
            f"{s['machine_cores']}   (averages while chatting)"
            if cores
            else "-"
        ),
        f"model requests {s['model_requests']}; {s['latency_from_poll']} turns timed by the "
        "idle poll (the page applied the whole run at once)",
    ]
    for title, items in (
        ("errors", result.errors),
        ("cross-talk", result.cross_talk),
        ("store problems", result.store_problems),
    ):
        if items:
            lines.append(f"--- {title} (first 20 of {len(items)}) ---")
            lines += [f"  {item.splitlines()[0][:300]}" for item in items[:20]]
    lines.append("RESULT         " + ("PASS" if result.ok else f"FAIL (see {result.work_dir})"))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions")
    parser.add_argument("--turns", type=int, default=5, help="chat turns per session")
    parser.add_argument(
        "--db-url", help="SQLAlchemy URL of the store (default: a fresh temporary SQLite file)"
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_PG_URL,
        metavar="ADMIN_URL",
        help="use a fresh schema in this PostgreSQL database, dropped afterwards "
        f"(default {DEFAULT_PG_URL})",
    )
    parser.add_argument("--json", help="also write the full results to this JSON file")
    parser.add_argument("--chunk-delay", type=float, default=0.01, help="seconds between chunks")
    parser.add_argument("--turn-timeout", type=float, default=120.0, help="seconds per turn")
    parser.add_argument(
        "--launch-concurrency", type=int, default=4, help="browsers started at once"
    )
    parser.add_argument("--work-dir", help="app log, SQLite file, screenshots (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work dir")
    args = parser.parse_args(argv)
    if args.db_url and args.postgres:
        parser.error("--db-url and --postgres exclude each other")

    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="load-bench-"))

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    with contextlib.ExitStack() as stack:
        db_url = args.db_url
        if args.postgres:
            db_url = stack.enter_context(postgres_schema(args.postgres))
        result = run_benchmark(
            args.sessions,
            args.turns,
            db_url,
            chunk_delay=args.chunk_delay,
            turn_timeout_s=args.turn_timeout,
            launch_concurrency=args.launch_concurrency,
            work_dir=work,
            log=say,
        )
    print(format_summary(result), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result.summary(), indent=2) + "\n")
        print(f"results written to {args.json}")
    if result.ok and not args.work_dir and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
