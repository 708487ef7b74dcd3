"""How the bundled 135M model is asked: which tool a turn needs, decided before the model
runs; tool arguments held to a JSON schema by llama.cpp's grammar; examples and a prompt
written for a very small model.

Offered every tool and left to choose, SmolLM2-135M called one for nearly every message
and answered arithmetic in its head. It is far better at filling in one tool call it is
shown examples of than at deciding whether to call one. So the decision is made here
from the question's wording (an explicit search request, arithmetic words or symbols
next to a number, a question about the date or time); a turn that needs no tool is
answered without tools offered, and a turn that needs one gets only that tool, forced,
with a schema whose `pattern` llama.cpp turns into a grammar (a calculator argument can
only be an arithmetic expression). Other models choose for themselves.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any
from zoneinfo import available_timezones

import re2
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from streamlit_agent.conversation.documents import quoted_passages
from streamlit_agent.models.bundled import arithmetic, word_problems
from streamlit_agent.models.bundled.grounding import ToolFact, web_snippets
from streamlit_agent.safety.plain_text import printable

SMALL_MODEL_PROMPT = (
    "You are a friendly assistant. Answer in one or two short sentences. "
    "Remember what the user told you earlier in the conversation."
)
EARLIER_STATEMENTS = 4  # the user's latest messages restated to the model
# Of the best passage, what the model is shown: its 4,096-token context holds the prompt too.
DOCUMENT_FACT_CHARS = 700
CALL_PROMPT = "Write the {tool} call for the user's last message, like the examples."

# RE2, linear in the question's length: Python's re took 15 s on a question of 20,000
# digits (the expression's nested repeats) and seconds on "1+" and spaces, holding the GIL.
# RE2's \d, \s, \w and \b are ASCII (the calculator grammar takes ASCII digits only); a
# keyword touching a non-ASCII letter ("sqrté") now counts as a word.
_NUMBER = re2.compile(r"\d")
_SEARCH_REQUEST = re2.compile(r"(?i)\b(search|look(?:\s+it)?\s+up|lookup|google)\b")
# "online" or "on the web" alone asks for a search ("the tallest tower online?") unless the
# question is a calculation: stories happen online ("playing a video game online when 2
# more players joined ... how many lives").
_WEB_MENTION = re2.compile(r"(?i)\b(?:on the (?:web|internet)|online)\b")
# A question about the attached files: "the report", "my PDF", "the attached notes",
# "page 3", "according to the ...". A bare noun is not enough: word problems count files
# and chapters ("he had 24 files", "the first chapter is 48 pages").
_DOCUMENT_REQUEST = re2.compile(
    r"(?i)\b(?:(?:the|this|that|my|our|your)\s+(?:attached\s+|uploaded\s+)?"
    r"(?:documents?|files?|pdfs?|docx|report|paper|article|contract|manual|attachments?|"
    r"slides|spreadsheet|csv)\b|attached\s+\w+|uploaded\s+\w+|on\s+page\s+\d+|"
    r"page\s+\d+\s+(?:say|says|of)\b|according\s+to\s+(?:the|my|this)\b)"
)
# In a calculation, a count of them is a story's files, not the attachments: "she
# deleted 48 of the files", "Isabel uploaded 2 pictures", "he attached 3 photos".
_COUNTED_DOCUMENTS = re2.compile(
    r"(?i)\d+\s+of\s+(?:the|this|that|my|our|your)\s+|\b(?:attached|uploaded)\s+\d"
)
_WEB_REQUEST = re2.compile(r"(?i)\b(?:web|internet|online|google)\b")
_ARITHMETIC = re2.compile(
    r"(?i)\d\s*[-+*/x×÷^%]\s*\(?\s*\d|\d\s*%|\b(?:plus|minus|times|multipl\w*|divid\w*|add|"
    r"subtract|sum|total|product|percent|squared|cubed|power|square root|sqrt|average|"
    r"double|half|twice|how many|how much|how old|each|per|left|remain\w*|altogether)\b"
)
_CLOCK = re2.compile(
    r"(?i)\b(?:what|which|current|tell me the|today'?s)\b[^.?!]*\b(?:date|time|day|year|month)\b"
)

_OPERAND = r"(?:\(\s*)*\d+(?:\.\d+)?(?:\s*\))*"
_EXPRESSION = re2.compile(rf"{_OPERAND}(?:\s*[-+*/^]\s*{_OPERAND})+")
_NUMBER_TEXT = re2.compile(r"\d+(?:\.\d+)?")
# Numbers a question implies without writing them: a model may use these too.
_IMPLIED_NUMBERS = {
    "%": "100", "percent": "100", "squared": "2", "cubed": "3", "double": "2", "twice": "2",
    "half": "2", "triple": "3", "dozen": "12", "year": "12", "week": "7", "hour": "60",
}  # fmt: skip

# Held by llama.cpp's JSON-schema grammar. "%" is left out on purpose: to the calculator
# it is a remainder, and "15% of 80" written "15 % 80" was a wrong answer.
ARGUMENT_PATTERNS: dict[str, dict[str, str]] = {
    "calculator": {"expression": r"^(sqrt[(]|[-+*/(). 0-9])+$"},
    "web_search": {"query": r"^[A-Za-z0-9][A-Za-z0-9 .,'-]+$"},
}

# (earlier turns, the request, the call's arguments): phrasings, not the benchmark's.
EXAMPLES: dict[str, list[tuple[list[tuple[str, str]], str, dict[str, str]]]] = {
    "calculator": [
        ([], "What is 3 to the power of 4?", {"expression": "3 ** 4"}),
        ([], "How much is 12% of 50?", {"expression": "12 / 100 * 50"}),
        ([], "A box holds 8 pens. How many pens are in 5 boxes?", {"expression": "8 * 5"}),
        ([], "What is (9 - 3) / 2?", {"expression": "(9 - 3) / 2"}),
        ([], "What is the square root of 81?", {"expression": "sqrt(81)"}),
        ([("I have 4 cats.", "Nice, 4 cats!")], "Double that.", {"expression": "4 * 2"}),
    ],
    "current_datetime": [
        ([], "What time is it?", {"timezone": ""}),
        ([], "What is the date in Tokyo?", {"timezone": "Asia/Tokyo"}),
        ([], "Which day is it today?", {"timezone": ""}),
    ],
    "web_search": [
        ([], "Search the web for the population of Canada.", {"query": "population of Canada"}),
        ([], "Look up who wrote Hamlet.", {"query": "author of Hamlet"}),
    ],
}


def pick_tool(question: str, offered: set[str]) -> str | None:
    """The one tool this question needs, if it needs one and it is offered."""
    question = printable(question)  # RE2 reads UTF-8, which has no lone surrogates
    calculation = bool(_NUMBER.search(question) and _ARITHMETIC.search(question))
    cues = _COUNTED_DOCUMENTS.sub(" ", question) if calculation else question
    if (
        "search_documents" in offered
        and _DOCUMENT_REQUEST.search(cues)
        and not _WEB_REQUEST.search(question)
    ):
        return "search_documents"
    if "web_search" in offered and (
        _SEARCH_REQUEST.search(question) or (_WEB_MENTION.search(question) and not calculation)
    ):
        return "web_search"
    if "calculator" in offered and calculation:
        return "calculator"
    if "current_datetime" in offered and _CLOCK.search(question):
        return "current_datetime"
    return None


@functools.lru_cache(maxsize=1)
def _zones_by_place() -> dict[str, str]:
    return {
        zone.rsplit("/", 1)[-1].replace("_", " ").lower(): zone
        for zone in available_timezones()
        if "/" in zone and not zone.startswith("Etc/")
    }


def timezone_pattern(question: str) -> str:
    """Only the zones of places the question names, or none: shown "the date in Tokyo"
    as an example, the model asked "What is today's date?" wrote Asia/Tokyo."""
    asked = printable(question).lower()
    named = sorted(
        zone
        for place, zone in _zones_by_place().items()
        if place in asked and _whole_words(place).search(asked)  # `in` first: 400 places
    )
    return f"^({'|'.join(_literal(z) for z in named)})?$" if named else "^$"


_IN_CLASS = str.maketrans({c: f"[{c}]" for c in "()*+.?|{}$"})


@functools.lru_cache(maxsize=1024)
def _whole_words(place: str) -> re2._Regexp:
    return re2.compile(rf"\b{re2.escape(place)}\b")


def _literal(text: str) -> str:
    # Special characters go in a one-character class: llama.cpp's grammar strings have
    # no escape for a parenthesis or a caret, and a grammar it cannot parse stopped the
    # server.
    return text.replace("^", "**").translate(_IN_CLASS)


def expression_pattern(question: str, earlier: str = "") -> str:
    """What the calculator may be given for `question`.

    An expression written out in the question is taken as written: SmolLM2 copied
    "(12 + 18) / 5" as "12 + 18 / 5". Otherwise the expression may use only numbers
    from the conversation (and 100 for a percentage, 2 and 3 for squares and cubes):
    asked "15% of 80" it wrote "15 / 2".
    """
    question, earlier = printable(question), printable(earlier)
    written = [m.group(0).strip() for m in _EXPRESSION.finditer(question)]
    balanced = [w for w in written if w.count("(") == w.count(")")]
    if balanced:
        return f"^{_literal(max(balanced, key=len))}$"
    numbers = set(_NUMBER_TEXT.findall(f"{earlier} {question}"))
    numbers |= {n for word, n in _IMPLIED_NUMBERS.items() if word in question.lower()}
    if not numbers:
        return ARGUMENT_PATTERNS["calculator"]["expression"]
    alternatives = "|".join(_literal(n) for n in sorted(numbers, key=len, reverse=True))
    return rf"^(sqrt[(]|[-+*/() ]|{alternatives})+$"


def constrained_schema(tool: BaseTool, question: str = "", earlier: str = "") -> dict[str, Any]:
    """The tool's OpenAI schema, its string arguments held to `ARGUMENT_PATTERNS`, the
    calculator's to the numbers of the conversation and the clock's timezone to the
    places `question` names."""
    schema = convert_to_openai_tool(tool)
    properties = schema["function"].get("parameters", {}).get("properties", {})
    patterns = dict(ARGUMENT_PATTERNS.get(tool.name, {}))
    if tool.name == "current_datetime":
        patterns["timezone"] = timezone_pattern(question)
    if tool.name == "calculator" and question:
        patterns["expression"] = expression_pattern(question, earlier)
    for name, pattern in patterns.items():
        if name in properties:
            properties[name] = {**properties[name], "pattern": pattern}
            properties[name].pop("default", None)
    return schema


def conversation(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """What the small model is shown of a conversation: what was said, in plain text.

    Tool calls and results are left out (the answers that followed state them): the
    chat format writes a call as `functions.name: {...}`, which the model then copied
    into its plain answers.
    """
    said = [
        m
        for m in messages
        if isinstance(m, HumanMessage) or (isinstance(m, AIMessage) and not m.tool_calls)
    ]
    return [SystemMessage(SMALL_MODEL_PROMPT), *said]


def reply_prompt(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """A turn without a tool: the user's earlier words restated next to the question.

    Shown the conversation as chat turns, SmolLM2 answered "What is my name?" with a
    name of its own; told 'Earlier the user said: "My name is Ada."' it answers Ada.
    """
    said = [str(m.content) for m in messages if isinstance(m, HumanMessage)]
    if len(said) < 2:
        return conversation(messages)
    earlier = " ".join(f'"{text}"' for text in said[-1 - EARLIER_STATEMENTS : -1])
    return [
        SystemMessage(SMALL_MODEL_PROMPT),
        HumanMessage(f"Earlier the user said: {earlier} Now reply in one sentence to: {said[-1]}"),
    ]


def call_prompt(tool: str, messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """Examples of `tool`'s call, then the conversation, ending with the request."""
    shown: list[BaseMessage] = [SystemMessage(CALL_PROMPT.format(tool=tool))]
    for number, (earlier, request, args) in enumerate(EXAMPLES.get(tool, [])):
        for user, reply in earlier:
            shown += [HumanMessage(user), AIMessage(reply)]
        call = {"name": tool, "args": args, "id": f"example_{number}", "type": "tool_call"}
        shown += [HumanMessage(request), AIMessage("", tool_calls=[call])]
    return shown + conversation(messages)[1:]


def tool_facts(messages: Sequence[BaseMessage]) -> list[ToolFact]:
    """This turn's tool calls and their results, oldest first."""
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
    calls = {
        call["id"]: call
        for m in messages[start:]
        if isinstance(m, AIMessage)
        for call in m.tool_calls
    }
    return [
        ToolFact(calls[m.tool_call_id]["name"], calls[m.tool_call_id]["args"], str(m.content))
        for m in messages[start:]
        if isinstance(m, ToolMessage) and m.tool_call_id in calls
    ]


def fact_sentence(fact: ToolFact) -> str:
    """A tool result as one plain statement: "37 * 41 = 1517", a search's snippets, or
    the best passage of the documents with its file and page."""
    if fact.tool == "search_documents":
        found = quoted_passages(fact.result)
        if found:
            source, passage = found[0]
            return f"{_shortened(passage, DOCUMENT_FACT_CHARS)} (from {source})"
    if fact.tool == "web_search":
        snippets = [snippet for _, snippet in web_snippets(fact.result)[:2]]
        if snippets:
            return " ".join(s.rstrip(".") + "." for s in snippets).rstrip(".")
    values = [v for v in fact.args.values() if v not in ("", None)]
    if not values:
        return fact.result
    shown = str(values[0]) if len(values) == 1 else json.dumps(fact.args, ensure_ascii=False)
    return f"{shown} = {fact.result}"


def _shortened(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"


def earlier_text(messages: Sequence[BaseMessage]) -> str:
    """What was said before the last message, the latest `EARLIER_STATEMENTS` turns."""
    said = [str(m.content) for m in conversation(messages)[1:]]
    return " ".join(said[-1 - 2 * EARLIER_STATEMENTS : -1])


def _said_before(messages: Sequence[BaseMessage]) -> list[tuple[str, str]]:
    """("user" or "tool", text) of the messages before the last question, oldest first:
    what "that" and "the number I told you" may point at. The model's own replies are
    left out: a number it made up is no reference."""
    last = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
    calculator_calls = {
        call["id"]
        for m in messages[:last]
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call["name"] == "calculator"
    }
    said: list[tuple[str, str]] = []
    for message in messages[:last]:
        if isinstance(message, HumanMessage):
            said.append(("user", printable(str(message.content))))
        elif isinstance(message, ToolMessage) and message.tool_call_id in calculator_calls:
            said.append(("tool", str(message.content)))
    return said


def _question(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return printable(str(message.content))
    return ""


def read_arithmetic(messages: Sequence[BaseMessage]) -> arithmetic.Reading | None:
    """The calculator expression the last question asks for, read by the arithmetic
    grammar with the conversation's earlier numbers; None when it reads none."""
    context = arithmetic.context_from(_said_before(messages))
    try:
        return arithmetic.read(_question(messages), context)
    except arithmetic.NotArithmetic:
        return None


# A question a word problem ends with: "how many ...", or "what does it cost".
_HOW_MUCH = re2.compile(
    r"(?i)\bhow\s+(?:much|many|old|far|long|big|tall|wide|high|deep|heavy)\b"
    r"|\bwhat\b[^.?!]*\b(?:cost|costs|price|pay|total|earn|spend|left|area|width|length|breadth)\b"
)


# ... or one that names the quantity it asks for, after the story's numbers: "If she
# found 4 ..., what would her score be?", "... Calculate their combined height." Given any
# two numbers the reader reads something ("What is the weight limit for 2 bags on a 3
# hour flight?" became 2 * 3), so these count only with a number said before the asking
# words: in the question, or (a question with fewer than two) in an earlier message.
# Over MultiArith, AddSub, SingleEq, SVAMP and GSM8K the reader was never right on
# questions naming a sum, an amount, a distance, an average or a difference, and right on
# 1 of 7 naming a speed ("What is its average speed?" read 120 km in 2 hours as 120 * 2):
# those are left out.
_QUANTITY_ASKED = re2.compile(
    r"(?i)\b(?:what|which|find|calculate|compute|determine|work\s+out|figure\s+out)\b[^.?!]*"
    r"\b(?:cost|costs|price|pay|total|earn|spend|left|area|width|length|breadth|combined|"
    r"number|score|age|value|worth|weight|height|population|consumption|earnings|"
    r"fraction)\b"
)


def _asks_a_quantity(question: str, earlier: Sequence[str]) -> bool:
    """Whether `question` is put as a word problem's question (see above)."""
    if _HOW_MUCH.search(question):
        return True
    asked = _QUANTITY_ASKED.search(question)
    if asked is None:
        return False
    if arithmetic.read_numbers(question[: asked.start()]):
        return True
    return len(arithmetic.read_numbers(question)) < 2 and any(
        arithmetic.read_numbers(text) for text in earlier
    )


def read_word_problem(messages: Sequence[BaseMessage]) -> word_problems.Reading | None:
    """The calculator expression for the last question read as a short word problem by
    its units (with a number the user said earlier, if the question needs one); None
    when it does not read as one."""
    question = _question(messages)
    earlier = [text for who, text in _said_before(messages) if who == "user"]
    if not _asks_a_quantity(question, earlier[-EARLIER_STATEMENTS:]):
        return None
    try:
        return word_problems.read(question, earlier[-EARLIER_STATEMENTS:])
    except word_problems.NotAWordProblem:
        return None


def calculation_doubt(messages: Sequence[BaseMessage]) -> str | None:
    """Why this turn's calculation may not be what the question asked, or None.

    Sure only when the arithmetic grammar read the whole question as this expression.
    In doubt otherwise, saying why: the grammar read only part of the question, or read
    it as another expression; the expression is the word-problem reader's (rules on
    units, not an understanding of the story); or the 135M model wrote it, with numbers
    that are not the question's (one the conversation never gave, or one of the
    question's unused) or, even with the question's numbers, an operation it chose:
    on the word problems it was left, it chose a wrong one about half the time
    (418 / 397 for "418 girls and 397 boys: how many students?").
    """
    facts = [f for f in tool_facts(messages) if f.tool == "calculator"]
    if not facts or facts[-1].result.startswith("Error"):
        return None
    expression = str(facts[-1].args.get("expression", ""))
    reading = read_arithmetic(messages)
    if reading is not None:
        if not reading.complete:
            return f'only "{reading.span}" of your question read as arithmetic'
        if _same(reading.expression, expression):
            return None
        return f"your question reads as {reading.expression}"
    problem = read_word_problem(messages)
    if problem is not None and _same(problem.expression, expression):
        return f"I read it as a word problem by its units alone ({problem.explanation})"
    question = _question(messages)
    asked = {_value(n) for n in arithmetic.read_numbers(question)}
    earlier = {
        _value(n) for _, text in _said_before(messages) for n in arithmetic.read_numbers(text)
    }
    implied = {_value(n) for word, n in _IMPLIED_NUMBERS.items() if word in question.lower()}
    used = {_value(n) for n in _NUMBER_TEXT.findall(printable(expression))}
    extra = sorted(used - asked - earlier - implied)
    missing = sorted(asked - used)
    if not extra and not missing:
        return (
            "the small model wrote this expression from your words, "
            "and it often picks the wrong operation"
        )
    problems = []
    if extra:
        problems.append(f"it uses {_listed(extra)}, which the conversation does not mention")
    if missing:
        joined = "and" if extra else "it"
        problems.append(f"{joined} leaves out {_listed(missing)} of your question")
    return " ".join(problems)


def _same(left: str, right: str) -> bool:
    return left.replace(" ", "") == right.replace(" ", "").replace("^", "**")


def _value(number: str) -> float:
    return float(number)


def _listed(values: Sequence[float]) -> str:
    shown = [str(int(v)) if v.is_integer() else str(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
