"""The answer benchmark's runner and grader (`benchmarks/answers.py`).

On the scripted model, which plays each case's reference behaviour, every case must
pass: that checks the runner and the cases file, not a model. Models that skip the
tool, state another value or leave entities must fail, so the grader can fail.
"""

from __future__ import annotations

import pytest

from benchmarks import answers
from streamlit_agent.conversation.steps import Step
from tests.scripted_openai import Reply, last_user_text

CLOCK = "2026-03-07 09:05:44 CET (UTC+01:00, Europe/Paris), Saturday; ISO 8601: x"


def test_cases_file_has_every_category_and_a_held_out_part() -> None:
    cases, corpus = answers.load_cases()
    assert len(cases) >= 40
    assert len({c.id for c in cases}) == len(cases)
    categories = {c.category for c in cases}
    assert categories >= {
        "arithmetic", "datetime", "memory", "memory_arithmetic", "search", "smalltalk",
        "faithfulness",
    }  # fmt: skip
    held = [c for c in cases if c.held_out]
    assert 8 <= len(held) < len(cases) / 2
    assert corpus and all(len(c.turns) <= 2 for c in cases)


def test_every_case_passes_on_the_scripted_reference_model() -> None:
    cases, corpus = answers.load_cases()
    results = answers.run("scripted", cases, corpus)
    assert answers.failures(results) == ""
    table = answers.report(results, "scripted model")
    assert f"{len(cases)}/{len(cases)} (100%)" in table


def test_a_model_that_skips_tools_or_misstates_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    cases, corpus = answers.load_cases()
    picked = {c.id: c for c in cases if c.id in {"mul-plain", "date-today", "search-nile", "hello"}}
    reference = answers.oracle_brain(cases)

    def sloppy(messages: list[dict], tools: list[dict]) -> Reply:
        question = last_user_text(messages)
        if "37 * 41" in question:
            return Reply.text("37 * 41 is about 1500.")  # no tool, wrong value
        if "date" in question and messages[-1].get("role") == "tool":
            return Reply.text("Today&#39;s date is 1 January 2018.")  # entity, not the clock's
        if "Nile" in question:
            return Reply.text("The Nile is very long.")  # no search
        return reference(messages, tools)

    monkeypatch.setattr(answers, "oracle_brain", lambda _cases: sloppy)
    results = {r.case.id: r for r in answers.run("scripted", list(picked.values()), corpus)}
    assert results["hello"].passed
    mul = results["mul-plain"].turns[0].problems
    assert any("calculator not called" in p for p in mul) and any("lacks" in p for p in mul)
    date = results["date-today"].turns[0].problems
    assert any("artifact" in p for p in date) and any("tool's result" in p for p in date)
    assert any("web_search not called" in p for p in results["search-nile"].turns[0].problems)


@pytest.mark.parametrize(
    ("answer", "expected", "found"),
    [
        ("It is 1,517.", "1517", True),
        ("The answer is 120.", "12", False),
        ("That makes 12.0 eggs", "12", True),
        ("Your name is Ada.", "ada", True),
        ("Adam is here", "Ada", False),
    ],
)
def test_mentions_compares_numbers_and_whole_words(answer: str, expected: str, found: bool) -> None:
    assert answers.mentions(answer, expected) is found


def test_faithfulness_is_checked_against_what_the_clock_returned() -> None:
    step = Step("current_datetime", {}, CLOCK)
    assert answers.faithful_to("Today is March 7, 2026.", step, "date")
    assert answers.faithful_to("It is 9:05 in the morning.", step, "time")
    assert not answers.faithful_to("Today is March 8, 2026.", step, "date")
    assert answers.faithful_to("It's Saturday.", step, "weekday")
    calc = Step("calculator", {"expression": "10 / 4"}, "2.5")
    assert answers.faithful_to("10 / 4 = 2.5", calc, True)
    assert not answers.faithful_to("10 / 4 = 2", calc, True)


def test_no_tool_turn_fails_when_a_tool_ran() -> None:
    spec = {"user": "Hello!", "tool": None}
    assert answers.grade_turn(spec, "Hi!", []) == []
    problems = answers.grade_turn(spec, "Hi! <|im_end|>", [Step("calculator", {}, "2")])
    assert any("no tool expected" in p for p in problems)
    assert any("artifact" in p for p in problems)
