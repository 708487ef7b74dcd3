"""Everyday arithmetic English read by a grammar, so the 135M model need not read it.

Asked "What is 17 squared?", SmolLM2-135M called the calculator with `17 * 2`; asked
"What's 15% of 80?", with `15 / 2`. Here the question is read by an LALR grammar (lark)
over words: numbers in digits or words ("twenty three", "a dozen"), + - × ÷ ^ % and their
names (plus, minus, times, divided by, to the power of, to the 4th power, squared, cubed,
percent of), the sum / product / average of a list, the difference between two numbers,
the square root of, half of, double, the percentage change from one number to another,
commands (add A to B, subtract A from B, multiply A by B, divide A by B), and references
to earlier numbers ("that", "it", "the result", "the number I told you", "the number of
boxes I have") resolved from the conversation. The rules compose: "the square root of 3
squared plus 4 squared" is `sqrt(3 ** 2 + 4 ** 2)`, "20% of the sum of 40 and 60" is
`20 / 100 * (40 + 60)`. The reading is the calculator expression.

The question is untrusted text: only its first `MAX_CHARS` characters and `MAX_TOKENS`
tokens are read, the words are found with RE2 (linear) and phrases matched by dictionary
lookups of at most `_LONGEST_PHRASE` words, and LALR parsing is linear in the tokens. The
search for a part of the question that reads as arithmetic feeds each token at most
`MAX_TOKENS` times, so the whole read is bounded.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import re2
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

MAX_CHARS = 500
MAX_TOKENS = 80

GRAMMAR = r"""
start: expr | command

command: ADD expr TO expr                        -> add_to
       | ADD expr AND expr                       -> add
       | SUBTRACT expr FROM expr                 -> subtract_from
       | MULTIPLY expr BY expr                   -> mul
       | MULTIPLY expr AND expr                  -> mul
       | DIVIDE expr BY expr                     -> div
       | RAISE expr                              -> same
       | SQUARE_VERB expr                        -> square
       | BY_WHAT_PCT WORD* CHANGE_VERB FROM expr TO expr -> pct_change_verb

?expr: sum
?sum: prod
    | sum PLUS prod                              -> add
    | sum MINUS prod                             -> sub
?prod: post
    | prod TIMES post                            -> mul
    | prod DIVBY post                            -> div
?post: pre
    | post SQUARED                               -> square
    | post CUBED                                 -> cube
    | pre POW post                               -> pow
    | post POW_ORD                               -> pow_ord
    | post PERCENT                               -> percent
    | post PERCENT OF post                       -> percent_of
?pre: atom
    | MINUS pre                                  -> neg
    | SQRT sum                                   -> sqrt
    | CBRT sum                                   -> cbrt
    | HALF_OF post                               -> half
    | DOUBLE post                                -> double
    | TRIPLE post                                -> triple
    | SUM_OF items                               -> sum_of
    | PRODUCT_OF items                           -> product_of
    | AVERAGE_OF items                           -> average
    | DIFFERENCE prod AND prod                   -> difference
    | PCT_CHANGE expr TO expr                    -> pct_change
?atom: NUMBER WORD?                              -> number
    | REF                                        -> ref
    | NUMBER_OF WORD+                            -> ref_of
    | LPAR expr RPAR                             -> group

items: prod (COMMA prod)* COMMA? AND prod

%declare NUMBER WORD REF NUMBER_OF LPAR RPAR COMMA AND OF TO FROM BY
%declare PLUS MINUS TIMES DIVBY POW POW_ORD SQUARED CUBED PERCENT TIMES_AS
%declare SQRT CBRT HALF_OF DOUBLE TRIPLE SUM_OF PRODUCT_OF AVERAGE_OF DIFFERENCE
%declare PCT_CHANGE BY_WHAT_PCT CHANGE_VERB
%declare ADD SUBTRACT MULTIPLY DIVIDE RAISE SQUARE_VERB
"""

# Words that carry no arithmetic: a question read without them means the same.
_FILLER_WORDS = (
    "what what's whats is are was be the a an how much many calculate compute work out "
    "evaluate find tell me please can could would you give get do does now then ok okay so "
    "equal equals = ? ! . : ; $ € £ i i'd like know value answer exactly just quickly "
    "us say solve figure it's did will"
)
FILLER = frozenset(_FILLER_WORDS.split())
# Words the grammar knows; the phrases first (longest match wins), then single words.
PHRASES: dict[tuple[str, ...], str] = {}


def _phrases(kind: str, *texts: str) -> None:
    for text in texts:
        PHRASES[tuple(text.split())] = kind


_phrases("PLUS", "plus", "+", "added to", "and also")
_phrases("MINUS", "minus", "-", "−", "–", "less")
_phrases("TIMES", "times", "*", "×", "x", "·", "multiplied by", "multiplied with")
_phrases("DIVBY", "divided by", "/", "÷", "over", "shared by", "split by")
_phrases("POW", "^", "**", "to the power of", "to the power", "raised to the power of")
_phrases("POW", "raised to", "to power of", "to the exponent")
_phrases("SQUARED", "squared", "to the square", "square")
_phrases("CUBED", "cubed", "to the cube")
_phrases("PERCENT", "%", "percent", "per cent", "pct")
_phrases("TIMES_AS", "times as much", "times as many", "times that", "times over")
_phrases("SQRT", "square root of", "the square root of", "sqrt of", "sqrt", "root of")
_phrases("CBRT", "cube root of", "the cube root of")
_phrases("HALF_OF", "half of", "half")
_phrases("DOUBLE", "double", "twice", "double of")
_phrases("TRIPLE", "triple", "thrice")
_phrases("SUM_OF", "sum of", "total of", "the sum of", "the total of")
_phrases("PRODUCT_OF", "product of", "the product of")
_phrases("AVERAGE_OF", "average of", "mean of", "arithmetic mean of", "the average of")
_phrases("AVERAGE_OF", "the mean of", "average")
_phrases("DIFFERENCE", "difference between", "the difference between", "difference of")
for _noun in ("percentage", "percent", "%"):
    for _way, _sign in (("change", "up"), ("increase", "up"), ("decrease", "down")):
        _phrases(f"PCT_CHANGE:{_sign}", f"{_noun} {_way} from", f"the {_noun} {_way} from")
        _phrases(f"PCT_CHANGE:{_sign}", f"{_noun} {_way} between")
_phrases("BY_WHAT_PCT", "by what percent", "by what percentage", "by how many percent")
_phrases("BY_WHAT_PCT", "by what %")
_phrases(
    "CHANGE_VERB", "change", "changed", "increase", "increased", "decrease", "decreased",
    "rise", "rose", "fall", "fell", "grow", "grew", "drop", "dropped", "go up", "went up",
    "go down", "went down", "shrink", "shrank",
)  # fmt: skip
_phrases("ADD", "add", "sum up")
_phrases("SUBTRACT", "subtract", "take away", "deduct", "take")
_phrases("MULTIPLY", "multiply")
_phrases("DIVIDE", "divide")
_phrases("RAISE", "raise")
_phrases("SQUARE_VERB", "square the number")
_phrases("LPAR", "(", "[", "{")
_phrases("RPAR", ")", "]", "}")
_phrases("COMMA", ",")
_phrases("AND", "and", "&")
_phrases("OF", "of")
_phrases("TO", "to")
_phrases("FROM", "from")
_phrases("BY", "by")
# References to an earlier number: the latest one, or the latest the user said.
_phrases(
    "REF:last", "that", "it", "this", "the result", "that result", "this result", "result",
    "the answer", "that answer", "that number", "this number", "the last result",
    "the previous result", "the last answer", "the previous answer", "the same number",
)  # fmt: skip
_phrases(
    "REF:told", "the number i told you", "the number i gave you", "the number i said",
    "the number i mentioned", "my number", "the number i gave", "my lucky number",
    "the number you were told", "my favourite number", "my favorite number",
)  # fmt: skip
_phrases("NUMBER_OF", "the number of", "the amount of", "number of", "amount of")
# Phrases that carry no arithmetic (single such words are in FILLER).
_phrases("SKIP", "i'd like to know", "i want to know", "want to know", "like to know")
_phrases("SKIP", "the result of", "the value of", "result of", "value of", "how much is")

_LONGEST_PHRASE = max(len(p) for p in PHRASES)

# Numbers in words. "a" and "and" count only inside a number ("a dozen", "one hundred
# and five"), where they are read by `number_in_words`.
_UNIT_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
)
_TENS_WORDS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety"
_UNITS = {w: n for n, w in enumerate(_UNIT_WORDS.split())}
_TENS = {w: 10 * n for n, w in enumerate(_TENS_WORDS.split()) if w != "_"}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_ORDINAL_WORDS = {
    "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}  # fmt: skip
_NUMBER_WORDS = frozenset([*_UNITS, *_TENS, *_SCALES, "dozen"])
_A_NUMBER = frozenset([*_SCALES, "dozen"])  # "a dozen", "a hundred"

# RE2, linear: numbers (thousands commas, decimals, an ordinal suffix), words with an
# apostrophe, `**`, or any other single non-space character.
_TOKEN = re2.compile(
    r"(\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)((?:st|nd|rd|th)\b)?|([a-z]+(?:'[a-z]+)?)|(\*\*)|(\S)"
)


class NotArithmetic(ValueError):
    """The text is not (wholly) arithmetic this grammar reads, or a reference is unknown."""


@dataclass(frozen=True)
class Context:
    """What earlier turns said: numbers in order, each with the words after it.

    `numbers` is oldest first; `user_numbers` only the user's. An entry is (value text,
    the few words that followed it), so "the number of boxes" finds "12 boxes".
    """

    numbers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    user_numbers: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Reading:
    """What the grammar made of a question.

    `expression` is for the calculator. `complete` is True when every word of the
    question was read (apart from filler); otherwise `span` is the part that was.
    """

    expression: str
    complete: bool
    span: str = ""
    numbers: tuple[str, ...] = field(default=())


# --- tokens ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    """A word, number or symbol of the text, where it is (the word-problem reader uses
    these too)."""

    text: str
    kind: str  # "num", "ord", "word" or "sym"
    start: int
    end: int


def split_words(text: str) -> list[Word]:
    """`text`'s words, numbers (commas of thousands dropped) and symbols, in order; at
    most 2 x `MAX_TOKENS` of them, since filler words are dropped later."""
    found = []
    for match in _TOKEN.finditer(text):
        number, ordinal, word, power, symbol = match.groups()
        if number is not None:
            kind = "ord" if ordinal else "num"
            found.append(Word(number.replace(",", ""), kind, match.start(), match.end()))
        elif word is not None:
            found.append(Word(word, "word", match.start(), match.end()))
        else:
            found.append(Word(power or symbol, "sym", match.start(), match.end()))
        if len(found) > MAX_TOKENS * 2:
            break
    return found


def number_in_words(words: Sequence[Word], i: int) -> tuple[str, int] | None:
    """A number written in words starting at `i`: (its digits, the index after it).

    "twenty three", "twenty-three", "one hundred and five", "a dozen", "two thousand
    four hundred"; `last` is what the previous word was, which says what may follow.
    """
    total, current, last, j = 0, 0, "", i
    if words[j].text == "a" and j + 1 < len(words) and words[j + 1].text in _A_NUMBER:
        current, last, j = 1, "a", j + 1
    seen = False
    while j < len(words):
        w = words[j].text
        following = words[j + 1].text if j + 1 < len(words) else ""
        after_tens = last == "tens" and 0 < _UNITS.get(w, 0) < 10
        if w in _UNITS and (last in ("", "hundred", "scale", "and") or after_tens):
            current += _UNITS[w]
            last = "units"
        elif w in _TENS and last in ("", "hundred", "scale", "and"):
            current += _TENS[w]
            last = "tens"
        elif w == "hundred" and last in ("", "a", "units", "tens") and current % 100 == current:
            current = (current or 1) * 100
            last = "hundred"
        elif w in _SCALES and w != "hundred" and last in ("", "a", "units", "tens", "hundred"):
            total += (current or 1) * _SCALES[w]
            current, last = 0, "scale"
        elif w == "dozen" and last in ("", "a", "units", "tens"):
            current, last = (current or 1) * 12, "dozen"
        elif w == "and" and last in ("hundred", "scale") and following in _UNITS | _TENS:
            last = "and"
        elif w in ("-", "–") and last == "tens" and following in _UNITS:
            pass
        else:
            break
        seen = seen or w in _NUMBER_WORDS
        j += 1
    if not seen:
        return None
    return str(total + current), j


def _ordinal(words: Sequence[Word], i: int) -> str | None:
    word = words[i]
    if word.kind == "ord":
        return word.text
    return str(_ORDINAL_WORDS[word.text]) if word.text in _ORDINAL_WORDS else None


def tokens(text: str) -> list[Token]:
    """The grammar's tokens for `text` (its first `MAX_CHARS` characters, lowercased),
    filler left out; at most `MAX_TOKENS`."""
    words = split_words(text[:MAX_CHARS].lower().replace("\u2019", "'"))
    found: list[Token] = []
    i = 0
    while i < len(words) and len(found) < MAX_TOKENS:
        word = words[i]
        if word.kind == "num":
            found.append(_token("NUMBER", word.text, word))
            i += 1
            continue
        spelled = number_in_words(words, i)
        if spelled:
            found.append(_token("NUMBER", spelled[0], word))
            i = spelled[1]
            continue
        power = _power_ordinal(words, i)
        if power:
            found.append(_token("POW_ORD", power[0], word))
            i = power[1]
            continue
        for length in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
            phrase = tuple(w.text for w in words[i : i + length])
            kind = PHRASES.get(phrase)
            if kind:
                name, _, value = kind.partition(":")
                if name != "SKIP":
                    found.append(_token(name, value or " ".join(phrase), word))
                i += length
                break
        else:
            if word.text not in FILLER and word.kind != "ord":
                found.append(_token("WORD", word.text, word))
            i += 1
    return found


def _power_ordinal(words: Sequence[Word], i: int) -> tuple[str, int] | None:
    """ "to the 4th (power)", "raised to the fourth power": (the exponent, the index after)."""
    j = i
    if words[j].text == "raised" and j + 1 < len(words):
        j += 1
    if words[j].text != "to":
        return None
    j += 1
    if j < len(words) and words[j].text == "the":
        j += 1
    if j >= len(words):
        return None
    exponent = _ordinal(words, j)
    if exponent is None:
        return None
    j += 1
    if j < len(words) and words[j].text in ("power", "powers"):
        j += 1
    return exponent, j


def _token(kind: str, value: str, word: Word) -> Token:
    return Token(kind, value, start_pos=word.start, end_pos=word.end)


# --- expressions -------------------------------------------------------------------------
# An expression is built as (text, precedence): 1 sum, 2 product, 3 negation, 4 power,
# 5 an atom; an operand is bracketed when its precedence is too low for where it goes.
Expr = tuple[str, int]


def _atom(text: str) -> Expr:
    return (f"({text})", 5) if text.startswith("-") else (text, 5)


def _wrap(e: Expr, least: int) -> str:
    return e[0] if e[1] >= least else f"({e[0]})"


def _binary(left: Expr, op: str, right: Expr) -> Expr:
    level = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}[op]
    if op == "**":  # right-associative, and -2 ** 2 is -(2 ** 2)
        return f"{_wrap(left, 5)} ** {_wrap(right, 5)}", 4
    # Left-associative: the right operand of - or / needs brackets at its own level.
    right_least = level + 1 if op in "-/" or right[1] == level else level
    return f"{_wrap(left, level)} {op} {_wrap(right, right_least)}", level


@v_args(inline=True)
class _Build(Transformer):
    """The parse tree as calculator text, references resolved from `context`."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context

    def start(self, e: Expr) -> Expr:
        return e

    def number(self, token: Token, _unit: Token | None = None) -> Expr:
        return _atom(str(token))

    def ref(self, token: Token) -> Expr:
        pool = self.context.user_numbers if str(token) == "told" else self.context.numbers
        if not pool:
            raise NotArithmetic(f"nothing earlier to take {token!s} from")
        return _atom(pool[-1][0])

    def ref_of(self, _of: Token, *nouns: Token) -> Expr:
        wanted = {str(n) for n in nouns} | {str(n).rstrip("s") for n in nouns}
        for value, after in reversed(self.context.user_numbers):
            if wanted & ({w for w in after} | {w.rstrip("s") for w in after}):
                return _atom(value)
        raise NotArithmetic(f"no earlier number of {' '.join(map(str, nouns))}")

    def group(self, _l: Token, e: Expr, _r: Token) -> Expr:
        return e

    def same(self, _verb: Token, e: Expr) -> Expr:
        return e

    def add(self, *parts: Expr | Token) -> Expr:
        left, right = [p for p in parts if isinstance(p, tuple)]
        return _binary(left, "+", right)

    def add_to(self, _v: Token, amount: Expr, _to: Token, base: Expr) -> Expr:
        return _binary(base, "+", amount)

    def sub(self, left: Expr, _op: Token, right: Expr) -> Expr:
        return _binary(left, "-", right)

    def subtract_from(self, _v: Token, amount: Expr, _f: Token, base: Expr) -> Expr:
        return _binary(base, "-", amount)

    def mul(self, *parts: Expr | Token) -> Expr:
        operands = [p for p in parts if isinstance(p, tuple)]
        if len(operands) == 1:  # "3 times as many" after a number: post TIMES_AS
            raise NotArithmetic("times as many as what")
        return _binary(operands[0], "*", operands[1])

    def div(self, *parts: Expr | Token) -> Expr:
        left, right = [p for p in parts if isinstance(p, tuple)]
        return _binary(left, "/", right)

    def square(self, *parts: Expr | Token) -> Expr:
        (e,) = [p for p in parts if isinstance(p, tuple)]
        return _binary(e, "**", ("2", 5))

    def cube(self, e: Expr, _op: Token) -> Expr:
        return _binary(e, "**", ("3", 5))

    def pow(self, base: Expr, _op: Token, exponent: Expr) -> Expr:
        return _binary(base, "**", exponent)

    def pow_ord(self, base: Expr, exponent: Token) -> Expr:
        return _binary(base, "**", _atom(str(exponent)))

    def percent(self, e: Expr, _op: Token) -> Expr:
        return _binary(e, "/", ("100", 5))

    def percent_of(self, rate: Expr, _p: Token, _of: Token, base: Expr) -> Expr:
        return _binary(_binary(rate, "/", ("100", 5)), "*", base)

    def neg(self, _op: Token, e: Expr) -> Expr:
        return f"-{_wrap(e, 4)}", 3

    def sqrt(self, _f: Token, e: Expr) -> Expr:
        return f"sqrt({e[0]})", 5

    def cbrt(self, _f: Token, e: Expr) -> Expr:
        return _binary(e, "**", ("(1 / 3)", 5))

    def half(self, _f: Token, e: Expr) -> Expr:
        return _binary(e, "/", ("2", 5))

    def double(self, _f: Token, e: Expr) -> Expr:
        return _binary(e, "*", ("2", 5))

    def triple(self, _f: Token, e: Expr) -> Expr:
        return _binary(e, "*", ("3", 5))

    def items(self, *parts: Expr | Token) -> list[Expr]:
        return [p for p in parts if isinstance(p, tuple)]

    def sum_of(self, _f: Token, items: list[Expr]) -> Expr:
        return functools.reduce(lambda a, b: _binary(a, "+", b), items)

    def product_of(self, _f: Token, items: list[Expr]) -> Expr:
        return functools.reduce(lambda a, b: _binary(a, "*", b), items)

    def average(self, _f: Token, items: list[Expr]) -> Expr:
        total = functools.reduce(lambda a, b: _binary(a, "+", b), items)
        return _binary(total, "/", (str(len(items)), 5))

    def difference(self, _f: Token, a: Expr, _and: Token, b: Expr) -> Expr:
        return _binary(a, "-", b)

    def pct_change(self, token: Token, old: Expr, _to: Token, new: Expr) -> Expr:
        # A "decrease" is stated as a positive percentage, a "change" with its sign.
        first, second = (old, new) if str(token) == "up" else (new, old)
        change = _binary(second, "-", first)
        return _binary(_binary(change, "/", old), "*", ("100", 5))

    def pct_change_verb(self, *parts: Expr | Token) -> Expr:
        old, new = [p for p in parts if isinstance(p, tuple)]
        return _binary(_binary(_binary(new, "-", old), "/", old), "*", ("100", 5))


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", lexer="basic")


# Tokens that can end an expression: only after one of them is an end-of-input tried.
_ENDINGS = frozenset(["NUMBER", "WORD", "REF", "RPAR", "SQUARED", "CUBED", "PERCENT", "POW_ORD"])
# Tokens an operation reads; a part of a question with none of them is a bare number.
_OPERATION_NAMES = (
    "PLUS MINUS TIMES DIVBY POW POW_ORD SQUARED CUBED SQRT CBRT HALF_OF DOUBLE TRIPLE "
    "SUM_OF PRODUCT_OF AVERAGE_OF DIFFERENCE PCT_CHANGE BY_WHAT_PCT ADD SUBTRACT MULTIPLY "
    "DIVIDE RAISE SQUARE_VERB OF"
)
_OPERATIONS = frozenset(_OPERATION_NAMES.split())


def _parse(found: Sequence[Token], context: Context) -> Expr:
    parser = _parser().parse_interactive()
    try:
        for token in found:
            parser.feed_token(token)
        tree = parser.feed_eof()
    except LarkError as exc:
        raise NotArithmetic(str(exc).splitlines()[0]) from None
    try:
        return _Build(context).transform(tree)
    except VisitError as exc:  # lark wraps what a rule raised, e.g. an unknown reference
        if isinstance(exc.orig_exc, NotArithmetic):
            raise exc.orig_exc from None
        raise


def _longest_part(found: Sequence[Token], context: Context) -> tuple[int, int, Expr] | None:
    """The longest run of tokens that reads as an expression with an operation in it.

    Each start feeds tokens until the parser refuses one; an end of input is tried only
    after a token that can end an expression. At most `MAX_TOKENS` starts.
    """
    best: tuple[int, int, Expr] | None = None
    start = 0
    while start < len(found):
        parser = _parser().parse_interactive()
        end = None
        for i in range(start, len(found)):
            try:
                parser.feed_token(found[i])
            except LarkError:
                break
            if found[i].type in _ENDINGS:
                try:
                    parser.copy(deepcopy_values=False).feed_eof()
                except LarkError:
                    continue
                end = i + 1
        if end is not None and any(t.type in _OPERATIONS for t in found[start:end]):
            try:
                built = _parse(found[start:end], context)
            except NotArithmetic:
                built = None
            if built is not None and (best is None or end - start > best[1] - best[0]):
                best = (start, end, built)
        # A part found from here is not looked for again from inside it.
        start = end if best is not None and best[0] == start else start + 1
    return best


def _question_numbers(found: Iterable[Token]) -> tuple[str, ...]:
    return tuple(str(t) for t in found if t.type in ("NUMBER",))


def read(question: str, context: Context = Context()) -> Reading:
    """The calculator expression `question` asks for; `NotArithmetic` when there is none.

    A question read in full gives a complete reading. Otherwise the longest part that
    reads as arithmetic with an operation in it, if it holds every number the question
    states, gives an incomplete one (the caller should say what it computed and ask).
    """
    found = tokens(question)
    numbers = _question_numbers(found)
    if not found:
        raise NotArithmetic("no words")
    if any(t.type in _OPERATIONS for t in found):
        try:
            text, _ = _parse(found, context)
        except NotArithmetic:
            pass
        else:
            return Reading(text, complete=True, span=question[:MAX_CHARS].strip(), numbers=numbers)
    part = _longest_part(found, context)
    if part is None:
        raise NotArithmetic("no part of the question reads as arithmetic")
    start, end, (text, _) = part
    inside = _question_numbers(found[start:end])
    if sorted(inside) != sorted(numbers):
        raise NotArithmetic("the arithmetic part leaves out numbers of the question")
    span = question[found[start].start_pos : found[end - 1].end_pos]
    return Reading(text, complete=False, span=span, numbers=numbers)


_AFTER_WORDS = 4


def read_numbers(text: str) -> list[str]:
    """The numbers `text` states, in digits or words, as digits."""
    return [str(t) for t in tokens(text) if t.type == "NUMBER"]


def numbers_with_words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each number in `text` (digits or words) with up to four words that follow it."""
    found = tokens(text)
    out = []
    for i, token in enumerate(found):
        if token.type == "NUMBER":
            after = tuple(str(t) for t in found[i + 1 : i + 1 + _AFTER_WORDS] if t.type == "WORD")
            out.append((str(token), after))
    return out


def context_from(said: Sequence[tuple[str, str]]) -> Context:
    """A `Context` from earlier turns, oldest first: ("user" or "tool", text) pairs.

    Tool results count for "that" and "the result"; only numbers the user stated (not
    asked to compute) for "the number I told you" and "the number of boxes I have".
    """
    numbers: list[tuple[str, tuple[str, ...]]] = []
    user: list[tuple[str, tuple[str, ...]]] = []
    for who, text in said:
        if who == "tool":
            value = text.strip()
            if _is_number(value):
                numbers.append((value, ()))
            continue
        if who != "user":
            continue  # a model's reply: a number it made up is no reference
        found = numbers_with_words(text)
        numbers += found
        # A number the user told is one they stated, not one of a calculation they asked.
        if not any(t.type in _OPERATIONS for t in tokens(text)):
            user += found
    return Context(tuple(numbers), tuple(user))


_PLAIN_NUMBER = re2.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _is_number(text: str) -> bool:
    return len(text) <= 40 and _PLAIN_NUMBER.fullmatch(text) is not None
