"""The bundled model's turn with the arithmetic grammar in front (`openai_client`,
`routing.read_arithmetic`, `routing.calculation_doubt`): arithmetic English becomes the
calculator's expression without the model, earlier numbers are found, and a result the
app is not sure answers the question is stated as a guess with a question back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.prompt_values import ChatPromptValue
from langchain_core.runnables import Runnable, RunnableBinding

from streamlit_agent.config import Settings
from streamlit_agent.models.bundled.grounding import ToolFact, hedged_calculation
from streamlit_agent.models.bundled.routing import (
    calculation_doubt,
    read_arithmetic,
    read_word_problem,
)
from streamlit_agent.models.openai_client import SmallModelChatOpenAI
from streamlit_agent.models.providers import ModelChoice, build_chat_model
from streamlit_agent.tools.calculator import calculator, evaluate
from streamlit_agent.tools.clock import current_datetime
from streamlit_agent.tools.web_search import web_search


class FakeModel:
    """What the model was asked (`sent`), answering with `call` when forced to call a
    tool and with `say` otherwise."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.call = "1 + 1"
        self.say = "The answer is 5."

    def invoke(self, model: object, messages: list, config: object = None, **_: object) -> Any:
        kwargs = dict(getattr(model, "kwargs", {}))
        self.sent.append({"messages": messages, "kwargs": kwargs})
        if kwargs.get("tools"):
            name = kwargs["tools"][0]["function"]["name"]
            args = {"expression": self.call} if name == "calculator" else {"query": "x"}
            return AIMessage("", tool_calls=[{"name": name, "args": args, "id": "m1"}])
        return AIMessage(self.say)


@pytest.fixture
def fake() -> Iterator[FakeModel]:
    model = FakeModel()

    def invoke(self: object, messages: list, config: object = None, **kwargs: object) -> Any:
        return model.invoke(self, messages, config)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SmallModelChatOpenAI, "invoke", invoke)
        patch.setattr(RunnableBinding, "invoke", invoke)
        yield model


@pytest.fixture
def turn() -> Runnable:
    llm = build_chat_model(ModelChoice("bundled", "smollm2"), Settings(), "http://127.0.0.1:9/v1")
    assert isinstance(llm, SmallModelChatOpenAI)
    return llm.bind_tools([calculator, current_datetime, web_search])


def ask(turn: Runnable, messages: list[BaseMessage]) -> AIMessage:
    return turn.invoke(ChatPromptValue(messages=messages))


def run_tool(message: AIMessage) -> ToolMessage:
    [call] = message.tool_calls
    return ToolMessage(calculator.invoke(call["args"]), tool_call_id=call["id"])


@pytest.mark.parametrize(
    ("question", "expression"),
    [
        ("What is 17 squared?", "17 ** 2"),
        ("What's 15% of 80?", "15 / 100 * 80"),
        ("What is 15% of 80?", "15 / 100 * 80"),
        ("What is the square root of 3 squared plus 4 squared?", "sqrt(3 ** 2 + 4 ** 2)"),
        ("What is 20% of the sum of 40 and 60?", "20 / 100 * (40 + 60)"),
        ("What is the percentage change from 80 to 100?", "(100 - 80) / 80 * 100"),
        ("What is twenty three times four?", "23 * 4"),
    ],
)
def test_arithmetic_english_is_the_calculators_expression_without_the_model(
    fake: FakeModel, turn: Runnable, question: str, expression: str
) -> None:
    called = ask(turn, [HumanMessage(question)])
    assert [c["name"] for c in called.tool_calls] == ["calculator"]
    assert called.tool_calls[0]["args"] == {"expression": expression}
    assert fake.sent == []  # the model was not asked to write it


def test_17_squared_is_answered_289_as_the_tools_result(fake: FakeModel, turn: Runnable) -> None:
    asked = [HumanMessage("What is 17 squared?")]
    called = ask(turn, asked)
    result = run_tool(called)
    assert result.content == "289"
    fake.say = "17 squared is 34."  # the model misstates it: the tool's value is shown
    answer = ask(turn, [*asked, called, result])
    assert answer.content.startswith("17 ^ 2 = 289")


def test_that_is_the_previous_result_across_turns(fake: FakeModel, turn: Runnable) -> None:
    first = [HumanMessage("What is 25 * 4?")]
    called = ask(turn, first)
    history = [*first, called, run_tool(called), AIMessage("25 * 4 is 100.")]
    follow = ask(turn, [*history, HumanMessage("Add 50 to that result.")])
    assert follow.tool_calls[0]["args"] == {"expression": "100 + 50"}
    told = [HumanMessage("My lucky number is 27."), AIMessage("Nice, 27!")]
    asked = ask(turn, [*told, HumanMessage("What is the number I told you times 3?")])
    assert asked.tool_calls[0]["args"] == {"expression": "27 * 3"}
    doubled = ask(turn, [*history, HumanMessage("Double that.")])  # no digit in the question
    assert doubled.tool_calls[0]["args"] == {"expression": "100 * 2"}
    assert fake.sent == []


def test_a_search_request_is_still_a_search(fake: FakeModel, turn: Runnable) -> None:
    called = ask(turn, [HumanMessage("Search the web for 15% of 80")])
    assert called.tool_calls[0]["name"] == "web_search"


def test_a_question_read_in_part_gets_the_expression_and_a_question_back(
    fake: FakeModel, turn: Runnable
) -> None:
    asked = [HumanMessage("If I stack 17 squared boxes, how tall is the pile?")]
    called = ask(turn, asked)
    assert called.tool_calls[0]["args"] == {"expression": "17 ** 2"}
    answer = ask(turn, [*asked, called, run_tool(called)])
    assert fake.sent == []  # no model wording: the app says what it did
    assert answer.content.startswith("I computed 17 ^ 2 = 289, but I am not sure")
    assert '"17 squared"' in answer.content and "Is it?" in answer.content
    assert "calculator tool's result" not in answer.content


def test_a_model_expression_with_other_numbers_than_the_question_is_not_authoritative(
    fake: FakeModel, turn: Runnable
) -> None:
    # Not a question the grammar or the word-problem reader reads.
    asked = [HumanMessage("I buy 6 bags with 14 apples each. Tell me the number.")]
    fake.call = "6 * 12"
    called = ask(turn, asked)
    assert fake.sent[-1]["kwargs"]["tools"]  # the grammar read nothing: the model wrote it
    answer = ask(turn, [*asked, called, run_tool(called)])
    assert answer.content.startswith("I computed 6 * 12 = 72, but I am not sure")
    assert "12" in answer.content and "14" in answer.content  # which number, which left out


def test_a_model_expression_with_the_questions_numbers_is_still_a_guess(
    fake: FakeModel, turn: Runnable
) -> None:
    asked = [HumanMessage("I buy 6 bags with 14 apples each. Tell me the number.")]
    fake.call, fake.say = "6 * 14", "You have 84 apples."
    called = ask(turn, asked)
    answer = ask(turn, [*asked, called, run_tool(called)])
    assert answer.content.startswith("I computed 6 * 14 = 84, but I am not sure")
    assert "the small model wrote this expression" in answer.content


@pytest.mark.parametrize(
    ("messages", "doubt"),
    [
        (["What is 17 squared?", "17 ** 2", "289"], None),
        (["What is 17 squared?", "17 * 2", "34"], "your question reads as 17 ** 2"),
        # The word-problem reader's expression: a guess by units, always said as one.
        (["How old will I be in 15 years?", "34 + 15", "49"], "a word problem by its units"),
        (["A box holds a dozen eggs. How many eggs are in 5 boxes?", "12 * 5", "60"], "units"),
        # Naming the quantity asked, with the earlier number: the reader's too.
        (["What will my age be in 15 years?", "34 + 15", "49"], "a word problem by its units"),
        # The model's expression (asking no quantity: the reader is not asked).
        (["Tell me my age in 15 years.", "34 + 15", "49"], "the small model wrote"),
        (["Tom has 5 pens and buys 3. What total?", "5 + 3 + 1", "9"], "it uses 1"),
        (["Tom has 5 pens and buys 3. What total?", "5 * 5", "25"], "it leaves out 3 of your"),
        (["Tom has 5 pens and buys 3. What total?", "5 / 0", "Error: x"], None),
    ],
)
def test_calculation_doubt(messages: list[str], doubt: str | None) -> None:
    question, expression, result = messages
    call = {"name": "calculator", "args": {"expression": expression}, "id": "c"}
    history: list[BaseMessage] = [HumanMessage("I am 34 years old."), AIMessage("Noted.")]
    history += [HumanMessage(question), AIMessage("", tool_calls=[call])]
    history.append(ToolMessage(result, tool_call_id="c"))
    found = calculation_doubt(history)
    assert (found is None) == (doubt is None) and (doubt is None or doubt in str(found))


def test_read_arithmetic_ignores_the_models_own_numbers() -> None:
    messages = [HumanMessage("Hello"), AIMessage("I am 25."), HumanMessage("Double that.")]
    assert read_arithmetic(messages) is None


def test_a_hedged_answer_states_the_expression_and_the_result() -> None:
    fact = ToolFact("calculator", {"expression": "6 * 12"}, "72")
    text = hedged_calculation(fact, "it uses 12, which the conversation does not mention")
    assert text.startswith("I computed 6 * 12 = 72, but I am not sure")
    assert text.rstrip().endswith("for example 3 * (4 + 5).")


def said_before(earlier: list[str], question: str) -> list[BaseMessage]:
    history: list[BaseMessage] = []
    for said in earlier:
        history += [HumanMessage(said), AIMessage("Noted.")]
    return [*history, HumanMessage(question)]


@pytest.mark.parametrize(
    ("earlier", "question", "value"),
    [
        (
            [],
            "Priya scores 4 points for every goal. If she scores 3 goals in the morning and 2 "
            "in the afternoon, what is her score for the day?",
            20,
        ),
        ([], "A shelf has 6 rows with 15 jars in each row. Determine the number of jars.", 90),
        ([], "Mia read 12 pages on Monday and 9 on Tuesday. Work out the number of pages.", 21),
        ([], "A bakery sells 8 loaves a day at $3 each. What are its earnings in a day?", 24),
        # The story's numbers said in an earlier message.
        (["Ann is 150 cm tall and Bo is 160 cm tall."], "What is their combined height?", 310),
    ],
)
def test_a_question_naming_the_quantity_it_asks_reaches_the_word_problem_reader(
    fake: FakeModel, turn: Runnable, earlier: list[str], question: str, value: int
) -> None:
    called = ask(turn, said_before(earlier, question))
    [call] = called.tool_calls
    assert call["name"] == "calculator" and evaluate(call["args"]["expression"]) == value
    assert not fake.sent  # the reader wrote the expression, not the model


@pytest.mark.parametrize(
    ("earlier", "question"),
    [
        ([], "I have 2 cats and 3 dogs. What names would suit them?"),
        ([], "My 3 year old has had a fever of 39 degrees for 2 days. What should I do?"),
        # A quantity named, but its numbers inside the question: no story before it.
        ([], "What is the weight limit for 2 bags on a 3 hour flight?"),
        ([], "Which age group is the 2 in 5 statistic about, 18 to 24?"),
        ([], "Find the value of learning 2 instruments before age 10."),
        ([], "What is the combined effect of 2 aspirin and 1 coffee?"),
        (["I have 4 cats."], "What should I feed my 2 kittens?"),
    ],
)
def test_chat_with_numbers_gets_no_calculator_call(
    fake: FakeModel, turn: Runnable, earlier: list[str], question: str
) -> None:
    messages = said_before(earlier, question)
    assert read_word_problem(messages) is None
    assert not ask(turn, messages).tool_calls


def test_a_speed_asked_is_not_given_to_the_word_problem_reader() -> None:
    # It read 120 km in 2 hours as 120 * 2.
    question = "A train covers 120 km in 2 hours. What is its average speed?"
    assert read_word_problem([HumanMessage(question)]) is None
