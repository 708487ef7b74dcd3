"""Answer benchmark: how often the chat agent answers right, per category.

Runs the short conversations in `benchmarks/answer_cases.json` through the app's own
agent (`build_agent`, the bundled model's tool set, its history budget) against a
model, and grades every turn on what a user would see:

- the tool that had to run ran (or, for small talk and memory, no tool ran);
- the answer contains an expected value (numbers compared without separators);
- the answer states the tool's own result (faithfulness: the clock's actual date, the
  calculator's actual number), not another value;
- the answer is there and carries no artifacts (HTML entities, template tokens).

A case passes when all its turns do. Web search runs on an offline corpus in the
cases file; the clock is the real one, so dates are checked against what it returned.

    python -m benchmarks.answers --model bundled      # the real SmolLM2 (minutes)
    python -m benchmarks.answers --model scripted     # a model that plays each case's
                                                      # reference: checks the runner
Cases marked held_out were never used to tune the bundled model; they are reported
apart. While tuning, run `--split tuning` so that they stay unseen; `--split held-out`
runs only them. `make bench-answers` runs both models. Each table starts with the date
and the commit it measured.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.messages import HumanMessage
from langchain_core.runnables.history import RunnableWithMessageHistory

from streamlit_agent.agent.build import SYSTEM_PROMPT, build_agent, run_turn
from streamlit_agent.config import Settings
from streamlit_agent.conversation.steps import Step, StepRecorder, group_turns
from streamlit_agent.models.providers import (
    BUNDLED_MODEL_TOOLS,
    ModelChoice,
    build_chat_model,
    history_budget,
)
from streamlit_agent.tools import discover_tools, web_search

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = Path(__file__).with_name("answer_cases.json")

ARTIFACTS = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);|<\|[a-z_]+\|>|\bfunctions\.\w+:", re.I)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0 ](?=\d{3}\b)")
_CLOCK = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):\d{2} .*?, (\w+day);")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


# --- cases -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    category: str
    turns: list[dict[str, Any]]
    held_out: bool = False


def load_cases(path: Path = CASES_FILE) -> tuple[list[Case], list[dict[str, Any]]]:
    """The cases and the offline search corpus."""
    data = json.loads(path.read_text())
    cases = [
        Case(c["id"], c["category"], c["turns"], bool(c.get("held_out"))) for c in data["cases"]
    ]
    return cases, data["search_corpus"]


def corpus_backend(corpus: Sequence[dict[str, Any]]) -> web_search.SearchBackend:
    """A web_search backend answering from `corpus`: entries sharing a keyword with the query."""

    def search(query: str, max_results: int) -> list[dict[str, Any]]:
        words = set(re.findall(r"[a-z0-9.]+", query.lower()))
        hits = [e for e in corpus if words & set(e["keywords"])]
        return [{k: e[k] for k in ("title", "href", "body")} for e in hits][:max_results]

    return search


# --- grading -----------------------------------------------------------------------------
def numbers_in(text: str) -> list[float]:
    return [float(n) for n in _NUMBER.findall(_THOUSANDS.sub("", text))]


def mentions(answer: str, expected: str) -> bool:
    """Whether `answer` states `expected`: the same number, or the word(s), any case."""
    if _NUMBER.fullmatch(expected):
        return any(abs(n - float(expected)) < 1e-9 for n in numbers_in(answer))
    return re.search(rf"\b{re.escape(expected)}\b", answer, re.IGNORECASE) is not None


def clock_forms(output: str, part: str) -> list[str]:
    """Ways an answer may state `part` ("date", "time", "weekday", "year") of a clock result."""
    match = _CLOCK.match(output)
    if not match:
        return []
    year, month, day, hour, minute, weekday = match.groups()
    name, d, h = MONTHS[int(month) - 1], int(day), int(hour)
    forms = {
        "date": [f"{year}-{month}-{day}", f"{name} {d}", f"{d} {name}", f"{name[:3]} {d}"],
        "time": [f"{hour}:{minute}", f"{h % 12 or 12}:{minute}"],
        "weekday": [weekday],
        "year": [year],
    }
    return forms[part]


def faithful_to(answer: str, step: Step, part: str | bool) -> bool:
    """Whether the answer states what the tool returned (not merely what was expected)."""
    if isinstance(part, str):
        return any(re.search(re.escape(f), answer, re.I) for f in clock_forms(step.output, part))
    values = numbers_in(step.output)
    return bool(values) and mentions(answer, _NUMBER.findall(step.output)[0])


def grade_turn(spec: dict[str, Any], answer: str, steps: Sequence[Step]) -> list[str]:
    """What is wrong with one turn's outcome; empty when it passes."""
    problems = []
    if not answer.strip():
        problems.append("no answer")
    if ARTIFACTS.search(answer):
        problems.append(f"artifact {ARTIFACTS.search(answer).group(0)!r}")  # type: ignore[union-attr]
    used = [s for s in steps if s.status == "ok"]
    if "tool" in spec:
        wanted = spec["tool"]
        if wanted is None and steps:
            problems.append(f"no tool expected, called {[s.tool for s in steps]}")
        elif wanted is not None and not any(s.tool == wanted for s in used):
            problems.append(f"{wanted} not called (called {[s.tool for s in steps]})")
    expected = spec.get("expect")
    if expected and not any(mentions(answer, e) for e in expected):
        problems.append(f"answer lacks {expected}")
    part = spec.get("faithful")
    if part and spec.get("tool"):
        ran = [s for s in used if s.tool == spec["tool"]]
        if ran and not faithful_to(answer, ran[-1], part):
            problems.append(f"answer does not state the tool's result {ran[-1].output[:60]!r}")
    return problems


@dataclass
class TurnResult:
    user: str
    answer: str
    tools: list[str]
    seconds: float
    problems: list[str]


@dataclass
class CaseResult:
    case: Case
    turns: list[TurnResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(not t.problems for t in self.turns)


AgentFactory = Callable[[Callable[[str], InMemoryChatMessageHistory]], RunnableWithMessageHistory]


def run_case(make_agent: AgentFactory, case: Case) -> CaseResult:
    """One conversation in a fresh history; every turn graded."""
    history = InMemoryChatMessageHistory()
    agent = make_agent(lambda _session: history)
    result = CaseResult(case)
    for spec in case.turns:
        started = time.monotonic()
        try:
            output = str(
                run_turn(agent, case.id, HumanMessage(spec["user"]), StepRecorder())["output"]
            )
        except Exception as exc:  # a failed turn is a failed case, not a failed run
            output = ""
            problems = [f"error: {type(exc).__name__}: {exc}"]
        else:
            problems = []
        turn = group_turns(history.messages)[-1] if history.messages else None
        steps = turn.steps if turn and turn.user and turn.user.content == spec["user"] else []
        problems += grade_turn(spec, output, steps)
        result.turns.append(
            TurnResult(
                spec["user"],
                output,
                [f"{s.tool}({s.input})" for s in steps],
                time.monotonic() - started,
                problems,
            )
        )
    return result


# --- models ------------------------------------------------------------------------------
@contextmanager
def offline_search(corpus: Sequence[dict[str, Any]]) -> Iterator[None]:
    saved = web_search.default_backend
    web_search.default_backend = corpus_backend(corpus)
    try:
        yield
    finally:
        web_search.default_backend = saved


def agent_factory(
    choice: ModelChoice, settings: Settings, base_url: str, api_key: str, model_path: str | None
) -> AgentFactory:
    """Agents built as the app builds them for `choice`, with the bundled model's tool set."""
    llm = build_chat_model(choice, settings, local_base_url=base_url, local_api_key=api_key)
    tools = discover_tools(None).select(BUNDLED_MODEL_TOOLS)
    budget = history_budget(choice, settings, tools, model_path, SYSTEM_PROMPT)
    return lambda get_history: build_agent(llm, tools, settings, get_history, budget)


def oracle_brain(cases: Sequence[Case]) -> Callable[[list[dict], list[dict]], Any]:
    """A scripted-model brain that does what each case's `reference` says a right model does."""
    from tests.scripted_openai import Reply, answer_tool_results, last_user_text

    references = {t["user"]: t["reference"] for c in cases for t in c.turns}

    def brain(messages: list[dict], tools: list[dict]) -> Any:
        if messages and messages[-1].get("role") == "tool":
            return answer_tool_results(messages)
        reference = references.get(last_user_text(messages), {"say": "I don't know."})
        if "call" in reference:
            return Reply.tool(reference["call"], reference["args"])
        return Reply.text(reference["say"])

    return brain


@contextmanager
def model(kind: str, cases: Sequence[Case], settings: Settings) -> Iterator[AgentFactory]:
    """An agent factory for "bundled" (the real SmolLM2) or "scripted" (the oracle)."""
    if kind == "scripted":
        from tests.scripted_openai import ScriptedOpenAI

        with ScriptedOpenAI(oracle_brain(cases), chunk_delay=0) as server:
            choice = ModelChoice("compatible", "scripted-model", server.base_url)
            yield agent_factory(choice, settings, server.base_url, "not-needed", None)
        return
    from streamlit_agent.models.bundled.server import LocalModelServer, find_bundled_model

    server = LocalModelServer(find_bundled_model(settings.local_model_path))
    server.start()
    try:
        choice = ModelChoice("bundled", "smollm2")
        path = str(server.model_path)
        yield agent_factory(choice, settings, server.base_url, server.api_key, path)
    finally:
        server.stop()


# --- report ------------------------------------------------------------------------------
def rate(results: Sequence[CaseResult]) -> str:
    if not results:
        return "—"
    passed = sum(r.passed for r in results)
    return f"{passed}/{len(results)} ({100 * passed / len(results):.0f}%)"


def run_stamp() -> str:
    """Today's date and the checked-out commit (with "+changes" when the tree differs),
    so a quoted table says what it measured."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += "+changes"
    return f"{datetime.date.today().isoformat()}, commit {commit}"


def report(results: Sequence[CaseResult], title: str, stamp: str = "") -> str:
    """A Markdown table: pass rate per category, tuning cases and held-out cases apart."""
    categories = sorted({r.case.category for r in results}, key=lambda c: c)
    lines = [f"### {title}", ""]
    if stamp:
        lines += [stamp, ""]
    lines += ["| category | tuning | held-out | all |", "|---|---|---|---|"]
    for name in [*categories, "all"]:
        rows = [r for r in results if name in ("all", r.case.category)]
        tuned = [r for r in rows if not r.case.held_out]
        held = [r for r in rows if r.case.held_out]
        label = f"**{name}**" if name == "all" else name
        lines.append(f"| {label} | {rate(tuned)} | {rate(held)} | {rate(rows)} |")
    seconds = [t.seconds for r in results for t in r.turns]
    if seconds:
        ordered = sorted(seconds)
        lines += [
            "",
            f"{len(seconds)} turns, median {ordered[len(ordered) // 2]:.1f} s, "
            f"max {ordered[-1]:.1f} s a turn.",
        ]
    return "\n".join(lines)


def failures(results: Sequence[CaseResult]) -> str:
    lines = []
    for r in results:
        for t in r.turns:
            if t.problems:
                said = f"{t.user!r} -> {t.answer[:120]!r} {t.tools}"
                lines.append(f"- {r.case.id}: {said}: {'; '.join(t.problems)}")
    return "\n".join(lines)


def run(kind: str, cases: Sequence[Case], corpus: Sequence[dict[str, Any]]) -> list[CaseResult]:
    settings = Settings()
    results = []
    with offline_search(corpus), model(kind, cases, settings) as make_agent:
        for case in cases:
            results.append(run_case(make_agent, case))
            mark = "pass" if results[-1].passed else "FAIL"
            print(f"{mark} {case.id}", file=sys.stderr, flush=True)
            if not results[-1].passed:
                print(failures(results[-1:]), file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["bundled", "scripted"], action="append")
    parser.add_argument("--split", choices=["all", "tuning", "held-out"], default="all")
    parser.add_argument("--cases", help="comma-separated case ids (default: all)")
    parser.add_argument("--json", type=Path, help="write every turn's outcome here")
    args = parser.parse_args(argv)
    cases, corpus = load_cases()
    if args.split != "all":
        cases = [c for c in cases if c.held_out == (args.split == "held-out")]
    if args.cases:
        wanted = set(args.cases.split(","))
        cases = [c for c in cases if c.id in wanted]
    details: dict[str, Any] = {}
    for kind in args.model or ["scripted", "bundled"]:
        results = run(kind, cases, corpus)
        print(report(results, f"{kind} model", run_stamp()), end="\n\n")
        if failures(results):
            print(f"Failures ({kind}):\n{failures(results)}\n")
        details[kind] = [
            {"id": r.case.id, "passed": r.passed, "turns": [t.__dict__ for t in r.turns]}
            for r in results
        ]
    if args.json:
        args.json.write_text(json.dumps(details, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
