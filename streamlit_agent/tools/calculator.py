"""A safe arithmetic calculator tool.

The expression is parsed with `ast.parse(..., mode="eval")` and the tree is walked
here: nothing the user typed is ever executed by Python. Only numbers, arithmetic
operators and a short list of math functions and constants are understood; the
work is bounded (input length, nesting depth, size of results) so that an
expression like `9**9**9` is refused at once instead of freezing the app.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass

from langchain_core.tools import tool

Number = int | float

MAX_EXPRESSION_CHARS = 500
MAX_DEPTH = 100
# CPython refuses to turn ints of more than 4300 digits into text, so stay below that.
MAX_RESULT_DIGITS = 4000
MAX_FACTORIAL = 1000
MAX_ROUND_DIGITS = 100

_RESULT_LIMIT = 10**MAX_RESULT_DIGITS
_LOG2_10 = math.log2(10)

# Symbols people (and models) paste from prose; `^` is meant as a power, not XOR.
# Small models write "{(37 * 41)}" or "[2 + 3] * 2": braces and brackets group like parentheses.
_NORMALISE = str.maketrans(
    {"×": "*", "÷": "/", "−": "-", "–": "-", "·": "*", "{": "(", "}": ")", "[": "(", "]": ")"}
)


class CalculatorError(ValueError):
    """An expression the calculator refuses or cannot evaluate; the message says why."""


@dataclass(frozen=True)
class _Function:
    impl: Callable[..., Number]
    min_args: int
    max_args: int


def _sqrt(x: Number) -> float:
    if x < 0:
        raise CalculatorError("sqrt() of a negative number is not a real number")
    return math.sqrt(x)


def _log(x: Number, base: Number | None = None) -> float:
    if x <= 0:
        raise CalculatorError("log() is only defined for positive numbers")
    if base is None:
        return math.log(x)
    if base <= 0 or base == 1:
        raise CalculatorError("log() base must be positive and different from 1")
    return math.log(x, base)


def _log10(x: Number) -> float:
    if x <= 0:
        raise CalculatorError("log10() is only defined for positive numbers")
    return math.log10(x)


def _round(x: Number, ndigits: Number | None = None) -> Number:
    if ndigits is None:
        return round(x)
    if not _is_integral(ndigits):
        raise CalculatorError("round() digits must be a whole number")
    # round(x, -n) on an int builds 10**n, so n must stay small.
    if abs(ndigits) > MAX_ROUND_DIGITS:
        raise CalculatorError(
            f"round() digits must be between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}"
        )
    return round(x, int(ndigits))


def _factorial(n: Number) -> int:
    if not _is_integral(n) or n < 0:
        raise CalculatorError("factorial() is only defined for non-negative whole numbers")
    if n > MAX_FACTORIAL:
        raise CalculatorError(f"factorial() argument is too large (the limit is {MAX_FACTORIAL})")
    return math.factorial(int(n))


_FUNCTIONS: dict[str, _Function] = {
    "sqrt": _Function(_sqrt, 1, 1),
    "sin": _Function(math.sin, 1, 1),
    "cos": _Function(math.cos, 1, 1),
    "tan": _Function(math.tan, 1, 1),
    "log": _Function(_log, 1, 2),
    "ln": _Function(_log, 1, 1),
    "log10": _Function(_log10, 1, 1),
    "exp": _Function(math.exp, 1, 1),
    "abs": _Function(abs, 1, 1),
    "round": _Function(_round, 1, 2),
    "floor": _Function(math.floor, 1, 1),
    "ceil": _Function(math.ceil, 1, 1),
    "factorial": _Function(_factorial, 1, 1),
}

_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_BINARY_SYMBOLS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}

# What to call the constructs we refuse, so the message names them plainly.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.Set: "sets are",
    ast.Dict: "dictionaries are",
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "boolean operators are",
    ast.IfExp: "conditional expressions are",
    ast.JoinedStr: "strings are",
    ast.NamedExpr: "assignments are",
    ast.Starred: "starred arguments are",
    ast.Slice: "slices are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}


def _is_integral(value: Number) -> bool:
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _refuse(what: str) -> CalculatorError:
    return CalculatorError(f"Unsupported expression: {what} not allowed")


def _check_result(value: object) -> Number:
    if isinstance(value, complex):
        raise CalculatorError("The result is not a real number")
    if isinstance(value, float):
        if math.isnan(value):
            raise CalculatorError("The result is not a number")
        if math.isinf(value):
            raise CalculatorError("The result is too large to represent")
    elif isinstance(value, int) and abs(value) >= _RESULT_LIMIT:
        raise CalculatorError(f"The result is too large (more than {MAX_RESULT_DIGITS} digits)")
    return value  # type: ignore[return-value]


def _check_power(base: Number, exponent: Number) -> None:
    # Estimate the size before computing: 9**9**9 would otherwise run for minutes.
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0:
        return  # float powers are O(1) and overflow with an OverflowError instead
    if abs(base) <= 1:
        return
    digits = exponent * math.log10(abs(base))
    if digits > MAX_RESULT_DIGITS:
        raise CalculatorError(
            f"The result would be too large (about {_approx(digits)} digits; "
            f"the limit is {MAX_RESULT_DIGITS})"
        )


def _check_product(left: Number, right: Number) -> None:
    if isinstance(left, int) and isinstance(right, int):
        bits = abs(left).bit_length() + abs(right).bit_length()
        if bits > MAX_RESULT_DIGITS * _LOG2_10 + 2:
            raise CalculatorError(
                f"The result would be too large (more than {MAX_RESULT_DIGITS} digits)"
            )


def _approx(digits: float) -> str:
    return f"{digits:,.0f}" if digits < 1e15 else f"{digits:.3g}"


def _binary(op: ast.operator, left: Number, right: Number) -> Number:
    if isinstance(op, ast.Add):
        return left + right
    if isinstance(op, ast.Sub):
        return left - right
    if isinstance(op, ast.Mult):
        _check_product(left, right)
        return left * right
    if isinstance(op, ast.Div):
        return left / right
    if isinstance(op, ast.FloorDiv):
        return left // right
    if isinstance(op, ast.Mod):
        return left % right
    if isinstance(op, ast.Pow):
        _check_power(left, right)
        return left**right
    symbol = _BINARY_SYMBOLS.get(type(op), type(op).__name__)
    raise _refuse(f"the operator '{symbol}' is")


class _Evaluator:
    def evaluate(self, node: ast.AST, depth: int = 0) -> Number:
        # Our own limit keeps the walk far from Python's recursion limit.
        if depth > MAX_DEPTH:
            raise _too_deep()
        try:
            return _check_result(self._evaluate(node, depth + 1))
        except ZeroDivisionError:
            raise CalculatorError("Division by zero is undefined") from None
        except OverflowError:
            raise CalculatorError("The result is too large to represent") from None

    def _evaluate(self, node: ast.AST, depth: int) -> Number:
        if isinstance(node, ast.Expression):
            return self.evaluate(node.body, depth)
        if isinstance(node, ast.Constant):
            return self._constant(node.value)
        if isinstance(node, ast.BinOp):
            # A flat sum like 1 + 2 + ... + 200 is a left-leaning chain in the tree; walk it
            # in a loop so that only real nesting counts against the depth limit.
            chain: list[ast.BinOp] = []
            while isinstance(node, ast.BinOp):
                chain.append(node)
                node = node.left
            value = self.evaluate(node, depth)
            for link in reversed(chain):
                right = self.evaluate(link.right, depth)
                value = _check_result(_binary(link.op, value, right))
            return value
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.evaluate(node.operand, depth)
            if isinstance(node.op, ast.UAdd):
                return +self.evaluate(node.operand, depth)
            symbol = "not" if isinstance(node.op, ast.Not) else "~"
            raise _refuse(f"the operator '{symbol}' is")
        if isinstance(node, ast.Name):
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            if node.id in _FUNCTIONS:
                raise CalculatorError(f"{node.id} is a function: call it like {node.id}(2)")
            raise CalculatorError(
                f"Unknown name '{node.id}': the only constants are {', '.join(_CONSTANTS)}"
            )
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        what = _REFUSED.get(type(node), f"{type(node).__name__} expressions are")
        raise _refuse(what)

    def _constant(self, value: object) -> Number:
        # bool is a subclass of int, so test it first.
        if isinstance(value, bool):
            raise _refuse("booleans are")
        if isinstance(value, int | float):
            return value
        if isinstance(value, complex):
            raise _refuse("complex numbers are")
        if isinstance(value, str | bytes):
            raise _refuse("strings are")
        raise _refuse(f"the value {value!r} is")

    def _call(self, node: ast.Call, depth: int) -> Number:
        if isinstance(node.func, ast.Attribute):
            raise _refuse("attribute access is")
        if not isinstance(node.func, ast.Name):
            raise CalculatorError(
                "Unsupported expression: only the listed functions can be called "
                "(write '2 * (3 + 4)' to multiply, not '2 (3 + 4)')"
            )
        name = node.func.id
        function = _FUNCTIONS.get(name)
        if function is None:
            raise CalculatorError(
                f"Unsupported expression: the function '{name}' is not allowed; "
                f"available: {', '.join(_FUNCTIONS)}"
            )
        if node.keywords:
            raise _refuse("keyword arguments are")
        count = len(node.args)
        if not function.min_args <= count <= function.max_args:
            expected = (
                str(function.min_args)
                if function.min_args == function.max_args
                else f"{function.min_args} or {function.max_args}"
            )
            plural = "" if expected == "1" else "s"
            raise CalculatorError(f"{name}() takes {expected} argument{plural} ({count} given)")
        args = [self.evaluate(arg, depth) for arg in node.args]
        try:
            return function.impl(*args)
        except CalculatorError:
            raise
        except (ValueError, TypeError) as exc:
            # math raises a bare "math domain error"; name the function instead.
            raise CalculatorError(f"{name}() is not defined for this value ({exc})") from None


def _too_deep() -> CalculatorError:
    return CalculatorError(f"The expression is nested too deeply (the limit is {MAX_DEPTH} levels)")


def _max_bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def normalise(expression: str) -> str:
    """The expression with prose symbols (× ÷ − ^ and {} []) turned into Python operators."""
    text = expression.strip().translate(_NORMALISE).replace("^", "**")
    # "2 + 2 =" is a common way of asking; the trailing "=" means nothing here.
    return text.removesuffix("=").rstrip()


def evaluate(expression: str) -> int | float:
    """The value of an arithmetic expression; `CalculatorError` says why one is refused."""
    stripped = expression.strip()
    if not stripped:
        raise CalculatorError("The expression is empty: give one such as '2 * (3 + 4)'")
    if len(stripped) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(
            f"Expression is too long ({len(stripped)} characters; "
            f"the limit is {MAX_EXPRESSION_CHARS})"
        )
    text = normalise(stripped)
    # Brackets leave no node in the tree, so count them before parsing.
    if _max_bracket_depth(text) > MAX_DEPTH:
        raise _too_deep()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise CalculatorError(f"Invalid expression: {exc.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise _too_deep() from None
    return _Evaluator().evaluate(tree)


def format_number(value: int | float) -> str:
    """`value` as text: ints exactly, whole floats without ".0", others to 12 significant digits."""
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.12g}"


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression exactly, e.g. '37 * 41' or '(2 + 3)^2 / sqrt(2)'.

    Understands numbers, + - * / // % ** (or ^), parentheses, the functions sqrt, sin,
    cos, tan (radians), log(x) (natural) or log(x, base), log10, exp, abs, round, floor,
    ceil, factorial, and the constants pi and e. Use it instead of mental arithmetic.
    """
    try:
        return format_number(evaluate(expression))
    except CalculatorError as exc:
        return f"Error: {exc}"
