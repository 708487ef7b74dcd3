"""Short word problems read by their units, for the calculator: a guess, said as one.

SmolLM2-135M picks the operation of a word problem about at random ("A crate holds 36
bottles. How many bottles are in 9 crates?" became `36 / 9`). People check such an
answer by its units, and so does this reader: each number gets the noun it counts
("36 bottles") and, for a rate, what it is per ("a crate holds 36 bottles", "14 apples
each", "45 pages a day", "bags of 6"); the question says which unit it wants ("how many
bottles", "how much money", "how far", "does each friend get"). Every way of combining
all the numbers with + - * / whose units come out as the wanted one is a candidate (a
sum only of like units); the words then choose among them: a number given away, sold or
spent is subtracted, "how many more ... than" is a difference, "how many are left"
subtracts all but the first amount, and "twice as many", "3 times as many", "half of
them", "25% off" scale the number they refer to.

It reads numbers and a few dozen function words, never the story, so it is wrong
sometimes: the caller presents its result as a guess and says how the problem was read
(`Reading.explanation`). Input is capped like the arithmetic grammar's, and at most
`MAX_QUANTITIES` numbers are combined (under 8,000 trees), so a read is bounded.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from streamlit_agent.models.bundled import arithmetic

MAX_QUANTITIES = 4

# Nouns a unit goes by, to one name.
_SYNONYMS = {
    "$": "dollar", "buck": "dollar", "usd": "dollar", "€": "euro", "£": "pound",
    "kilometre": "km", "kilometer": "km", "metre": "m", "meter": "m",
    "centimetre": "cm", "centimeter": "cm", "millilitre": "ml", "milliliter": "ml",
    "litre": "l", "liter": "l", "min": "minute", "hr": "hour", "kilogram": "kg",
    "person": "people", "child": "children", "kid": "children", "pupil": "student",
}  # fmt: skip
_MONEY = frozenset(["dollar", "euro", "pound", "cent"])
_LENGTHS = frozenset(["km", "mile", "m", "cm"])
_DURATIONS = frozenset(["second", "minute", "hour", "day", "week", "month", "year"])
# "in a year" with a monthly amount: the year is 12 months.
_CONVERSIONS = {"year": ("month", 12), "week": ("day", 7), "day": ("hour", 24)}
_CONVERSIONS |= {"hour": ("minute", 60)}
_WORD_LISTS = {
    # Words between a number and its noun that say nothing of the unit.
    "modifiers": "equal new more extra full other different small large big old young "
    "empty whole same red blue green yellow white black long tall wide fresh ripe",
    # Words that are never the noun a number counts.
    "not_nouns": "of each more to and in on at for from a an the per every times as than "
    "with by into among between then left over less fewer altogether together total is "
    "are was were be been it them he she they we i you his her their its this that these "
    "those how what which do does did have has had will would can could should get gets "
    "got need needs make makes made pay pays cost costs spend spends earn earns collect "
    "collects collected sell sells sold buy buys bought take takes took go goes went walk "
    "walks run runs read reads pick picks picked save saves fill fills now still remain "
    "remaining there here if after before once also another some all both equally percent",
    # A number after one of these verbs is taken away from what was there.
    "taken_before": "gave give gives sold sell sells spent spend spends lost lose loses ate "
    "eat eats used use uses took take takes borrowed borrow borrows donated donates removed "
    "remove paid pay pays minus subtract subtracts",
    # ... and after one of these, once it was counted ("27 were caught").
    "taken_after": "caught eaten sold used lost broken absent missing left borrowed away "
    "off removed donated",
    "objects": "him her me us them",
}
_MODIFIERS = frozenset(_WORD_LISTS["modifiers"].split())
_NOT_NOUNS = frozenset(_WORD_LISTS["not_nouns"].split())
_TAKEN_BEFORE = frozenset(_WORD_LISTS["taken_before"].split())
_TAKEN_AFTER = frozenset(_WORD_LISTS["taken_after"].split())
_OBJECTS = frozenset(_WORD_LISTS["objects"].split())
_WORD_LISTS["compare"] = (
    "more fewer less taller older longer heavier shorter younger lighter farther further "
    "higher lower bigger smaller difference"
)
_COMPARE = frozenset(_WORD_LISTS["compare"].split())
_EACH = frozenset(["each", "apiece"])
_PER = frozenset(["per", "a", "an", "every", "each"])


@dataclass(frozen=True)
class Quantity:
    """A number of the story: its value, what it counts (`unit`), what it is per
    (`per`), and whether it is taken away (`sign` -1). A scaled one ("twice as many")
    is the expression `text` of the number it scales."""

    value: Fraction
    text: str
    unit: str
    per: tuple[str, ...] = ()
    sign: int = 1
    more: bool = False  # said as "N more": added, even to what is "left"
    scaled: bool = False

    def units(self) -> Counter[str]:
        found: Counter[str] = Counter()
        if self.unit:
            found[self.unit] += 1
        for unit in self.per:
            found[unit] -= 1
        return _clean(found)


def _clean(units: Counter[str]) -> Counter[str]:
    return Counter({k: v for k, v in units.items() if v})


@dataclass(frozen=True)
class Reading:
    """The calculator expression and how the problem was read, in words."""

    expression: str
    explanation: str
    numbers: tuple[str, ...] = field(default=())


class NotAWordProblem(ValueError):
    """No combination of the problem's numbers has the unit the question asks for."""


# --- words -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Item:
    word: str  # a lowercased word or symbol; "#" for a number
    value: Fraction | None = None
    text: str = ""


def _items(text: str) -> list[_Item]:
    words = arithmetic.split_words(text[: arithmetic.MAX_CHARS].lower().replace("\u2019", "'"))
    out: list[_Item] = []
    i = 0
    while i < len(words) and len(out) < arithmetic.MAX_TOKENS * 2:
        word = words[i]
        if word.kind == "num":
            out.append(_Item("#", Fraction(word.text), word.text))
            i += 1
            continue
        spelled = arithmetic.number_in_words(words, i)
        # "one" counts only before a noun ("one ticket"), not in "one of them".
        if spelled and (word.text != "one" or _before_noun(words, i)):
            out.append(_Item("#", Fraction(spelled[0]), spelled[0]))
            i = spelled[1]
            continue
        out.append(_Item("percent" if word.text in ("%", "percent") else word.text))
        i += 1
    return out


def _before_noun(words: Sequence[arithmetic.Word], i: int) -> bool:
    return i + 1 < len(words) and words[i + 1].text not in _NOT_NOUNS


def _singular(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    if len(word) <= 3 or word in _SYNONYMS.values():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("ches", "shes", "xes", "sses")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return _SYNONYMS.get(word, word)


def _is_noun(word: str) -> bool:
    return word.isalpha() and word not in _NOT_NOUNS and word not in _MODIFIERS


def _sentences(items: Sequence[_Item]) -> list[list[_Item]]:
    out: list[list[_Item]] = [[]]
    for item in items:
        if item.word in (".", "?", "!", ";", ":"):
            if out[-1]:
                out.append([])
        else:
            out[-1].append(item)
    return [s for s in out if s]


# --- quantities --------------------------------------------------------------------------
def _noun_after(sentence: Sequence[_Item], i: int) -> tuple[str, int]:
    """The noun the number at `i` counts and its index; ("", i) when there is none."""
    j = i + 1
    while j < len(sentence) and sentence[j].word in _MODIFIERS:
        j += 1
    if j < len(sentence) and _is_noun(sentence[j].word):
        return _singular(sentence[j].word), j
    # "30 and 42 stamps": the noun of the number that follows.
    joined = j + 1 < len(sentence) and sentence[j].word in ("and", "or", ",")
    if joined and sentence[j + 1].word == "#":
        unit, _ = _noun_after(sentence, j + 1)
        return unit, i
    return "", i


def _per_of(sentence: Sequence[_Item], i: int, end: int, counted: Sequence[Quantity]) -> str:
    """What the number at `i` (its noun ending at `end`) is per, if it is a rate."""
    after = [x.word for x in sentence[end + 1 : end + 4]]
    before = [x.word for x in sentence[max(0, i - 2) : i]]
    if before[-1:] == ["of"] and i >= 2 and _is_noun(sentence[i - 2].word):
        return _singular(sentence[i - 2].word)  # "bags of 6", "classes of 25 pupils"
    if after[:1] and after[0] in _EACH:
        return _container(sentence, i, counted)  # "6 bags with 14 apples each"
    if len(after) >= 2 and after[0] in _PER and _is_noun(after[1]):
        return _singular(after[1])  # "45 pages a day", "16 litres per minute"
    if len(after) >= 3 and after[0] == "in" and after[1] in ("a", "an", "each", "every"):
        return _singular(after[2])  # "7 days in a week"
    # "each row has 14 chairs", "A crate holds 36 bottles", "and a pie costs 7 dollars":
    # an "a"/"each" noun before the number, in its clause.
    for k in range(i - 1, -1, -1):
        word = sentence[k].word
        if word in ("#", "and", ",", "but", "then"):
            break  # another number or another clause
        if word in ("a", "an", "each", "every") and k + 1 < i and _is_noun(sentence[k + 1].word):
            return _singular(sentence[k + 1].word)
    return ""


def _container(sentence: Sequence[_Item], i: int, counted: Sequence[Quantity]) -> str:
    for k in range(i - 1, -1, -1):
        if sentence[k].word == "#":
            unit, _ = _noun_after(sentence, k)
            if unit:
                return unit
    for item in sentence[:i]:  # "Pencils cost 35 cents each": the subject
        if _is_noun(item.word):
            return _singular(item.word)
    return counted[-1].unit if counted else ""


def _sign(sentence: Sequence[_Item], i: int, end: int) -> tuple[int, bool]:
    """-1 for a number taken away, and whether it was said as "N more"."""
    before = [x.word for x in sentence[max(0, i - 3) : i]]
    after = [x.word for x in sentence[end + 1 : end + 4]]
    more = (sentence[i + 1].word if i + 1 < len(sentence) else "") == "more" or (
        end > i and after[:1] == ["more"]
    )
    for k, word in enumerate(before):
        if word in _TAKEN_BEFORE:
            received = k + 1 < len(before) and before[k + 1] in _OBJECTS and "away" not in after
            return (1 if received or more else -1), more
    if not more and any(w in _TAKEN_AFTER for w in after[:3]):
        return -1, more
    return 1, more


def _quantities(sentences: Sequence[list[_Item]]) -> list[Quantity]:
    found: list[Quantity] = []
    last_unit = ""
    for sentence in sentences:
        skip: set[int] = set()
        for i, item in enumerate(sentence):
            if item.word != "#" or item.value is None or i in skip:
                continue
            unit, end = _noun_after(sentence, i)
            if i and sentence[i - 1].word in ("$", "€", "£"):
                unit = _singular(sentence[i - 1].word)
            per = _per_of(sentence, i, end, found)
            unit = unit or last_unit
            sign, more = _sign(sentence, i, end)
            following = [x.word for x in sentence[end + 1 : end + 4]]
            base = _base(found)
            if following[:2] in (["times", "as"], ["time", "as"]) and base is not None:
                # "3 times as many": the number before, times three.
                found.append(_scaled(found[base], "*", item.text, item.value, sign))
            elif following[:1] == ["percent"] and base is not None:
                found.append(_percent(found, base, item, sentence, i))
            else:
                pers = tuple(p for p in (per,) if p and p != unit)
                found.append(Quantity(item.value, item.text, unit, pers, sign, more))
            last_unit = unit or last_unit
        for k, item in enumerate(sentence):
            base = _base(found)
            if base is None:
                continue
            words = [x.word for x in sentence[k + 1 : k + 3]]
            if item.word == "twice" and "as" in words:
                found.append(_scaled(found[base], "*", "2", Fraction(2), 1))
            elif item.word == "half" and words[:1] == ["of"]:
                taken = any(x.word in _TAKEN_BEFORE for x in sentence[max(0, k - 3) : k])
                found.append(_scaled(found[base], "/", "2", Fraction(2), -1 if taken else 1))
    return _each_subject(found, sentences)


def _base(found: Sequence[Quantity]) -> int | None:
    for k in range(len(found) - 1, -1, -1):
        if not found[k].scaled:
            return k
    return None


def _scaled(base: Quantity, op: str, text: str, factor: Fraction, sign: int) -> Quantity:
    value = base.value * factor if op == "*" else base.value / factor
    return Quantity(value, f"{base.text} {op} {text}", base.unit, base.per, sign, scaled=True)


def _percent(
    found: list[Quantity], base: int, item: _Item, sentence: Sequence[_Item], i: int
) -> Quantity:
    """ "25% off" (taken away from the price before it) or "40% of it"."""
    assert item.value is not None
    words = [x.word for x in sentence[i + 2 : i + 4]]
    money = [k for k, q in enumerate(found) if q.unit in _MONEY and not q.scaled]
    target = found[money[-1] if money else base]
    taken = "off" in words or any(x.word in _TAKEN_BEFORE for x in sentence[max(0, i - 3) : i])
    value = target.value * item.value / 100
    text = f"{target.text} * {item.text} / 100"
    return Quantity(value, text, target.unit, target.per, -1 if taken else 1, scaled=True)


def _each_subject(found: list[Quantity], sentences: Sequence[list[_Item]]) -> list[Quantity]:
    """ "4 people each walk 6 km a day": the 6 km is per person too."""
    out = list(found)
    for sentence in sentences:
        words = [x.word for x in sentence]
        for k in range(len(words) - 2):
            if words[k] != "#":
                continue
            unit, end = _noun_after(sentence, k)
            if not unit or end + 1 >= len(words) or words[end + 1] != "each":
                continue
            nxt = next((j for j in range(end + 2, len(words)) if words[j] == "#"), None)
            if nxt is None or {"and", ",", "but"} & set(words[end + 2 : nxt]):
                continue  # "12 dollars each and 2 magazines": another clause
            value = sentence[nxt].value
            for n, q in enumerate(out):
                if q.value == value and not q.scaled and unit not in q.per and q.unit != unit:
                    out[n] = replace(q, per=(*q.per, unit))
                    break
    return out


def _conversions(question: Sequence[_Item], found: Sequence[Quantity]) -> list[Quantity]:
    """ "in a year" asked of a monthly amount: 12 months."""
    words = [x.word for x in question]
    pers = {p for q in found for p in q.per}
    out = []
    for k in range(len(words) - 2):
        if words[k] in ("in", "per", "for", "a", "an") and words[k + 1] in ("a", "an", "one"):
            unit = _singular(words[k + 2])
            if unit in _CONVERSIONS and _CONVERSIONS[unit][0] in pers:
                smaller, factor = _CONVERSIONS[unit]
                out.append(Quantity(Fraction(factor), str(factor), smaller))
    return out


# --- the question ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Asked:
    units: Counter[str] | None  # None: not known
    compare: bool
    left: bool  # "how many are left": every amount after the first is taken away


def _asked_unit(words: Sequence[str], quantities: Sequence[Quantity]) -> str:
    seen = {q.unit for q in quantities} | {p for q in quantities for p in q.per}
    money = next((u for u in seen if u in _MONEY), "")
    for k, word in enumerate(words[:-1]):
        if word != "how":
            continue
        nxt = words[k + 1]
        rest = [w for w in words[k + 2 :] if w not in _COMPARE]
        if nxt == "many":
            if rest and _is_noun(rest[0]):
                return _singular(rest[0])
            # "How many does each child get?": of what the story counted first.
            return next((q.unit for q in quantities if q.unit and not q.per), "")
        if nxt == "far":
            return next((u for u in seen if u in _LENGTHS), "")
        if nxt == "long":
            return next((u for u in seen if u in _LENGTHS), "") or next(
                (u for u in seen if u in _DURATIONS), ""
            )
        if nxt == "old":
            return "year"
        if nxt == "much":
            noun = next((w for w in rest[:2] if _is_noun(w)), "")
            if noun and _singular(noun) in seen and _singular(noun) not in _MONEY:
                return _singular(noun)
            return money
    if any(w in ("cost", "price", "pay", "earn", "spend", "money") for w in words):
        return money
    return ""


def _asked(question: Sequence[_Item], quantities: Sequence[Quantity]) -> _Asked:
    words = [x.word for x in question]
    unit = _asked_unit(words, quantities)
    compare = any(w in _COMPARE for w in words) and (
        "than" in words
        or any(w in _COMPARE - {"more", "less", "fewer"} for w in words)
        or any(a in ("much", "many") and b in _COMPARE for a, b in itertools.pairwise(words))
    )
    left = any(w in ("left", "remain", "remaining", "remains", "still") for w in words)
    if not unit:
        return _Asked(None, compare, left)
    units = Counter({unit: 1})
    groups = [q.unit for q in quantities if q.unit and q.unit != unit and not q.per]
    for k, word in enumerate(words):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if word in ("each", "per") and _is_noun(nxt) and _singular(nxt) != unit:
            units[_singular(nxt)] -= 1  # "does each friend get", "in each row"
        elif word == "each" and groups and not _is_noun(nxt):
            units[groups[-1]] -= 1  # "does each get": each of the group counted
    return _Asked(_clean(units), compare, left)


# --- combining ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Tree:
    text: str
    prec: int
    value: Fraction
    units: Counter[str]
    leaves: tuple[tuple[int, int], ...]  # (quantity index, its sign in the sum)
    ops: str


def _leaf(k: int, q: Quantity) -> _Tree:
    return _Tree(q.text, 2 if q.scaled else 5, q.value, q.units(), ((k, 1),), "")


def _join(a: _Tree, op: str, b: _Tree) -> _Tree | None:
    if op in "+-":
        if a.units != b.units:
            return None  # a sum only of like units
        flip = -1 if op == "-" else 1
        value = a.value + b.value if op == "+" else a.value - b.value
        leaves = a.leaves + tuple((k, s * flip) for k, s in b.leaves)
        units, level = a.units, 1
    else:
        if op == "/" and b.value == 0:
            return None
        value = a.value * b.value if op == "*" else a.value / b.value
        units = a.units.copy()
        if op == "*":
            units.update(b.units)
        else:
            units.subtract(b.units)
        units, leaves, level = _clean(units), a.leaves + b.leaves, 2
    left = a.text if a.prec >= level else f"({a.text})"
    right = b.text if b.prec > level or (b.prec == level and op in "+*") else f"({b.text})"
    return _Tree(f"{left} {op} {right}", level, value, units, leaves, a.ops + op + b.ops)


def _trees(leaves: Sequence[_Tree]) -> Iterator[_Tree]:
    if len(leaves) == 1:
        yield leaves[0]
        return
    for split in range(1, len(leaves)):
        for a in _trees(leaves[:split]):
            for b in _trees(leaves[split:]):
                for op in "+-*/":
                    joined = _join(a, op, b)
                    if joined is not None:
                        yield joined


def _wanted_signs(quantities: Sequence[Quantity], asked: _Asked) -> list[int | None]:
    """The sign each number should have in the sum; None where the words say nothing
    (a rate: its sign is its product's)."""
    counts = [k for k, q in enumerate(quantities) if not q.per]
    wanted: list[int | None] = [None if q.per else q.sign for q in quantities]
    if asked.compare and counts:
        biggest = max(counts, key=lambda k: quantities[k].value)
        return [
            None if k not in counts else (1 if k == biggest else -1) for k in range(len(wanted))
        ]
    first_of_unit: dict[str, int] = {}
    for k in counts:
        unit = quantities[k].unit
        if unit not in first_of_unit and all(q.unit != unit for q in quantities[:k]):
            first_of_unit[unit] = k
            wanted[k] = 1  # what was there first was not taken from anything said
    if asked.left and asked.units:
        target = next(iter(asked.units))
        start = first_of_unit.get(target)
        for k in counts:
            if k != start and not quantities[k].more:
                wanted[k] = -1
    return wanted


def _score(tree: _Tree, wanted: Sequence[int | None]) -> tuple[int, int, int]:
    """Lower is better: signs against the words, then a negative or fractional result."""
    penalty = sum(2 for k, sign in tree.leaves if wanted[k] is not None and sign != wanted[k])
    if tree.value < 0:
        penalty += 3
    if tree.value.denominator != 1:
        penalty += 1  # counts of things are whole, usually
    return penalty, tree.ops.count("/") + tree.ops.count("-"), len(tree.text)


def read(question: str, earlier: Sequence[str] = ()) -> Reading:
    """The calculator expression for a short word problem; `NotAWordProblem` if none.

    `earlier` is what the user said before, newest last: a question about one of their
    own numbers ("How old will I be in 15 years?" after "I am 34 years old") uses it.
    """
    sentences = _sentences(_items(question))
    if not sentences:
        raise NotAWordProblem("no words")
    statements, asked_part = _split_question(sentences)
    quantities = _quantities([*statements, asked_part])
    if len(quantities) + len(_conversions(asked_part, quantities)) < 2:
        for said in reversed(earlier):
            told = _sentences(_items(said))
            if told and _quantities(told):
                statements = [*told, *statements]
                quantities = _quantities([*statements, asked_part])
                break
    quantities += _conversions(asked_part, quantities)
    if not 2 <= len(quantities) <= MAX_QUANTITIES:
        raise NotAWordProblem(f"{len(quantities)} numbers")
    quantities = _counted_pers(quantities, asked_part)
    asked = _asked(asked_part, quantities)
    wanted = _wanted_signs(quantities, asked)
    best: tuple[tuple[int, int, int], _Tree] | None = None
    for order in itertools.permutations(range(len(quantities))):
        for tree in _trees([_leaf(k, quantities[k]) for k in order]):
            if asked.units is not None and tree.units != asked.units:
                continue
            scored = (_score(tree, wanted), tree)
            if best is None or scored[0] < best[0]:
                best = scored
    if best is None:
        raise NotAWordProblem("no combination of the numbers has the unit asked for")
    return Reading(best[1].text, _explain(quantities), tuple(q.text for q in quantities))


def _counted_pers(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """A rate per something nothing counts is no rate: "A shop sold 128 apples" is not
    128 apples per shop unless shops are counted too."""
    words = [x.word for x in question]
    counted = {q.unit for q in quantities}
    counted |= {p for q in quantities for p in q.per if sum(p in r.per for r in quantities) > 1}
    counted |= {_singular(n) for w, n in itertools.pairwise(words) if w in ("each", "per", "many")}
    if "long" in words:
        counted |= _DURATIONS
    return [replace(q, per=tuple(p for p in q.per if p in counted)) for q in quantities]


def _split_question(sentences: list[list[_Item]]) -> tuple[list[list[_Item]], list[_Item]]:
    """The statements and the question: the last sentence, from its "how"/"what" on."""
    last = sentences[-1]
    words = [x.word for x in last]
    start = next((k for k, w in enumerate(words) if w in ("how", "what", "which")), 0)
    statements = sentences[:-1]
    if start > 0:
        statements = [*statements, last[:start]]
    return statements, last[start:]


def _explain(quantities: Sequence[Quantity]) -> str:
    parts = []
    for q in quantities:
        unit = f" {q.unit}" if q.unit else ""
        per = "".join(f" per {p}" for p in q.per)
        taken = " (taken away)" if q.sign < 0 else ""
        parts.append(f"{q.text}{unit}{per}{taken}")
    return "; ".join(parts)
