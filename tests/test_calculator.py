from __future__ import annotations

import time

import pytest

from streamlit_agent.tools import calculator as calculator_module
from streamlit_agent.tools.calculator import (
    MAX_EXPRESSION_CHARS,
    CalculatorError,
    calculator,
    evaluate,
    format_number,
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("37 * 41", "1517"),
        ("2 + 3 * 4", "14"),
        ("(2 + 3) * 4", "20"),
        ("2 ** 3 ** 2", "512"),  # power is right-associative
        ("-2 ** 2", "-4"),  # unary minus binds looser than power
        ("(-2) ** 2", "4"),
        ("-3 + +5", "2"),
        ("--4", "4"),
        ("7 // 2", "3"),
        ("-7 % 3", "2"),
        ("1 / 4", "0.25"),
        ("1 / 3", "0.333333333333"),
        ("0.1 + 0.2", "0.3"),
        ("10 / 2", "5"),
        ("2**10", "1024"),
        ("2^10", "1024"),
        ("3 × 4 − 2 ÷ 4", "11.5"),
        ("2 + 2 =", "4"),
        ("sqrt(16)", "4"),
        ("sqrt(2)", "1.41421356237"),
        ("log(8, 2)", "3"),
        ("log(e)", "1"),
        ("log10(1000)", "3"),
        ("exp(0)", "1"),
        ("sin(pi / 2)", "1"),
        ("cos(0)", "1"),
        ("tan(0)", "0"),
        ("abs(-3.5)", "3.5"),
        ("round(2.567, 2)", "2.57"),
        ("round(1234, -2)", "1200"),
        ("floor(2.5) + ceil(2.5)", "5"),
        ("factorial(5)", "120"),
        ("pi", "3.14159265359"),
        ("2 ** -2", "0.25"),
        ("1e3", "1000"),
    ],
)
def test_evaluates(expression: str, expected: str) -> None:
    assert calculator.invoke({"expression": expression}) == expected


def test_big_integers_stay_exact() -> None:
    assert evaluate("2 ** 100") == 1267650600228229401496703205376
    assert format_number(evaluate("factorial(30)")) == "265252859812191058636308480000000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1517, "1517"),
        (-3, "-3"),
        (4.0, "4"),
        (-0.0, "0"),
        (2.5, "2.5"),
        (1 / 3, "0.333333333333"),
        (123456789012345.0, "123456789012345"),
        (1e20, "1e+20"),
        (1.5e-7, "1.5e-07"),
    ],
)
def test_format_number(value: float, expected: str) -> None:
    assert format_number(value) == expected


def test_power_tower_is_refused_quickly() -> None:
    for expression in ("9**9**9", "10**10**10", "9^9^9^9"):
        start = time.perf_counter()
        with pytest.raises(CalculatorError, match="too large"):
            evaluate(expression)
        assert time.perf_counter() - start < 1.0


def test_large_results_are_bounded() -> None:
    assert len(format_number(evaluate("10 ** 3999"))) == 4000
    with pytest.raises(CalculatorError, match="too large"):
        evaluate("10 ** 4000")
    with pytest.raises(CalculatorError, match="too large"):
        evaluate("(10 ** 3000) * (10 ** 3000)")
    with pytest.raises(CalculatorError, match="too large"):
        evaluate("exp(1000)")
    with pytest.raises(CalculatorError, match="too large"):
        evaluate("1e308 * 10")
    with pytest.raises(CalculatorError, match="limit is 1000"):
        evaluate("factorial(1001)")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "the function '__import__' is not allowed"),
        ("__import__('os').system('true')", "attribute access is not allowed"),
        ("().__class__", "attribute access is not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "attribute access is not allowed"),
        ("a.b", "attribute access is not allowed"),
        ("[1, 2]", "tuples are not allowed"),  # brackets group like parentheses
        ("(1, 2)", "tuples are not allowed"),
        ("{1, 2}", "tuples are not allowed"),
        ("'x' * 3", "strings are not allowed"),
        ("f'{1}'", "strings are not allowed"),
        ("lambda: 1", "lambdas are not allowed"),
        ("[x for x in (1, 2)]", "comprehensions are not allowed"),
        ("(1, 2)[0]", "only the listed functions can be called"),
        ("1 < 2", "comparisons are not allowed"),
        ("1 if 1 else 2", "conditional expressions are not allowed"),
        ("1 << 3", "the operator '<<' is not allowed"),
        ("True + 1", "booleans are not allowed"),
        ("1j", "complex numbers are not allowed"),
        ("x + 1", "Unknown name 'x'"),
        ("open('f')", "the function 'open' is not allowed"),
        ("2 (3)", "only the listed functions can be called"),
        ("sqrt(x=4)", "keyword arguments are not allowed"),
    ],
)
def test_refuses_anything_but_arithmetic(expression: str, message: str) -> None:
    with pytest.raises(CalculatorError, match=r"Unsupported expression|Unknown name") as info:
        evaluate(expression)
    assert message in str(info.value)


def test_tool_reports_refusals_as_text() -> None:
    assert calculator.invoke({"expression": "__import__('os')"}).startswith(
        "Error: Unsupported expression: the function '__import__' is not allowed"
    )
    assert calculator.invoke({"expression": "().__class__"}) == (
        "Error: Unsupported expression: attribute access is not allowed"
    )


def test_long_expression_is_refused() -> None:
    expression = "1+" * 4999 + "1" + "1"
    assert len(expression) == 10000
    with pytest.raises(CalculatorError) as info:
        evaluate(expression)
    assert str(info.value) == (
        f"Expression is too long (10000 characters; the limit is {MAX_EXPRESSION_CHARS})"
    )


def test_deep_nesting_is_refused() -> None:
    thousand = "(" * 1000 + "1" + ")" * 1000
    with pytest.raises(CalculatorError, match="too long"):
        evaluate(thousand)
    # Within the length limit, the depth limit is what refuses it.
    for expression in ("(" * 150 + "1" + ")" * 150, "-" * 400 + "1", "abs(-" * 80 + "1" + ")" * 80):
        with pytest.raises(CalculatorError, match="nested too deeply"):
            evaluate(expression)
    assert evaluate("(" * 50 + "1" + ")" * 50) == 1


def test_depth_limit_holds_without_the_length_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calculator_module, "MAX_EXPRESSION_CHARS", 1_000_000)
    for expression in ("(" * 1000 + "1" + ")" * 1000, "-" * 10_000 + "1", "abs(-" * 3000 + "1)"):
        with pytest.raises(CalculatorError, match="nested too deeply"):
            evaluate(expression)


def test_long_flat_sums_are_not_deep() -> None:
    expression = "+".join(str(n) for n in range(1, 130))
    assert len(expression) <= MAX_EXPRESSION_CHARS
    assert evaluate(expression) == 129 * 130 // 2
    assert evaluate("2" + "*2" * 200) == 2**201


@pytest.mark.parametrize("expression", ["1 / 0", "1 // 0", "5 % 0", "0 ** -1", "1 / (2 - 2.0)"])
def test_division_by_zero(expression: str) -> None:
    with pytest.raises(CalculatorError, match="Division by zero"):
        evaluate(expression)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("sqrt(-1)", "not a real number"),
        ("(-8) ** (1 / 3)", "not a real number"),
        ("log(0)", "only defined for positive numbers"),
        ("log(8, 1)", "base must be positive"),
        ("factorial(-1)", "non-negative whole numbers"),
        ("factorial(2.5)", "non-negative whole numbers"),
        ("sqrt(1, 2)", "sqrt() takes 1 argument (2 given)"),
        ("log()", "log() takes 1 or 2 arguments (0 given)"),
        ("sin", "sin is a function"),
        ("2 +", "Invalid expression"),
        ("round(1, 1000)", "round() digits"),
    ],
)
def test_math_errors_are_explained(expression: str, message: str) -> None:
    with pytest.raises(CalculatorError) as info:
        evaluate(expression)
    assert message in str(info.value)


@pytest.mark.parametrize("expression", ["", "   ", "\n"])
def test_empty_input(expression: str) -> None:
    assert calculator.invoke({"expression": expression}).startswith(
        "Error: The expression is empty"
    )


def test_errors_are_value_errors() -> None:
    assert issubclass(CalculatorError, ValueError)


@pytest.mark.parametrize(
    ("expression", "expected"), [("{(37 * 41)}", "1517"), ("[2 + 3] * 2", "10")]
)
def test_braces_and_brackets_group_like_parentheses(expression: str, expected: str) -> None:
    # The bundled SmolLM2 model wraps expressions this way.
    assert format_number(evaluate(expression)) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("(lambda: 0)()", "only the listed functions can be called"),
        ("sqrt.__globals__", "attribute access is not allowed"),
        ("(1).__class__.__mro__", "attribute access is not allowed"),
        ("abs(*(1,))", "starred arguments are not allowed"),
        ("(x := 1)", "assignments are not allowed"),
        ("1 and 2", "boolean operators are not allowed"),
        ("not 1", "the operator 'not' is not allowed"),
        ("~1", "the operator '~' is not allowed"),
        ("None", "the value None is not allowed"),
        ("open(x=1)", "the function 'open' is not allowed"),
        ("int('7')", "the function 'int' is not allowed"),  # not simpleeval's default functions
        ("True", "booleans are not allowed"),  # nor its default names
    ],
)
def test_refuses_escapes_and_other_constructs(expression: str, message: str) -> None:
    with pytest.raises(CalculatorError, match="Unsupported expression") as info:
        evaluate(expression)
    assert message in str(info.value)


@pytest.mark.parametrize("expression", ["x = 1", "import os", "1; 2"])
def test_statements_are_not_expressions(expression: str) -> None:
    with pytest.raises(CalculatorError, match="Invalid expression"):
        evaluate(expression)


def test_huge_powers_of_computed_values_are_refused_quickly() -> None:
    for expression in (
        "factorial(1000) ^ factorial(1000)",
        "(10 ** 3999) ** 2",
        "2 ** 4000000",
        "2 ** 10 ** 10 ** 10",
    ):
        start = time.perf_counter()
        with pytest.raises(CalculatorError, match="too large"):
            evaluate(expression)
        assert time.perf_counter() - start < 1.0


def test_large_bases_are_not_capped() -> None:
    # The limit is on the size of the result, not on each operand.
    assert evaluate("12345678 ** 2") == 152415765279684
    assert evaluate("(10 ** 20) ** 2") == 10**40


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("abs((-8) ** 0.5)", "not a real number"),  # checked before abs() can hide it
        ("1e309", "too large to represent"),
        ("1e308 * 10 - 1e308 * 10", "too large to represent"),
        ("sin + 1", "sin is a function"),
    ],
)
def test_every_intermediate_value_is_checked(expression: str, message: str) -> None:
    with pytest.raises(CalculatorError) as info:
        evaluate(expression)
    assert message in str(info.value)
