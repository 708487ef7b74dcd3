"""Settings: each declared once (config.py), read by load_settings alone, every unusable
value named with the default used instead, and the README's Configuration table in step."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from streamlit_agent.config import (
    MIN_SECRET_CHARS,
    Settings,
    configuration_problems,
    load_settings,
    setting_variables,
)

README = Path(__file__).resolve().parents[1] / "README.md"
FIELDS = Settings.model_fields
NUMBERS = sorted(
    v for v, name in setting_variables().items() if FIELDS[name].annotation in (int, float)
)


def test_built_by_field_name_it_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMLIT_AGENT_MAX_RUN_SECONDS", "5")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    built = Settings(max_iterations=3)
    assert built.max_iterations == 3
    assert built.max_execution_time_s == 120.0 and built.openai_api_key is None
    assert Settings() == load_settings(env={})


def test_settings_are_frozen_hashable_and_hide_their_secrets() -> None:
    key, secret = "sk-hidden-key-123", "s" * MIN_SECRET_CHARS
    built = Settings(openai_api_key=key, secret=secret)
    assert hash(built) == hash(Settings(openai_api_key=key, secret=secret))
    assert len({built, Settings(openai_api_key=key, secret=secret), Settings()}) == 2
    with pytest.raises(ValidationError):
        built.max_iterations = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Settings(max_iteration=3)  # type: ignore[call-arg]  # a misspelt name is not ignored
    assert key not in repr(built) and secret not in repr(built)
    assert built.with_api_key(None).openai_api_key == key
    assert built.with_api_key("sk-typed").openai_api_key == "sk-typed"


def test_every_setting_has_a_variable_and_a_one_line_description() -> None:
    for name, info in FIELDS.items():
        if name == "problems":  # what load_settings found, not something to set
            continue
        assert any(v == name for v in setting_variables().values()), name
        assert info.description and "\n" not in info.description, name


def test_a_bad_number_is_named_and_its_default_used() -> None:
    loaded = load_settings(env={"STREAMLIT_AGENT_MAX_ITERATIONS": "abc"})
    assert loaded.max_iterations == 8
    assert loaded.problems == (
        "STREAMLIT_AGENT_MAX_ITERATIONS must be a whole number ≥ 1 (got 'abc'); using 8.",
    )
    assert configuration_problems(loaded) == list(loaded.problems)
    timeout = load_settings(env={"STREAMLIT_AGENT_REQUEST_TIMEOUT": "0"})
    assert timeout.request_timeout_s == 60.0
    assert timeout.problems == (
        "STREAMLIT_AGENT_REQUEST_TIMEOUT must be a number > 0 and ≤ 86400 (got '0'); using 60.",
    )


@pytest.mark.parametrize(
    ("variable", "raw", "field", "value"),
    [
        ("STREAMLIT_AGENT_MAX_ITERATIONS", "0", "max_iterations", 8),
        ("STREAMLIT_AGENT_MAX_ITERATIONS", "3", "max_iterations", 3),
        ("STREAMLIT_AGENT_MAX_RUN_SECONDS", "0", "max_execution_time_s", 120.0),
        ("STREAMLIT_AGENT_MAX_RUN_SECONDS", "inf", "max_execution_time_s", 120.0),
        ("STREAMLIT_AGENT_TOOL_TIMEOUT", "0.5", "tool_timeout_s", 0.5),
        ("STREAMLIT_AGENT_TOOL_TIMEOUT", "nan", "tool_timeout_s", 30.0),
        ("STREAMLIT_AGENT_LOCAL_SERVERS_TIMEOUT", "1e9", "local_servers_timeout_s", 1.0),
        ("STREAMLIT_AGENT_TOOL_OUTPUT_CAP", "0", "tool_output_cap", 0),  # 0: the whole output
        ("STREAMLIT_AGENT_TOOL_OUTPUT_CAP", "-1", "tool_output_cap", 4000),
        ("STREAMLIT_AGENT_MESSAGES_PER_MINUTE", "0", "messages_per_minute", 0),  # 0: no limit
        ("STREAMLIT_AGENT_MESSAGES_PER_MINUTE", "-5", "messages_per_minute", 20),
        ("STREAMLIT_AGENT_DAILY_TOKENS", "1_000", "daily_tokens", 1000),
        ("STREAMLIT_AGENT_HISTORY_TOKENS", "2.5", "history_token_budget", 0),
    ],
)
def test_each_number_has_bounds_that_can_work(
    variable: str, raw: str, field: str, value: float
) -> None:
    loaded = load_settings(env={variable: raw})
    assert getattr(loaded, field) == value
    rejected = value == FIELDS[field].default  # no case above sets the default itself
    assert len(loaded.problems) == rejected


def test_secrets_are_checked_but_never_quoted() -> None:
    short, blank = "hunter2-is-short", "   "
    loaded = load_settings(env={"STREAMLIT_AGENT_SECRET": short, "OPENAI_API_KEY": blank})
    assert loaded.secret is None and loaded.openai_api_key is None
    problems = " ".join(loaded.problems)
    assert "STREAMLIT_AGENT_SECRET must be at least 32 characters" in problems
    assert "OPENAI_API_KEY must be a key, not only spaces" in problems
    assert short not in problems and "'   '" not in problems
    url = "postgresql://agent:pa55word@db"  # kept, and named without its password
    kept = load_settings(env={"STREAMLIT_AGENT_DB_URL": url.replace("://", "/")})
    assert kept.db_url == url.replace("://", "/")
    assert "pa55word" not in " ".join(configuration_problems(kept))


def test_environment_wins_blank_is_unset_and_secrets_may_hold_numbers() -> None:
    loaded = load_settings(
        env={"STREAMLIT_AGENT_MAX_ITERATIONS": "", "OPENAI_MODEL": "from-env"},
        secrets={"STREAMLIT_AGENT_MAX_ITERATIONS": 5, "STREAMLIT_AGENT_TOOL_TIMEOUT": 2.5},
    )
    assert (loaded.max_iterations, loaded.tool_timeout_s, loaded.problems) == (5, 2.5, ())
    assert loaded.model_name == "from-env"
    # The first variable of a setting wins wherever it is set, as before.
    both = load_settings(
        env={"OPENAI_MODEL": "from-env"}, secrets={"STREAMLIT_AGENT_MODEL": "from-secrets"}
    )
    assert both.model_name == "from-secrets"


@settings(max_examples=400, deadline=None)
@given(
    variable=st.sampled_from(NUMBERS),
    raw=st.one_of(
        st.text(),
        st.integers().map(str),
        st.floats().map(str),
        st.from_regex(r"\s*[+-]?[0-9_.eE]{1,12}\s*", fullmatch=True),
    ),
)
def test_any_string_for_a_number_gives_a_valid_value_or_the_default_and_one_problem(
    variable: str, raw: str
) -> None:
    name = setting_variables()[variable]
    info = FIELDS[name]
    loaded = load_settings(env={variable: raw})
    value = getattr(loaded, name)
    if loaded.problems:
        assert value == info.default
        assert len(loaded.problems) == 1 and loaded.problems[0].startswith(variable + " ")
        return
    assert isinstance(value, info.annotation) and math.isfinite(value)  # type: ignore[arg-type]
    for bound in info.metadata:
        assert value >= getattr(bound, "ge", value) and value > getattr(bound, "gt", value - 1)
        assert value <= getattr(bound, "le", value)


def _readme_configuration_variables() -> set[str]:
    """The variables in the first column of README's Configuration table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_readme_configuration_lists_exactly_the_declared_variables() -> None:
    declared, documented = set(setting_variables()), _readme_configuration_variables()
    assert sorted(declared - documented) == [], "declared in config.py, missing from README"
    assert sorted(documented - declared) == [], "in README's table, not declared in config.py"
