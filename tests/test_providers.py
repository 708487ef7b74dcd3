"""Model selection, labels, secrets and the small-model repairs."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from streamlit_agent.config import DEFAULT_OPENAI_MODEL, load_settings
from streamlit_agent.models.openai_client import SmallModelChatOpenAI, unescape_tool_args
from streamlit_agent.models.providers import ModelChoice, build_chat_model, choose_model
from streamlit_agent.safety.redact import redact_url, scrub


def test_no_configuration_picks_the_bundled_model() -> None:
    choice = choose_model(load_settings(env={}))
    assert choice.kind == "bundled"
    assert choice.label == "Bundled local model: SmolLM2-135M-Instruct"


def test_key_picks_openai_with_default_or_configured_model() -> None:
    choice = choose_model(load_settings(env={"OPENAI_API_KEY": "sk-test"}))
    assert (choice.kind, choice.model) == ("openai", DEFAULT_OPENAI_MODEL)
    assert choice.label == f"OpenAI {DEFAULT_OPENAI_MODEL}"
    named = choose_model(
        load_settings(env={"OPENAI_API_KEY": "sk-test", "STREAMLIT_AGENT_MODEL": "gpt-x"})
    )
    assert named.model == "gpt-x"


def test_base_url_wins_and_label_hides_credentials() -> None:
    env = {"OPENAI_BASE_URL": "http://user:pw@127.0.0.1:11434/v1", "OPENAI_MODEL": "llama3"}
    choice = choose_model(load_settings(env=env))
    assert choice.kind == "compatible"
    assert "pw" not in choice.label
    assert choice.label == "OpenAI-compatible at http://127.0.0.1:11434/v1 (llama3)"


def test_secrets_file_is_read_but_environment_wins() -> None:
    settings = load_settings(
        env={"OPENAI_MODEL": "from-env"},
        secrets={"OPENAI_API_KEY": "sk-secret", "OPENAI_MODEL": "from-secrets"},
    )
    assert settings.openai_api_key == "sk-secret"
    assert settings.model_name == "from-env"
    assert "sk-secret" not in repr(settings)


def test_bad_numbers_in_settings_fall_back_to_defaults() -> None:
    settings = load_settings(env={"STREAMLIT_AGENT_REQUEST_TIMEOUT": "soon"})
    assert settings.request_timeout_s == 60.0


def test_build_chat_model_points_at_the_right_server() -> None:
    settings = load_settings(env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    model = build_chat_model(choose_model(settings), settings)
    assert str(model.openai_api_base) == "http://127.0.0.1:9/v1"
    assert model.streaming is True
    bundled = build_chat_model(
        ModelChoice("bundled", "smollm2"), settings, local_base_url="http://127.0.0.1:8/v1"
    )
    assert isinstance(bundled, SmallModelChatOpenAI)


def test_bundled_model_sends_its_answer_cap_as_the_field_llama_cpp_reads() -> None:
    bundled = build_chat_model(
        ModelChoice("bundled", "smollm2"),
        load_settings(env={}),
        local_base_url="http://127.0.0.1:8/v1",
    )
    payload = bundled._get_request_payload([HumanMessage("Hi")], stream=True)
    assert payload["max_tokens"] == 512
    assert "max_completion_tokens" not in payload
    capped = bundled.model_copy(update={"max_tokens": 16})
    assert capped._get_request_payload([HumanMessage("Hi")])["max_tokens"] == 16


def test_html_escaped_arguments_are_unescaped() -> None:
    message = AIMessage(
        "",
        tool_calls=[
            {"name": "calculator", "args": {"expression": "&#39;2&#39; &amp; 3"}, "id": "1"}
        ],
    )
    assert unescape_tool_args(message).tool_calls[0]["args"]["expression"] == "'2' & 3"


def test_redact_url_and_scrub() -> None:
    assert redact_url("postgresql://u:secret@db:5432/x") == "postgresql://db:5432/x"
    assert "sk-abcdef123456" not in scrub("bad key sk-abcdef123456 given")
    assert "hunter22" not in scrub("the key hunter22 failed", ["hunter22"])


def test_configuration_problems_name_the_setting() -> None:
    from streamlit_agent.config import configuration_problems

    bad = load_settings(
        env={"OPENAI_BASE_URL": "localhost:11434", "STREAMLIT_AGENT_DB_URL": "x.db"}
    )
    problems = configuration_problems(bad)
    assert any(p.startswith("OPENAI_BASE_URL") for p in problems)
    assert any(p.startswith("STREAMLIT_AGENT_DB_URL") for p in problems)
    assert configuration_problems(load_settings(env={})) == []


def test_small_model_answers_from_a_plain_statement_of_the_tool_result() -> None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from streamlit_agent.models.openai_client import answer_prompt

    messages = [
        HumanMessage("My name is Ada"),
        AIMessage("Hello Ada"),
        HumanMessage("What is 37 * 41?"),
        AIMessage(
            "", tool_calls=[{"name": "calculator", "args": {"expression": "37 * 41"}, "id": "c1"}]
        ),
        ToolMessage("1517", tool_call_id="c1"),
    ]
    (prompt,) = answer_prompt(messages)
    assert prompt.content == (
        "Known fact: 37 * 41 = 1517. Using that, answer in one sentence: What is 37 * 41?"
    )


def test_bundled_model_starts_with_the_core_tools_only() -> None:
    bundled = ModelChoice("bundled", "smollm2")
    assert bundled.tool_starts_on("calculator") and not bundled.tool_starts_on("sql_query")
    assert ModelChoice("openai", "gpt-4.1-mini").tool_starts_on("sql_query")


def test_small_model_turn_gets_only_the_tool_it_needs() -> None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    from langchain_core.prompt_values import ChatPromptValue

    from streamlit_agent.config import Settings
    from streamlit_agent.tools.calculator import calculator
    from streamlit_agent.tools.clock import current_datetime

    llm = build_chat_model(ModelChoice("bundled", "smollm2"), Settings(), "http://127.0.0.1:9/v1")
    assert isinstance(llm, SmallModelChatOpenAI)
    sent: list[dict] = []

    def fake_invoke(self: object, messages: list, config: object = None, **kwargs: object):
        sent.append({"messages": messages, "kwargs": dict(getattr(self, "kwargs", {}))})
        if getattr(self, "kwargs", {}).get("tools"):
            call = {"name": "calculator", "args": {"expression": "27 / 3"}, "id": "c1"}
            return AIMessage("", tool_calls=[call])
        return AIMessage("The answer is 8.")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SmallModelChatOpenAI, "invoke", fake_invoke)
        from langchain_core.runnables import RunnableBinding

        patch.setattr(RunnableBinding, "invoke", fake_invoke)
        turn = llm.bind_tools([calculator, current_datetime])
        hello = turn.invoke(ChatPromptValue(messages=[HumanMessage("Hello!")]))
        assert not hello.tool_calls and "tools" not in sent[-1]["kwargs"]
        # A word problem the arithmetic grammar does not read: the model writes the call.
        asked = [HumanMessage("Three friends share 27 sweets. What does each get?")]
        called = turn.invoke(ChatPromptValue(messages=asked))
        [tool] = sent[-1]["kwargs"]["tools"]
        assert tool["function"]["name"] == "calculator"
        assert sent[-1]["kwargs"]["tool_choice"]["function"]["name"] == "calculator"
        assert "pattern" in tool["function"]["parameters"]["properties"]["expression"]
        result = ToolMessage("9", tool_call_id="c1")
        answer = turn.invoke(ChatPromptValue(messages=[*asked, called, result]))
    # The model wrote the expression: its result is stated as a guess, not as the answer.
    assert answer.content.startswith("I computed 27 / 3 = 9, but I am not sure")
