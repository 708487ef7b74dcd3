"""Repairs for a very small model's answer text: entities, template tokens, and answers
that contradict the tool result they were written from.

SmolLM2-135M copies what its prompt shows: llama.cpp's function-calling template used to
HTML-escape every message, so "What's" reached it as `What&#39;s` and came back as
"Today&s". And given "Known fact: 37 * 41 = 1517", it may still answer 1500, or restate
the clock's day as another one. The tool's value is what the user should see: when the
answer does not state it, or states another, the tool's value replaces it, marked as such.
Nothing here draws; the text still goes through `ui.text` like any other answer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from streamlit_agent.conversation.documents import quoted_passages

# Template tokens a tiny model sometimes writes out, and the format's own prefixes.
_TEMPLATE_TOKEN = re.compile(r"<\|[a-z_]+\|>|^\s*(?:message|assistant)\s*:\s*", re.I)
# An apostrophe whose entity lost its number ("Today&s", "don&t").
_BROKEN_APOSTROPHE = re.compile(r"(?<=[A-Za-z])&#?\d*;?(?=(?:s|t|re|ve|ll|d|m)\b)")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0](?=\d{3}\b)")
# describe_now's format: "2026-11-25 14:03:07 CET (UTC+01:00, label), Wednesday; ISO …"
_CLOCK = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}):\d{2} (\S+) \(([^)]*)\), (\w+);")
_MONTHS = "january february march april may june july august september october november december"
_MONTH_NAMES = _MONTHS.split()
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_YEAR = re.compile(r"\b(1[89]\d\d|2[01]\d\d)\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\s*([ap]\.?m\.?)?", re.I)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def repair_text(text: str) -> str:
    """`text` without HTML entities, broken apostrophes or chat-template tokens."""
    for _ in range(3):  # "&amp;#39;" takes two rounds
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = _BROKEN_APOSTROPHE.sub("'", text)
    return _TEMPLATE_TOKEN.sub("", text).strip()


@dataclass(frozen=True)
class ToolFact:
    """One tool call of this turn: its name, arguments and result text."""

    tool: str
    args: dict
    result: str


def _numbers(text: str) -> set[float]:
    return {float(n) for n in _NUMBER.findall(_THOUSANDS.sub("", text))}


def _shown_expression(fact: ToolFact) -> str:
    # Python's power operator reads as Markdown emphasis to a person: shown as "^", which
    # the calculator takes too.
    return " ".join(str(v) for v in fact.args.values() if v not in ("", None)).replace("**", "^")


def _marked(statement: str, tool: str) -> str:
    return f"{statement} _(the {tool} tool's result, shown in place of the model's reply)_"


def _ground_calculation(answer: str, fact: ToolFact) -> str | None:
    result = _numbers(fact.result)
    if len(result) != 1 or fact.result.startswith("Error"):
        return None  # an error or a non-number: the model says what went wrong
    if result & _numbers(answer):
        return None
    expression = _shown_expression(fact)
    return _marked(f"{expression} = {fact.result.strip()}", fact.tool)


def hedged_calculation(fact: ToolFact, doubt: str) -> str:
    """The calculation stated as the app's own guess, with why it may be the wrong one,
    and a question back: not the tool's authoritative answer to what was asked."""
    expression = _shown_expression(fact)
    return (
        f"I computed {expression} = {fact.result.strip()}, but I am not sure that is "
        f"the calculation you asked for: {doubt}. Is it? If not, please write the "
        "calculation out, for example 3 * (4 + 5)."
    )


def _stated_moments(answer: str) -> dict[str, set[str]]:
    words = set(re.findall(r"[a-z]+", answer.lower()))
    times = set()
    for hour, minute, half in _TIME.findall(answer):
        h = int(hour) % 12 + (12 if half.lower().startswith("p") else 0) if half else int(hour)
        times.add(f"{h:02d}:{minute}")
    # An ISO date states its day too: SmolLM2 answered "What month is it?" with
    # "2026-12-31" on 4 December, which agreed with the clock's year and month.
    dates = {f"{y}-{m}-{d}" for y, m, d in _ISO_DATE.findall(answer)}
    return {
        "year": set(_YEAR.findall(answer)),
        "month": words & set(_MONTH_NAMES),
        "weekday": words & set(_WEEKDAYS),
        "time": times,
        "date": dates,
    }


def _ground_clock(answer: str, fact: ToolFact) -> str | None:
    match = _CLOCK.match(fact.result)
    if not match:
        return None  # an unknown timezone: the message is the answer
    stamp, zone, label, weekday = match.groups()
    moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    truth = {
        "year": {str(moment.year)},
        "month": {_MONTH_NAMES[moment.month - 1]},
        "weekday": {weekday.lower()},
        "time": {f"{moment:%H:%M}"},
        "date": {f"{moment:%Y-%m-%d}"},
    }
    stated = _stated_moments(answer)
    agrees = all(not values or values <= truth[key] for key, values in stated.items())
    # The day of the month is only trusted next to the right month.
    said_something = any(stated.values())
    if agrees and said_something:
        return None
    statement = f"It is {weekday}, {moment:%-d %B %Y}, {moment:%H:%M} {zone} ({label})."
    return _marked(statement, fact.tool)


def web_snippets(result: str) -> list[tuple[str, str]]:
    """(heading, snippet) of each result in `web_search.format_results`' text."""
    found: list[tuple[str, str]] = []
    heading = ""
    for line in result.splitlines():
        if re.match(r"^\d+\. ", line):
            heading = line.split(". ", 1)[1]
        elif line.startswith("   ") and heading:
            found.append((heading, line.strip()))
    return found


def _content_words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower())) - _FILLER


_FILLER = frozenset(
    [
        "that",
        "this",
        "with",
        "from",
        "have",
        "about",
        "answer",
        "result",
        "results",
        "search",
        "web",
    ]
)


def _ground_search(answer: str, fact: ToolFact) -> str | None:
    found = web_snippets(fact.result)
    if not found:
        return None  # no results or a failure: the model says so
    text = " ".join(snippet for _, snippet in found)
    asked = " ".join(str(v) for v in fact.args.values())
    invented = _numbers(answer) - _numbers(text) - _numbers(asked)
    echoed = _content_words(asked)
    if not invented and (_content_words(answer) - echoed) & _content_words(text):
        return None
    heading, snippet = found[0]
    return _marked(f"{snippet} (web result: {heading})", fact.tool)


def _ground_documents(answer: str, fact: ToolFact) -> str | None:
    """An answer from the documents names its source: kept and cited when it uses the
    best passage's words, else the passage itself is quoted in its place."""
    found = quoted_passages(fact.result)
    if not found:
        return None  # no documents or no match: the model says so
    source, passage = found[0]
    asked = " ".join(str(v) for v in fact.args.values())
    invented = _numbers(answer) - _numbers(passage) - _numbers(asked)
    if not invented and (_content_words(answer) - _content_words(asked)) & _content_words(passage):
        return None if source.lower() in answer.lower() else f"{answer} ({source})"
    shown = " ".join(passage.split())
    shown = shown if len(shown) <= 400 else shown[:399].rsplit(" ", 1)[0] + "…"
    return _marked(f'"{shown}" ({source})', fact.tool)


GROUNDERS = {
    "search_documents": _ground_documents,
    "calculator": _ground_calculation,
    "current_datetime": _ground_clock,
    "web_search": _ground_search,
}


def ground_answer(answer: str, facts: list[ToolFact]) -> str:
    """`answer`, or the last checkable tool's value in its place when the answer
    contradicts it or leaves it out."""
    answer = repair_text(answer)
    for fact in reversed(facts):
        grounder = GROUNDERS.get(fact.tool)
        if grounder is None:
            continue
        replacement = grounder(answer, fact)
        return answer if replacement is None else replacement
    return answer
