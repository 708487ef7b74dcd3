"""A safe arithmetic calculator tool.

`ast.parse(..., mode="eval")` reads the expression and `simpleeval` evaluates it with a
whitelist of node types, operators, math functions and constants: nothing the user typed
is executed by Python. Input length, nesting depth and result size are bounded, so that
`9**9**9` is refused at once instead of freezing the app.
"""

from __future__ import annotations

import ast
import math
import operator as op
from collections import defaultdict
from collections.abc import Callable
from itertools import accumulate

import simpleeval
from langchain_core.tools import tool

Number = int | float

MAX_EXPRESSION_CHARS = 500
MAX_DEPTH = 100
# CPython refuses to turn ints of more than 4300 digits into text, so stay below that.
MAX_RESULT_DIGITS = 4000
MAX_FACTORIAL = 1000
MAX_ROUND_DIGITS = 100

# Symbols people (and models) paste from prose; `^` is meant as a power, not XOR.
# Small models write "{(37 * 41)}" or "[2 + 3] * 2": braces and brackets group like parentheses.
_NORMALISE = str.maketrans(
    {"×": "*", "÷": "/", "−": "-", "–": "-", "·": "*", "{": "(", "}": ")", "[": "(", "]": ")"}
)
_RESULT_LIMIT = 10**MAX_RESULT_DIGITS
_TOO_DEEP = f"The expression is nested too deeply (the limit is {MAX_DEPTH} levels)"


class CalculatorError(ValueError):
    """An expression the calculator refuses or cannot evaluate; the message says why."""


def _refuse(what: str) -> CalculatorError:
    return CalculatorError(f"Unsupported expression: {what} not allowed")


def _check_result(value: Number | complex) -> Number:
    # simpleeval has no notion of a result too large, complex or nan; every value passes here.
    if isinstance(value, complex):
        raise CalculatorError("The result is not a real number")
    if isinstance(value, float) and math.isnan(value):
        raise CalculatorError("The result is not a number")
    if isinstance(value, float) and math.isinf(value):
        raise CalculatorError("The result is too large to represent")
    if isinstance(value, int) and abs(value) >= _RESULT_LIMIT:
        raise CalculatorError(f"The result is too large (more than {MAX_RESULT_DIGITS} digits)")
    return value


def _is_integral(value: Number) -> bool:
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _checked(operator: Callable[[Number, Number], Number]) -> Callable[[Number, Number], Number]:
    return lambda left, right: _check_result(operator(left, right))


def _power(base: Number, exponent: Number) -> Number:
    # simpleeval's safe_power caps each operand at MAX_POWER, which lets 2**4000000 through
    # (1.2 million digits) yet refuses 12345678**2; estimate the result's digits instead.
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        digits = exponent * math.log10(abs(base))
        if digits > MAX_RESULT_DIGITS:
            approx = f"{digits:,.0f}" if digits < 1e15 else f"{digits:.3g}"
            raise CalculatorError(
                f"The result would be too large (about {approx} digits; "
                f"the limit is {MAX_RESULT_DIGITS})"
            )
    return _check_result(base**exponent)


# math says only "math domain error"; these wrappers say which values are allowed.
def _sqrt(x: Number) -> float:
    if x < 0:
        raise CalculatorError("sqrt() of a negative number is not a real number")
    return math.sqrt(x)


def _log(x: Number, base: Number | None = None) -> float:
    if x <= 0:
        raise CalculatorError("log() is only defined for positive numbers")
    if base is not None and (base <= 0 or base == 1):
        raise CalculatorError("log() base must be positive and different from 1")
    return math.log(x) if base is None else math.log(x, base)


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


_OPERATORS: dict[type[ast.AST], Callable[..., Number]] = {
    ast.Add: _checked(op.add),
    ast.Sub: _checked(op.sub),
    ast.Mult: _checked(op.mul),
    ast.Div: _checked(op.truediv),
    ast.FloorDiv: _checked(op.floordiv),
    ast.Mod: _checked(op.mod),
    ast.Pow: _power,
    ast.USub: op.neg,
    ast.UAdd: op.pos,
}
_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "sqrt": _sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "log": _log,
    "ln": _log,
    "log10": _log10,
    "exp": math.exp,
    "abs": abs,
    "round": _round,
    "floor": math.floor,
    "ceil": math.ceil,
    "factorial": _factorial,
}
_ONE_OR_TWO_ARGS = frozenset({"log", "round"})  # every other function takes exactly one
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

# simpleeval's own refusals name only the AST class; say in words what was refused.
_REFUSED = {
    ast.Attribute: "attribute access is",
    ast.Tuple: "tuples are",
    ast.JoinedStr: "strings are",
    ast.Lambda: "lambdas are",
    ast.GeneratorExp: "comprehensions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "boolean operators are",
    ast.IfExp: "conditional expressions are",
    ast.NamedExpr: "assignments are",
    ast.Starred: "starred arguments are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}
_LITERALS = {bool: "booleans are", complex: "complex numbers are", str: "strings are"}
_LITERALS[bytes] = "strings are"
_SYMBOLS = {"LShift": "<<", "RShift": ">>", "BitOr": "|", "BitAnd": "&", "MatMult": "@"}
_SYMBOLS |= {"Not": "not", "Invert": "~"}  # unary ones; `^` never gets here, it means power


class _Evaluator(simpleeval.SimpleEval):
    """simpleeval reduced to numbers, `_OPERATORS`, `_FUNCTIONS` and `_CONSTANTS`."""

    def __init__(self) -> None:
        super().__init__(operators=_OPERATORS, functions=_FUNCTIONS, names=_CONSTANTS)
        # Its default node table also evaluates strings, attributes, comparisons, subscripts...
        allowed = {ast.BinOp: self._eval_binop, ast.UnaryOp: self._eval_unaryop}
        allowed |= {ast.Constant: self._number, ast.Name: self._name, ast.Call: self._call}
        self.nodes = defaultdict(lambda: self._refused, allowed)

    def _refused(self, node: ast.AST) -> Number:
        raise _refuse(_REFUSED.get(type(node), f"{type(node).__name__} expressions are"))

    def _number(self, node: ast.Constant) -> Number:
        if type(node.value) not in (int, float):
            raise _refuse(_LITERALS.get(type(node.value), f"the value {node.value!r} is"))
        return _check_result(node.value)  # 1e999 reads as inf

    def _name(self, node: ast.Name) -> Number:
        # simpleeval would hand back the function object itself for a bare `sin`.
        if node.id in self.functions:
            raise CalculatorError(f"{node.id} is a function: call it like {node.id}(2)")
        return self._eval_name(node)

    def _call(self, node: ast.Call) -> Number:
        # simpleeval calls attributes, passes keywords on and leaves arity errors to Python.
        if isinstance(node.func, ast.Attribute):
            raise _refuse("attribute access is")
        if not isinstance(node.func, ast.Name):
            raise CalculatorError(
                "Unsupported expression: only the listed functions can be called "
                "(write '2 * (3 + 4)' to multiply, not '2 (3 + 4)')"
            )
        name, count = node.func.id, len(node.args)
        most = 2 if name in _ONE_OR_TWO_ARGS else 1
        # Unknown names are left to simpleeval's lookup.
        if name in self.functions and node.keywords:
            raise _refuse("keyword arguments are")
        if name in self.functions and not 1 <= count <= most:
            expected = "1 or 2 arguments" if most == 2 else "1 argument"
            raise CalculatorError(f"{name}() takes {expected} ({count} given)")
        try:
            return _check_result(self._eval_call(node))
        except CalculatorError:
            raise
        except (ValueError, TypeError) as exc:
            raise CalculatorError(f"{name}() is not defined for this value ({exc})") from None


def _check_depth(tree: ast.AST) -> None:
    # simpleeval recurses once per node with no limit of its own. 1 + 2 + 3 is a chain of left
    # operands, so a flat sum is one level; brackets left no node and were counted before.
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CalculatorError(_TOO_DEEP)
        for child in ast.iter_child_nodes(node):
            flat = isinstance(node, ast.BinOp) and child is node.left
            stack.append((child, depth if flat else depth + 1))


def _bracket_depth(text: str) -> int:
    return max(accumulate((char == "(") - (char == ")") for char in text), default=0)


def normalise(expression: str) -> str:
    """The expression with prose symbols (× ÷ − ^ and {} []) turned into Python operators."""
    text = expression.strip().translate(_NORMALISE).replace("^", "**")
    # "2 + 2 =" is a common way of asking; the trailing "=" means nothing here.
    return text.removesuffix("=").rstrip()


def _parse(expression: str) -> ast.Expression:
    stripped = expression.strip()
    if not stripped:
        raise CalculatorError("The expression is empty: give one such as '2 * (3 + 4)'")
    if len(stripped) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(
            f"Expression is too long ({len(stripped)} characters; "
            f"the limit is {MAX_EXPRESSION_CHARS})"
        )
    text = normalise(stripped)
    if _bracket_depth(text) > MAX_DEPTH:  # the parser itself recurses on brackets
        raise CalculatorError(_TOO_DEEP)
    try:
        # "eval" mode, not simpleeval's own parse: that one takes statements such as `x = 1`.
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise CalculatorError(f"Invalid expression: {exc.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise CalculatorError(_TOO_DEEP) from None
    _check_depth(tree)
    return tree


def evaluate(expression: str) -> int | float:
    """The value of an arithmetic expression; `CalculatorError` says why one is refused."""
    tree = _parse(expression)
    try:
        return _Evaluator().eval(expression, previously_parsed=tree.body)
    except ZeroDivisionError:
        raise CalculatorError("Division by zero is undefined") from None
    except OverflowError:
        raise CalculatorError("The result is too large to represent") from None
    except RecursionError:  # a long flat sum on an already deep stack
        raise CalculatorError(_TOO_DEEP) from None
    except simpleeval.FunctionNotDefined as exc:
        raise CalculatorError(
            f"Unsupported expression: the function '{exc.func_name}' is not allowed; "
            f"available: {', '.join(_FUNCTIONS)}"
        ) from None
    except simpleeval.NameNotDefined as exc:
        raise CalculatorError(
            f"Unknown name '{exc.name}': the only constants are {', '.join(_CONSTANTS)}"
        ) from None
    except simpleeval.OperatorNotDefined as exc:
        name = type(exc.attr).__name__
        raise _refuse(f"the operator '{_SYMBOLS.get(name, name)}' is") from None
    except simpleeval.InvalidExpression as exc:
        raise CalculatorError(f"Unsupported expression: {exc}") from None


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


# Its result is the app's own arithmetic, not text from elsewhere (agent/tool_runner.py).
calculator.metadata = {**(calculator.metadata or {}), "trusted_output": True}
