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
them", "25% off" scale the number they refer to; "the average number" is the sum of the
amounts of one unit over how many there are.

It reads numbers and a few dozen function words, never the story, so it is wrong
sometimes: the caller presents its result as a guess and says how the problem was read
(`Reading.explanation`). Input is capped like the arithmetic grammar's, and at most
`MAX_QUANTITIES` numbers are combined (under 8,000 trees), so a read is bounded.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from streamlit_agent.models.bundled import arithmetic

MAX_QUANTITIES = 4

# Nouns a unit goes by, to one name.
_SYNONYMS = {
    "$": "dollar", "buck": "dollar", "usd": "dollar", "€": "euro", "£": "pound",
    "kilometre": "km", "kilometer": "km", "metre": "m", "meter": "m",
    "centimetre": "cm", "centimeter": "cm", "millilitre": "ml", "milliliter": "ml",
    "litre": "l", "liter": "l", "min": "minute", "hr": "hour", "kilogram": "kg", "gram": "g",
    "person": "people", "child": "children", "kid": "children", "pupil": "student",
    "buse": "bus", "package": "pack", "packet": "pack", "feet": "foot", "ft": "foot",
    "yd": "yard", "millimetre": "mm", "millimeter": "mm",
}  # fmt: skip
# Plurals in -ies of nouns in -ie, not -y.
_IE_NOUNS = frozenset(["cookies", "movies", "brownies", "calories", "pies", "ties", "smoothies"])
_MONEY = frozenset(["dollar", "euro", "pound", "cent"])
_MONEY_ORDER = ("dollar", "euro", "cent", "pound")  # "pound" is a weight too
_LENGTHS = frozenset(["km", "mile", "m", "cm", "mm", "foot", "inch", "yard"])
_SQUARE = "square "  # "square foot": a length, twice over (`_unit_counts`)
_DURATIONS = frozenset(["second", "minute", "hour", "day", "week", "month", "year"])
# "in a year" with a monthly amount: the year is 12 months.
_CONVERSIONS = {"year": ("month", 12), "week": ("day", 7), "day": ("hour", 24)}
_CONVERSIONS |= {"hour": ("minute", 60)}
_WORD_LISTS = {
    # Words between a number and its noun that say nothing of the unit.
    "modifiers": "equal new more extra full other different small large big old young "
    "empty whole same red blue green yellow white black long tall wide fresh ripe "
    "violet purple pink brown gray grey",
    # Words that are never the noun a number counts.
    "not_nouns": "of each more to and in on at for from a an the per every times as than during "
    "with by into among between then left over less fewer altogether together total is "
    "are was were be been it them he she they we i you his her their its this that these "
    "those how what which do does did have has had will would can could should get gets "
    "got need needs make makes made pay pays cost costs spend spends earn earns collect "
    "collects collected sell sells sold buy buys bought take takes took go goes went walk "
    "walks run runs read reads pick picks picked save saves fill fills now still remain "
    "remaining there here if after before once also another some all both equally percent off "
    "away up down",  # particles: "filled 4 bags up" says nothing of what is asked
    # A number after one of these words is taken away from what was there ("yet to read 5").
    "taken_before": "gave give gives sold sell sells spent spend spends lost lose loses ate "
    "eat eats used use uses took take takes borrowed borrow borrows donated donates removed "
    "remove paid pay pays minus subtract subtracts threw throw throws deleted delete deletes yet "
    # "a discount of $ 4": taken off the price; "got rid of 20": gone.
    "discount discard discards drank drink drinks rid",
    # ... and after one of these, once it was counted ("27 were caught").
    "taken_after": "caught eaten sold used lost broken absent missing left borrowed away "
    "off removed donated died deleted disappeared vanished discarded",
    "objects": "him her me us them",
    # People named by whose they are: "gave her sister 5" (`_kin_given`).
    "kin": "mother father mom dad sister brother son daughter friend friends aunt uncle cousin "
    "grandmother grandfather grandma grandpa neighbor teacher parents sisters brothers",
    # ... and after one of these, when said "from" something ("picked 2 from the tree").
    "taken_from": "pick picks picked pull pulls pulled pluck plucks plucked cut cuts",
}
_MODIFIERS = frozenset(_WORD_LISTS["modifiers"].split())
_NOT_NOUNS = frozenset(_WORD_LISTS["not_nouns"].split())
_TAKEN_BEFORE = frozenset(_WORD_LISTS["taken_before"].split())
_TAKEN_AFTER = frozenset(_WORD_LISTS["taken_after"].split())
_OBJECTS = frozenset(_WORD_LISTS["objects"].split())
_WORD_LISTS["compare"] = (
    "more fewer less taller older longer heavier shorter younger lighter farther further "
    "higher lower bigger smaller deeper wider lesser difference"
)
_COMPARE = frozenset(_WORD_LISTS["compare"].split())
_EACH = frozenset(["each", "apiece"])
# Modifiers that say nothing of which kind of thing is counted ("16 red peaches" does).
_FEWER = frozenset(["less", "fewer"])
# "8 feet shorter than Ron": Ron's less 8, as "8 fewer" is.
_LESS = _FEWER | frozenset(["shorter", "younger", "lighter", "lower", "smaller", "lesser"])
_GENERIC = frozenset(["equal", "new", "more", "extra", "full", "other", "different", "same"])
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
    marks: frozenset[str] = frozenset()  # which kind: "red" peaches, cups of "flour"
    verb: str = ""  # the stem of the verb it goes with: "make" for "made 134 pastries"
    side: int = 0  # +1 / -1 where the words fix its sign in the answer's sum; 0: not
    subject: str = ""  # who has or does it: the sentence's first noun ("zachary")
    than: str = ""  # "39 more push-ups than zachary": whom it is counted from
    # The stems of the words of its own clause: "gave 30 cookies to his friend" for 30.
    clause: frozenset[str] = frozenset()
    now: bool = False  # said of the present: "There are now 11 roses", "2 apps left"
    size: bool = False  # the size of each of some groups: "groups of 5", "bags of 6"
    # The stems of a phrase of when or where said after the last of numbers joined by
    # "and" ("10 emails and 12 letters in the morning"), for the 10 too (`_shared_tail`).
    tail: frozenset[str] = frozenset()
    of: str = ""  # "16 times Ron's height": whose number it multiplies ("ron"), said apart
    # A part scaled from a whole ("half of them walk", "20% of the pupils ride"): the stems
    # of the words of the clause that says what the part does (`_part_asked`).
    part_of: frozenset[str] = frozenset()

    def units(self) -> Counter[str]:
        found = _unit_counts(self.unit)
        for unit in self.per:
            found.subtract(_unit_counts(unit))
        return _clean(found)


def _unit_counts(unit: str) -> Counter[str]:
    """The units a unit is made of: "square foot" is foot times foot, so that a length
    times a width is an area, and an area over a length a width."""
    if unit.startswith(_SQUARE):
        return Counter({unit[len(_SQUARE) :]: 2})
    return Counter({unit: 1}) if unit else Counter()


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


_YEAR_BEFORE = frozenset(["in", "since", "until", "of"])
_YEAR_AFTER = frozenset(["the", ",", ".", "and", "he", "she", "they", "it", "there", "a"])


def _a_year(words: Sequence[arithmetic.Word], i: int) -> bool:
    """ "in 2010, ..." / "since 1998 the": a year, said of when, naming no thing counted."""
    text = words[i].text
    if not (text.isdigit() and len(text) == 4 and 1800 <= int(text) <= 2100) or not i:
        return False
    nxt = words[i + 1].text if i + 1 < len(words) else "."
    return words[i - 1].text in _YEAR_BEFORE and nxt in _YEAR_AFTER


# "a third", "two-fifths", "three quarters": the word that says what a fraction is of.
_DENOMINATORS = {
    "third": 3, "quarter": 4, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_NUMERATORS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_NUMERATORS |= {"seven": 7, "eight": 8, "nine": 9}
# What follows a fraction that scales a number: "1/4 of them", "2/3 as many", "3/8 the age".
_SCALING = frozenset(["of", "as", "the"])


def _fraction_at(words: Sequence[arithmetic.Word], i: int) -> tuple[Fraction, str, int] | None:
    """ "1/4" (written without spaces: "12 / 4" is a division), "one-third", "two
    fifths", "a quarter of": (the fraction, its expression, the index after it)."""
    word = words[i]
    if word.kind == "num" and i + 2 < len(words) and words[i + 1].text == "/":
        over = words[i + 2]
        tight = word.end == words[i + 1].start and words[i + 1].end == over.start
        whole = word.text.isdigit() and over.text.isdigit() and int(over.text) > 1
        if tight and whole and over.kind in ("num", "ord") and int(word.text) > 0:
            return Fraction(int(word.text), int(over.text)), f"{word.text} / {over.text}", i + 3
        return None
    if word.text not in _NUMERATORS:
        return None
    j = i + 2 if i + 1 < len(words) and words[i + 1].text == "-" else i + 1
    if j >= len(words):
        return None
    name = words[j].text
    one = _NUMERATORS[word.text] == 1
    over = _DENOMINATORS.get(name if one else name[:-1] if name.endswith("s") else "")
    nxt = words[j + 1].text if j + 1 < len(words) else ""
    # Only where it scales what follows: "a quarter" alone may be a coin, "one third" a
    # place in a row; "a third as many" compares, as "a third of them" takes a part.
    if over is None or nxt not in _SCALING or (word.text == "a" and nxt not in ("of", "as")):
        return None
    return Fraction(_NUMERATORS[word.text], over), f"{_NUMERATORS[word.text]} / {over}", j + 1


def _one_for_a(words: Sequence[arithmetic.Word], i: int) -> bool:
    """ "One app costs $4. She needs 15.": a sentence opening with "one" and a noun speaks
    of any one of them, as "an app" does, when a number follows in it (not "One day"),
    unless it sets that one against another ("One child had 6 and another had 9")."""
    if words[i].text != "one" or (i and words[i - 1].text not in (".", "!", "?")):
        return False
    if i + 2 >= len(words) or _plural(words[i + 1].text) or not _is_noun(words[i + 1].text):
        return False
    if _singular(words[i + 1].text) in _DURATIONS:
        return False
    sentence = list(itertools.takewhile(lambda w: w.text not in (".", "!", "?"), words[i + 2 :]))
    if any(w.text in ("another", "other") for w in sentence):
        return False
    clause = itertools.takewhile(lambda w: w.text != ",", sentence)
    return any(w.kind == "num" for w in clause)


def _items(text: str) -> list[_Item]:
    words = arithmetic.split_words(text[: arithmetic.MAX_CHARS].lower().replace("\u2019", "'"))
    out: list[_Item] = []
    # "2 dozen eggs": one number, 2 * 12 eggs, unless the story also prices or counts by
    # the dozen ("$3 a dozen"), where the 2 counts dozens.
    dozens = sum(w.text in ("dozen", "dozens") for w in words) == 1
    i = 0
    while i < len(words) and len(out) < arithmetic.MAX_TOKENS * 2:
        word = words[i]
        fraction = _fraction_at(words, i)
        if fraction is not None:
            value, said, i = fraction
            scales = i < len(words) and words[i].text in _SCALING
            # "3/4 of the cake" scales a number of the story; "3/4 cup" is a number.
            out.append(_Item("fraction", value, said) if scales else _Item("#", value, f"({said})"))
            continue
        if word.kind == "num" and _a_year(words, i):
            out.append(_Item("year"))  # "In 2010 the Bulls won 70 games": when, no amount
            i += 1
            continue
        if word.kind == "num":
            if dozens and i + 1 < len(words) and words[i + 1].text in ("dozen", "dozens"):
                out.append(_Item("#", Fraction(word.text) * 12, f"({word.text} * 12)"))
                i += 2
                continue
            out.append(_Item("#", Fraction(word.text), word.text))
            i += 1
            continue
        if _one_for_a(words, i):
            out.append(_Item("a"))  # "One app costs $4": any one app, a price per app
            i += 1
            continue
        spelled = arithmetic.number_in_words(words, i)
        # "one" counts only before a noun ("one ticket"), not in "one of them".
        if spelled and (word.text != "one" or _before_noun(words, i)):
            out.append(_Item("#", Fraction(spelled[0]), spelled[0]))
            i = spelled[1]
            continue
        nxt = words[i + 1].text if i + 1 < len(words) else ""
        if word.text in ("square", "sq") and _singular(nxt) in _LENGTHS:
            out.append(_Item("square" + nxt))  # "square feet": one noun, an area's unit
            i += 2
            continue
        if word.text == "-" and out and out[-1].word.isalpha() and nxt.isalpha():
            out[-1] = _Item(out[-1].word + nxt)  # "t-shirts", "t - shirts": one noun
            i += 2
            continue
        out.append(_Item("percent" if word.text in ("%", "percent") else word.text))
        i += 1
    return out


_MEASURES = frozenset(["piece", "pieces", "set", "sets"])


def _measured(items: list[_Item]) -> list[_Item]:
    """ "33 pieces of candy ... 9 pieces in each bag", "2 sets of tables": a piece or a
    set counts the thing it is of, and so does a bare "pieces" after it (of the first kind
    named so; pieces of another kind are left as they are). "4 pieces in each package ...
    How many pieces of gum": a bare "pieces" said before that is of the same thing."""
    thing: _Item | None = None
    for k, item in enumerate(items[:-2]):
        if item.word in _MEASURES and items[k + 1].word == "of" and _of_phrase_end(items, k) > k:
            thing = items[_of_phrase_end(items, k)]
            break
    out: list[_Item] = []
    k = 0
    while k < len(items):
        item = items[k]
        of = item.word in _MEASURES and k + 2 < len(items) and items[k + 1].word == "of"
        end = _of_phrase_end(items, k) if of else k
        if end > k and (thing is None or items[end].word == thing.word):
            thing = items[end]
            out += [x for x in items[k + 2 : end] if x.word in _MODIFIERS]
            out.append(thing)
            k = end + 1
            continue
        out.append(thing if thing and item.word in _MEASURES and end == k else item)
        k += 1
    return out


def _before_noun(words: Sequence[arithmetic.Word], i: int) -> bool:
    # "each one having 24 pencils": a pronoun, as in "one of them".
    after_each = i > 0 and words[i - 1].text in ("each", "every")
    return i + 1 < len(words) and words[i + 1].text not in _NOT_NOUNS and not after_each


def _singular(word: str) -> str:
    if word.startswith("square") and _singular(word[6:]) in _LENGTHS:  # see `_items`
        return _SQUARE + _singular(word[6:])
    word = _SYNONYMS.get(word, word)
    if len(word) <= 3 or word in _SYNONYMS.values():
        return word
    if word.endswith("ies") and len(word) > 4 and word not in _IE_NOUNS:
        word = word[:-3] + "y"
    elif word.endswith(("lves", "rves")):  # shelves, halves, wolves, scarves
        word = word[:-3] + "f"
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
    unit, end, _ = _noun_phrase(sentence, i)
    return unit, end


def _noun_phrase(sentence: Sequence[_Item], i: int) -> tuple[str, int, frozenset[str]]:
    """The noun the number at `i` counts, its index, and the words that say which kind
    ("16 red peaches", "19 chocolate chip cookies", "9 cups of flour")."""
    j = i + 1
    marks: set[str] = set()
    while j < len(sentence) and (sentence[j].word in _MODIFIERS or sentence[j].word in _FEWER):
        if sentence[j].word not in _GENERIC:
            marks.add(sentence[j].word)
        j += 1
        # "how many red and yellow peaches": both colours mark the one noun.
        joined = j + 1 < len(sentence) and sentence[j].word in ("and", "or", ",")
        if joined and marks and sentence[j + 1].word in _MODIFIERS - _GENERIC:
            j += 1
    # "8 fly away": a word "away" follows is the verb, not the noun ("$ 6 off each" is not).
    particle = j + 1 < len(sentence) and sentence[j + 1].word == "away"
    noun = j < len(sentence) and _is_noun(sentence[j].word) and not particle
    if noun and not _past_verb(sentence[j].word):
        head = _compound_head(sentence, j)
        marks |= {_singular(x.word) for x in sentence[j:head]}
        of_end = _of_phrase_end(sentence, head)
        if of_end > head:  # "cups of flour", "sacks of ripe oranges"
            marks |= {_singular(x.word) for x in sentence[head + 2 : of_end + 1]} - _GENERIC
            marks |= _also_of(sentence, of_end + 1)
        return _singular(sentence[head].word), head, frozenset(marks)
    if j + 1 < len(sentence) and sentence[j].word == "of" and sentence[j + 1].word in _OWNERS:
        unit, head, of_marks = _noun_phrase(sentence, j + 1)  # "12 of the books": books
        if unit:
            return unit, head, of_marks | marks
    # "30 and 42 stamps": the noun of the number that follows.
    joined = j + 1 < len(sentence) and sentence[j].word in ("and", "or", ",")
    if joined and sentence[j + 1].word == "#":
        unit, _, marks_after = _noun_phrase(sentence, j + 1)
        return unit, i, marks_after
    return "", i, frozenset(marks)


def _of_phrase_end(sentence: Sequence[_Item], head: int) -> int:
    """Where "of (ripe) oranges" after the noun at `head` ends; `head` if none follows."""
    k = head + 2
    if k >= len(sentence) or sentence[head + 1].word != "of":
        return head
    while k < len(sentence) - 1 and sentence[k].word in _MODIFIERS:
        k += 1
    if not _is_noun(sentence[k].word):
        return head
    start = k  # "of brown flour", "of diet soda": nouns up to a plural one
    while k + 1 < len(sentence) and k - start < 2 and not _plural(sentence[k].word):
        if not _is_noun(sentence[k + 1].word):
            break
        k += 1
    return k


_POSSESSIVES = frozenset(["his", "her", "their", "its", "my", "our", "your"])
_OWNERS = _POSSESSIVES | {"the", "those", "these"}


def _also_of(sentence: Sequence[_Item], j: int) -> set[str]:
    """ "pages of math and reading homework", "bottles of regular soda and diet soda": the
    second kind joined to the first."""
    words = [x.word for x in sentence[j : j + 3]]
    at = 0 if words[:1] == ["and"] else 1 if words[1:2] == ["and"] and _is_noun(words[0]) else -1
    if at < 0 or len(words) <= at + 1 or not _is_noun(words[at + 1]):
        return set()
    return {_singular(words[at + 1])}


def _compound_head(sentence: Sequence[_Item], j: int) -> int:
    """ "chocolate chip cookies": the plural noun that ends a run of singular ones."""
    k = j
    while k + 1 < len(sentence) and k - j < 2 and not _plural(sentence[k].word):
        if not _is_noun(sentence[k + 1].word):
            break
        k += 1
    return k if _plural(sentence[k].word) else j


def _plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and not word.endswith("ss")


_ON = frozenset(["off", "on", "for", "from", "to", "at"])  # "3 leaflets at each door"


def _per_of(sentence: Sequence[_Item], i: int, end: int, counted: Sequence[Quantity]) -> str:
    """What the number at `i` (its noun ending at `end`) is per, if it is a rate."""
    end = _of_phrase_end(sentence, end)  # "244 drums of grapes per day"
    after = [x.word for x in sentence[end + 1 : end + 4]]
    # "groups of size 187": the size is what a group holds, as "groups of 187" is.
    at = i - 1 if i >= 2 and sentence[i - 1].word == "size" else i
    before = [x.word for x in sentence[max(0, at - 2) : at]]
    said_each = len(after) >= 3 and after[0] in _ON and after[1] in ("each", "every")
    # "to each house in each of the 81 blocks": all the blocks there are, per nothing.
    if [x.word for x in sentence[max(0, i - 3) : i]] in (
        ["each", "of", "the"],
        ["all", "of", "the"],
    ):
        return ""
    if before[-1:] == ["of"] and at >= 2 and _is_noun(sentence[at - 2].word) and not said_each:
        return _singular(sentence[at - 2].word)  # "bags of 6", "classes of 25 pupils"
    of_them = end == i and after[:2] == ["of", "them"] and counted and counted[-1].per
    if of_them and any(x.word == "#" for x in sentence[:i]):
        # "harvest 74 sacks per day and discard 71 of them": of those, so per day too.
        return counted[-1].per[-1]  # of a span, "per bird per day": the day
    if after == ["at", "a", "time"]:
        return _AT_A_TIME  # "carry 9 trays at a time": per go, named by the question
    if after[1:2] == ["one"]:  # "9 boxes each one holding 20": said of the 20
        return _per_before(sentence, i)
    each_noun = len(after) > 1 and after[0] in _EACH and _is_noun(after[1])
    if each_noun and not _past_verb(after[1]):
        # "45 pages each day": per day; "92 books each book costing him ...": a phrase of
        # its own about each of them, no rate of the number's.
        own = end > i and _singular(after[1]) == _singular(sentence[end].word)
        return "" if own else _singular(after[1])
    if after[:1] and after[0] in _EACH:
        return _container(sentence, i, counted)  # "6 bags with 14 apples each"
    if len(after) >= 2 and after[0] in _PER and _is_noun(after[1]):
        return _singular(after[1])  # "45 pages a day", "16 litres per minute"
    if after[:1] and after[0] in _EVERY_SPAN:
        return _EVERY_SPAN[after[0]]  # "8 hours daily": 8 hours a day
    to_each = [x.word for x in sentence[end + 1 : end + 5]]  # "12 days to read each book"
    if len(to_each) == 4 and to_each[0] == "to" and to_each[2] in ("each", "every"):
        return _singular(to_each[3]) if _is_noun(to_each[3]) else ""
    if said_each and after[2] == "of":  # "picked 8 apples from each of her trees"
        return _each_of(sentence, end + 4)
    if said_each:  # "a discount of $ 4 on each box": per box, not per discount
        return _singular(after[2]) if _is_noun(after[2]) else ""  # "$ 6 off each shirt"
    if len(after) >= 3 and after[:2] in (["on", "a"], ["on", "an"]) and _is_noun(after[2]):
        return _singular(after[2])  # "20 houses on a block": per block
    if len(after) >= 3 and after[0] == "in" and after[1] in ("each", "every") and after[2] == "of":
        return _each_of(sentence, end + 4)  # "544 pots in each of the 10 gardens"
    if len(after) >= 3 and after[0] == "in" and after[1] in ("a", "an", "each", "every"):
        if after[2] == "one":  # "into folders with 5 files in each one": per folder
            # else the thing counted before: "4 boxes. He puts 6 pens in each one".
            return _things_named_before(sentence, i) or (counted[-1].unit if counted else "one")
        return _singular(after[2])  # "7 days in a week"
    joined = len(after) >= 2 and after[0] in ("and", ",") and after[1] == "#"
    if joined and (shared := _shared_rate(sentence, end, counted)):
        return shared
    if span := _span_after(sentence, end):
        return span
    per = _per_before(sentence, i)
    # "28 packs of pencils each one having 24": "one" is the thing counted before.
    return counted[-1].unit if per == "one" and counted else per


_AT_A_TIME = "time"


def _per_go(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "could only wash 8 pieces at a time ... how many loads": a number said "at a
    time" is per the thing the question counts, when nothing else counts it."""
    words = [x.word for x in question]
    at = next((k + 2 for k in range(len(words) - 2) if words[k : k + 2] == ["how", "many"]), 0)
    go = _singular(words[at]) if at and _is_noun(words[at]) else ""
    if go != _AT_A_TIME and go in {q.unit for q in quantities} | {
        p for q in quantities for p in q.per
    }:
        go = ""
    return [
        replace(q, per=tuple(go or p for p in q.per if go or p != _AT_A_TIME))
        if _AT_A_TIME in q.per
        else q
        for q in quantities
    ]


# Adverbs that say "a day", "a week", ...: "runs 8 hours daily".
_EVERY_SPAN = {"hourly": "hour", "daily": "day", "nightly": "night", "weekly": "week"}
_EVERY_SPAN |= {"monthly": "month", "yearly": "year", "annually": "year"}


def _things_named_before(sentence: Sequence[_Item], i: int) -> str:
    """The nearest plural noun before the number at `i`, singular: what "each one" after
    the number is ("making bouquets with 8 flowers in each one"); "" if none."""
    for k in range(i - 1, -1, -1):
        word = sentence[k].word
        if _plural(word) and _is_noun(word) and not _verb_stem(word):  # not "puts"
            return _singular(word)
    return ""


def _shared_rate(sentence: Sequence[_Item], end: int, counted: Sequence[Quantity]) -> str:
    """ "23 books and 61 magazines in each of his shelves": a rate shared by both (the
    number whose noun ends at `end`, and the one after its "and")."""
    unit, nxt_end = _noun_after(sentence, end + 2)
    nxt_end = _of_phrase_end(sentence, nxt_end)
    shared = [x.word for x in sentence[nxt_end + 1 : nxt_end + 4]]
    # "... and 10 cups on each shelf", "... in every box": both per shelf, per box
    each = shared[:1] in (["in"], ["on"], ["at"]) and shared[1:2] in (["each"], ["every"])
    rate = each or (
        shared[:1] in (["per"], ["a"], ["an"], ["every"])
        and len(shared) > 1
        and _is_noun(shared[1])
    )
    if unit and rate:  # "... and 52 sacks of pears per day" (or "a day"): both per day
        return _per_of(sentence, end + 2, nxt_end, counted)
    return ""


_PHRASE_OPENERS = frozenset(["on", "for", "at", "to", "from", "with"])


def _span_after(sentence: Sequence[_Item], end: int) -> str:
    """ "5 hours on English and 3 hours on Chinese every day": a span of time said with
    "every" (each, per, a) after a phrase of the numbers' own, at the end of numbers
    joined by "and", is what each of them is per."""
    for _ in range(MAX_QUANTITIES):
        if end + 1 >= len(sentence) or sentence[end + 1].word not in _PHRASE_OPENERS:
            return ""
        k = end + 2
        while k < len(sentence) and sentence[k].word not in _CLAUSE_ENDS:
            nxt = sentence[k + 1].word if k + 1 < len(sentence) else ""
            if sentence[k].word in _PER and _singular(nxt) in _DURATIONS:
                return _singular(nxt)
            k += 1
        if k + 1 >= len(sentence) or sentence[k].word != "and" or sentence[k + 1].word != "#":
            return ""
        end = _noun_after(sentence, k + 1)[1]  # the next number's own phrase, then
    return ""


def _per_before(sentence: Sequence[_Item], i: int, joined: int = 0) -> str:
    """ "each row has 14 chairs", "A crate holds 36 bottles", "and a pie costs 7 dollars":
    an "a"/"each" noun before the number, in its clause; an "each" one first ("Each
    seat in a wheel holds 15 people": per seat). "Each basket has 10 red peaches and 2
    green peaches": the "each" of the number joined before it, too."""
    found, own_verb = "", False
    for k in range(i - 1, -1, -1):
        word = sentence[k].word
        # "each bag has 3 cookies and you had 21": a clause with a verb of its own.
        sibling = _joined_number(sentence, k) if word in ("and", ",") and not own_verb else None
        own_verb = own_verb or bool(_verb_stem(word))
        if sibling is not None and joined < MAX_QUANTITIES:  # a bounded chain of them
            return found or _per_before(sentence, sibling, joined + 1)
        again = word in ("and", ",") and own_verb and joined < MAX_QUANTITIES
        if again and (per := _each_again(sentence, k, i, joined)):
            return per
        if word == "each" and (counted := _each_of_the_counted(sentence, k)):
            return counted
        # "each of the shelves had 9 books on it" ("every one of"): per shelf, as "each
        # shelf had" is.
        one = k + 2 if sentence[k + 1].word == "one" else k + 1
        each_of = word in ("each", "every") and one < i and sentence[one].word == "of"
        if each_of and (of := _each_of(sentence, one + 1)):
            return of
        # "Each album came with a sheet and had 7 songs": a verb right after "and" goes
        # on with the subject before it.
        nxt = sentence[k + 1].word
        if word == "and" and nxt != "#" and (_verb_stem(nxt) or nxt in _AUX):
            continue
        if word in ("#", "and", ",", "but", "then"):
            break  # another number or another clause
        # "each small seat": the noun after the words that say which kind.
        noun = k + 1
        while noun + 1 < i and sentence[noun].word in _MODIFIERS - _GENERIC:
            noun += 1
        if word in ("a", "an", "each", "every") and noun < i and _is_noun(sentence[noun].word):
            if word in ("each", "every"):
                return _singular(sentence[noun].word)
            found = found or _singular(sentence[noun].word)
    return "" if joined else found


def _each_of_the_counted(sentence: Sequence[_Item], k: int) -> str:
    """ "bought 8 comics, each of which cost $4", "8 comics, each costing $4": an "each"
    after a comma that follows a count speaks of each of the things counted."""
    if k < 3 or sentence[k - 1].word != "," or k + 1 >= len(sentence):
        return ""
    if _is_noun(sentence[k + 1].word) and not _verb_stem(sentence[k + 1].word):
        return ""  # "..., each box holds 6": per box, read as any "each" noun is
    noun = sentence[k - 2].word
    counted = sentence[k - 3].word == "#" or sentence[k - 3].word in _MODIFIERS
    return _singular(noun) if counted and _is_noun(noun) else ""


def _each_again(sentence: Sequence[_Item], k: int, i: int, joined: int) -> str:
    """ "Each small seat can hold 14 people and large seat can hold 54": a clause after
    "and" (at `k`) that opens with a bare singular noun says "each" of it again, when
    the clause before said "each" of that noun."""
    j = k + 1
    while j < i and sentence[j].word in _MODIFIERS - _GENERIC:
        j += 1
    noun = sentence[j].word if j < i else ""
    if not _is_noun(noun) or _singular(noun) != noun or j + 1 >= i:
        return ""
    if not (_verb_stem(sentence[j + 1].word) or sentence[j + 1].word in _AUX):
        return ""
    sibling = _joined_number(sentence, k)
    if sibling is None:
        return ""
    per = _per_before(sentence, sibling, joined + 1)
    return per if per == noun else ""


def _joined_number(sentence: Sequence[_Item], k: int) -> int | None:
    """The number of the clause that ends at the "and" at `k` ("10 red peaches and", "4
    hours on english and")."""
    if k < 2 or not _is_noun(sentence[k - 1].word) or _past_verb(sentence[k - 1].word):
        return None
    for j in range(k - 2, -1, -1):
        if sentence[j].word == "#":
            return j
        if sentence[j].word in _CLAUSE_ENDS:
            return None
    return None


def _each_of(sentence: Sequence[_Item], j: int) -> str:
    """The thing after "each of" ("the 10 gardens", "his shelves"), singular."""
    for item in sentence[j : j + 4]:
        if _is_noun(item.word):
            return _singular(item.word)
        if item.word not in _POSSESSIVES and item.word not in ("#", "the"):
            break
    return ""


def _container(sentence: Sequence[_Item], i: int, counted: Sequence[Quantity]) -> str:
    for k in range(i - 1, -1, -1):
        if sentence[k].word == "#":
            unit, _ = _noun_after(sentence, k)
            if unit:
                return unit
    if priced := _priced_thing(sentence, i):
        return priced
    for item in sentence[:i]:  # "Pencils cost 35 cents each": the subject
        if _is_noun(item.word):
            return _singular(item.word)
    return counted[-1].unit if counted else ""


def _priced_thing(sentence: Sequence[_Item], i: int) -> str:
    """ "sell the working games for $ 7 each": the noun just before "for"/"at" the price,
    singular; "" if there is none."""
    k = i - 1
    if k >= 0 and sentence[k].word in _MONEY_SIGNS:
        k -= 1
    if k < 1 or sentence[k].word not in ("for", "at"):
        return ""
    # "buying decks from the magic shop for $ 9 each": the place they come from is no
    # thing priced; the things before it are.
    place = next((j for j in range(k - 1, max(0, k - 5), -1) if sentence[j].word == "from"), 0)
    word = sentence[(place or k) - 1].word
    return _singular(word) if _plural(word) and _is_noun(word) and not _verb_stem(word) else ""


_MONEY_SIGNS = frozenset(["$", "€", "£"])
_GROUPING = frozenset(["into", "in"])


def _grouped(sentence: Sequence[_Item], i: int) -> str:
    """ "split the eggs into groups of 6", "the plums are packed into 8 boxes": what is
    put into the groups, the last thing named before "into" in the clause; "" if none."""
    into = next((k for k in range(i - 1, max(-1, i - 6), -1) if sentence[k].word in _GROUPING), -1)
    for k in range(into - 1, -1, -1):
        word = sentence[k].word
        if word in _CLAUSE_ENDS:
            break
        if _is_noun(word) and _plural(word):
            return _singular(word)
    return ""


def _sign(
    sentence: Sequence[_Item], i: int, end: int, told: frozenset[str] = frozenset()
) -> tuple[int, bool]:
    """-1 for a number taken away, and whether it was said as "N more"."""
    before = [x.word for x in sentence[max(0, i - 3) : i]]
    after = [x.word for x in sentence[end + 1 : end + 4]]
    more = (sentence[i + 1].word if i + 1 < len(sentence) else "") == "more" or (
        end > i and after[:1] == ["more"]
    )
    for k, word in enumerate(before):
        if word in _TAKEN_BEFORE or _taking_ing(word):
            received = k + 1 < len(before) and before[k + 1] in _OBJECTS and "away" not in after
            # "gave her sister 24": "her" is whose sister, who is given them; not received.
            received = received and not _kin_given(before[k + 1 :])
            if more and not received and "than" not in after:
                return -1, False  # "then he ate 9 more": another 9 taken, as the first were
            return (1 if received or more else -1), more
    # "picked 2 apples from her tree": taken from what the tree has, when the story has
    # said what it has; else it is only where they were gathered ("picked 9 from a tree").
    picked = _TAKEN_FROM & set(before)
    if not more and after[:1] == ["from"] and picked and _source_said(sentence, end + 1, told):
        return -1, more
    if not more and _shares_from(sentence, end, picked, told):
        return -1, more
    # "cut off 11 inches", "sold off 40": a verb with "off" takes the number away.
    if not more and before[-1:] == ["off"] and len(before) > 1 and _verb_stem(before[-2]):
        return -1, more
    # "cut down 2 trees", "chopped down 5": felled, so taken from what stood.
    if not more and before[-1:] == ["down"] and len(before) > 1 and before[-2] in _FELLING:
        return -1, more
    per_each = after[:1] == ["off"] and after[1:2] in (["each"], ["every"])  # a rate
    own = list(itertools.takewhile(lambda w: w not in _CLAUSE_ENDS, after))  # not "but gave away"
    if not more and not per_each and any(w in _TAKEN_AFTER for w in own):
        return -1, more
    # "8 students do n't want to go": not among those who do, so taken from them all.
    if not more and any(w in _NEGATIONS for w in own[:2]):
        return -1, more
    if not more and _went_away(sentence, i, end):
        return -1, more
    return (-1 if not more and _shares_taking(sentence, i) else 1), more


_TAKEN_FROM = frozenset(_WORD_LISTS["taken_from"].split())
_KIN = frozenset(_WORD_LISTS["kin"].split())


def _shares_from(
    sentence: Sequence[_Item], end: int, verbs: set[str], told: frozenset[str]
) -> bool:
    """ "Sara picked 45 pears and Sally picked 11 pears from the tree": clauses joined by
    "and" with the same verb share the "from" said once at the end of the last of them."""
    k = _shared_from(sentence, end, verbs)
    return k is not None and _source_said(sentence, k, told)


def _shared_from(sentence: Sequence[_Item], end: int, verbs: set[str]) -> int | None:
    """Where the "from" is that the number ending at `end` shares (`_shares_from`)."""
    words = [x.word for x in sentence[end + 1 :]]
    words = list(itertools.takewhile(lambda w: w not in ("but", "while", "whereas"), words))
    numbers = [j for j, w in enumerate(words) if w == "#"]
    if not verbs or words[:1] not in (["and"], [","]) or not numbers:
        return None
    if any(words[j - 1] not in verbs for j in numbers) or numbers[0] > 5:
        return None
    k = next((j for j, w in enumerate(words) if j > numbers[-1] and w == "from"), None)
    return None if k is None else end + 1 + k


def _source_said(sentence: Sequence[_Item], k: int, told: frozenset[str]) -> bool:
    """Whether what "from" at `k` names (the tree, the garden) was said before to hold some."""
    said = list(itertools.takewhile(lambda x: x.word not in _CLAUSE_ENDS, sentence[k + 1 :]))
    nouns = [_singular(x.word) for x in said if _is_noun(x.word) and x.word not in _PRONOUNS]
    return not nouns or nouns[-1] in told  # "cut 4 feet from it": it was said before


def _kin_given(words: Sequence[str]) -> bool:
    """ "her sister", "his friends": one named by whose they are is the one given to."""
    return len(words) == 2 and words[0] in ("her", "his", "their") and words[1] in _KIN


_FELLING = frozenset(["cut", "cuts", "chop", "chops", "chopped", "knock", "knocked", "tore"])
_OPENING = frozenset(["if", "then", "and", ",", "but", "when", "after"])


def _went_away(sentence: Sequence[_Item], i: int, end: int) -> bool:
    """ "If 6 of them got tired of waiting and left": the number is who does it, and what
    they do, joined by "and" to what else they did, is leaving; so they are taken away."""
    if i > 0 and sentence[i - 1].word not in _OPENING:
        return False
    said = list(itertools.takewhile(lambda x: x.word != "#", sentence[end + 1 :]))
    words = [x.word for x in said]
    return any(words[k : k + 2] == ["and", "left"] for k in range(1, len(words) - 1))


_NEGATIONS = frozenset(["not", "n't", "don't", "didn't", "doesn't", "won't", "can't", "cannot"])


def _taking_ing(word: str) -> bool:
    """ "after giving 35 books", "selling 12": a taking verb in its -ing form."""
    return word.endswith("ing") and _stem(word) in _TAKEN_BEFORE_STEMS


def _shares_taking(sentence: Sequence[_Item], i: int) -> bool:
    """ "lost 50 kilograms in the first week and 60 in the second": a number with no verb
    of its own shares the one before it, a taking-away one too."""
    own = sentence[_clause_start(sentence, i) : i]
    if any(_verb_stem(x.word) for x in own):
        return False
    k = next((j for j in range(i - 1, -1, -1) if sentence[j].word == "#"), -1)
    return k >= 0 and any(x.word in _TAKEN_BEFORE for x in _leading_words(sentence, k))


@dataclass(frozen=True)
class _Context:
    """What the story says up to a number that the reading of that number needs."""

    subject: str  # the sentence's subject (`_subject`)
    before: str  # the last sentence's subject: whom "her" stands for (`_given_her`)
    some_seen: bool  # a "some" said so far
    some_taken: bool  # the last "some" was taken away (`_some_taken`)
    unsaid: bool  # the story leaves its whole unsaid (`_unsaid`, `_asks_a_part`)


def _quantities(sentences: Sequence[list[_Item]]) -> list[Quantity]:
    found: list[Quantity] = []
    last_unit, some_taken = "", False
    some_seen, unsaid = False, _unsaid(sentences) or _asks_a_part(sentences)
    ones: list[int] = []  # said of "a shop" that sold them (`_ones_of_the_story`)
    bare: list[int] = []  # naming no noun: "he only had 154 left" (`_bare_asked`)
    subject = said = ""
    told: frozenset[str] = frozenset()  # what earlier sentences name: "The tree had 12"
    for sentence in sentences:
        some_seen = some_seen or any(x.word == "some" for x in sentence)
        some_taken = _some_taken(sentence, some_taken)
        before, subject = subject, _subject(sentence, subject)
        context = _Context(subject, before, some_seen, some_taken, unsaid)
        apiece: set[int] = set()
        for i, item in enumerate(sentence):
            if item.word != "#" or item.value is None or i in apiece:
                continue
            if i and sentence[i - 1].word == "than" and sentence is not sentences[-1]:
                continue  # a bound, not an amount: "can not have more than 36 people"
            unit, end, marks, per = _unit_and_per(sentences, sentence, i, found, (last_unit, said))
            sign, more = _sign(sentence, i, end, told | {_singular(x.word) for x in sentence[:i]})
            sign = 1 if sign < 0 and _given_by_name(sentence, i, before) else sign
            if thing := _one_apiece(sentence, i, end, found):
                unit, sign, more = thing, -1, False
                # "took one each": the "one" is each taker's, no amount of its own.
                apiece |= {
                    k
                    for k in range(end + 1, end + 5)
                    if sentence[k : k + 1] and sentence[k].value == 1
                }
            following = [x.word for x in sentence[end + 1 : end + 4]]
            said_as = ((unit, end, marks, per), (sign, more))
            found.append(_number_read(found, sentence, i, said_as, context))
            shared = _shared_from(sentence, end, _TAKEN_FROM & {x.word for x in sentence[:i]})
            if sign < 0 and shared is not None:
                # what they were picked from is as much this number's as the last one's
                where = _content(sentence[shared : _clause_end(sentence, shared)])
                found[-1] = replace(found[-1], clause=found[-1].clause | where)
            if following[:1] == ["times"] and found and found[-1].text == item.text:
                found[-1] = replace(found[-1], of=_owner(following[1:2]))
            if per and per == _one_past(sentence, i):
                ones.append(len(found) - 1)
            # "had 17 bags, but kept 8 of them": "them" are what the sentence counted.
            of_own = following[:2] == ["of", "them"] and any(x.word == "#" for x in sentence[:i])
            named = _noun_phrase(sentence, i)[0] or per or of_own
            if not named and sentence is not sentences[-1]:
                bare.append(len(found) - 1)
            last_unit = unit or last_unit
        _twice_and_half(sentence, found, context)
        said = next((_singular(x.word) for x in reversed(sentence) if _counted_noun(x)), said)
        told |= {_singular(x.word) for x in sentence}
    found = _of_what_follows(_fewer_than_before(found, sentences))
    found = _kept_aside(_ones_of_the_story(found, ones), sentences[-1])
    found = _bare_asked(found, bare, sentences[-1])
    # "the two days combined" names no amount: left out before an amount is derived.
    found = _the_ones_summed(found, sentences[-1])
    found = _more_than_times(_times_later(found, sentences), sentences)
    return _each_subject(_done_and_yet(_more_of_them(found)), sentences)


def _number_read(
    found: list[Quantity],
    sentence: Sequence[_Item],
    i: int,
    said_as: tuple[tuple[str, int, frozenset[str], str], tuple[int, bool]],
    context: _Context,
) -> Quantity:
    """The number at `i` as its words take it: a multiple of the number before it or of
    one to come, a percent of either, or the amount said (`_plain`)."""
    (unit, end, marks, per), (sign, more) = said_as
    item = sentence[i]
    assert item.value is not None
    following = [x.word for x in sentence[end + 1 : end + 4]]
    base = _base(found)
    if _times_as(following, sentence[end + 1 :]) and base is not None:
        # "3 times as many", "4 times longer": the number before, times three.
        scaled = _scaled(found[base], "*", item.text, item.value, sign)
        return _whose_scaled(scaled, sentence, i, context)
    if _times_as(following, sentence[end + 1 :]) and following[1:2] == ["as"]:
        # "The skiers are 3 times as many as the hikers. There are 40 hikers."
        who = _subject_at(sentence, i, context.subject, context.before)
        return _scale_ahead(item.value, f"* {item.text}", who)
    if following[:1] == ["percent"] and base is not None:
        return _percent(found, base, item, sentence, i)
    if following[:1] == ["percent"]:
        # "Ten percent of her pay goes to tax. Her pay is $500": of a number to come.
        return _percent_ahead(item.value, item.text, sentence, i)
    return _plain(sentence, i, (unit, end, marks, per), (sign, more), context)


def _more_of_them(found: list[Quantity]) -> list[Quantity]:
    """ "5 friends were playing when 2 more players joined": "more players" says those
    before were players too, when only one count of another thing comes before it and
    nothing else counts players."""
    out = list(found)
    for k, q in enumerate(out):
        if not q.more or q.scaled or not q.unit:
            continue
        before = [n for n in range(k) if not out[n].per and not out[n].scaled]
        if len(before) != 1 or any(r.unit == q.unit for n, r in enumerate(out) if n != k):
            continue
        first = out[before[0]]
        if first.unit and first.unit != q.unit and first.subject == q.subject:
            out[before[0]] = replace(first, unit=q.unit)
    return out


_TIMES_MORE = _COMPARE - _LESS - {"difference", "farther", "further"}


def _times_as(following: Sequence[str], rest: Sequence[_Item]) -> bool:
    """ "3 times as many", or "4 times longer" with no "than" after it: its base is the
    number before ("5 times more than Connor's" is said of a number maybe yet to come)."""
    if following[:2] in (["times", "as"], ["time", "as"]):
        return True
    more = following[:1] == ["times"] and following[1:2] and following[1] in _TIMES_MORE
    return bool(more) and all(x.word != "than" for x in rest)


def _bare_asked(
    found: list[Quantity], bare: Sequence[int], question: Sequence[_Item]
) -> list[Quantity]:
    """ "got 521 crayons and 66 erasers ... he only had 154 left ... How many crayons had
    been lost?": a number that names no noun, after numbers of several things, counts the
    one the question names, not the last one named."""
    words = [x.word for x in question]
    at = next((k + 2 for k in range(len(words) - 2) if words[k : k + 2] == ["how", "many"]), 0)
    asked = _singular(words[at]) if at and _is_noun(words[at]) else ""
    out = list(found)
    for n in bare:
        if n >= len(out) or out[n].scaled:
            continue
        earlier = {q.unit for q in out[:n]}
        if asked in earlier and out[n].unit in earlier and out[n].unit != asked:
            out[n] = replace(out[n], unit=asked)
    return out


_SELVES = frozenset(["himself", "herself", "themselves", "myself", "yourself", "ourselves"])


def _kept_aside(found: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "has 30 stickers and wants to keep 6 for himself ... How many will each friend
    get?": what one keeps for oneself is set aside from what is shared, so taken away
    when the question asks of a share."""
    if not any(x.word in ("each", "equally") for x in question):
        return found
    return [replace(q, sign=-1) if "keep" in q.clause and q.clause & _SELVES else q for q in found]


def _unit_and_per(
    sentences: Sequence[list[_Item]],
    sentence: Sequence[_Item],
    i: int,
    found: Sequence[Quantity],
    last: tuple[str, str],
) -> tuple[str, int, frozenset[str], str]:
    """The noun the number at `i` counts, its index, the words that say which kind, and
    what the number is per. `last`: the unit of the last number, and the noun the last
    sentence counted last, for a number that names none ("found 5 new ones")."""
    last_unit, said = last
    unit, end, marks = _noun_phrase(sentence, i)
    priced = found[-1].per if found and found[-1].unit in _MONEY else ()
    if priced and [x.word for x in sentence[i + 1 : i + 3]] == ["of", "them"]:
        last_unit = priced[0]  # "An app costs $4 and she needs 15 of them": apps, not dollars
    if i and sentence[i - 1].word in ("$", "€", "£"):
        unit = _singular(sentence[i - 1].word)
    per = _per_of(sentence, i, end, found) or _each_of_them(sentence, i, said, unit)
    unit = _unit_from_context(sentence, i, unit, per, last_unit or said)
    return _one_each(sentences, sentence, i, unit), end, marks, per


def _plain(
    sentence: Sequence[_Item],
    i: int,
    noun: tuple[str, int, frozenset[str], str],
    signed: tuple[int, bool],
    context: _Context,
) -> Quantity:
    """The number at `i` as said, neither scaled nor a percent: `noun` its unit, the
    index its noun ends at, its kind and what it is per (`_unit_and_per`); `signed` its
    sign and whether it was said as "N more" (`_sign`)."""
    unit, end, marks, per = noun
    sign, more = signed
    pers = tuple(p for p in (per,) if p and p != unit)
    # "A bird eats 7 berries a day": per bird and per day (the bird, if birds are counted).
    owner = _per_before(sentence, i) if pers and pers[0] in _DURATIONS else ""
    opens = sentence[0].word in ("a", "an", "each", "every") and len(sentence) > 1
    said_first = opens and _singular(sentence[1].word) == owner  # the subject, not "in a shop"
    pers = (owner, *pers) if said_first and owner not in (unit, per) else pers
    side = -1 if _said_less(sentence, i, end) else 0
    side = 2 if _is_whole(sentence, i, end, context.some_seen, context.unsaid) else side
    side = 3 if _said_first(sentence, i, end) and not side else side  # see _starts
    sign = -1 if side == 2 and context.some_taken else sign  # "now 13": what is left
    value = sentence[i].value
    assert value is not None  # `_quantities` reads only numbers
    return Quantity(
        value,
        sentence[i].text,
        unit,
        pers,
        sign,
        more,
        False,
        marks,
        _verb_before(sentence, i),
        side,  # 2: a whole (`_wholes`)
        _subject_at(sentence, i, context.subject, context.before),
        _than_object(sentence, i),
        _clause_words(sentence, i),
        any(x.word in ("now", "left", "still") for x in sentence)
        or _had_after(sentence, i)
        or (context.some_seen and _present_has(sentence, i)),
        bool(pers) and _sized(sentence, i),
        _content(_shared_tail(sentence, i, _clause_end(sentence, i))),
    )


_APIECE = frozenset(["a", "an", "one"])
# What people "each bring" or "each give" comes in (or goes out) on their side: not taken.
_BRINGING = frozenset(["bring", "add", "make", "bake", "give", "donate"])


def _one_apiece(sentence: Sequence[_Item], i: int, end: int, found: Sequence[Quantity]) -> str:
    """ "If 25 children each took a muffin", "12 took one each", "only 21 students wanted
    fruit": people who each take one of the things counted before, so the number counts
    those things, taken from them; "" when not so said."""
    noun = _singular(sentence[end].word) if end > i else ""
    counted = {q.unit for q in found if not q.scaled}
    if noun not in _PERSONS | {"people"} or noun in counted:
        return ""
    after = [x.word if x.value != 1 else "one" for x in sentence[end + 1 : end + 5]]
    after = after[1:] if after[:1] == ["each"] else after
    verb = _verb_stem(after[0]) if after else ""
    bringing = verb in {_stem(v) for v in _BRINGING}
    having = verb in {_stem(v) for v in ("have", "do", "be")}  # "have a pet": nothing taken
    if not verb or bringing or having or len(after) < 2:
        return ""
    if after[1] in _APIECE:  # "a muffin", "one each", "one"
        named = _singular(after[2]) if len(after) > 2 and _is_noun(after[2]) else ""
    elif _is_noun(after[1]) and not _plural(after[1]):  # "wanted fruit": some, one each
        named = ""
    else:
        return ""
    if named:  # "joined a race": a thing of its own, not one of those counted
        return named if named in counted else ""
    return next(iter(counted)) if len(counted) == 1 else ""


def _present_has(sentence: Sequence[_Item], i: int) -> bool:
    """ "gave Jessica some of his shells. He has 22": after a change of some, what one
    has (said in the present) is what there is now."""
    return i > 0 and sentence[i - 1].word in ("has", "have")


def _had_after(sentence: Sequence[_Item], i: int) -> bool:
    """ "After the sale she had 24": what is had once something is over is what is left."""
    return sentence[0].word == "after" and _verb_before(sentence, i) == "hav"


def _one_past(sentence: Sequence[_Item], i: int) -> str:
    """ "A shop sold 26 bikes", "a cage had 95 snakes": the noun of an "a" that opens
    the sentence, of a verb in the past; "" when the number is not said so."""
    words = [x.word for x in sentence[:i]]
    if len(words) != 3 or words[0] not in ("a", "an") or not _is_noun(words[1]):
        return ""
    verb = words[2]
    past = (verb in _IRREGULAR and verb not in _PRESENT) or verb.endswith("ed")
    return _singular(words[1]) if past else ""


_PRESENT = frozenset(["has", "is", "are", "does"])


def _ones_of_the_story(found: list[Quantity], ones: Sequence[int]) -> list[Quantity]:
    """ "A shop sold 26 bikes on Friday": one shop, the story's, not what any shop sells,
    unless the story counts shops ("A box had 6 pens. Sam bought 5 boxes")."""
    counted = {q.unit for q in found}
    out = list(found)
    for n in ones:
        if n < len(out) and not set(out[n].per) & counted:
            out[n] = replace(out[n], per=())
    return out


def _each_of_them(sentence: Sequence[_Item], i: int, said: str, unit: str) -> str:
    """ "made cookies for guests. If ... each of them had 19 cookies": per one of those
    the last sentence counted last (`said`), not what the number counts."""
    words = [x.word for x in sentence[_clause_start(sentence, i) : i]]
    each = any(words[k : k + 3] == ["each", "of", "them"] for k in range(len(words)))
    return said if each and said and said != unit else ""


def _subject_at(sentence: Sequence[_Item], i: int, subject: str, before: str) -> str:
    """Who has or does the number at `i`: of a "who" clause, of a clause's own name, of the
    one "her" stands for (`before`, the last sentence's), else the sentence's subject."""
    return (
        _relative_subject(sentence, i)
        or _clause_subject(sentence, i)
        or (before if _given_her(sentence, i) or _given_by_name(sentence, i, before) else subject)
    )


def _given_by_name(sentence: Sequence[_Item], i: int, before: str) -> bool:
    """ "Mary had 33 cards. Sam gave Mary 23": given to the one the last sentence was
    about, named again after the verb; she gets them, as "Sam gave her 23" says."""
    words = [x.word for x in sentence[max(0, i - 3) : i]]
    return bool(before) and any(
        a in _TAKEN_BEFORE and b == before and before not in _PRONOUNS
        for a, b in itertools.pairwise(words)
    )


def _given_her(sentence: Sequence[_Item], i: int) -> bool:
    """ "Sally had 27 cards. Dan gave her 41": given to the one a pronoun after the verb
    stands for (the one before), not to the one who gave."""
    before = [x.word for x in sentence[max(0, i - 3) : i]]
    return any(
        a in _TAKEN_BEFORE and b in _OBJECTS - {"me", "us"} for a, b in itertools.pairwise(before)
    )


_NOT_OF = frozenset(["as", "a", "an", "per", "each", "every", "more", "less", "fewer"])


def _owner(words: Sequence[str]) -> str:
    """ "ron's": "ron"; "" for a word that is no one's."""
    word = words[0] if words else ""
    return word[:-2] if word.endswith("'s") and len(word) > 2 else ""


def _times_of(quantities: list[Quantity], question: Sequence[_Item]) -> Quantity | None:
    """ "The depth of the water is 16 times Ron's height ... Ron stands at 13 feet. How
    deep was the water?": Ron's number (or one counted from another's) times 16, when the
    question asks of what the "times" is said of."""
    asked = _content(question)
    for q in quantities:
        if not q.of or q.unit or not q.clause & asked:
            continue
        theirs = [r for r in quantities if r.subject == q.of and r.unit and not r.than]
        if theirs:
            return replace(_scaled(theirs[-1], "*", q.text, q.value, 1), subject=q.subject)
    return None


def _times_later(found: list[Quantity], sentences: Sequence[list[_Item]]) -> list[Quantity]:
    """ "The water is 10 times Dean's height and he stands at 9 feet": "N times" something
    whose number is said later in the sentence is that number times N ("3 times a day"
    and "3 times as many" are not)."""
    out = list(found)
    for sentence in sentences:
        words = [x.word for x in sentence]
        for k in range(len(words) - 2):
            if words[k] != "#" or words[k + 1] != "times" or words[k + 2] in _NOT_OF:
                continue
            nxt = next((j for j in range(k + 2, len(words)) if words[j] == "#"), None)
            if nxt is None:
                out = _times_ahead(out, sentence[k], words[k + 2])
                continue
            factor, base = sentence[k], sentence[nxt]
            at = [n for n, q in enumerate(out) if q.text == factor.text and not q.unit]
            of = [q for q in out if q.text == base.text and q.unit and not q.scaled]
            if len(at) == 1 and len(of) == 1 and factor.value is not None:
                out[at[0]] = _scaled(of[0], "*", factor.text, factor.value, 1)
    return out


def _times_ahead(found: list[Quantity], factor: _Item, following: str) -> list[Quantity]:
    """ "Ada reads 3 times the pages that Bo does. Bo reads 40 pages": "N times the"
    something whose number is said only in a later sentence is that number times N, as
    "twice as many as" said before its number is (`_of_what_follows`)."""
    if following not in _COMPARING or factor.value is None:
        return found
    at = [n for n, q in enumerate(found) if q.text == factor.text and not q.scaled]
    if len(at) != 1:
        return found
    after = next((q for q in found[at[0] + 1 :] if q.unit and not q.scaled and not q.per), None)
    if after is None:
        return found
    scaled = _scaled(after, "*", factor.text, factor.value, after.sign)  # as its base is
    scaled = replace(scaled, subject=found[at[0]].subject)
    return [*found[: at[0]], scaled, *found[at[0] + 1 :]]


_MORE_OR_LESS = frozenset(["more", "less", "fewer"])


def _times_said(words: Sequence[str], k: int) -> tuple[int, int] | None:
    """ "# [noun] more [noun] than 3 times" / "... than twice (double)" from `k`: the
    index of "more"/"less" and of the factor's number or word."""
    j = next((j for j in range(k + 1, min(k + 3, len(words))) if words[j] in _MORE_OR_LESS), None)
    if j is None:
        return None
    t = next((t for t in range(j + 1, min(j + 3, len(words))) if words[t] == "than"), None)
    if t is None or t + 1 >= len(words):
        return None
    if words[t + 1] in _MULTIPLES:
        return j, t + 1
    if words[t + 1] == "#" and words[t + 2 : t + 3] in (["times"], ["time"]):
        return j, t + 1
    return None


def _number_of_noun(words: Sequence[str], j: int, asked: Sequence[_Item]) -> str:
    """ "... than 3 times the number of muffins as ...": what the larger number counts
    ("the number of fair tickets ... how many tickets": the word the question names)."""
    at = next((k for k in range(j, len(words) - 2) if words[k : k + 2] == ["number", "of"]), 0)
    if not at:
        return ""
    named = {_singular(x.word) for x in asked}
    nouns = [_singular(w) for w in words[at + 2 : at + 4] if _is_noun(w)]
    return next((w for w in nouns if w in named), nouns[0] if nouns else "")


def _more_than_times(found: list[Quantity], sentences: Sequence[list[_Item]]) -> list[Quantity]:
    """ "sold 18 more than three times as many as it did to the other one", with the one
    other number of the story (25): that number times 3, plus 18 (25 * 3 + 18). Only
    when the story has that one other number, said first or of another thing: "10 more
    ducks than 4 times the chickens ... 150 ducks" counts back, not read here."""
    for n, sentence in enumerate(sentences):
        words = [x.word for x in sentence]
        for k, item in enumerate(sentence):
            said = _times_said(words, k) if item.word == "#" else None
            if said is None or item.value is None:
                continue
            j, f = said
            factor = sentence[f]
            ones = [q for q in found if q.text == item.text and not q.scaled]
            rest = [q for q in found if q.text not in (item.text, factor and factor.text)]
            if len(ones) != 1 or len(rest) != 1 or rest[0].scaled:
                return found
            base, plus = rest[0], ones[0]
            later = not any(base.text == x.text for s in sentences[:n] for x in s)
            if later and plus.unit and plus.unit == base.unit:
                return found
            op = "-" if words[j] in _FEWER else "+"
            times = factor.value or Fraction(_MULTIPLES.get(factor.word, 1))
            value = base.value * times + (plus.value if op == "+" else -plus.value)
            text = f"({base.text} * {factor.text or times} {op} {plus.text})"  # a sum: a leaf
            unit = plus.unit or _number_of_noun(words, j, sentences[-1]) or base.unit
            derived = replace(base, value=value, text=text, unit=unit, sign=1, scaled=True)
            derived = replace(derived, more=False, side=0)
            # "How many did she send last week and this week combined?": both amounts.
            if _SUMMED & {x.word for x in sentences[-1]} and unit == base.unit:
                return [replace(base, sign=1, side=0), derived]
            return [derived]
    return found


_SUMMED = frozenset(["together", "combined", "total", "altogether", "both"])


def _the_ones_summed(found: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "What is the combined height of the two rockets?": "the two" names things the
    story has told of, whose amounts are summed; it is no amount of its own."""
    words = [x.word for x in question]
    if not _SUMMED & set(words):
        return found
    for k in range(1, len(words) - 1):
        if words[k] != "#" or words[k - 1] != "the" or not _plural(words[k + 1]):
            continue
        at = [n for n, q in enumerate(found) if q.text == question[k].text and not q.scaled]
        if at and len(found) > 2:
            return found[: at[-1]] + found[at[-1] + 1 :]
    return found


def _done_and_yet(found: list[Quantity]) -> list[Quantity]:
    """ "have read 13 of the books and are yet to read 8": what is done and what is yet
    to be done, by one verb, are two parts of the whole, so the one yet to do is no
    amount taken away ("24 comics ... yet to read 9" still is: nothing done is said)."""
    done = {(q.unit, q.verb) for q in found if q.verb and q.sign > 0 and "yet" not in q.clause}
    return [
        replace(q, sign=1) if "yet" in q.clause and (q.unit, q.verb) in done else q for q in found
    ]


def _some_taken(sentence: Sequence[_Item], before: bool) -> bool:
    """ "He cut off some", "gave some away": a verb with "off" or "away" takes the amount
    left unsaid away, whatever the verb (as it does a number: `_sign`). `before`: what the
    last sentence with a "some" said, for a sentence with none."""
    words = [x.word for x in sentence]
    somes = [k for k, word in enumerate(words) if word == "some"]
    if not somes:
        return before
    for k in somes:
        # "some kids got off": the noun counted may come between.
        said = words[max(0, k - 1) : k] + words[k + 1 : k + 4]
        if {"off", "away"} & set(said):
            return True
    return False


def _sized(sentence: Sequence[_Item], i: int) -> bool:
    """ "groups of 5", "bags of 6 apples": the number sizes each of the things before."""
    return i >= 2 and sentence[i - 1].word == "of" and _counted_noun(sentence[i - 2])


def _one_each(
    sentences: Sequence[list[_Item]], sentence: Sequence[_Item], i: int, unit: str
) -> str:
    """ "sending invitations to 10 friends": things no number counts, sent to N people, are
    N things, one each; unless the story says how many each one gets ("each friend")."""
    if i < 3 or sentence[i - 1].word != "to" or not _counted_noun(sentence[i - 2]):
        return unit
    if sentence[i - 3].word in ("#", "of", "the", "these", "those") or not unit:
        return unit
    rated = any(
        a.word in _PER and _singular(b.word) == unit
        for s in sentences
        for a, b in itertools.pairwise(s)
    )
    return unit if rated else _singular(sentence[i - 2].word)


def _unit_from_context(sentence: Sequence[_Item], i: int, unit: str, per: str, before: str) -> str:
    """The noun of a number that names none: of the groups it sizes ("split the eggs into
    groups of 6"), else what was counted or named before ("found 5 new ones", "Sam
    collects toy cars. He threw away 8 of the broken ones", "some roses ... 7 died")."""
    unit = unit or (_grouped(sentence, i) if per else "") or _number_of(sentence, i)
    unit = unit or _are_nouns(sentence, i)
    ends = i + 1 == len(sentence) or sentence[i + 1].word in _CLAUSE_ENDS
    if not unit and ends and i > 0 and sentence[i - 1].word == "for":
        return "people"  # "made cookies for 5": for 5 people
    if [x.word for x in sentence[i + 1 : i + 3]] in (["of", "us"], ["of", "you"]):
        return "people"  # "there are 4 of us": 4 people
    return before if unit in ("one", "") and before else unit


def _are_nouns(sentence: Sequence[_Item], i: int) -> str:
    """ "In her class 4 are boys who play": the number counts the plural noun it is said
    to be."""
    words = [x.word for x in sentence[i + 1 : i + 3]]
    if len(words) == 2 and words[0] in ("are", "were") and _counted_noun(sentence[i + 2]):
        return _singular(words[1])
    return ""


def _number_of(sentence: Sequence[_Item], i: int) -> str:
    """ "The total number of animals in the cage was 79": the number counts the animals."""
    for k in range(_clause_start(sentence, i), i - 2):
        words = [x.word for x in sentence[k : k + 3]]
        if words[:2] == ["number", "of"] and _is_noun(words[2]):
            return _singular(words[2])
    return ""


def _counted_noun(item: _Item) -> bool:
    return _is_noun(item.word) and _plural(item.word) and not _past_verb(item.word)


def _past_verb(word: str) -> bool:
    """ "5 died", "3 joined": a verb, not what the number counts ("seed" is a noun)."""
    return word.endswith("ied") or (word.endswith("ed") and len(word) > 4 and word[-3] != "e")


# Words that scale a number: "twice as many", "double what she had", "thrice that".
_MULTIPLES = {"twice": 2, "double": 2, "thrice": 3, "triple": 3}
# What follows a scaling word that compares with another's number: "twice as many",
# "half the price of", "twice that number", "double what Eduardo teaches".
_COMPARING = frozenset(["as", "the", "that", "what"])


def _twice_and_half(sentence: Sequence[_Item], found: list[Quantity], context: _Context) -> None:
    """ "twice as many", "half of them", "half as much", "twice the price": the number
    before, scaled, added to `found`; one said as another's ("as", "the", "that") is of
    the one whose clause says it (`_whose_scaled`)."""
    for k, item in enumerate(sentence):
        base = _base(found)
        words = [x.word for x in sentence[k + 1 : k + 3]]
        # Not "2 less than twice the number": `_more_than_times` reads that.
        compares = bool(words) and words[0] in _COMPARING and sentence[k - 1 : k] != [_Item("than")]
        if base is None:
            if ahead := _said_ahead(item, compares):
                who = _subject_at(sentence, k, context.subject, context.before)
                found.append(_scale_ahead(ahead[0], ahead[1], who))
            continue
        taken = any(x.word in _TAKEN_BEFORE for x in sentence[max(0, k - 3) : k])
        taken = taken or _part_taken(sentence, k)
        if item.word in _MULTIPLES and ("as" in words or compares):
            factor = _MULTIPLES[item.word]
            scaled = _scaled(found[base], "*", str(factor), Fraction(factor), 1)
            found.append(_whose_scaled(scaled, sentence, k, context))
        elif item.word == "half" and words[:1] == ["of"]:
            scaled = _scaled(found[base], "/", "2", Fraction(2), -1 if taken else 1)
            found.append(replace(scaled, part_of=_clause_words(sentence, k)))
        elif item.word == "half" and compares:
            scaled = _scaled(found[base], "/", "2", Fraction(2), -1 if taken else 1)
            found.append(_whose_scaled(scaled, sentence, k, context))
        elif item.word == "fraction" and item.value is not None:
            # "gave 1/4 of them", "two-thirds as many", "3/8 the age": as "half" is.
            scaled = _scaled(found[base], "*", item.text, item.value, -1 if taken else 1)
            if compares:
                found.append(_whose_scaled(scaled, sentence, k, context))
            else:
                found.append(replace(scaled, part_of=_clause_words(sentence, k)))


_BE = frozenset(["is", "are", "was", "were", "got", "get", "gets", "been", "be"])


def _part_taken(sentence: Sequence[_Item], k: int) -> bool:
    """ "If 5/6 of the cookies were eaten", "40% of the seats are sold": a part that its
    own clause says, in the passive, went away is taken from the whole."""
    words = [x.word for x in sentence[k + 1 : _clause_end(sentence, k)]]
    if words[:1] != ["of"]:
        return False
    return any(a in _BE and b in _TAKEN_AFTER - {"left"} for a, b in itertools.pairwise(words))


def _said_ahead(item: _Item, compares: bool) -> tuple[Fraction, str] | None:
    """ "twice as many as", "half the price of", "2/3 as many as" with no number before:
    the factor and how it scales, for a number said later (`_scale_ahead`)."""
    if not compares:
        return None
    if item.word in _MULTIPLES:
        return Fraction(_MULTIPLES[item.word]), f"* {_MULTIPLES[item.word]}"
    if item.word == "half":
        return Fraction(1, 2), "/ 2"
    if item.word == "fraction" and item.value is not None:
        return item.value, f"* {item.text}"
    return None


def _scale_ahead(factor: Fraction, how: str, subject: str) -> Quantity:
    """A scaling said before any number it could scale: left to `_of_what_follows`."""
    return Quantity(factor, how, "times", subject=subject)


def _whose_scaled(
    scaled: Quantity, sentence: Sequence[_Item], k: int, context: _Context
) -> Quantity:
    """ "Ann has 30. Bob has twice as many": the number scaled is Bob's, whose clause says
    "twice", not Ann's, whose number it scales."""
    return replace(scaled, subject=_subject_at(sentence, k, context.subject, context.before))


def _base(found: Sequence[Quantity]) -> int | None:
    for k in range(len(found) - 1, -1, -1):
        if not found[k].scaled:
            return k
    return None


def _scaled(base: Quantity, op: str, text: str, factor: Fraction, sign: int) -> Quantity:
    value = base.value * factor if op == "*" else base.value / factor
    text = f"{base.text} {op} {text}"
    return replace(base, value=value, text=text, sign=sign, more=False, scaled=True, side=0)


def _percent(
    found: list[Quantity], base: int, item: _Item, sentence: Sequence[_Item], i: int
) -> Quantity:
    """ "25% off" (taken away from the price before it) or "40% of it"."""
    assert item.value is not None
    words = [x.word for x in sentence[i + 2 : i + 4]]
    money = [k for k, q in enumerate(found) if q.unit in _MONEY and not q.scaled]
    target = found[money[-1] if money else base]
    taken = _percent_taken(sentence, i)
    value = target.value * item.value / 100
    text = f"{target.text} * {item.text} / 100"
    sign = -1 if taken else 1
    part = _clause_words(sentence, i) if words[:1] == ["of"] else frozenset()
    scaled = replace(target, value=value, text=text, sign=sign, more=False, scaled=True, side=0)
    return replace(scaled, part_of=part)


def _fewer_than_before(found: list[Quantity], sentences: Sequence[list[_Item]]) -> list[Quantity]:
    """ "sold 40 apples in the morning and 15 fewer in the afternoon": "N fewer" (less)
    with no "than" after it is fewer than the number of its kind said before (40 - 15)."""
    out = list(found)
    for sentence in sentences[:-1]:
        words = [x.word for x in sentence]
        for k, item in enumerate(sentence[:-1]):
            if item.word != "#" or words[k + 1] not in _FEWER or "than" in words[k:]:
                continue
            at = [n for n, q in enumerate(out) if q.text == item.text and not q.scaled]
            if len(at) != 1:
                continue
            q = out[at[0]]
            before = [r for r in out[: at[0]] if r.unit == q.unit and not r.scaled]
            if not before:
                continue
            other = before[-1]
            out[at[0]] = replace(
                q,
                value=other.value - q.value,
                text=f"({other.text} - {q.text})",
                scaled=True,
                side=0,
                more=False,
            )
    return out


def _percent_ahead(value: Fraction, text: str, sentence: Sequence[_Item], i: int) -> Quantity:
    """A percent said before any number it could be of: left to `_of_what_follows`."""
    part = _clause_words(sentence, i) if sentence[i + 2 : i + 3] == [_Item("of")] else frozenset()
    return Quantity(
        value, text, "percent", sign=-1 if _percent_taken(sentence, i) else 1, part_of=part
    )


# Words after a percent that say it is taken off: "a 15% reduction", "20% less".
_DECREASES = frozenset(["off", "reduction", "decrease", "discount", "cut", "drop", "loss"])
_DECREASES |= frozenset(["less", "fewer", "cheaper", "lower", "smaller", "shorter", "lighter"])


def _percent_taken(sentence: Sequence[_Item], i: int) -> bool:
    """ "25% off", "a 15% reduction", "down by 20%", "spent 10%": taken away from the
    number it is of."""
    after = [x.word for x in sentence[i + 2 : i + 4]]
    before = [x.word for x in sentence[max(0, i - 3) : i]]
    return (
        any(w in _DECREASES for w in after[:1])
        or "off" in after
        or before[-2:] in (["down", "by"], ["fell", "by"], ["dropped", "by"])
        or any(w in _TAKEN_BEFORE for w in before)
        or _part_taken(sentence, i + 1)
    )


def _of_what_follows(found: list[Quantity]) -> list[Quantity]:
    """ "20% of the 800 parents", "Ten percent of her pay ... her pay is $500": a percent
    said before any number is of the first number said after it."""
    out = list(found)
    for k, q in enumerate(out):
        if q.unit not in ("percent", "times") or q.scaled:
            continue
        later = [r for r in out[k + 1 :] if r.unit and not r.scaled]
        # "Mary has 3 times as much as Megan. Mary adds 10. Megan has 5": a number is
        # scaled by how much another has, not by what the one it is said of does after.
        others = [r for r in later if q.unit == "times" and q.subject and r.subject != q.subject]
        after = next(iter(others or later), None)
        if after is None:
            continue
        if q.unit == "percent":
            value, text = after.value * q.value / 100, f"{after.text} * {q.text} / 100"
        else:  # "twice as many as the hikers ... 40 hikers": of the hikers' number
            value, text = after.value * q.value, f"{after.text} {q.text}"
        who = q.subject or after.subject
        # "A notebook costs 3 times as much as a pen. A pen costs $2": per notebook.
        per = (who,) if after.per == (after.subject,) and after.subject else after.per
        scaled = replace(after, value=value, text=text, scaled=True, subject=who, per=per)
        out[k] = replace(scaled, sign=q.sign, more=False, side=0, part_of=q.part_of)
    return out


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
                if _said_how_many_in(unit, found):
                    continue  # "works 5 days a week": the story says how many, not 7
                out.append(Quantity(Fraction(factor), str(factor), smaller))
    return out


def _spans_told(statements: Sequence[list[_Item]], found: Sequence[Quantity]) -> list[Quantity]:
    """ "three times a day ... for a week": a span the story says the rate goes on for, put
    in what the rate is per (7 days), as one the question asks of is."""
    spans = {
        c.word
        for sentence in statements
        for a, b, c in zip(sentence, sentence[1:], sentence[2:], strict=False)
        if a.word == "for" and b.word in ("a", "an") and _singular(c.word) in _CONVERSIONS
    }
    if len(spans) != 1:
        return []
    return _conversions([_Item("in"), _Item("a"), _Item(spans.pop())], found)


def _said_how_many_in(span: str, found: Sequence[Quantity]) -> bool:
    """ "works 5 days a week": the story says how many of the smaller span are in `span`."""
    smaller = _CONVERSIONS.get(span, ("", 0))[0]
    return any(q.unit == smaller and span in q.per for q in found)


# --- who has what ------------------------------------------------------------------------
_SUBJECT_SKIP = frozenset(["if", "then", "so", "but", "and", "after", "later", "now", "the", "a"])
_PRONOUNS = frozenset(["he", "she", "they", "it", "his", "her", "their", "its"])


def _subject(sentence: Sequence[_Item], previous: str) -> str:
    """The sentence's first noun before its first number ("David did 39 more"), after a
    phrase of when that opens it ("Last week Fred had 47"); a pronoun is the previous
    sentence's subject."""
    for item in sentence[_when_said(sentence) :]:
        if item.word == "#":
            break
        if item.word in _PRONOUNS:
            return previous
        if item.word in _SUBJECT_SKIP:
            continue
        return item.word if _is_noun(item.word) else ""
    return ""


# Words of a time a sentence may open with: "Last week", "Over the weekend", "On Monday".
_TIMES = _DURATIONS | frozenset(["weekend", "morning", "afternoon", "evening", "night"])
_TIMES |= frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"])
_TIMES |= frozenset(["sunday", "summer", "winter", "spring", "autumn", "fall"])


_WHEN_OPENERS = frozenset(["while", "when", "after", "before", "since", "once"])


def _when_said(sentence: Sequence[_Item]) -> int:
    """Where a sentence's subject may start, after a phrase of when that opens it ("last
    week", "this morning", "over the weekend", "on monday", "yesterday"); 0 if none."""
    words = [x.word for x in sentence[:4]]
    if words[:1] in (["yesterday"], ["today"], ["tonight"]):
        return 1
    # "While shopping for music online, Megan bought 2": a phrase of when, to its comma.
    if words[:1] and words[0] in _WHEN_OPENERS:
        comma = next((k for k, x in enumerate(sentence[:10]) if x.word in (",", "#")), 0)
        if sentence[comma].word == ",":
            return comma + 1
    k = 1 if words[:1] and words[0] in ("over", "on", "in", "during", "at") else 0
    determiners = ("last", "this", "next", "that", "the") if k else ("last", "this", "next", "that")
    k += 1 if words[k : k + 1] and words[k] in determiners else 0
    return k + 1 if 0 < k < len(words) and _singular(words[k]) in _TIMES else 0


def _relative_subject(sentence: Sequence[_Item], i: int) -> str:
    """ "fewer than Steven who has 8 more": the number of a clause that "who" opens is
    said of the one named before "who", not of the sentence's subject."""
    for k in range(i - 1, 0, -1):
        word = sentence[k].word
        if word in _CLAUSE_ENDS:
            return ""
        if word == "who":
            # "than Paul, who bought 45": Paul's, the comma no name.
            named = sentence[k - 2] if sentence[k - 1].word == "," and k >= 2 else sentence[k - 1]
            return named.word if _is_noun(named.word) else ""
    return ""


def _clause_subject(sentence: Sequence[_Item], i: int) -> str:
    """ "She had 528 cards while Jeff had 11": a clause after the first that opens with a
    name and its verb is said of that name."""
    start = _clause_start(sentence, i)
    if start == 0 or start + 1 >= i or sentence[start - 1].word == "#":
        return ""
    if sentence[start].word == "the" and start + 2 < i:
        start += 1  # "and the mouse jumped 20 inches": the mouse
    name, verb = sentence[start].word, sentence[start + 1].word
    return name if _is_noun(name) and _verb_stem(verb) else ""


def _than_object(sentence: Sequence[_Item], i: int) -> str:
    """ "39 more push-ups than zachary": "zachary"; "" when not said so."""
    words = [x.word for x in sentence[i + 1 : i + 9]]
    # "9 feet taller than Ron", "4 years younger than": measured against Ron's.
    if "than" not in words or not _COMPARE & set(words[: words.index("than")]):
        return ""
    after = words[words.index("than") + 1 :]
    # "than the frog", "than a pencil", "than his sister": the one named after.
    after = after[1:] if after[:1] and after[0] in _DETERMINERS else after
    # "than the number of balloons that Allan brought": than Allan.
    if after[:2] == ["number", "of"] and after[3:4] in (["that"], ["which"]):
        after = after[4:]
    named = after[2:3] and _is_noun(after[2]) and after[2] not in _RELATIVES
    if after[1:2] == [","] and named:
        after = after[2:]  # "than his daughter, Chiquita": by the name said with it
    return after[0] if after and _is_noun(after[0]) else ""


_RELATIVES = frozenset(["who", "whom", "whose", "which", "that"])
_DETERMINERS = _POSSESSIVES | {"the", "a", "an"}


def _derived(quantities: list[Quantity]) -> list[Quantity]:
    """ "David did 39 more push-ups than Zachary" with Zachary's 19: David's (19 + 39);
    with only David's, Zachary's (David's - 39)."""
    out = list(quantities)
    for _ in range(2):  # "John did 13 less than David": David's may be derived first
        for n, q in enumerate(out):
            if not q.than or q.than == q.subject:
                continue
            if kind_counted := _than_kind(out, q):
                out[n] = kind_counted
                continue
            base = _last_of(out, q.than, q)
            own = None if base else _last_of(out, q.subject, q)
            if base or own:
                out[n] = _counted_from(q, base or own, forward=base is not None)
    return out


def _than_kind(quantities: Sequence[Quantity], q: Quantity) -> Quantity | None:
    """ "402 more girls than boys", "79 more bottles of regular soda than diet soda": said
    against another thing or kind, not a person. With the other's number, the number
    of `q`'s own (other + 402); with only a number of `q`'s own kind, the other's (own -
    402)."""
    than = _singular(q.than)
    others = [r for r in quantities if r is not q and not r.than and not r.scaled]
    story_counts = any(r.unit == than or than in r.marks for r in others)
    named = any(r.subject == q.than for r in quantities)
    if named or not (story_counts or _plural(q.than)):
        return None  # a person ("than zachary"), counted from their own number

    by_kind = any(r.unit == q.unit and than in r.marks for r in others)  # "diet soda"

    def theirs(r: Quantity) -> bool:
        if by_kind:
            return r.unit == q.unit and than in r.marks
        return r.unit == than

    def ours(r: Quantity) -> bool:
        if by_kind:
            return r.unit == q.unit and bool(r.marks & q.marks) and than not in r.marks
        return r.unit == q.unit

    base = next((r for r in reversed(others) if theirs(r)), None)
    own = None if base else next((r for r in reversed(others) if ours(r)), None)
    if base is None and own is None:
        return None
    counted = _counted_from(q, base or own, forward=base is not None)
    if by_kind:
        return replace(counted, subject=q.subject, marks=q.marks if base else frozenset([than]))
    return replace(counted, subject=q.subject, unit=q.unit if base else than)


def _last_of(quantities: Sequence[Quantity], who: str, q: Quantity) -> Quantity | None:
    found = [
        r for r in quantities
        if r is not q and r.subject == who and r.unit == q.unit and not r.than
        and r.sign > 0  # "Doug lost 7": a change to Doug's, not what Doug had
    ]  # fmt: skip
    return found[-1] if found else None


def _counted_from(q: Quantity, other: Quantity, forward: bool) -> Quantity:
    """`q` said relative to `other`'s number: the number it stands for, as an expression."""
    less = q.side == -1 or q.sign < 0
    # Forward, "39 more than Zachary" adds to Zachary's; back from the subject's own
    # number ("Ed had 12 more than Doug", Ed's 17), it takes away.
    op = "+" if forward != less else "-"
    value = other.value + q.value if op == "+" else other.value - q.value
    who = q.subject if forward else q.than
    text = f"({other.text} {op} {q.text})"
    return replace(
        q, value=value, text=text, scaled=True, subject=who, than="", sign=1, side=0, more=False
    )


# --- which numbers the question is about -------------------------------------------------
# A story often gives numbers the question does not ask about ("Baker made 134 pastries
# and 11 cakes. He sold 140 cakes and 92 pastries. How many more pastries than cakes did
# he make?"). Those are set aside by what the question names: the kind of thing ("cups
# of sugar", "red peaches"), the things it compares ("pastries than cakes"), its verb
# ("make", not "sell"), and the things it counts.
_IRREGULAR = {
    "made": "make", "sold": "sell", "bought": "buy", "ate": "eat", "gave": "give",
    "found": "find", "had": "have", "has": "have", "did": "do", "does": "do", "got": "get",
    "took": "take", "won": "win", "lost": "lose", "caught": "catch", "grew": "grow",
    "spent": "spend", "ran": "run", "drew": "draw", "wrote": "write", "threw": "throw",
    "brought": "bring", "paid": "pay", "kept": "keep", "saw": "see", "built": "build",
    "sent": "send", "fed": "feed", "held": "hold", "is": "be", "are": "be", "was": "be",
    "were": "be",
    # Past participles: "had been lost or given away" asks of the giving too.
    "given": "give", "taken": "take", "eaten": "eat", "written": "write", "seen": "see",
    "drawn": "draw", "grown": "grow", "thrown": "throw", "ridden": "ride", "driven": "drive",
}  # fmt: skip
_WORD_LISTS["verbs"] = (
    "make sell buy eat give find have do get take win lose catch grow spend run draw write "
    "throw bring pay keep see build send feed hold be bake pick collect plant score need "
    "use add want cost earn save walk travel drive ride watch play read put remove cut "
    "delete donate borrow receive"
)
_VERBS = frozenset(_WORD_LISTS["verbs"].split())
# Verbs that say nothing of which numbers a question means.
_LIGHT_VERBS = frozenset(["have", "do", "be", "get", "need", "want"])
# Words between a verb and its number: "made 134 pastries and 11 cakes".
_BETWEEN = frozenset(["a", "an", "the", "some", "more", "and", ",", "#", "of", "$", "€", "£"])


def _stem(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


_VERB_STEMS = frozenset(_stem(v) for v in _VERBS)
_TAKEN_BEFORE_STEMS = frozenset(_stem(w) for w in _TAKEN_BEFORE)
_LIGHT_STEMS = frozenset(_stem(v) for v in _LIGHT_VERBS)


def _verb_stem(word: str) -> str:
    """The stem of `word` if it reads as a verb, else ""."""
    if word in _IRREGULAR or _stem(word) in _VERB_STEMS:
        return _stem(word)
    return _stem(word) if word.endswith("ed") and len(word) > 4 else ""


_MUST_STEMS = frozenset(_stem(v) for v in ["have", "need"])


def _verb_before(sentence: Sequence[_Item], i: int) -> str:
    """The verb the number at `i` is the object of: "made" in "made 134 pastries and
    11 cakes" for both numbers; "" when none comes first."""
    purpose = False
    for k in range(i - 1, -1, -1):
        word = sentence[k].word
        if purpose:  # the "to" of "to buy books": what a number before was for
            purpose = False
            continue
        # "has to pay $ 388": the verb after "has to" (needs to, had to) is the number's own.
        must = k >= 2 and _verb_stem(sentence[k - 2].word) in _MUST_STEMS
        if (stem := _verb_stem(word)) and k and sentence[k - 1].word == "to" and k + 1 < i:
            if must:
                return stem
            # "spent $ 4 to buy books and $ 3 to buy pens": the 3 is spent too.
            purpose = True
            continue
        if stem:
            return stem
        if word not in _BETWEEN and not _is_noun(word) and word not in _MODIFIERS:
            return ""
    return ""


def _said_less(sentence: Sequence[_Item], i: int, end: int) -> bool:
    """ "17 less crunches than", "4 push-ups less than": taken from what it compares to."""
    words = [x.word for x in sentence[i + 1 : max(end, i) + 8]]
    # "84 more apples and 10 fewer peaches than": the "fewer" is the 10's.
    own = words[: words.index("#")] if "#" in words else words
    if "than" in own:
        return bool(_LESS & set(own[: own.index("than")]))
    # "12 fewer peaches and 79 more apples than Steven": one "than" for both numbers.
    return "than" in words and bool(_FEWER & set(own))


@dataclass(frozen=True)
class _Kind:
    unit: str
    marks: frozenset[str]

    def fits(self, q: Quantity, units: set[str]) -> bool:
        unit_fits = q.unit == self.unit or self.unit not in units
        return unit_fits and (not self.marks or bool(q.marks & self.marks))


@dataclass(frozen=True)
class _Focus:
    kind: _Kind | None  # what "how many ..." names
    than: _Kind | None  # what it is compared with: "... than cakes"
    verbs: frozenset[str]


def _kind_at(question: Sequence[_Item], k: int) -> _Kind | None:
    # "how many total action figures": "total" says all of them, not which kind.
    while k + 1 < len(question) and question[k + 1].word in _COMPARE | {"the", "of", "total"}:
        k += 1
    unit, _, marks = _noun_phrase(question, k)
    return _Kind(unit, marks) if unit else None


def _focus(question: Sequence[_Item]) -> _Focus:
    words = [x.word for x in question]
    kind = than = None
    for k, (a, b) in enumerate(itertools.pairwise(words)):
        if a == "how" and b in ("many", "much") and kind is None:
            kind = _kind_at(question, k + 1)
        elif a == "than" and than is None:
            than = _kind_at(question, k)
    if words[-1:] == ["than"]:
        than = None
    # The verb of a number given in the question ("can ride 20 wheels") picks nothing.
    own = {_verb_before(question, k) for k, w in enumerate(words) if w == "#"}
    # Not the verb of a clause that says when: "have before he spent his money".
    main = words[: next((k for k, w in enumerate(words) if w in _WHEN), len(words))]
    verbs = frozenset(_verb_stem(w) for w in main) - {""} - _LIGHT_STEMS - own
    return _Focus(kind, than, verbs)


_WHEN = frozenset(["before", "after", "when", "until", "since", "once"])


def _kept(quantities: list[Quantity], keep: Callable[[Quantity], bool]) -> list[Quantity]:
    """The quantities `keep` accepts, unless that leaves fewer than two to combine."""
    kept = [q for q in quantities if keep(q)]
    return kept if len(kept) >= 2 or (len(kept) == 1 and kept[0].scaled) else quantities


def _relevant(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    focus = _focus(question)
    compares_people = any(q.than for q in quantities)
    quantities = _derived(quantities)
    if (times := _times_of(quantities, question)) is not None:
        return [times]
    quantities = _sort_named(_sharers_of(_outside(quantities, question), question), question)
    quantities = _price_asked(quantities, question)
    named = {x.word for x in question} & {q.subject for q in quantities} - {""}
    if compares_people and named and any(q.subject not in named for q in quantities if q.subject):
        # "David did 39 more than Zachary ... How many did David do": not John's.
        quantities = _kept(quantities, lambda q: not q.subject or q.subject in named)
    elif not compares_people:
        quantities = _whose(quantities, question)
    asked_words = {x.word for x in question}
    present = "than" in asked_words and bool({"does", "do", "is", "are"} & asked_words)
    if "now" in asked_words or {"left", "than"} <= asked_words or present:
        quantities = _there_now(quantities, asked_words)
    units = {q.unit for q in quantities}
    quantities = _done_asked(_of_the_verb(quantities, focus.verbs), question, focus.verbs)
    kind, than = _told_apart(focus.kind, quantities), _told_apart(focus.than, quantities)
    # In a fixed order, not the set's (it changes with the process's hash seed): a story
    # of "$8 per pound" counts dollars, the pounds being weight.
    money = next((u for u in _MONEY_ORDER if u in units), "")
    if kind and kind.unit == "money" and money:  # "how much money": the story's dollars
        kind = _Kind(money, kind.marks)
    elif kind is None and money and _asked_unit([x.word for x in question], quantities) == money:
        kind = _Kind(money, frozenset())  # "How much did he have": money, not the books
    elif kind is None and _did_asked([x.word for x in question]):
        kind = _Kind(_asked_unit([x.word for x in question], quantities), frozenset())
    fewer = bool(_FEWER & set(asked_words))  # "how many fewer goats than sheep"
    named_words = {_singular(w) for w in asked_words}
    # "split the eggs into groups of 5 ... has 20 eggs": a size of groups is no amount
    # anyone has, so amounts compared leave it out, unless the question names the groups.
    amounts = _kept(quantities, lambda q: not q.size or bool(set(q.per) & named_words))
    compared = _compared(amounts, kind, than, units, -1 if fewer else 1) if kind and than else []
    if kind != than and compared:
        return _still_needed(compared, asked_words)
    if contrasted := _contrasted(quantities, question, kind):
        return contrasted
    if kind and kind.marks and kind.unit in units:
        # "cups of sugar": not the cups of flour.
        quantities = _kept(quantities, lambda q: q.unit != kind.unit or _same_kind(q, kind))
    if kind and kind.unit in units:
        quantities = _kept(quantities, _counts_asked(quantities, kind.unit, question))
    elif kind:
        quantities = _rated(quantities, kind.unit, asked_words)
    return _starts(_wholes(_the_one_named(quantities, question), question), question)


def _sharers_of(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "13 boys love to play marbles and 50 boys love to play cards. Haley has 26 marbles.
    How many will each of the boys receive?": of the ones a share is per ("each of the
    boys"), those said with the thing shared, not those said with another thing."""
    words = [x.word for x in question]
    at = next((k for k, w in enumerate(words) if w == "each"), -1)
    after = [w for w in words[at + 1 : at + 4] if w not in ("of", "the")] if at >= 0 else []
    each = _singular(after[0]) if after and _is_noun(after[0]) else ""
    sharers = [q for q in quantities if q.unit == each and not q.per]
    shared = {q.unit for q in quantities if q.unit != each}
    if len(sharers) < 2 or not shared:
        return quantities
    ours = [q for q in sharers if q.clause & shared]
    if not ours or len(ours) == len(sharers):
        return quantities
    return _kept(quantities, lambda q: q.unit != each or q in ours)


def _outside(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "22 kids from outside the county ... How many kids are in the county?": a number
    said to be outside a place the question asks what is in is not in it."""
    words = [x.word for x in question]
    places = {_singular(w) for k, w in enumerate(words[1:], 1) if words[k - 1] == "in"}
    places |= {_singular(w) for k, w in enumerate(words[2:], 2) if words[k - 2] == "in"}
    places = {w for w in places if _is_noun(w)}
    if not places:
        return quantities
    return _kept(quantities, lambda q: "outside" not in q.clause or not q.clause & places)


def _of_the_verb(quantities: list[Quantity], verbs: frozenset[str]) -> list[Quantity]:
    """ "did baker make": not what he sold; but "earns $ 2 on each poster ... sold 30
    posters": the count a rate it keeps is per."""
    if not verbs or not any(q.verb in verbs for q in quantities):
        return quantities
    chosen = [q for q in quantities if q.verb in (verbs | _LIGHT_STEMS | {""})]
    pers = {p for q in chosen for p in q.per}
    # "sells each hat for $ 20 ... a discount of $ 3 per hat and sold 40 hats": a discount
    # on a price kept, per the same thing, lowers that price ("pays $ 49 rent every week"
    # is money of its own, not taken off what is earned).
    prices = {(q.unit, q.per) for q in chosen if q.per}
    return _kept(quantities, lambda q: q in chosen or q.unit in pers or _discount_of(q, prices))


def _discount_of(q: Quantity, prices: set[tuple[str, tuple[str, ...]]]) -> bool:
    """Whether `q` is a discount ("a discount of $ 3 per hat") on one of `prices`."""
    return q.sign < 0 and "discount" in q.clause | q.marks and (q.unit, q.per) in prices


def _done_asked(
    quantities: list[Quantity], question: Sequence[_Item], verbs: set[str]
) -> list[Quantity]:
    """ "did he use to build the tower and the house": not the 58 blocks he had (a question
    that gives numbers of its own asks about those)."""
    done = [q for q in quantities if q.verb in verbs or q.clause & verbs]
    others = [q for q in quantities if q not in done]
    only_had = others and all(q.verb in _LIGHT_STEMS for q in others)
    # Not "4 pieces to each house ... there are 12 houses in each block": the houses a
    # rate done is per.
    only_had = only_had and not any(set(q.per) & {r.unit for r in others} for q in done)
    # Nor "bought 2 albums ... each album had 7 songs": a rate per the things done.
    only_had = only_had and not any(set(r.per) & {q.unit for q in done} for r in others)
    if len(done) >= 2 and only_had and all(x.word != "#" for x in question):
        return done
    return quantities


def _rated(quantities: list[Quantity], unit: str, asked_words: set[str]) -> list[Quantity]:
    """ "How many sets", crayons put in "sets of 4": the crayons, not the rulers (and the
    packs the crayons come in); "66 pages a book ... 12 days a book ... 492 days in all":
    the rate with a count."""
    rated = {q.unit for q in quantities if unit in q.per}
    if not rated:
        return quantities
    rated = rated & {q.unit for q in quantities if not q.per} or rated
    rated |= {p for q in quantities if q.unit in rated for p in q.per}
    quantities = _kept(quantities, lambda q: q.unit in rated)
    # "How many days would the water bottles last?": the water bottles, those it drank a
    # day and those it bought, not the soda bottles.
    named = {_singular(w) for w in asked_words} - {unit}
    if any(q.marks & named for q in quantities):
        quantities = _kept(quantities, lambda q: not q.marks or bool(q.marks & named))
    return quantities


_PRICE_STEMS = frozenset(_stem(v) for v in ["cost", "costs"])


def _price_asked(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "Dan has $ 3. He bought 2 candy bars for $ 4. How much did each cost?": the money
    he has pays for nothing said; the price is what was paid."""
    if "each" not in {x.word for x in question} or not _focus(question).verbs & _PRICE_STEMS:
        return quantities
    return _kept(
        quantities, lambda q: not (q.unit in _MONEY and q.verb in _LIGHT_STEMS and not q.per)
    )


def _there_now(quantities: list[Quantity], asked_words: set[str]) -> list[Quantity]:
    """ "How many more orchids than roses are there now", "... than apps does he have
    left", "... than baseball cards does she have": not the ones there were; but a thing
    the question compares that nothing is said of now still has what it had last ("not
    lost a single eraser")."""
    changed = {q.unit for q in quantities if q.now}
    named = {_singular(w) for w in asked_words} - changed
    unchanged = {q.unit: q for q in quantities if q.unit in named}
    unchanged = unchanged if changed and "than" in asked_words else {}
    return _kept(quantities, lambda q: q.now or unchanged.get(q.unit) is q)


def _sort_named(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "How many people can ride on small seats?", the story's seats small and large:
    not the numbers said only of another sort ("23 large seats", "large seat can hold
    54"), whatever they count."""
    sorts = _MODIFIERS - _GENERIC
    named = {x.word for x in question} & sorts
    said = [(q.marks | q.clause) & sorts for q in quantities]
    if not named or not any(s - named for s in said):
        return quantities
    kept = [q for q, s in zip(quantities, said, strict=True) if not s or s & named]
    return kept if len(kept) >= 2 else quantities


def _told_apart(kind: _Kind | None, quantities: Sequence[Quantity]) -> _Kind | None:
    """ "sacks of unripe oranges" against "sacks of ripe oranges": a mark every number of
    the unit has ("oranges") tells none of them apart, so it picks nothing; only the
    others ("unripe") do."""
    if kind is None:
        return None
    units = {q.unit for q in quantities}
    marked = {q.unit for q in quantities if kind.unit in q.marks}
    if kind.unit not in units and len(marked) == 1:
        # "than diet soda" after "bottles of diet soda": the bottles of that kind.
        kind = _Kind(marked.pop(), kind.marks | {kind.unit})
    alike = [q.marks for q in quantities if q.unit == kind.unit]
    if len(alike) < 2:
        return kind
    return replace(kind, marks=kind.marks - frozenset.intersection(*alike))


def _same_kind(q: Quantity, kind: _Kind) -> bool:
    """Whether `q` may be of `kind`: no mark of one sort (a colour against a colour, a
    noun against a noun) that the other lacks, both ways: "15 of the small ones" may be
    "sea shells", "16 red peaches" are not green ones, "soda" is not "regular soda" when
    it is "diet soda"."""
    for sort in (True, False):
        ours = {w for w in q.marks if _adjective(w) == sort}
        theirs = {w for w in kind.marks if _adjective(w) == sort}
        if ours - theirs and theirs - ours:
            return False
    return True


def _adjective(word: str) -> bool:
    """A word that says which sort, as a colour does: "ripe", and "unripe" its opposite."""
    return word in _MODIFIERS or word in _FEWER or (word[:2] == "un" and word[2:] in _MODIFIERS)


def _whose(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "She had 528 cards while Jeff had 11 ... How many cards did Nell give to Jeff?": the
    numbers of the one the question asks about ("did Nell"), when others have some too."""
    words = [x.word for x in question]
    at = next((k + 1 for k, w in enumerate(words) if w in _AUX), len(words))
    who = set(itertools.takewhile(lambda w: _is_noun(w) or w in ("and", ","), words[at : at + 5]))
    # "Bob has twice as many. How many more does Bob have than Ann?": Bob's number is
    # Ann's scaled, so Ann's is asked of too.
    if "than" in words and any(q.scaled and q.subject in who for q in quantities):
        who |= set(words[words.index("than") + 1 :][:1])
    subjects = {q.subject for q in quantities} - {""}
    if not who & subjects or len(subjects) < 2 or subjects <= who:
        return quantities  # "did Allan and Jake have": both
    return _kept(quantities, lambda q: q.subject in who | {""})


_AUX = frozenset(["did", "does", "do", "has", "have", "will", "would", "can", "could"])


def _the_one_named(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "It worked for 5 minutes yesterday and for 12 minutes today. How many shirts did it
    make today?": of numbers said alike (one unit, one sign, words in common), each with
    words of its own, the one whose own words the question repeats."""
    asked, kinds = _content(question), _asked_nouns(question)
    dropped: list[Quantity] = []
    # "weighed 92 kg ... lost 56 in the first week and 99 in the second": the ones
    # taken are said alike among themselves, whatever there was first.
    for unit, sign in {(q.unit, q.sign) for q in quantities}:
        # Not a rate the question counts by ("2 shirts a minute ... how many minutes").
        alike = [q for q in quantities if q.unit == unit and not q.scaled and q.sign == sign]
        # "spends 5 hours on English and 3 on Chinese every day": rates of one verb, alike.
        rates = {q.per for q in alike}
        shared = frozenset.intersection(*(q.clause for q in alike)) if alike else frozenset()
        one_verb = any(_verb_stem(w) for w in shared)
        if len(rates) != 1 or not next(iter(rates)) or not one_verb:
            alike = [
                q for q in alike if _a_count_of(q, unit, quantities) and not asked & set(q.per)
            ]
        mixed = any(q.unit == unit and q.sign != sign for q in quantities)
        if len(alike) < 2 or (mixed and sign > 0):
            continue
        common = frozenset.intersection(*(q.clause for q in alike))
        own = [
            q.clause - frozenset().union(*(r.clause for r in alike if r is not q)) for q in alike
        ]
        # Of the ones taken, the things asked name none ("gave away 6 stickers ... 7 more":
        # both are given; "used 8 nails and 6 screws ... nails and screws left").
        naming = asked - kinds - {unit} if mixed else asked
        # Not the unit, said with one and left unsaid with another ("2 pictures from her
        # phone and 4 from her camera"), unless other kinds asked tell them apart ("how
        # many crackers and cakes", the cakes counted as crackers).
        if not any(words & (kinds - {unit}) for words in own):
            naming = naming - {unit}
        naming = naming - {p for q in alike for p in q.per}  # "per day ... after 26 days"
        named = [n for n, words in enumerate(own) if words & naming]
        # "13 went rowing and 59 went hiking ... 21 went rowing later. How many went
        # rowing?": a word the question repeats that some of them share, the others not.
        # Not the name of one given some by another ("Sally had 27. Dan gave her 41"): the
        # 41 is Sally's too, though her name is not in its clause.
        names = {q.subject for q in alike if q.subject and q.subject not in q.clause}
        picked = [q for q in alike if (q.clause - common) & (naming - kinds - names)]
        if common - {unit} and len(named) == 1 and all(own):  # said alike, one named
            dropped += [q for n, q in enumerate(alike) if n != named[0]]
        elif 2 <= len(picked) < len(alike):
            dropped += [q for q in alike if q not in picked]
    # Never a whole: "a total of 10 emails in the day" is of every part, named or not.
    return _kept(quantities, lambda q: q not in dropped or q.side == 2)


def _asked_nouns(question: Sequence[_Item]) -> set[str]:
    """The things "how many" counts: "how many tomatoes and potatoes" -> both."""
    words = [x.word for x in question]
    at = next((k for k, w in enumerate(words[:-1]) if w == "how" and words[k + 1] == "many"), -1)
    if at < 0:
        return set()
    unit, end, _ = _noun_phrase(question, at + 1)
    joined = words[end + 1 : end + 3]
    return {unit, _singular(joined[1]) if joined[:1] == ["and"] and len(joined) == 2 else ""}


def _already_done(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "The feathers require 288 g of wax and right now he just needs 260 g. How many
    grams of wax does he already have?": what is had already is what is required less
    what is still needed now."""
    words = {x.word for x in question}
    if "already" not in words or words & {"need", "needs"}:
        return quantities
    units = {q.unit for q in quantities}  # a rate per a thing counted is no amount
    amounts = [q for q in quantities if not set(q.per) & units]
    needed = [q for q in amounts if q.verb == "need" and q.now]
    if len(needed) != 1:
        return quantities
    unit = needed[0].unit
    required = [q for q in amounts if q.unit == unit and q is not needed[0]]
    if len(required) != 1 or required[0].value < needed[0].value:
        return quantities
    return [
        replace(q, side=-1 if q is needed[0] else 1, sign=1) if q.unit == unit else q
        for q in quantities
    ]


def _still_needed(quantities: list[Quantity], asked: set[str]) -> list[Quantity]:
    """ "How many more cups of flour than of salt does she need to add?": what she has
    "already" put in is taken from what is needed on its side."""
    if not {"need", "needs"} & asked:
        return quantities
    return [replace(q, side=-q.side) if "already" in q.clause else q for q in quantities]


def _compared(
    quantities: list[Quantity], kind: _Kind, than: _Kind, units: set[str], sign: int = 1
) -> list[Quantity]:
    """ "How many more pastries than cakes": the pastries added, the cakes taken away,
    as one unit; the other way round for "fewer" (`sign` -1)."""
    ours = [kind.fits(q, units) for q in quantities]
    theirs = [than.fits(q, units) and not ours[n] for n, q in enumerate(quantities)]
    if not any(ours) or not any(theirs) or (than.unit not in units and not than.marks):
        return []  # not two kinds of the story
    unit = next(q.unit for n, q in enumerate(quantities) if ours[n])
    return [
        replace(q, unit=unit, side=sign if ours[n] else -sign)
        for n, q in enumerate(quantities)
        if ours[n] or theirs[n]
    ]


# Where a number's clause ends: "gave 30 cookies to his friend | and ate 23".
_CLAUSE_ENDS = frozenset(["#", "and", ",", "but", "while", "whereas"])


def _content(items: Sequence[_Item]) -> frozenset[str]:
    """The stems of the words that say what happens or to what: not pronouns, articles,
    prepositions or the light verbs ("did he give to his friend" -> give, friend)."""
    stems = set()
    for item in items:
        word = item.word
        if not word.isalpha():
            continue
        verb = _verb_stem(word)
        if verb in _LIGHT_STEMS or (word in _NOT_NOUNS and not verb):
            continue
        stems.add(verb or _singular(word))
    return frozenset(stems)


_MEASURED = frozenset(["long", "tall", "wide", "deep", "high", "old", "thick", "heavy"])


def _closes(sentence: Sequence[_Item], k: int) -> bool:
    """ "is 35 pages long | the second is 18": "long" after a number and its noun ends
    what is said of it, as a comma would."""
    near = [x.word for x in sentence[max(0, k - 2) : k]]
    return sentence[k].word in _MEASURED and "#" in near


def _clause_start(sentence: Sequence[_Item], i: int) -> int:
    start = i
    while start > 0 and sentence[start - 1].word not in _CLAUSE_ENDS:
        if _closes(sentence, start - 1):
            return start
        start -= 1
    # Words between two numbers are the first one's: "6 hours on english 3 hours".
    return i if start > 0 and sentence[start - 1].word == "#" else start


def _leading_words(sentence: Sequence[_Item], i: int) -> list[_Item]:
    """The words of the clause before the number at `i`; a number with no verb of its own
    after another, "and" or a comma shares the one before it ("uses 20 blocks to build a
    house and 50 blocks to build a tower": both are used)."""
    start = _clause_start(sentence, i)
    left = list(sentence[start:i])
    if any(_verb_stem(x.word) for x in left) or start < 1:
        return left
    k = start - 1
    while k >= 0 and sentence[k].word != "#":
        k -= 1
    return [*_leading_words(sentence, k), *left] if k >= 0 else left


def _clause_end(sentence: Sequence[_Item], i: int) -> int:
    end = i + 1
    while end < len(sentence) and sentence[end].word not in _CLAUSE_ENDS:
        end += 1
        if _closes(sentence, end - 1):
            break
    return end


def _clause_words(sentence: Sequence[_Item], i: int) -> frozenset[str]:
    end = _clause_end(sentence, i)
    return _content([*_leading_words(sentence, i), *sentence[i + 1 : end]])


# Prepositions that open a phrase saying when or where: "in the morning", "on Monday"
# (not "to", "for": a receiver, a purpose or a price may be the last number's own).
_ADJUNCTS = frozenset(["in", "on", "at", "during"])


def _shared_tail(sentence: Sequence[_Item], i: int, end: int) -> list[_Item]:
    """ "received 10 emails and 12 letters in the morning": the words after the last of
    numbers joined by "and", each with nothing but its noun, are said of every one."""
    while True:
        head = _noun_phrase(sentence, i)[1]
        joined = end + 1 < len(sentence) and sentence[end].word in ("and", ",")
        if head + 1 != end or not joined or sentence[end + 1].word != "#":
            return []
        i = end + 1
        end = _clause_end(sentence, i)
        head = _noun_phrase(sentence, i)[1]
        if head + 1 < end:
            tail = list(sentence[head + 1 : end])
            return tail if tail[0].word in _ADJUNCTS else []


def _contrasted(
    quantities: list[Quantity], question: Sequence[_Item], kind: _Kind | None
) -> list[Quantity]:
    """ "How many more cookies did he give to his friend than those he ate": the numbers
    whose clauses say what comes before "than", less those whose clauses say what comes
    after (the other way round for "fewer"). A word picks a number when it is in no other
    number's clause, or when the numbers it picked that way all share it ("Baker made 81
    cakes. Then he made 92 more"); a number both sides name leaves it undecided here."""
    words = [x.word for x in question]
    more = next((k for k, w in enumerate(words) if w in _FEWER or w == "more"), None)
    if more is None or "than" not in words[more:]:
        return []
    than = words.index("than", more)
    asked = {kind.unit, *kind.marks} if kind else set()
    # "than in the afternoon": a phrase of when said of several numbers is each one's.
    quantities = [replace(q, clause=q.clause | q.tail) for q in quantities]
    ours = _content(question[more + 1 : than]) - asked
    theirs = _content(question[than + 1 :]) - asked
    ours, theirs = ours - theirs, theirs - ours
    seen = Counter(w for q in quantities for w in q.clause)
    sides: list[int] = []
    for q in quantities:  # first by the words of one number's clause only
        own = {w for w in q.clause if seen[w] == 1}
        lean = len(own & ours) - len(own & theirs)
        if lean == 0 and own & (ours | theirs):
            return []  # said of both sides
        sides.append((lean > 0) - (lean < 0))
    first = tuple(sides)  # then by a word it shares with the numbers of one side
    sides = [
        side or _side_shared(q, quantities, first, ours, theirs)
        for q, side in zip(quantities, first, strict=True)
    ]
    if 1 not in sides or -1 not in sides:
        return []
    sign = -1 if words[more] in _FEWER else 1
    unit = next(q.unit for q, side in zip(quantities, sides, strict=True) if side == 1)
    return [
        replace(q, unit=unit, side=side * sign)
        for q, side in zip(quantities, sides, strict=True)
        if side
    ]


def _side_shared(
    q: Quantity,
    quantities: Sequence[Quantity],
    sides: Sequence[int],
    ours: set[str],
    theirs: set[str],
) -> int:
    """The side of the numbers decided already that share a word of that side with `q`."""
    votes: set[int] = set()
    for words, side in ((ours, 1), (theirs, -1)):
        for w in q.clause & words:
            decided = {sides[n] for n, other in enumerate(quantities) if w in other.clause}
            if decided - {0} == {side}:
                votes.add(side)
    return votes.pop() if len(votes) == 1 else 0


def _counts_asked(
    quantities: Sequence[Quantity], unit: str, question: Sequence[_Item]
) -> Callable[[Quantity], bool]:
    """Whether a number counts something the answer is made of: the thing asked, what a
    rate is per ("36 bottles a crate" keeps the crates), or what the question shares by
    ("does each child get"); a plain count of other things is not ("89 oranges")."""
    words = [x.word for x in question]
    if any(a == "each" and not _is_noun(b) for a, b in itertools.pairwise([*words, ""])):
        return lambda q: True  # "does each get": shared by a group the story counted
    shared = {_singular(b) for a, b in itertools.pairwise(words) if a in ("each", "per")}
    counted = {q.unit for q in quantities} | shared

    def rate(q: Quantity) -> bool:  # per something counted: "a book has 2 chapters" is not
        return any(p in counted for p in q.per)

    # "hours does he spend each day" with hours a day already: no count of days.
    already = {s for s in shared if any(s in q.per for q in quantities)}
    needed = {unit, ""} | shared - already
    named = {_singular(w) for w in words}
    for _ in range(MAX_QUANTITIES):  # "jars a shelf, 36 shelves a room": what each is per
        rates = [q for q in quantities if q.unit in needed and rate(q)]
        # "$ 6 a shirt and $ 9 a cap ... made from the shirts": the rates the question names.
        rates = [q for q in rates if named & set(q.per)] or rates
        needed |= {p for q in rates for p in q.per} - already
    per_needed = needed | already
    return lambda q: (
        (q.unit in needed and (not rate(q) or bool(per_needed & set(q.per))))
        or (q.scaled and not q.unit)
    )


def _wholes(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "Some children were on the bus. 2 more got on. Then there were 41": the 41 is
    the whole, the rest taken from it."""
    wholes = [n for n, q in enumerate(quantities) if q.side == 2]
    if len(wholes) != 1:
        return [replace(q, side=0) if q.side == 2 else q for q in quantities]
    unit, sign = quantities[wholes[0]].unit, quantities[wholes[0]].sign
    if sign > 0 and _focus(question).verbs & _TAKING_STEMS:
        sign = -1  # "How much did he cut (lose, sell)?": the unsaid amount was taken away
    if sign < 0 and _focus(question).verbs & _GAINING_STEMS:
        sign = 1  # "After adding some he had 18 left. How many did he add?": it came in
    words = {x.word for x in question}
    said = [q for n, q in enumerate(quantities) if n != wholes[0] and q.unit == unit]
    unsaid_first = not any(q.sign > 0 and not q.more for q in said)  # "41 were riding"
    if sign < 0 and unsaid_first and (words & _FIRST_WORDS or {"at", "first"} <= words):
        # "had some. He gave 12 and now has 30 left. How many at first?": the amount unsaid
        # is what there was, the 30 what is left of it after the changes.
        sign = 1
    # whole = what was there + what came and went + the amount unsaid, so the unsaid
    # amount is the whole less each of the others, as signed; a whole that is what was
    # "left" ("picked some, now 2 are left") is the other way round.
    # A change said after the whole and before a part as it is now ("Together 24 pounds.
    # Marco lost 9. Marco's now weigh 3") is made to the whole: what it takes (or adds, "N
    # more") comes off (or on); the parts come off.
    now = max((n for n, q in enumerate(quantities) if q.now and n > wholes[0]), default=-1)
    parts = _whole_parts(quantities, wholes[0])
    return [
        replace(
            q,
            side=sign if n in parts else _side_after_whole(q, wholes[0] < n < now) * sign,
        )
        if _a_count_of(q, unit, quantities) or _counts_of_rated(q, unit, quantities)
        else q
        for n, q in enumerate(quantities)
    ]


def _counts_of_rated(q: Quantity, unit: str, quantities: Sequence[Quantity]) -> bool:
    """ "4 tables and each has 3 chairs ... 14 people will come. How many more chairs":
    the 4 tables count chairs too, 3 to each, so they are a part of the whole as well."""
    return not q.per and any(r.unit == unit and r.per == (q.unit,) for r in quantities)


def _whole_parts(quantities: Sequence[Quantity], whole: int) -> set[int]:
    """ "Now the tree has 2 ripe apples and 4 unripe apples": the whole at `whole` and
    the numbers said with it, of its verb and subject, right after it: one amount now."""
    parts, w = {whole}, quantities[whole]
    for n in range(whole + 1, len(quantities)):
        q = quantities[n]
        if not (q.now and q.verb == w.verb and q.subject == w.subject and q.sign == w.sign):
            break
        parts.add(n)
    return parts


def _side_after_whole(q: Quantity, after: bool) -> int:
    """The side in the whole's sum of `q`, a change to the whole when `after` it."""
    if after and (q.sign < 0 or q.more):
        return q.sign
    return -q.sign


def _a_count_of(q: Quantity, unit: str, quantities: Sequence[Quantity]) -> bool:
    """`q` counts `unit` itself, not per something else the story counts ("a waiter had
    3 customers" counts customers)."""
    units = {r.unit for r in quantities}
    return q.unit == unit and not any(p in units for p in q.per)


def _starts(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "If he initially had 36 pieces": what was there first, the others taken from it
    when the question asks what is left."""
    starts = [n for n, q in enumerate(quantities) if q.side == 3]
    if len(starts) != 1 or any(q.side in (1, -1) for q in quantities):
        return [replace(q, side=0) if q.side == 3 else q for q in quantities]
    unit = quantities[starts[0]].unit
    left = any(x.word in ("left", "remain", "remaining", "still", "now") for x in question)
    # "had 8 initially ... how many disappeared?": what went is the start less the rest.
    left = left or bool(_focus(question).verbs & _TAKING_STEMS)
    # "8 more people got on. Initially there were 11": what came since is added to it.
    added = [q.more or _gained(q) for q in quantities]
    return [
        replace(q, side=1 if n == starts[0] or added[n] else (-1 if left else 0))
        if _a_count_of(q, unit, quantities)
        else q
        for n, q in enumerate(quantities)
    ]


def _said_first(sentence: Sequence[_Item], i: int, end: int) -> bool:
    """ "initially", "originally", "at first", "at the start": not "the first chapter"."""
    near = [x.word for x in sentence[max(0, i - 4) : end + 4]]
    # Not "at the first stop": "at first" is never said with "the".
    skipping = {(a, c) for a, _, c in zip(near, near[1:], near[2:], strict=False)} - {
        ("at", "first")
    }
    pairs = set(itertools.pairwise(near)) | skipping  # "at first", "at the start"
    # "raised 8 goldfish in the pond initially": said anywhere in the number's clause.
    rest = itertools.takewhile(lambda x: x.word not in _CLAUSE_ENDS, sentence[end + 1 : end + 9])
    near += [x.word for x in rest if x.word in ("initially", "originally")]
    # "weighed 69 kg before beginning jogging": before anything else was done.
    before_doing = any(a == "before" and b.endswith("ing") for a, b in itertools.pairwise(near))
    return bool({"initially", "originally"} & set(near)) or bool(_STARTS & pairs) or before_doing


_STARTS = frozenset([("at", "first"), ("at", "start"), ("in", "beginning"), ("at", "beginning")])
_WHOLE_BEFORE = frozenset(["total", "then", "now", "together"])
_WHOLE_AFTER = frozenset(["altogether", "total", "all"])


def _is_whole(
    sentence: Sequence[_Item], i: int, end: int, some_before: bool, unsaid_later: bool = False
) -> bool:
    """A number said to be the whole after an amount left unsaid ("some more arrived,
    then he had 8"; "a total of 6 bags"), or, named by its own words as the whole, before
    one ("a total of 30 bottles, of which 28 ... and the rest")."""
    before = [x.word for x in sentence[max(0, i - 4) : i]]
    after = [x.word for x in sentence[end + 1 : end + 3]]
    marker = max((k for k, w in enumerate(before) if w in _WHOLE_BEFORE), default=None)
    # "Then there were 41", "now he has 7": not "then he received 10", a change.
    acts = (
        marker is not None
        and before[marker] in ("then", "now")
        and any(_verb_stem(w) not in ("", *_LIGHT_STEMS) for w in before[marker + 1 :])
    )
    named_whole = (marker is not None and not acts) or bool(_WHOLE_AFTER & set(after))
    # "there will be 64 trees": what there is to be once the change said is done.
    named_whole = named_whole or before[-3:] == ["there", "will", "be"]
    # "The total number of kids in the county is 91676": said of the sentence's subject.
    leading = [x.word for x in sentence[_clause_start(sentence, i) : i]]
    # "Together they collected strawberries that weighed 24 pounds": the clause says it.
    named_whole = named_whole or "total" in leading[:3] or leading[:1] == ["together"]
    # "Allan and Jake brought 3 balloons": what the two did together is the whole.
    named_whole = named_whole or _joint_names(sentence) is not None
    if not some_before:
        return unsaid_later and named_whole
    own_some = any(x.word == "some" for x in sentence[:i])
    return own_some or named_whole


def _asks_a_part(sentences: Sequence[list[_Item]]) -> bool:
    """The question asks for an amount the story leaves out: what there was at first, or
    one part of a whole it names ("Together their strawberries weighed 20 pounds ... How
    much did Marco's weigh?", not "in all")."""
    words = {x.word for x in sentences[-1]} if sentences else set()
    said = {x.word for sentence in sentences[:-1] for x in sentence}
    if words & {"before", "initially", "originally", "begin"} or {"at", "first"} <= words:
        return True  # what there was at first: "How much did Edward have before he spent?"
    if "together" in said and not words & (_WHOLE_AFTER | {"together", "both"}):
        return True
    # "Allan and Jake brought a total of 6 balloons. How many did Jake bring?", not "For a
    # total of $ 3 he bought 10 candy bars. How much money is left?"
    left = {"left", "remain", "remaining", "remains", "now", "still"}
    if "total" in said and not words & (_WHOLE_AFTER | left | {"together", "both"}):
        return True
    # "Allan and Jake brought 3 balloons ... How many did Jake bring?": one of the two.
    joint = [_joint_names(sentence) for sentence in sentences[:-1]]
    return any(pair and len(words & set(pair)) == 1 for pair in joint)


def _joint_names(sentence: Sequence[_Item]) -> tuple[str, str] | None:
    """ "Allan and Jake brought 3 balloons": the two nouns a sentence opens with, joined
    by "and" as one subject of the verb of its first number; None if it opens otherwise."""
    words = [x.word for x in itertools.takewhile(lambda x: x.word != "#", sentence)]
    words = list(itertools.dropwhile(lambda w: w in _SUBJECT_SKIP, words))
    if len(words) != 4 or words[1] != "and" or not _verb_stem(words[3]):
        return None
    if not (_is_noun(words[0]) and _is_noun(words[2])) or words[0] in _NOT_NOUNS:
        return None
    return words[0], words[2]


def _unsaid(sentences: Sequence[list[_Item]]) -> bool:
    """The story leaves an amount unsaid: "some", "the rest", "others", "yet more"."""
    for sentence in sentences:
        words = [x.word for x in sentence]
        pairs = set(itertools.pairwise(words))
        if "some" in words or "others" in words or {("the", "rest"), ("yet", "more")} & pairs:
            return True
    return False


# --- the question ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Asked:
    units: Counter[str] | None  # None: not known
    compare: bool
    left: bool  # "how many are left": every amount after the first is taken away


def _asked_unit(words: Sequence[str], quantities: Sequence[Quantity]) -> str:
    # In the story's order (a set's changes with the hash seed, and so would the answer
    # where it holds two lengths or two sums of money).
    seen = list(dict.fromkeys(u for q in quantities for u in (q.unit, *q.per)))
    money = next((u for u in _MONEY_ORDER if u in seen), "")
    for k, word in enumerate(words[:-1]):
        if word != "how":
            continue
        nxt = words[k + 1]
        rest = [w for w in words[k + 2 :] if w not in _COMPARE and w != "total"]
        if nxt == "many":
            if rest and _is_noun(rest[0]) and not _did_asked(words):
                return _singular(rest[0])
            # "How many does each child get?": of what the story counted first (not the
            # people it is shared by: "made cookies for 5 ... each of them").
            counted = [q.unit for q in quantities if q.unit and not q.per]
            # ... nor the guests, friends or students it is shared by.
            sharers = {"people", *_PERSONS} if "each" in words else set()
            if _did_asked(words):  # "How many visited?": the visitors, not the paintings
                counted = sorted(counted, key=lambda u: u not in _PERSONS | {"people"})
            return next((u for u in counted if u not in sharers), "")
        if nxt in ("far", "wide", "tall", "high", "deep"):
            return next((u for u in seen if u in _LENGTHS), "")
        if nxt == "long":
            return next((u for u in seen if u in _LENGTHS), "") or next(
                (u for u in seen if u in _DURATIONS), ""
            )
        if nxt == "old":
            return "year"
        if nxt == "much" and words[k + 2 : k + 3] and words[k + 2] in _FARTHER:
            # "how much farther (deeper, longer)": a length, as "how far" asks.
            return _asked_unit([*words[:k], "how", _FARTHER[words[k + 2]]], quantities)
        if nxt == "much":
            noun = next((w for w in rest[:2] if _is_noun(w)), "")
            if noun and _singular(noun) in seen and _singular(noun) not in _MONEY:
                return _singular(noun)
            return money
    if any(w in ("cost", "price", "pay", "earn", "spend", "money") for w in words):
        return money
    return _measure_asked(words, seen)


def _did_asked(words: Sequence[str]) -> bool:
    """ "How many visited the zoo?", "how many went": a verb in the past after "how many"
    asks of those who did it, the things the story counted first, not a noun."""
    k = next((k for k in range(len(words) - 2) if words[k : k + 2] == ["how", "many"]), -1)
    verb = words[k + 2] if k >= 0 else ""
    return _past_verb(verb) or (verb in _IRREGULAR and verb not in _PRESENT)


_FARTHER = {
    "farther": "far", "further": "far", "deeper": "deep", "higher": "high", "taller": "tall",
    "longer": "long", "wider": "wide",
}  # fmt: skip
_SIDES = frozenset(["length", "width", "breadth", "height", "depth"])


def _measure_asked(words: Sequence[str], seen: Sequence[str]) -> str:
    """ "What is the width of the room?": a length of the story's; "what is its area?": a
    square of one (an area the story gives: "14 square feet")."""
    length = next((u for u in seen if u in _LENGTHS), "")
    length = length or next((u[len(_SQUARE) :] for u in seen if u.startswith(_SQUARE)), "")
    if not length:
        return ""
    if "area" in words:
        return _SQUARE + length
    return length if _SIDES & set(words) else ""


def _asked(question: Sequence[_Item], quantities: Sequence[Quantity], named: str = "") -> _Asked:
    """What the question asks for; `named` is the thing it names, when the story counts it."""
    words = [x.word for x in question]
    named_counted = named and any(q.unit == named for q in quantities)
    unit = named if named_counted else _asked_unit(words, quantities)
    compare = any(w in _COMPARE for w in words) and (
        "than" in words
        or any(w in _COMPARE - {"more", "less", "fewer"} for w in words)
        or any(a in ("much", "many") and b in _COMPARE for a, b in itertools.pairwise(words))
    )
    left = any(w in ("left", "remain", "remaining", "remains", "still") for w in words)
    # "How much change does he get?": the money left of what was paid with.
    left = left or any(pair == ("much", "change") for pair in itertools.pairwise(words))
    if not unit:
        return _Asked(None, compare, left)
    units = _unit_counts(unit)
    groups = [q.unit for q in quantities if q.unit and q.unit != unit and not q.per]
    for k, word in enumerate(words):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        # "in a block", not "in a year": a span of time is counted by a conversion.
        # "in a week" with "5 days a week" told: no conversion; asked per week, as "each".
        span = _singular(nxt)
        in_a = word == "a" and words[k - 1 : k] == ["in"]
        in_a = in_a and (span not in _DURATIONS or _said_how_many_in(span, quantities))
        each = word in ("each", "per") or in_a
        if each and _is_noun(nxt) and _singular(nxt) != unit:
            units[_singular(nxt)] -= 1  # "does each friend get", "in each row", "in a block"
        elif word == "each" and groups and not _is_noun(nxt):
            units[groups[-1]] -= 1  # "does each get": each of the group counted
    if units == _unit_counts(unit):
        units.subtract(_rate_asked(unit, quantities))
    return _Asked(_clean(units), compare, left)


def _rate_asked(unit: str, quantities: Sequence[Quantity]) -> Counter[str]:
    """ "Every day he spends 6 hours on English and 7 on Chinese. How many more hours on
    Chinese?" ("... on both in all?"): every number of the unit asked is per one span, and
    nothing counts those spans, so the difference (or sum) asked is per it too."""
    pers = {q.per for q in quantities if q.unit == unit}
    if len(pers) != 1 or not (per := next(iter(pers))):
        return Counter()
    # Not "$ 2 per square foot" with a plot in feet: the feet count the squares.
    spans = {u for p in per for u in _unit_counts(p)}
    if any(set(_unit_counts(q.unit)) & spans for q in quantities):
        return Counter()
    found: Counter[str] = Counter()
    for p in per:
        found.update(_unit_counts(p))
    return found


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
    # A rate taken away from a rate of its units ("costs $ 20 a box ... a discount of $ 4
    # on each box") is subtracted; another rate's sign is its product's.
    from_rate = [
        q.per and q.sign < 0 and any(r.sign > 0 and r.units() == q.units() for r in quantities)
        for q in quantities
    ]
    wanted: list[int | None] = [
        -1 if taken else None if q.per else q.sign
        for q, taken in zip(quantities, from_rate, strict=True)
    ]
    if any(q.side for q in quantities):
        # A rate compared ("more sacks of ripe oranges per day than") has its side too.
        return [
            q.side if q.side and asked.compare else None if q.per else (q.side or q.sign)
            for q in quantities
        ]
    if asked.compare and counts:
        biggest = max(counts, key=lambda k: quantities[k].value)
        return [
            None if k not in counts else (1 if k == biggest else -1) for k in range(len(wanted))
        ]
    first_of_unit: dict[str, int] = {}
    for k in counts:
        unit = quantities[k].unit
        if unit not in first_of_unit and all(q.unit != unit for q in quantities[:k]):
            # "Josh lost 11 marbles. If he had 19 earlier": what was there is the first
            # count not taken, wherever it is said.
            # Not what is there now ("gave 5 away. Now he has 7"): that is what is left.
            kept = [
                n
                for n in counts
                if quantities[n].unit == unit and quantities[n].sign > 0 and not quantities[n].now
            ]
            first_of_unit[unit] = kept[0] if kept else k
            wanted[first_of_unit[unit]] = 1  # what was there first was not taken from anything
    for unit in first_of_unit:  # "sold 128 on monday and 97 on tuesday": all of it taken
        same = [k for k in counts if quantities[k].unit == unit]
        if all(quantities[k].sign < 0 for k in same):
            wanted = [1 if k in same else w for k, w in enumerate(wanted)]
    if asked.left and asked.units:
        return _left_signs(quantities, counts, first_of_unit, wanted, asked.units)
    return wanted


def _left_signs(
    quantities: Sequence[Quantity],
    counts: Sequence[int],
    first_of_unit: dict[str, int],
    wanted: list[int | None],
    units: Counter[str],
) -> list[int | None]:
    """ "How many are left": every amount but what there was is taken away, unless said
    as "N more" or brought by a verb ("bought", "received")."""
    target = next(iter(units))
    target = _SQUARE + target if units[target] == 2 else target  # an area left
    # What there was: the first not taken ("Randy uses 36 blocks. If he had 59 blocks").
    kept = [k for k in counts if quantities[k].unit == target and quantities[k].sign > 0]
    start = kept[0] if kept else first_of_unit.get(target)
    # "5 packs. Each pack has 9 pieces. She chewed 11 pieces": what there was is the
    # rate's product, said before any count of the thing left.
    rated = [k for k, q in enumerate(quantities) if q.unit == target and q.per]
    if rated and start is not None and rated[0] < start:
        start = None
    out = list(wanted)
    for k in counts:
        # Not "bought 3 shirts at $ 25 each ... money left": the shirts are no money.
        gained = _gained(quantities[k]) and quantities[k].unit == target
        if k != start and not quantities[k].more and not gained:
            out[k] = -1
    return out


# Verbs that bring more of a thing: "bought 170 new cakes" is added to what is left.
_GAINING_STEMS = frozenset(_stem(v) for v in ["buy", "receive", "find", "earn", "collect", "win"])
_GAINING_STEMS |= frozenset(_stem(v) for v in ["gain", "add", "get"])


# "8 new ducks came to the pond": the number who arrive, the subject of such a verb.
_ARRIVING = frozenset(["came", "come", "comes", "arrived", "arrive", "arrives", "joined"])
_ARRIVING_STEMS = _ARRIVING | frozenset(_stem(v) for v in _ARRIVING)  # clause words, as said


def _gained(q: Quantity) -> bool:
    arrived = not q.verb and bool(q.clause & _ARRIVING_STEMS)
    return q.sign > 0 and (q.verb in _GAINING_STEMS or arrived)


def _score(tree: _Tree, wanted: Sequence[int | None]) -> tuple[int, int, int]:
    """Lower is better: signs against the words, then a negative or fractional result."""
    penalty = sum(2 for k, sign in tree.leaves if wanted[k] is not None and sign != wanted[k])
    if tree.value < 0:
        penalty += 3
    if tree.value.denominator != 1:
        penalty += 1  # counts of things are whole, usually
    return penalty, tree.ops.count("/") + tree.ops.count("-"), len(tree.text)


def _mixed_units(tree: _Tree, asked: _Asked) -> int:
    """1 when the question names no unit ("what was her score?") and the result is no
    count of one thing: "7 points for each treasure; 2 treasures on one level and 6 on the
    next" is 7 * (2 + 6) points, not 7 * 2 * 6, points times treasures."""
    if asked.units is not None:
        return 0
    return 1 if sum(abs(n) for n in tree.units.values()) > 1 else 0


_STATIVE_STEMS = frozenset(_stem(v) for v in ["like", "love", "want", "need", "hate", "prefer"])


def _counted_after_numbers(sentences: Sequence[list[_Item]]) -> set[str]:
    """The nouns the story counts: those within two words after a number ("53 maple trees")."""
    return {
        _singular(x.word)
        for sentence in sentences
        for i, item in enumerate(sentence)
        if item.word == "#"
        for x in sentence[i + 1 : i + 3]
        if _is_noun(x.word)
    }


def _bare_plurals(sentences: list[list[_Item]]) -> list[list[_Item]]:
    """ "Tim stacked bales in the barn": a bare plural the story counts elsewhere, after a
    verb in a statement with no number, is an amount left unsaid, as "some bales" is."""
    counted = _counted_after_numbers(sentences)
    out = []
    for n, sentence in enumerate(sentences):
        words = [x.word for x in sentence]
        if n == len(sentences) - 1 or "#" in words or {"some", "more", "any"} & set(words):
            out.append(sentence)
            continue
        for k in range(len(words) - 1):
            stem = _verb_stem(words[k])
            if not stem or stem in _STATIVE_STEMS or stem in _LIGHT_STEMS:
                continue
            # "plant maple trees": the plural may come after one word naming its kind
            j = next((j for j in (k + 1, k + 2) if j < len(words) and _plural(words[j])), None)
            if j is None or not all(_is_noun(w) for w in words[k + 1 : j + 1]):
                continue
            if _singular(words[j]) in counted:
                sentence = [*sentence[: k + 1], _Item("some", None, "some"), *sentence[k + 1 :]]
                break
        out.append(sentence)
    return out


def read(question: str, earlier: Sequence[str] = ()) -> Reading:
    """The calculator expression for a short word problem; `NotAWordProblem` if none.

    `earlier` is what the user said before, newest last: a question about one of their
    own numbers ("How old will I be in 15 years?" after "I am 34 years old") uses it.
    """
    sentences = _bare_plurals(_sentences(_measured(_items(question))))
    if not sentences:
        raise NotAWordProblem("no words")
    statements, asked_part = _split_question(sentences)
    asked_part, in_dozens = _dozens_asked(asked_part)
    asked_part = _size_asked(_compared_to(_neither_nor(_when_done(asked_part))), statements)
    statements, asked_part = _said_again(statements, asked_part)
    statements, quantities = _told(statements, asked_part, earlier)
    quantities, asked_part = _related(quantities, statements, asked_part, sentences[-1])
    average = _average(quantities, asked_part)
    if average is not None:
        return average
    derived = len(quantities) == 1 and (quantities[0].scaled or in_dozens)
    if not (2 <= len(quantities) <= MAX_QUANTITIES or derived):
        raise NotAWordProblem(f"{len(quantities)} numbers")
    quantities = _any_kind_asked(_persons_asked(quantities, asked_part), asked_part)
    quantities = _speeds_unasked(quantities, asked_part)
    told = _per_go(quantities, asked_part)

    def finish(quantities: list[Quantity]) -> list[Quantity]:
        return _room_left(_counted_pers(quantities, asked_part), asked_part)

    quantities = finish(told)
    focus = _focus(asked_part)
    asked = _asked(asked_part, quantities, focus.kind.unit if focus.kind else "")
    try:
        tree = _best_tree(quantities, asked)
    except NotAWordProblem:
        quantities, tree = _kinds_together(told, asked, [*statements, asked_part], finish)
    text = tree.text
    text = f"({text}) / 12" if in_dozens and len(quantities) > 1 else text
    text = f"{text} / 12" if in_dozens and len(quantities) == 1 else text
    return Reading(text, _explain(quantities), tuple(q.text for q in quantities))


def _told(
    statements: list[list[_Item]], asked_part: list[_Item], earlier: Sequence[str]
) -> tuple[list[list[_Item]], list[Quantity]]:
    """The story's numbers; with fewer than two, the newest earlier message with numbers
    is told first."""
    quantities = _quantities([*statements, asked_part])
    if len(quantities) + len(_conversions(asked_part, quantities)) < 2:
        for said in reversed(earlier):
            told = _sentences(_items(said))
            if told and _quantities(told):
                statements = [*told, *statements]
                quantities = _quantities([*statements, asked_part])
                break
    return statements, quantities


def _related(
    quantities: list[Quantity],
    statements: list[list[_Item]],
    asked_part: list[_Item],
    last_sentence: list[_Item],
) -> tuple[list[Quantity], list[_Item]]:
    """The numbers as the story relates them (who buys from whom, what is left, rates,
    kinds, parts), and the question as those readings leave it."""
    quantities = _bought_from_the_asked(quantities, statements, asked_part)
    quantities = _found_not_spent(_spending_asked(quantities, last_sentence), last_sentence)
    quantities = _already_in(quantities, asked_part)
    quantities = _done_of_to_do(quantities, statements)
    quantities = _converted(quantities, asked_part, statements)
    quantities = _areas(quantities, asked_part)
    quantities = _before_today(_joined_kinds(quantities, asked_part), asked_part)
    quantities, asked_part = _people(quantities, asked_part)
    quantities = _seated(quantities, asked_part)
    quantities = _compound_per(quantities, statements)
    quantities = _priced_nouns(quantities, [*statements, asked_part])
    asked_part = _price_unasked(asked_part)
    quantities = _persons_of_a_rate(quantities, asked_part)
    quantities = _kinds_of_a_rate(quantities, asked_part)
    quantities = _kinds_in_each(quantities, asked_part)
    quantities = _kinds_said_alike(quantities, statements, asked_part)
    asked_part = _asked_as_what_a_rate_is_per(quantities, asked_part)
    asked_part = _bought_unnamed(quantities, asked_part)
    quantities = _sides(quantities, statements, asked_part)
    quantities = _part_of_them(quantities, statements, asked_part)
    quantities = _all_but(quantities, statements)
    quantities += _conversions(asked_part, quantities) or _spans_told(statements, quantities)
    return quantities, asked_part


def _best_tree(quantities: list[Quantity], asked: _Asked) -> _Tree:
    """Of every way to combine the numbers with the unit asked, the one scored best."""
    wanted = _wanted_signs(quantities, asked)
    best: tuple[tuple[int, int, int], _Tree] | None = None
    for order in itertools.permutations(range(len(quantities))):
        for tree in _trees([_leaf(k, quantities[k]) for k in order]):
            if asked.units is not None and tree.units != asked.units:
                continue
            score = _score(tree, wanted)
            scored = ((score[0] + _mixed_units(tree, asked), *score[1:]), tree)
            if best is None or scored[0] < best[0]:
                best = scored
    if best is None:
        raise NotAWordProblem("no combination of the numbers has the unit asked for")
    return best[1]


def _joined_counts(sentences: Sequence[list[_Item]]) -> list[list[tuple[str, str]]]:
    """ "28 boys and 4 girls", "2 adults, 5 children and 3 babies": counts of different
    things said in one list, each as (its number's text, its unit)."""
    lists: list[list[tuple[str, str]]] = []
    for sentence in sentences:
        i = 0
        while i < len(sentence):
            found: list[tuple[str, str]] = []
            while i < len(sentence) and sentence[i].word == "#" and len(found) < MAX_QUANTITIES:
                unit, end = _noun_after(sentence, i)
                if not unit or end == i:
                    break
                found.append((sentence[i].text, unit))
                nxt = sentence[end + 1].word if end + 1 < len(sentence) else ""
                if nxt not in ("and", ",") or end + 2 >= len(sentence):
                    break
                i = end + 2
            if len({unit for _, unit in found}) >= 2:
                lists.append(found)
            i += 1
    return lists


def _kinds_together(
    quantities: list[Quantity],
    asked: _Asked,
    sentences: Sequence[list[_Item]],
    finish: Callable[[list[Quantity]], list[Quantity]],
) -> tuple[list[Quantity], _Tree]:
    """ "A vase holds 5 flowers. If you had 6 carnations and 19 roses, how many vases?",
    "2 adults and 5 children ... each meal cost $3": things of different kinds listed
    together are counted as one kind when no reading combines them as they are: the
    kind a rate or the question names that no count of the story is."""
    asked_units = {u for u, n in (asked.units or Counter()).items() if n > 0}
    # "How many boats do the children need?": a question of one kind is not of all.
    said = {_singular(x.word) for x in sentences[-1] if _is_noun(x.word)}
    for joined in _joined_counts(sentences[:-1]):
        units = {unit for _, unit in joined}
        if units & said:
            continue
        at = [k for k, q in enumerate(quantities) if (q.text, q.unit) in joined]
        others = [q for k, q in enumerate(quantities) if k not in at]
        # What each of a rate is ("each meal cost $ 3"), what a rate fills when its
        # fillers are asked ("a vase holds 5 flowers ... how many vases"), or a kind
        # only asked.
        named = {p for q in others for p in q.per}
        named |= {q.unit for q in others if set(q.per) & asked_units}
        counted = {q.unit for q in others if not q.per}
        if asked.units and min(asked.units.values()) < 0:  # "how many people on each team"
            named |= asked_units - {q.unit for q in quantities}
        if len(at) != len(joined) or units & named or any(q.unit in units for q in others):
            continue
        # "a group with 2 adults": a per that nothing else names is no rate.
        if any(set(quantities[k].per) & (named | counted) for k in at):
            continue
        for kind in sorted(named - counted - units):
            relabelled = [
                replace(q, unit=kind, per=()) if k in at else q for k, q in enumerate(quantities)
            ]
            relabelled = finish(relabelled)  # a rate per the kind now counts
            try:
                return relabelled, _best_tree(relabelled, asked)
            except NotAWordProblem:
                continue
    raise NotAWordProblem("no combination of the numbers has the unit asked for")


_PURCHASES = frozenset(["bought", "buys", "buy", "purchased", "purchases", "purchase"])


def _bought_from_the_asked(
    quantities: list[Quantity], statements: Sequence[list[_Item]], question: Sequence[_Item]
) -> list[Quantity]:
    """ "Jo has 50 stamps. Kim bought 12 of Jo's stamps" / "Kim bought 12 stamps from her.
    How many stamps does Jo have now?": what someone else buys from the one the question
    asks about is taken from that one's count."""
    words = [x.word for x in question]
    at = next((k + 1 for k, w in enumerate(words) if w in _AUX), len(words))
    at += 1 if words[at : at + 1] == ["the"] else 0  # "does the farmer have"
    asked = words[at] if at < len(words) else ""
    if not _is_noun(asked) and asked not in _PRONOUNS:
        return quantities
    # "does she have": the one the story opens with.
    owner = asked if asked not in _PRONOUNS else _subject(statements[0], "") if statements else ""
    flipped: set[str] = set()
    previous = ""
    for sentence in statements:
        subject = _subject(sentence, previous)
        previous = subject or previous
        for i, item in enumerate(sentence):
            if item.word != "#" or not any(
                x.word in _PURCHASES for x in sentence[max(0, i - 2) : i]
            ):
                continue
            if not subject or subject == owner or subject in _PRONOUNS:
                continue
            after = [x.word for x in sentence[i + 1 : i + 8]]
            own = list(itertools.takewhile(lambda w: w not in _CLAUSE_ENDS, after))
            of_owner = own[:3] == ["of", owner, "'"] or own[:2] == ["of", owner + "'s"]
            k = own.index("from") if "from" in own else -1
            from_owner = k >= 0 and own[k + 1 : k + 2] in ([owner], ["him"], ["her"], ["them"])
            if of_owner or from_owner:
                flipped.add(item.text)
    return [
        replace(q, sign=-1) if q.text in flipped and q.sign == 1 and q.verb == "buy" else q
        for q in quantities
    ]


_SPENDING = frozenset(["spend", "spent", "spends", "cost", "costs", "pay", "paid", "pays"])
_NOT_A_TOTAL = _COMPARE | _EACH | frozenset(["change", "per", "than", "left", "remain", "rest"])
_TOTALS = frozenset(["total", "all", "altogether", "combined", "together"])
_HAVING_STEMS = frozenset(
    ["hav", "sav", "earn", "get", "receiv", "find", "win", "start", "mak", "collect"]
)


def _spending_asked(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "spent $10 on a toy, and a cage cost her $12. What was the total cost?": asked the
    total spent (the question's whole sentence), of a story that says no money had, every
    amount spent is a part of it, added and not taken away."""
    words = {x.word for x in question}
    if not words & _SPENDING or not words & _TOTALS or words & _NOT_A_TOTAL:
        return quantities
    money = [q for q in quantities if q.unit in _MONEY]
    if any(q.verb in _HAVING_STEMS for q in money) or len(money) != len(quantities):
        return quantities
    if len({q.sign for q in money}) < 2:
        return quantities  # all spent alike: summed as they are
    return [
        replace(q, sign=1) if q.sign == -1 and not q.clause & _NEGATIONS else q for q in quantities
    ]


_COME_BY_STEMS = frozenset(["find", "receiv", "win", "earn"])


def _found_not_spent(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "He bought a clarinet for $130 ... Dan found $12 in his pocket. How much did Dan
    spend?": money come by is not spent; of a story that says no money had to start with
    or left after, asked only what was spent, it is no part of the sum."""
    words = {x.word for x in question}
    if not words & _SPENDING or words & _NOT_A_TOTAL or not {"how", "much"} <= words:
        return quantities
    money = [q for q in quantities if q.unit in _MONEY]
    come_by = [q for q in money if q.verb in _COME_BY_STEMS]
    spent = [q for q in money if q.verb not in _HAVING_STEMS and q.sign > 0]
    if not come_by or len(spent) < 2 or len(money) != len(quantities):
        return quantities
    if any(q.verb in _HAVING_STEMS - _COME_BY_STEMS or q.now for q in money):
        return quantities
    return [q for q in quantities if q not in come_by]


def _already_in(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "The recipe wants 8 cups. She already put in 2 cups. How many cups does she need
    to add?": asked what is still needed (or "the rest"), what is already done is taken
    from the whole."""
    words = {x.word for x in question}
    if not words & {"need", "needs", "rest"} or "than" in words or "already" in words:
        return quantities
    return [
        replace(q, sign=-1) if "already" in q.clause and q.sign == 1 and not q.more else q
        for q in quantities
    ]


def _done_of_to_do(quantities: list[Quantity], statements: Sequence[list[_Item]]) -> list[Quantity]:
    """ "had 29 worksheets to grade. If she graded 25": what there is to do, once done, is
    no longer to do; a number of the doing verb is taken from it."""
    to_do: set[tuple[str, str]] = set()
    for sentence in statements:
        words = [x.word for x in sentence]
        for k in range(len(words) - 3):
            if words[k] == "#" and _is_noun(words[k + 1]) and words[k + 2] == "to":
                to_do.add((_stem(words[k + 3]), _singular(words[k + 1])))
    if not to_do:
        return quantities
    return [
        replace(q, sign=-1) if (q.verb, q.unit) in to_do and q.sign == 1 and not q.more else q
        for q in quantities
    ]


def _dozens_asked(question: list[_Item]) -> tuple[list[_Item], bool]:
    """ "How many dozen eggs ...": a dozen is the unit the answer counts in, 12 of the
    things, so the count of them is divided by 12; the dozen is no number of the story."""
    for k in range(2, len(question)):
        said = question[k].word == "#" and question[k].value == 12  # "dozen" reads as 12
        if said and [x.word for x in question[k - 2 : k]] == ["how", "many"]:
            return [*question[:k], *question[k + 1 :]], True
    return question, False


# Units of one measure, by their size in its smallest: an amount in one is an amount in
# any other ("1 hour of reading ... 16 minutes": 60 minutes).
_MEASURE_SIZES = (
    {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800},
    {"mm": 1, "cm": 10, "m": 1000, "km": 1000000},
    {"inch": 1, "foot": 12, "yard": 36},
    {"ml": 1, "l": 1000},
    {"g": 1, "kg": 1000},
    {"cup": 1, "pint": 2, "quart": 4, "gallon": 16},
    {"cent": 1, "dollar": 100},
)


# Words that name one particular span: "last week", "this week" are the story's own.
_PARTICULAR = frozenset(["last", "this", "next", "that", "first", "second", "previous"])


def _converted(
    quantities: list[Quantity],
    question: Sequence[_Item],
    statements: Sequence[Sequence[_Item]] = (),
) -> list[Quantity]:
    """ "assigned 1 hour of reading. She read 16 minutes on Friday": amounts (and rates)
    of one measure said in two of its units are put in one, the unit the question asks
    for if it is of that measure, else the one a rate is per ("$12 an hour ... 50
    minutes": hours), else the one said first; so too one unit, asked in another."""
    asked = _asked_unit([x.word for x in question], quantities)
    for sizes in _MEASURE_SIZES:
        said = [u for q in quantities for u in (q.unit, *q.per) if u in sizes]
        if not said or (len(set(said)) == 1 and asked not in sizes):
            continue
        own = [q for q in quantities if q.unit in sizes and set(q.per) & set(sizes)]
        if own:  # "6 hours a day": the story's own measure of one unit in the other ...
            quantities = _spans_in(quantities, own, sizes)
            continue
        pers = list(dict.fromkeys(p for q in quantities for p in q.per if p in sizes))
        if len(pers) > 1:
            continue  # "24 miles per week ... 3 miles per day": rates the story compares
        target = asked if asked in sizes else pers[0] if pers else said[0]
        # Not a number the question says of a span told before ("in those two days"): it
        # names the story's days, no amount; "in 3 weeks" is one, of days at 7 a week.
        # So too "in two weeks" after "last week ... this week": the weeks told of.
        told = {
            _singular(b.word)
            for sentence in statements
            for a, b in itertools.pairwise(sentence)
            if a.word in _PARTICULAR
        }
        asked_numbers = {
            b.text
            for a, b, c in zip(question, question[1:], [*question[2:], _Item("")], strict=False)
            if b.word == "#" and (a.word in ("those", "these", "the") or _singular(c.word) in told)
        }
        quantities = [
            q if q.text in asked_numbers else _in_unit(q, sizes, target) for q in quantities
        ]
    return quantities


def _spans_in(
    quantities: list[Quantity], own: list[Quantity], sizes: dict[str, int]
) -> list[Quantity]:
    """... but a bare span longer than what those are per ("2 hours a day ... in 3
    weeks") is put in it: 21 days."""
    pers = {p for q in own for p in q.per if p in sizes}
    units = {q.unit for q in own}
    if len(pers) != 1:
        return quantities
    per = next(iter(pers))
    return [
        _in_unit(q, sizes, per)
        if q.unit in sizes and not q.per and q.unit not in units and sizes[q.unit] > sizes[per]
        else q
        for q in quantities
    ]


def _in_unit(q: Quantity, sizes: dict[str, int], target: str) -> Quantity:
    """`q` in `target` where its unit, or what it is per, is of the measure `sizes`."""
    ratio = Fraction(sizes[q.unit], sizes[target]) if q.unit in sizes else Fraction(1)
    for per in q.per:
        ratio /= Fraction(sizes[per], sizes[target]) if per in sizes else 1
    if ratio == 1:
        return q
    unit = target if q.unit in sizes else q.unit
    per = tuple(target if p in sizes else p for p in q.per)
    way = f"* {ratio}" if ratio.denominator == 1 else f"/ {ratio.denominator}"
    if ratio.denominator != 1 and ratio.numerator != 1:
        way = f"* {ratio.numerator} / {ratio.denominator}"
    text = f"({q.text} {way})"
    return replace(q, value=q.value * ratio, text=text, unit=unit, per=per)


def _sides(
    quantities: list[Quantity], statements: Sequence[list[_Item]], question: Sequence[_Item]
) -> list[Quantity]:
    """The numbers the question is about, with the sides the words give them: the first
    reading of a comparison or an amount left unsaid that fits, else the relevant ones."""
    compared = (
        _part_asked(quantities, question)
        or _gap_changed(quantities, question)
        or _gap_change_asked(quantities, question)
        or _rates_compared(quantities, question)
        or _unsaid_compared(quantities, statements, question)
        or _not_done_asked(quantities, statements, question)
        or _rest_compared(quantities, question)
        or _whole_compared(quantities, question)
    )
    if compared:
        return compared
    quantities = _already_done(_relevant(quantities, question), question)
    quantities = _other_side_asked(quantities, statements, question)
    return _the_rest_asked(_change_asked(quantities, question), statements, question)


_REST = frozenset(["left", "remain", "remaining", "rest", "other", "others", "still", "now"])


def _part_asked(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "40 pupils. Half of them walk to school. How many walk to school?": the question
    says what the one part of a whole does, and not what the whole is said to do: that
    part alone; asked with "not" ("do not walk"), the whole less the part."""
    parts = [q for q in quantities if q.part_of]
    words = {x.word for x in question}
    if len(parts) != 1 or words & (_REST | _COMPARE):
        return []
    part = parts[0]
    wholes = [q for q in quantities if not q.scaled and part.text.startswith(q.text + " ")]
    if len(wholes) != 1 or len(quantities) != 2:
        return []
    asked = _content(question) - {part.unit, "many", "much"} - part.marks - _NEGATIONS
    whole = wholes[0]
    # Every word the question says is the part's or the whole's, and a verb of the part's
    # is among them: "his friend agrees to pay 25% ... How much does James pay" is not.
    # Asked with "not", a word of the part's own will do ("are not pine trees").
    own = asked & part.part_of - whole.clause
    said = any(_verb_stem(w) for w in own) or (own and words & _NEGATIONS)
    if asked - part.part_of - whole.clause or not said:
        return []
    part = replace(part, sign=1, per=(), part_of=frozenset())
    if words & _NEGATIONS:
        return [replace(whole, sign=1, per=(), side=1), replace(part, side=-1)]
    return [part]


def _gap_changed(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "Ed had 29 more marbles than Doug. Ed lost 17 of his marbles. How many more marbles
    did Ed have than Doug then?": a gap said once, then only changes to one side's amount
    or the other's: the gap asked is the gap, plus what the first side gained (less what
    it lost), less what the other side gained (plus what it lost)."""
    words = [x.word for x in question]
    gaps = [q for q in quantities if q.than and q.subject and not q.side]
    if len(gaps) != 1 or "than" not in words or "more" not in words:
        return []
    gap = gaps[0]
    if not {gap.subject, gap.than} <= set(words):
        return []  # the question asks of another pair
    out = [replace(gap, side=1)]
    for q in quantities:
        if q is gap:
            continue
        # An amount had ("Doug has 5"), not a change ("bought 6", "gave away 15").
        light = q.sign > 0 and (not q.verb or q.verb in _LIGHT_STEMS)
        if light or q.unit != gap.unit or q.than or q.per or q.scaled:
            return []
        if q.subject not in (gap.subject, gap.than):
            return []
        out.append(replace(q, side=q.sign if q.subject == gap.subject else -q.sign))
    return out if len(out) > 1 else []


def _gap_change_asked(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "Ed had 2 more marbles than Doug. Doug lost some. Now Ed has 19 more marbles than
    Doug. How many did Doug lose?": one gap before and one now, between the same two, and
    the question asks one side's change: now = before + the first side's change - the
    other's, solved for the change asked (its way its verb's: "lose" takes away)."""
    if len(quantities) != 2 or "than" in {x.word for x in question}:
        return []
    before, now = quantities
    pair = (before.subject, before.than)
    if not all(pair) or (now.subject, now.than) != pair or before.unit != now.unit:
        return []
    if before.now or not now.now or before.side == -1 or now.side == -1:
        return []  # "fewer": not read here
    names = [x.word for x in question if x.word in pair]
    verbs = _focus(question).verbs
    if len(set(names)) != 1 or len(verbs) != 1:
        return []
    way = -1 if verbs & _TAKING_STEMS else 1
    way = way if names[0] == before.subject else -way  # the other side's change, the other way
    return [replace(now, side=way, than=""), replace(before, side=-way, than="")]


_LONG = frozenset(["long", "length"])
_WIDE = frozenset(["wide", "width", "broad", "breadth"])


def _areas(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "The room is 4 feet long and 20 feet wide", in a story that measures an area ("18
    square feet of carpet", "tiles of 4 square feet", "what is its area"): the room's area,
    4 * 20 square feet, one amount, to be compared or covered as a whole."""
    named = [_unit_counts(u) for q in quantities for u in (q.unit, *q.per)]
    named += [_unit_counts(_singular(x.word)) for x in question]
    if not any(2 in units.values() for units in named) and all(x.word != "area" for x in question):
        return quantities
    out = list(quantities)
    for k in range(len(out) - 1):
        a, b = out[k], out[k + 1]
        alike = a.unit == b.unit and a.unit in _LENGTHS and not a.per and not b.per
        if not alike or a.scaled or b.scaled or a.sign < 0 or b.sign < 0:
            continue
        if (a.clause & _LONG and b.clause & _WIDE) or (a.clause & _WIDE and b.clause & _LONG):
            area = replace(
                a,
                value=a.value * b.value,
                text=f"{a.text} * {b.text}",
                unit=_SQUARE + a.unit,
                scaled=True,
                side=0,
            )
            return [*out[:k], area, *out[k + 2 :]]
    return out


def _the_rest_asked(
    quantities: list[Quantity], statements: Sequence[list[_Item]], question: Sequence[_Item]
) -> list[Quantity]:
    """ "Sofia asked 310 students. 185 suggested potatoes while others suggested bacon. How
    many suggested bacon?": the question says what "the others" (or "some more") did, not
    what a number's clause says, so it asks for what is left of the first number once the
    rest are taken."""
    if any(q.side for q in quantities) or len(quantities) < 2:
        return quantities
    rest: frozenset[str] = frozenset()
    for sentence in statements:
        words = [x.word for x in sentence]
        for k, word in enumerate(words):
            the_rest = word == "rest" and words[k - 1 : k] == ["the"]
            some_more = word == "some" and words[k + 1 : k + 2] == ["more"]  # "and some more"
            if word == "others" or the_rest or some_more:
                rest = _clause_words(sentence, k)
    asked = _content(question) - {q.unit for q in quantities}
    if not rest & asked:
        return quantities
    if any(len(q.clause & asked) >= len(rest & asked) for q in quantities):
        return quantities  # a number's own clause says it as well
    unit = quantities[0].unit
    return [
        replace(q, side=1 if n == 0 else -1) if q.unit == unit else q
        for n, q in enumerate(quantities)
    ]


# Verbs that take away from what the story counts. Not "cut" or "pick": cut from the
# garden, the roses are added to the vase, so their way depends on whose amount it is.
_TAKING_STEMS = frozenset(
    _stem(w) for name in ("taken_before", "taken_after") for w in _WORD_LISTS[name].split()
) - {"yet", "left", "away", "off", "minus", "missing", "absent"} | {"cost"}  # paid out
_FIRST_WORDS = frozenset(["initially", "originally", "before", "first", "begin", "beginning"])


def _change_asked(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "Josh had 9 marbles. He lost some. Now he has 4. How many did he lose?": a story of
    one thing's amount, from what there was, through changes, to what there is "now"; the
    question asks the change no number is said of (its verb is none of theirs), or what
    there was at first. What is now = what there was + each change (as signed) + the one
    asked (its sign its verb's: "lose" takes away, "find" adds), solved for the one asked.
    Left as it is when the story is not one such line (two amounts now, or none)."""
    units = {q.unit for q in quantities}
    # A rate per something the story counts is no amount of one line ("in a jar" is not).
    if any(q.side or _scaled_again(q, quantities) or set(q.per) & units for q in quantities):
        return quantities
    words = [x.word for x in question]
    if {"now", "left", "still", "remain", "remaining"} & set(words):
        return quantities  # asks what there is now
    after = [q for q in quantities if q.now]
    before = [q for q in quantities if not q.now]
    if len(units) != 1 or len(after) != 1 or not before:
        return quantities
    at_first = bool(_FIRST_WORDS & set(words))
    verbs = _focus(question).verbs
    if at_first:
        # "after giving away 5": a number taken is a change, whatever verb it is said with.
        if any((q.verb in _LIGHT_STEMS or not q.verb) and q.sign > 0 for q in before):
            return quantities  # what there was is said: not asked
        # now = first + changes: first = now - each change.
        return [replace(q, side=1 if q.now else -q.sign) for q in quantities]
    said = any(q.verb in verbs or q.clause & verbs for q in quantities)
    if len(verbs) != 1 or said:
        return quantities
    first = before[0]
    # "baked 33 cookies": what is made or got is what there was first, as "had 33" is.
    if first.verb not in (*_LIGHT_STEMS, *_GETTING_STEMS, "") or first.sign < 0:
        return quantities  # what there was first is not said
    way = -1 if verbs & _TAKING_STEMS else 1
    if after[0].verb == "need":
        way = -way  # "still needs 2 more": what is left to do, the other way round
    # now = first + changes + way * asked: asked = way * (now - first - changes).
    return [
        replace(q, side=way if q.now else -way * (1 if q is first else q.sign)) for q in quantities
    ]


_GETTING_STEMS = frozenset(
    _stem(v) for v in ["baked", "made", "picked", "bought", "cooked", "found"]
)


def _scaled_again(q: Quantity, quantities: Sequence[Quantity]) -> bool:
    """ "half of them", "(4 + 3)": a number scaled from one still in `quantities`, so no
    amount of its own; one from numbers set aside ("still needs 3 more cups of flour than
    sugar", the sugar not asked of) is the amount it stands for."""
    said = {r.text for r in quantities if not r.scaled}
    return q.scaled and bool(said & set(q.text.replace("(", " ").replace(")", " ").split()))


def _other_side_asked(
    quantities: list[Quantity], statements: Sequence[list[_Item]], question: Sequence[_Item]
) -> list[Quantity]:
    """ "She played with 16 kids on monday. She played with 12 more kids on monday than on
    tuesday. How many on tuesday?": a difference said "N more ... than ...", and the
    question names what comes after "than" (and not what comes before): that side is
    the other number less N (plus N for "fewer")."""
    units = {q.unit for q in quantities}
    if len(quantities) != 2 or len(units) != 1:
        return quantities
    # A side so far only of "N fewer ... than" (`_said_less`), which is read again here.
    if any(q.side not in (0, -1) or q.scaled or set(q.per) & units for q in quantities):
        return quantities
    asked = _content(question) - units  # the thing counted is on both sides
    for sentence in statements:
        words = [x.word for x in sentence]
        for k, word in enumerate(words):
            if word != "#":
                continue
            rest = words[k + 1 : k + 9]
            if "than" not in rest:
                continue
            than = k + 1 + rest.index("than")
            said = set(words[k + 1 : than])
            way = -1 if said & _FEWER else 1 if "more" in said else 0
            ours = _content(sentence[k + 1 : than])
            end = next((j for j in range(than + 1, len(words)) if words[j] in ("#", ",")), None)
            theirs = _content(sentence[than + 1 : end])
            if not way or not (theirs - ours) & asked or (ours - theirs) & asked:
                continue
            value = sentence[k].value
            diff = [q for q in quantities if q.value == value]
            if len(diff) != 1 or any(q.side for q in quantities if q is not diff[0]):
                return quantities
            return [replace(q, side=-way if q is diff[0] else way) for q in quantities]
    return quantities


_WORD_LISTS["persons"] = (
    "student parent visitor children boy girl adult man men woman women guest player "
    "teacher customer passenger worker friend member fan"
)
_PERSONS = frozenset(_WORD_LISTS["persons"].split())


def _people(
    quantities: list[Quantity], question: list[_Item]
) -> tuple[list[Quantity], list[_Item]]:
    """ "22 parents and 676 people in total. How many pupils?": "people" counts persons
    of every sort, so when the question asks for a sort of person the story does not
    count, every count of persons is read as people, the question's too; and "each
    person" is each of the one sort of person the story counts."""
    words = [x.word for x in question]
    units = {q.unit for q in quantities}
    # "gave them to his 7 friends. How many did each person eat?": each of the friends.
    sorts = {u for u in units if u in _PERSONS}
    each = next((k + 1 for k, w in enumerate(words[:-1]) if w == "each"), -1)
    if (
        each > 0
        and _singular(words[each]) == "people"
        and len(sorts) == 1
        and "people" not in units
    ):
        return quantities, [*question[:each], _Item(sorts.pop()), *question[each + 1 :]]
    pairs = enumerate(itertools.pairwise(words[:-1]))
    at = next((k + 2 for k, (a, b) in pairs if (a, b) == ("how", "many")), -1)
    if at < 0 or _singular(words[at]) not in _PERSONS:
        return quantities, question
    if _singular(words[at]) in units or "people" not in units:
        return quantities, question
    people = [replace(q, unit="people") if q.unit in _PERSONS else q for q in quantities]
    return people, [*question[:at], _Item("people"), *question[at + 1 :]]


_SEATS = frozenset(["seat", "chair"])


def _seated(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "14 people will attend. How many more chairs will they have to buy?", "98 students
    ... all buses are full. How many seats are in each bus?": a person takes one seat, so
    when the question asks for seats, the persons the story counts are seats too."""
    words = [x.word for x in question]
    at = next((k + 2 for k in range(len(words) - 2) if words[k : k + 2] == ["how", "many"]), 0)
    while at and at < len(words) and words[at] in _COMPARE:
        at += 1  # "how many more chairs"
    seat = _singular(words[at]) if at and at < len(words) else ""
    persons = _PERSONS | {"people"}
    if seat not in _SEATS or any(q.unit in persons and seat in q.per for q in quantities):
        return quantities  # "Each seat can hold 9 people": the story says how many sit
    return [replace(q, unit=seat) if q.unit in persons and not q.per else q for q in quantities]


_TODAY = frozenset(["today", "tonight", "morning", "afternoon", "evening"])


def _before_today(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "How many did she bake till last night?": not what she baked this morning (a part
    of the day said without "yesterday")."""
    words = [x.word for x in question]
    pairs = itertools.pairwise(words)
    if not any(a in ("till", "until") and b in ("last", "yesterday") for a, b in pairs):
        return quantities
    return _kept(quantities, lambda q: not q.clause & _TODAY or "yesterday" in q.clause)


def _rates_compared(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "How much more does a jersey cost than a t-shirt?": the rate per one thing less the
    rate per the other, whatever numbers of them were sold."""
    words = [x.word for x in question]
    if "than" not in words:
        return []
    than = words.index("than")
    ones = [
        next((_singular(b) for a, b in itertools.pairwise(part) if a in ("a", "an")), "")
        for part in (words[:than], words[than:])
    ]
    rates = [[q for q in quantities if one and q.per == (one,)] for one in ones]
    if any(len(r) != 1 for r in rates) or rates[0][0].unit != rates[1][0].unit:
        return []
    return [replace(rates[0][0], per=(), side=1), replace(rates[1][0], per=(), side=-1)]


def _rest_compared(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "There were 89 bird families. 60 flew away. How many more flew away than stayed
    behind?": one side of the comparison is a number's own words (the 60), the other
    names no number, so it is what was there less that number (89 - 60)."""
    words = [x.word for x in question]
    more = next((k for k, w in enumerate(words) if w in _FEWER or w == "more"), None)
    if more is None or "than" not in words[more:] or len(quantities) != 2:
        return []
    start, taken = sorted(quantities, key=lambda q: q.sign, reverse=True)
    # Two numbers of one unit: what either is "per" ("a shelf held 50") counts nothing.
    if start.unit != taken.unit or start.sign < 0 or taken.sign > 0:
        return []
    start, taken = replace(start, per=()), replace(taken, per=())
    than = words.index("than", more)
    named = {start.unit, *start.marks}
    ours = _content(question[more + 1 : than]) - named
    theirs = _content(question[than + 1 :]) - named
    ours, theirs = ours - theirs, theirs - ours
    own = taken.clause - start.clause
    if bool(own & ours) == bool(own & theirs):
        # "After a typhoon 6 died ... survived the typhoon than those that died": the
        # taking verb decides, not what both sides speak of.
        own = own & _TAKING_STEMS
    if bool(own & ours) == bool(own & theirs):
        return []  # not one side the taken number's
    side = 1 if own & ours else -1
    if not (theirs if side == 1 else ours) - start.clause - taken.clause:
        return []  # the other side says what a number says: not the rest unsaid
    side = -side if words[more] in _FEWER else side
    rest = replace(
        start,
        value=start.value - taken.value,
        text=f"({start.text} - {taken.text})",
        scaled=True,
        side=-side,
    )
    return [replace(taken, sign=1, side=side), rest]


def _whole_compared(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "Together their strawberries weighed 35 pounds. Marco's weighed 13. How much more
    did his dad's weigh than his?": a whole and one part of two, compared: the other
    part is the whole less the one said, and the difference the larger less the smaller."""
    words = [x.word for x in question]
    more = next((k for k, w in enumerate(words) if w in _FEWER or w == "more"), None)
    if more is None or "than" not in words[more:] or len(quantities) != 2:
        return []
    # Not "How many more are on the bus now than before?": what there is after a change,
    # compared with what there was.
    if {"now", "before", "after"} & set(words):
        return []
    whole, part = sorted(quantities, key=lambda q: q.side != 2)
    if whole.side != 2 or part.side or whole.unit != part.unit or whole.value < part.value:
        return []
    if any(q.per or q.scaled or q.sign < 0 for q in quantities):
        return []
    rest = replace(
        whole,
        value=whole.value - part.value,
        text=f"({whole.text} - {part.text})",
        scaled=True,
    )
    way = 1 if rest.value >= part.value else -1
    return [replace(rest, side=way), replace(part, side=-way)]


def _unsaid_compared(
    quantities: list[Quantity], statements: Sequence[list[_Item]], question: Sequence[_Item]
) -> list[Quantity]:
    """ "Ivy had 40 songs and added 25. After deleting some she had 30 left. How many more
    did she add than she deleted?": the amount done "some" of is what there was less what
    is left now (40 + 25 - 30), compared with the number the other side names (the 25),
    or with what is left ("than those that stayed")."""
    words = [x.word for x in question]
    more = next((k for k, w in enumerate(words) if w in _FEWER or w == "more"), None)
    if more is None or "than" not in words[more:] or len({q.unit for q in quantities}) != 1:
        return []
    than = words.index("than", more)
    ours, theirs = (_stems(part) for part in (words[more:than], words[than:]))
    done = _some_done(statements)
    side = 1 if done & ours else -1 if done & theirs else 0
    side = side or _unsaid_side(quantities, words[more:than], words[than:])
    before = [q for q in quantities if not q.now]
    after = [q for q in quantities if q.now]
    if not side or not before or len(after) != 1 or any(q.scaled for q in quantities):
        return []
    other_words = theirs if side == 1 else ours
    named = [q for q in before if {q.verb} & other_words]
    named = named or [q for q in before if q.clause & other_words & _TAKING_STEMS]
    other = named[0] if len(named) == 1 else after[0]
    text = " ".join(f"{'-' if q.sign < 0 else '+'} {q.text}" for q in before)
    value = sum(q.sign * q.value for q in before) - after[0].value
    text = f"({text.lstrip('+ ')} - {after[0].text})"
    if _some_more(statements):
        # "cut some more new roses ... now 17": the amount unsaid came in, so it is what
        # there is now less what there was and what came and went before.
        value = -value
        signed = " ".join(f"{'+' if q.sign < 0 else '-'} {q.text}" for q in before)
        text = f"({after[0].text} {signed})"
    unsaid = replace(after[0], value=value, text=text, scaled=True, sign=1, more=False)
    return [replace(unsaid, side=side), replace(other, side=-side, sign=1)]


def _some_more(statements: Sequence[list[_Item]]) -> bool:
    """ "cut some more new roses": an amount left unsaid that was added."""
    return any(
        (a.word, b.word) == ("some", "more")
        for sentence in statements
        for a, b in itertools.pairwise(sentence)
    )


def _not_done_asked(
    quantities: list[Quantity], statements: Sequence[list[_Item]], question: Sequence[_Item]
) -> list[Quantity]:
    """ "79 animals in the cage. 24 snakes and 51 alligators were hiding. How many animals
    were not hiding?": the one count of what the question counts, less every number of a
    statement that says what the question says was not done (the snakes are animals)."""
    words = [x.word for x in question]
    at = next((k + 1 for k, w in enumerate(words[:-1]) if w in _NEGATIONS), None)
    kind = _focus(question).kind
    # "How many did not go?" with no noun: of the one kind of thing the story counts.
    units = {q.unit for q in quantities}
    unit = kind.unit if kind else next(iter(units)) if len(units) == 1 else ""
    if at is None or not unit or not words[at].isalpha():
        return []
    # "How many did not go?" of "12 went hiking": the verb in any of its forms.
    not_done = _stem(words[at])
    doing = [s for s in statements if any(_any_form(x.word) == not_done for x in s)]
    values = {x.value for s in doing for x in s if x.word == "#"}
    whole = [q for q in quantities if q.unit == unit and q.value not in values]
    parts = [q for q in quantities if q.unit != unit and q.value in values]
    # "95 snakes and 61 alligators. 64 snakes were hiding. How many snakes were not
    # hiding?": the snakes said hiding, of the snakes; the alligators are not asked of.
    alike = [q for q in quantities if q.unit == unit and q.value in values]
    if alike and len(whole) == 1:
        quantities, parts = [*whole, *alike], alike
    if len(whole) != 1 or not parts or len(parts) + 1 != len(quantities):
        return []
    units = {q.unit for q in quantities}  # a rate per something counted: no one line
    if any(q.scaled or set(q.per) & units for q in quantities):
        return []
    taken = [replace(q, unit=unit, marks=frozenset(), sign=1, side=-1) for q in parts]
    return [replace(whole[0], side=1), *taken]


# Past forms a question may ask with "not" ("did not go" of "12 went"). Kept out of
# `_IRREGULAR`: a word read as a verb there changes which numbers other readings take.
_PAST_FORMS = {"went": "go", "gone": "go", "came": "come", "swam": "swim"}


def _any_form(word: str) -> str:
    return _stem(_PAST_FORMS.get(word, word))


def _unsaid_side(quantities: Sequence[Quantity], ours: list[str], theirs: list[str]) -> int:
    """ "How much more did she collect at the atm than she spent at the supermarket?",
    where a number is said "collected" and none "spent": the side whose verb no number is
    said with is the amount unsaid (1 before "than", -1 after); 0 when not so."""
    said = {q.verb for q in quantities} | {w for q in quantities for w in q.clause}
    verbs = [{_verb_stem(w) for w in part} - {""} - _LIGHT_STEMS for part in (ours, theirs)]
    if not verbs[0] or not verbs[1]:
        return 0
    unsaid = [not v & said for v in verbs]
    return 0 if unsaid[0] == unsaid[1] else 1 if unsaid[0] else -1


def _some_done(statements: Sequence[list[_Item]]) -> set[str]:
    """The stems of the verbs said with an amount left unsaid: "after deleting some",
    "after some left"."""
    stems: set[str] = set()
    for sentence in statements:
        words = [x.word for x in sentence]
        for k, word in enumerate(words):
            if word == "some" and not (k + 1 < len(words) and _is_noun(words[k + 1])):
                stems |= _stems(words[max(0, k - 1) : k + 3])
    return stems


_PARTICLES = frozenset(["left", "off", "away"])  # "got off", "gave away": the verb's own


def _stems(words: Sequence[str]) -> set[str]:
    """The stems of the words that say what is done: verbs but the light ones, and other
    words but function words ("got off" -> off, "deleting" -> delet)."""
    said = {w for w in words if w.isalpha() and w not in _NOT_NOUNS - _PARTICLES}
    said |= {w for w in words if _verb_stem(w) not in ("", *_LIGHT_STEMS)}
    return {_stem(w) for w in said}


def _joined_kinds(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "How many tomatoes and potatoes are left?": both kinds the story counts, asked as
    one count, so counted as one unit (the first named)."""
    words = [x.word for x in question]
    units = {q.unit for q in quantities}
    for k, word in enumerate(words[:-4]):
        if word != "how" or words[k + 1] != "many" or words[k + 3] != "and":
            continue
        a, b = _singular(words[k + 2]), _singular(words[k + 4])
        nouns = _is_noun(words[k + 2]) and _is_noun(words[k + 4])
        marked = _kind_as_unit(quantities, b, units)  # "14 pieces of chocolate"
        if a == b or not {a, b} <= {q.unit for q in marked} or not nouns:
            continue
        quantities = marked
        firsts = {next(n for n, q in enumerate(quantities) if q.unit == u) for u in (a, b)}
        left = {"left", "remain", "remaining"} & set(words)
        return [
            # What is left of both: what there was of each kind, less all the rest.
            replace(
                q,
                unit=a if q.unit == b else q.unit,
                per=_renamed(q.per, b, a),
                side=(1 if n in firsts or q.more else -1) if left and q.unit in (a, b) else q.side,
            )
            for n, q in enumerate(quantities)
        ]
    return quantities


def _kind_as_unit(quantities: list[Quantity], kind: str, units: set[str]) -> list[Quantity]:
    """ "How many pieces of candy and chocolate", the story's "14 pieces of chocolate"
    counted as pieces: a kind no number counts but numbers of one unit are marked with
    counts those numbers."""
    if kind in units:
        return quantities
    marked = {q.unit for q in quantities if kind in q.marks}
    if len(marked) != 1:
        return quantities
    return [replace(q, unit=kind) if kind in q.marks else q for q in quantities]


_ANY_KIND = frozenset(["item", "thing", "object"])


def _any_kind_asked(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "How many items (things) ...", when the story counts no items: every kind it
    counts is one, so "8 cups and 10 plates on each shelf" are 18 items on a shelf. What a
    rate is per (the shelf) is no item."""
    kind = _focus(question).kind
    if kind is None or kind.unit not in _ANY_KIND or any(q.unit == kind.unit for q in quantities):
        return quantities
    item, pers = kind.unit, {p for q in quantities for p in q.per}
    return [q if not q.unit or q.unit in pers else replace(q, unit=item) for q in quantities]


def _persons_asked(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "692 girls, 458 more girls than boys. How many pupils?": a sort of person the
    story does not count, asked of a story that counts two sorts or more and nothing
    else (girls and boys), is every one of them."""
    kind = _focus(question).kind
    if kind is None or kind.unit not in _PERSONS | {"people"}:
        return quantities
    units = {q.unit for q in quantities} - {""}
    sorts = units & _PERSONS
    if kind.unit in units or len(sorts) < 2 or units - sorts:
        return quantities
    return [replace(q, unit=kind.unit) if q.unit in sorts else q for q in quantities]


def _renamed(units: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if u == old else u for u in units)


_SPEEDS = frozenset(["speed", "pace"])
_CAN = frozenset(["can", "could"])


def _room_left(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "6 seats, each can hold 14 people; 16 people are on it. How many more people can
    join?": "how many more ... can", with no "than", asks the room left: what the rate
    makes room for, less the count there is (6 * 14 - 16)."""
    words = [x.word for x in question]
    more = any(a in ("many", "much") and b == "more" for a, b in itertools.pairwise(words))
    kind = _focus(question).kind
    if not more or "than" in words or not _CAN & set(words) or kind is None:
        return quantities
    rated = any(q.unit == kind.unit and q.per for q in quantities)
    if not rated or any(q.side for q in quantities):
        return quantities  # no room a rate makes: "can hold 40", counted as the others are
    there = [q.unit == kind.unit and not q.per and not q.scaled for q in quantities]
    return [replace(q, side=-1) if t else q for q, t in zip(quantities, there, strict=True)]


def _speeds_unasked(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "travelling at a speed of 17. How much farther ...?": a speed is a distance per a
    time, no distance of the story's, so it has no part in an answer that asks no time."""
    words = [x.word for x in question]
    if "long" in words or any(_singular(w) in _DURATIONS for w in words):
        return quantities
    return _kept(quantities, lambda q: not _SPEEDS & set(q.per))


def _counted_pers(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """A rate per something nothing counts is no rate: "A shop sold 128 apples" is not
    128 apples per shop unless shops are counted too."""
    words = [x.word for x in question]
    counted = {q.unit for q in quantities}
    counted |= {p for q in quantities for p in q.per if sum(p in r.per for r in quantities) > 1}
    counted |= {_singular(n) for w, n in itertools.pairwise(words) if w in ("each", "per", "many")}
    in_a = zip(words, words[1:], words[2:], strict=False)  # "are there in a block"
    counted |= {_singular(n) for i, w, n in in_a if (i, w) == ("in", "a")}
    if "long" in words:
        counted |= _DURATIONS
    # "$ 2 per square foot" with lengths in feet: a rate per area the lengths make.
    counted |= {p for q in quantities for p in q.per if _unit_counts(p).keys() <= counted}
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


_PARTS = frozenset(["and", ",", "but", "while", "whereas"])


def _said_again(
    statements: list[list[_Item]], question: list[_Item]
) -> tuple[list[list[_Item]], list[_Item]]:
    """ "made $ 120 in the first 20 days and $ 66 in the other 16 days. How much per day in
    the first 20 days?": a number the question repeats, with its noun, names the part of
    the story it is about (the clause that said it), and is no number of its own."""
    for k, item in enumerate(question):
        if item.word != "#" or k + 1 >= len(question) or not _is_noun(question[k + 1].word):
            continue
        for n, sentence in enumerate(statements):
            said = [
                j
                for j, x in enumerate(sentence[:-1])
                if x.word == "#"
                and x.value == item.value
                and _singular(sentence[j + 1].word) == _singular(question[k + 1].word)
            ]
            if len(said) != 1:
                continue
            j = said[0]
            start = max((m + 1 for m in range(j) if sentence[m].word in _PARTS), default=0)
            end = next((m for m in range(j, len(sentence)) if sentence[m].word in _PARTS), None)
            if start == 0 and end is None:
                continue  # the sentence is one part: nothing to choose
            # The subject and verb the first part gives the others ("made $ 120 ...").
            first = next((m for m, x in enumerate(sentence) if x.word == "#"), 0)
            part = [*sentence[:first], *sentence[max(start, first) : end]]
            statements = [*statements[:n], part, *statements[n + 1 :]]
            return statements, [*question[:k], *question[k + 1 :]]
    return statements, question


def _when_done(question: list[_Item]) -> list[_Item]:
    """ "How many trees will the park have when the workers are finished?": a "when" clause
    with no number, closing the question, says at what time, not of whom it asks."""
    words = [x.word for x in question]
    if "when" not in words[2:] or words[:2] not in (["how", "many"], ["how", "much"]):
        return question
    k = words.index("when", 2)
    if "#" in words[k:] or not {"will", "would"} & set(words[:k]):
        return question
    return [*question[:k], *question[-1:]] if words[-1] in ("?", ".") else question[:k]


def _neither_nor(question: list[_Item]) -> list[_Item]:
    """ "How many are neither red nor green?" asks what "not red or green" does."""
    if not any(x.word == "neither" for x in question):
        return question
    words = {"neither": "not", "nor": "or"}
    return [_Item(words[x.word]) if x.word in words else x for x in question]


def _compared_to(question: list[_Item]) -> list[_Item]:
    """ "How many more pupils were there compared to parents?": "compared to" (or "with")
    says what "than" does."""
    out: list[_Item] = []
    for item in question:
        if item.word in ("to", "with") and out and out[-1].word == "compared":
            out[-1] = _Item("than")
        else:
            out.append(item)
    return _more_unsaid(out)


def _more_unsaid(question: list[_Item]) -> list[_Item]:
    """ "How much money did he spend to buy chocolate than he did to buy candy bar?": a
    "than" with no word that compares before it says "more" after "much" (or "many")."""
    words = [x.word for x in question]
    if "than" not in words or _COMPARE & set(words[: words.index("than")]):
        return question
    at = next(
        (k for k, w in enumerate(words[:-1]) if w == "how" and words[k + 1] in ("much", "many")),
        None,
    )
    if at is None or at + 2 > words.index("than"):
        return question
    return [*question[: at + 2], _Item("more"), *question[at + 2 :]]


def _size_asked(question: list[_Item], statements: Sequence[list[_Item]]) -> list[_Item]:
    """ "How big is each group (of bananas)?" asks how many of the things put into the
    groups each one holds: read as "how many bananas are in each group"."""
    words = [x.word for x in question]
    at = next((k for k, w in enumerate(words[:-4]) if w == "how" and words[k + 1] in _SIZES), -1)
    if at < 0 or words[at + 2] not in ("is", "are") or words[at + 3] != "each":
        return question
    group = _singular(words[at + 4])
    of = words[at + 5 : at + 7]
    thing = _singular(of[1]) if len(of) == 2 and of[0] == "of" else ""
    rest = at + 7 if thing else at + 5
    for sentence in statements:
        for k, item in enumerate(sentence[:-1]):
            into = k > 0 and sentence[k - 1].word in _GROUPING and item.word == "#"
            if not thing and into and _noun_after(sentence, k)[0] == group:
                thing = _grouped(sentence, k)
    if not thing or not _is_noun(thing):
        return question
    asked = ["how", "many", thing, "are", "in", "each", group]
    return [*question[:at], *(_Item(w) for w in asked), *question[rest:]]


_SIZES = frozenset(["big", "large"])


def _average(quantities: Sequence[Quantity], question: Sequence[_Item]) -> Reading | None:
    """ "What is the average number of carnations in the bouquets?": the sum of the story's
    amounts of one unit over how many there are, no tree of them (none divides by a count
    the story never says). A number equal to that count and of another unit ("in her three
    quizzes") counts them and is left out of the sum. Not an average speed: a distance
    over a time, which the units read."""
    words = {x.word for x in question}
    if not quantities or "average" not in words or "speed" in words:
        return None
    if any(q.per or q.scaled for q in quantities) or len({q.sign for q in quantities}) > 1:
        return None  # "sold 30 buns and 42 buns": all taken is alike; some taken is no average
    units = Counter(q.unit for q in quantities)
    (unit, count), *_ = units.most_common()
    others = [q for q in quantities if q.unit != unit]
    # Two units as common ("2 pens and 2 pencils") leave it unsaid which is averaged.
    if count < 2 or list(units.values()).count(count) > 1:
        return None
    if len(others) > 1 or any(q.value != count for q in others):
        return None
    total = " + ".join(q.text for q in quantities if q.unit == unit)
    numbers = tuple(q.text for q in quantities)
    return Reading(f"({total}) / {count}", _explain(quantities), numbers)


def _explain(quantities: Sequence[Quantity]) -> str:
    parts = []
    for q in quantities:
        unit = f" {q.unit}" if q.unit else ""
        per = "".join(f" per {p}" for p in q.per)
        taken = " (taken away)" if q.sign < 0 else ""
        parts.append(f"{q.text}{unit}{per}{taken}")
    return "; ".join(parts)


_PARTITIVE = frozenset(["them", "the", "those", "these"])


def _partitive_values(statements: Sequence[list[_Item]]) -> list[tuple[int, Fraction]]:
    """(sentence index, value) of each number said as a part of what was counted before
    it: "16 of them", "35 of the shirts"."""
    found = []
    for n, sentence in enumerate(statements):
        for k, x in enumerate(sentence[:-2]):
            of_them = sentence[k + 1].word == "of" and sentence[k + 2].word in _PARTITIVE
            if x.word == "#" and x.value is not None and of_them:
                found.append((n, x.value))
    return found


def _negated(words: Iterable[str]) -> bool:
    return any(w == "not" or w.endswith("n't") for w in words)


def _a_rate(q: Quantity, units: set[str]) -> bool:
    """Whether `q` is per something the story counts: "7 of them" read as per "company"
    (the sentence's subject) is a count, as `_counted_pers` finds later."""
    return bool(set(q.per) & units)


def _part_of_them(
    quantities: list[Quantity], statements: Sequence[list[_Item]], question: Sequence[_Item]
) -> list[Quantity]:
    """ "Bianca picked 26 and her mother 15. If only 16 of the carrots were good, how many
    were bad?": a number said "of them" is a part of the counts said just before it, so
    the rest is their sum less that part (26 + 15 - 16), not the three summed. Not when
    the question asks for that part itself: it repeats the part's words, as negated or
    not as they were ("8 of them were not working ... how many were not working")."""
    parts = _partitive_values(statements)
    if len(parts) != 1 or any(q.side for q in quantities):
        return quantities
    where, value = parts[0]
    at = [k for k, q in enumerate(quantities) if q.value == value]
    kind = _focus(question).kind
    # What a rate can be per: a thing counted, or the thing asked ("how many bouquets").
    units = {q.unit for q in quantities} | ({kind.unit} if kind is not None else set())
    if len(at) != 1 or _a_rate(quantities[at[0]], units) or quantities[at[0]].scaled:
        return quantities
    part = quantities[at[0]]
    # The counts "them" are: those of the part's sentence and of the last sentence
    # before it that says a count, not only rates ("with 8 flowers in each one").
    counts = {q.value for q in quantities[: at[0]] if not _a_rate(q, units) and not q.scaled}
    said = {x.value for x in statements[where] if x.word == "#"}
    earlier = [s for s in statements[:where] if any(x.value in counts for x in s)]
    if earlier:
        said |= {x.value for x in earlier[-1] if x.word == "#"}
    whole = [
        k
        for k, q in enumerate(quantities[: at[0]])
        if q.value in said and q.value in counts and q.sign > 0
    ]
    if not whole:
        return quantities
    if part.sign < 0 and len({quantities[k].unit for k in whole}) < 2:
        return quantities  # "ate 8 of them": taken from one count, as read already
    words = [x.word for x in question]
    repeated = part.clause & _stems(words) - {part.unit, _stem(part.unit)}
    said_negated = _negated(x.word for x in statements[where])
    if repeated and said_negated == _negated(words):
        return quantities  # the part is what is asked
    counted = {q.unit for q in quantities} | {p for q in quantities for p in q.per}
    # The name the question gives them, unless a rate is per the part's own unit ("sell
    # the working games for $ 7 each ... how much money"): then they stay games.
    priced = any(part.unit in q.per for q in quantities)
    named = kind is not None and kind.unit not in counted and not priced
    unit = kind.unit if kind is not None and named else part.unit
    sides = {k: 1 for k in whole} | {at[0]: -1}
    return [
        replace(q, unit=unit, per=(), sign=1, side=sides[k]) if k in sides else q
        for k, q in enumerate(quantities)
    ]


def _persons_of_a_rate(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "Each van can hold 5 people and there are 12 students and 3 adults going. How many
    vans?": a rate that holds "people" holds persons of every sort, so the sorts the story counts
    are counted as people. Not when the question names a sort of person: "how many vans
    do the students need" is of the students only."""
    persons = _PERSONS | {"people"}
    if not any(q.per and q.unit == "people" for q in quantities):
        return quantities
    counts = {q.unit for q in quantities if not q.per and q.unit in _PERSONS}
    named = {_singular(x.word) for x in question} & persons
    if not counts or named:
        return quantities
    return [
        replace(q, unit="people") if not q.per and q.unit in _PERSONS and not q.scaled else q
        for q in quantities
    ]


def _kinds_of_a_rate(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "Each flower was 3 dollars. Zoe bought 8 roses and 2 daisies": a price per a thing
    no number counts, with counts of two kinds or more, said alike, and of nothing else,
    is the price of each of them (roses and daisies are flowers). Not when the question
    names one kind: "how much did the roses cost" is of the roses only."""
    pers = {p for q in quantities for p in q.per}
    counts = [q for q in quantities if not q.per and not q.scaled]
    kinds = {q.unit for q in counts}
    rated = {q.unit for q in quantities if q.per}  # a price: not "groups of 6 eggs"
    if len(pers) != 1 or len(kinds) < 2 or kinds & pers or "" in kinds or not rated <= _MONEY:
        return quantities
    named = {_singular(x.word) for x in question}
    if named & kinds or len({q.verb for q in counts} | {""}) != 2:
        return quantities  # the kinds are said alike, of one verb: "bought 8 roses and 2"
    thing = next(iter(pers))
    return [replace(q, unit=thing) if q in counts else q for q in quantities]


def _asked_as_what_a_rate_is_per(quantities: list[Quantity], question: list[_Item]) -> list[_Item]:
    """ "9 cookies in each bag ... how many baggies could she make?": a thing asked that
    no number counts nor is per, in a story with one rate per a thing no number counts,
    is that thing (the bags), named another way."""
    words = [x.word for x in question]
    at = next((k + 2 for k in range(len(words) - 2) if words[k : k + 2] == ["how", "many"]), 0)
    if not at or not _is_noun(words[at]) or not _plural(words[at]):
        return question
    asked = _singular(words[at])
    units = {q.unit for q in quantities}
    pers = {p for q in quantities for p in q.per}
    compared = {_singular(q.than) for q in quantities}  # "more cats than dogs": dogs said
    if asked in units | pers | compared or len(pers - units) != 1:
        return question
    thing = next(iter(pers - units))
    # Not a measure ("how many weeks", with "20 pages a day") nor a person ("how many
    # pupils", with "in a school"): those are other things, not the rate's named again.
    measures = _DURATIONS | _LENGTHS | _MONEY | _PERSONS | {"people"}
    if {asked, thing} & measures:
        return question
    return [*question[:at], _Item(thing), *question[at + 1 :]]


_BUYING = frozenset(["buy", "afford", "purchase"])


def _bought_unnamed(quantities: list[Quantity], question: list[_Item]) -> list[_Item]:
    """ "Candy cost 4 tickets a piece, how many could he buy?": "how many" with no noun,
    of buying, asks for what the one price is per (pieces), bought with all there is."""
    words = [x.word for x in question]
    at = next((k + 2 for k in range(len(words) - 2) if words[k : k + 2] == ["how", "many"]), 0)
    if not at or words[at] not in _AUX or not _BUYING & set(words):
        return question
    units = {q.unit for q in quantities}
    pers = {p for q in quantities if q.per for p in q.per} - units
    if len(pers) != 1 or pers & (_DURATIONS | _LENGTHS | _MONEY):
        return question
    return [*question[:at], _Item(pers.pop()), *question[at:]]


def _compound_per(quantities: list[Quantity], statements: Sequence[list[_Item]]) -> list[Quantity]:
    """ "Each chocolate bar in a box cost $3 ... 7 bars": a rate read as per the first noun
    of "each chocolate bar", which nothing counts, is per the noun after it when that is
    what the story counts (bars)."""
    units = {q.unit for q in quantities}
    heads: dict[str, str] = {}
    for sentence in statements:
        for a, b, c in zip(sentence, sentence[1:], sentence[2:], strict=False):
            if a.word in ("each", "every") and _is_noun(b.word) and _is_noun(c.word):
                head = _singular(c.word)
                if _singular(b.word) not in units and head in units and not _verb_stem(c.word):
                    heads.setdefault(_singular(b.word), head)
    if not heads:
        return quantities
    return [
        replace(q, per=tuple(heads.get(p, p) for p in q.per)) if q.per else q for q in quantities
    ]


def _all_but(quantities: list[Quantity], statements: Sequence[list[_Item]]) -> list[Quantity]:
    """ "A box had 13 bars and Zoe sold all but 6 bars": what was done is the whole less
    the number after "all but" (13 - 6), whatever the verb says of the 6."""
    values = [
        c.value
        for sentence in statements
        for a, b, c in zip(sentence, sentence[1:], sentence[2:], strict=False)
        if (a.word, b.word, c.word) == ("all", "but", "#")
    ]
    at = [k for k, q in enumerate(quantities) if values and q.value == values[0] and not q.per]
    if len(values) != 1 or len(at) != 1:
        return quantities
    but = quantities[at[0]]
    whole = [k for k, q in enumerate(quantities[: at[0]]) if q.unit == but.unit and not q.scaled]
    if len(whole) != 1:
        return quantities
    sides = {whole[0]: 1, at[0]: -1}
    return [
        replace(q, sign=1, side=sides[k]) if k in sides else q for k, q in enumerate(quantities)
    ]


def _priced_nouns(quantities: list[Quantity], sentences: Sequence[list[_Item]]) -> list[Quantity]:
    """ "how many 2 dollar games could he buy": a number before a singular unit of money
    and a noun is a price, dollars per game, not a count of games."""
    priced: dict[Fraction, str] = {}
    for sentence in sentences:
        for a, b, c in zip(sentence, sentence[1:], sentence[2:], strict=False):
            money = _SYNONYMS.get(b.word, b.word)
            if a.word == "#" and a.value is not None and money in _MONEY and _is_noun(c.word):
                priced.setdefault(a.value, money)
    return [
        replace(q, unit=priced[q.value], per=(q.unit,))
        if q.value in priced and not q.per and q.unit not in _MONEY and q.unit
        else q
        for q in quantities
    ]


def _price_unasked(question: list[_Item]) -> list[_Item]:
    """ "how many 2 dollar games": the games are asked, the price said of them."""
    words = [x.word for x in question]
    for k in range(len(words) - 4):
        if (
            words[k : k + 3] == ["how", "many", "#"]
            and _SYNONYMS.get(words[k + 3], words[k + 3]) in _MONEY
        ):
            return [*question[: k + 2], *question[k + 4 :]]
    return question


def _kinds_in_each(quantities: list[Quantity], question: Sequence[_Item]) -> list[Quantity]:
    """ "8 cages. Each cage has 2 parrots and 7 parakeets. How many birds?": a thing asked
    that no number counts, in a story whose rates are all per one thing and of two kinds
    or more, is every kind (2 + 7 birds a cage)."""
    kind = _focus(question).kind
    units = {q.unit for q in quantities}
    rates = [q for q in quantities if _a_rate(q, units)]  # not "8 cages" per "pet store"
    if kind is None or len(rates) < 2 or any(kind.unit in (q.unit, *q.per) for q in quantities):
        return quantities
    pers = {q.per for q in rates}
    kinds = {q.unit for q in rates}
    counted = {q.unit for q in quantities if q not in rates}
    if len(pers) != 1 or len(kinds) != len(rates) or kinds & counted or "" in kinds:
        return quantities
    return [replace(q, unit=kind.unit) if q in rates else q for q in quantities]


def _kinds_said_alike(
    quantities: list[Quantity], statements: Sequence[list[_Item]], question: Sequence[_Item]
) -> list[Quantity]:
    """ "Katie made pastries. She baked 7 cupcakes and 5 cookies. How many pastries did
    she sell?": a thing asked that no number counts nor is per, but that the story names,
    in a story that counts two kinds or more with one verb and has no rate, is every kind
    it counts. Not a thing the story never names: "2 cats and 3 dogs. How many birds?"."""
    kind = _focus(question).kind
    if kind is None or any(q.per or q.scaled for q in quantities):
        return quantities
    if all(_singular(x.word) != kind.unit for s in statements for x in s):
        return quantities
    if any(q.unit == kind.unit for q in quantities):
        return quantities
    verbs: dict[str, set[str]] = {}
    for q in quantities:
        verbs.setdefault(q.verb, set()).add(q.unit)
    if not any(verb and len(units) >= 2 for verb, units in verbs.items()):
        return quantities
    return [replace(q, unit=kind.unit) for q in quantities]
