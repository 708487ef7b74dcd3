"""The document tools in a real turn: the scripted model searches the attached PDF and
the answer quotes its page; the tools read only the turn's own conversation; the bundled
model's forced path hands it the passage and its page."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompt_values import ChatPromptValue

from streamlit_agent.agent.build import build_agent, run_turn
from streamlit_agent.config import Settings
from streamlit_agent.conversation.documents import (
    UNTRUSTED_NOTE,
    DocumentScope,
    index_document,
    quoted_passages,
)
from streamlit_agent.conversation.steps import StepRecorder
from streamlit_agent.files.extract import extract
from streamlit_agent.models.bundled.grounding import ToolFact, ground_answer
from streamlit_agent.models.bundled.routing import pick_tool
from streamlit_agent.models.providers import ModelChoice, build_chat_model
from streamlit_agent.store.owned import Conversations
from streamlit_agent.tools.documents import NO_DOCUMENTS, read_document, read_in, search_documents
from tests import test_store
from tests.document_support import make_pdf
from tests.scripted_openai import MODEL_ID, ScriptedOpenAI
from tests.test_agent import ListHistory
from tests.test_store import OWNER, STRANGER

make_store = test_store.make_store
pg_schema = test_store.pg_schema
sqlite_file = test_store.sqlite_file

PAGES = [
    "Tern Valley cooperative: the year in brief. Members: 412.",
    "Finance. The budget for 2027 is 81,500 euros, mostly for the new cold store.",
    "Risks: a late frost, and the price of diesel.",
]
QUESTION = "What is the budget in the attached report?"


@pytest.fixture
def report(make_store) -> tuple[Conversations, str]:
    conversations = Conversations(make_store(), OWNER)
    thread = "t-report"
    extracted = extract("pdf", make_pdf(PAGES), "report.pdf")
    indexed = index_document(conversations, thread, "file-1", "report.pdf", extracted)
    assert indexed.passages == 3
    return conversations, thread


def _agent(server: ScriptedOpenAI, history: ListHistory):
    from streamlit_agent.models.openai_client import ReasoningChatOpenAI

    llm = ReasoningChatOpenAI(base_url=server.base_url, api_key="sk-test", model=MODEL_ID)
    tools = [search_documents, read_document]
    return build_agent(llm, tools, Settings(), lambda _: history)


def _ask(conversations: Conversations, thread: str) -> tuple[ListHistory, dict]:
    """QUESTION asked in `thread` by `conversations`' owner; the turn's history and result."""
    history = ListHistory()
    with ScriptedOpenAI() as server:
        result = run_turn(
            _agent(server, history), thread, HumanMessage(QUESTION), StepRecorder(),
            documents=DocumentScope(conversations, thread),
        )  # fmt: skip
    return history, result


def test_the_scripted_model_searches_the_pdf_and_the_answer_quotes_its_page(report):
    conversations, thread = report
    history, result = _ask(conversations, thread)
    [call] = [m for m in history.messages if isinstance(m, AIMessage) and m.tool_calls]
    assert call.tool_calls[0]["name"] == "search_documents"
    [found] = [m for m in history.messages if isinstance(m, ToolMessage)]
    assert str(found.content).startswith(UNTRUSTED_NOTE)
    assert quoted_passages(str(found.content))[0] == ("report.pdf, page 2", PAGES[1])
    # The scripted model words its answer from the tool result it was sent.
    assert "[report.pdf, page 2]" in result["output"] and "81,500 euros" in result["output"]


def test_another_persons_turn_finds_nothing_of_the_pdf(report):
    conversations, thread = report
    history, result = _ask(conversations.for_owner(STRANGER), thread)
    [found] = [m for m in history.messages if isinstance(m, ToolMessage)]
    assert found.content == NO_DOCUMENTS
    assert "81,500" not in result["output"]


def test_a_turn_without_a_conversation_has_no_documents():
    assert search_documents.invoke({"query": "budget"}) == NO_DOCUMENTS


def test_a_page_or_section_is_read_by_its_number_or_title(report):
    conversations, thread = report
    scope = DocumentScope(conversations, thread)
    page = read_in(scope, "Report.PDF", "3")
    assert page.startswith(UNTRUSTED_NOTE) and "[report.pdf, page 3]\n" + PAGES[2] in page
    assert 'The documents: "report.pdf"' in read_in(scope, "other.pdf", "1")
    assert "Its parts: page 1, page 2, page 3" in read_in(scope, "report.pdf", "9")


def test_a_short_document_also_goes_with_the_question_a_long_one_does_not(report):
    conversations, thread = report
    short = extract("text", b"Opening hours: 9 to 17.", "hours.txt")
    indexed = index_document(conversations, thread, "file-2", "hours.txt", short)
    assert (
        indexed.inline
        == f'{UNTRUSTED_NOTE}\nFile "hours.txt":\n[lines 1-1]\nOpening hours: 9 to 17.'
    )
    no_room = index_document(conversations, thread, "file-2", "hours.txt", short, inline_tokens=3)
    assert no_room.inline is None and no_room.passages == 1
    long = extract("text", ("A long line of text. " * 40 + "\n").encode() * 10, "long.txt")
    assert index_document(conversations, thread, "file-3", "long.txt", long).inline is None
    assert len(conversations.search_passages(thread, "opening hours")) == 1


# --- the bundled model -----------------------------------------------------------------

TOOLS = {"calculator", "current_datetime", "web_search", "search_documents"}


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        (QUESTION, "search_documents"),
        ("What does page 3 say about frost?", "search_documents"),
        ("According to the contract, who pays?", "search_documents"),
        ("Summarise my PDF", "search_documents"),
        ("What do the attached notes say about frost?", "search_documents"),
        # Word problems about files and chapters stay arithmetic (the answers benchmark).
        (
            "Dave had 11 apps and 3 files on his phone. After deleting some apps and files "
            "he had 24 files and 2 apps left. How many more files than apps does he have?",
            "calculator",
        ),
        (
            "A book has 2 chapters. The first chapter is 48 pages long. The second chapter "
            "is 11 pages long. How many more pages does the first chapter have?",
            "calculator",
        ),
        # A count of them is a story's: "3 of the files", "uploaded 12 photos".
        (
            "Lena kept 40 songs and 15 podcasts on her laptop. She erased 20 of the files. "
            "How many files are left on the laptop?",
            "calculator",
        ),
        (
            "Omar uploaded 12 photos from a hike and 6 from a picnic, then split them evenly "
            "over 3 folders. How many photos went into each folder?",
            "calculator",
        ),
        ("Summarise 2 of the files", "search_documents"),  # no calculation: the attachments
        ("What is a PDF file?", None),
        ("Search the web for the attached report's author", "web_search"),
        ("What is 12 * 7?", "calculator"),
        ("How are you today?", None),
    ],
)
def test_the_bundled_model_is_routed_to_the_documents(question, tool):
    assert pick_tool(question, TOOLS) == tool
    assert pick_tool(question, TOOLS - {"search_documents"}) != "search_documents"


def test_the_bundled_models_forced_path_gives_it_the_passage_and_its_page(report):
    conversations, thread = report
    with ScriptedOpenAI() as server:
        llm = build_chat_model(ModelChoice("bundled", "smollm2"), Settings(), server.base_url)
        turn = llm.bind_tools([search_documents, read_document])
        question = HumanMessage(QUESTION)
        call = turn.invoke(ChatPromptValue(messages=[question]))
        assert server.requests == []  # the app made the call, the model was not asked
        [made] = call.tool_calls
        assert made["name"] == "search_documents" and made["args"] == {"query": QUESTION}
        config = {"configurable": {"documents": DocumentScope(conversations, thread)}}
        result = ToolMessage(search_documents.invoke(made["args"], config), tool_call_id=made["id"])
        answer = turn.invoke(ChatPromptValue(messages=[question, call, result]))
        [sent] = server.requests
    prompt = sent["messages"][-1]["content"]
    assert f"Known fact: {PAGES[1]} (from report.pdf, page 2)." in prompt
    assert "report.pdf, page 2" in str(answer.content)


def test_the_bundled_model_says_plainly_when_the_documents_hold_nothing(make_store):
    conversations = Conversations(make_store(), OWNER)
    with ScriptedOpenAI() as server:
        llm = build_chat_model(ModelChoice("bundled", "smollm2"), Settings(), server.base_url)
        turn = llm.bind_tools([search_documents, read_document])
        question = HumanMessage(QUESTION)
        call = turn.invoke(ChatPromptValue(messages=[question]))
        config = {"configurable": {"documents": DocumentScope(conversations, "empty")}}
        found = search_documents.invoke(call.tool_calls[0]["args"], config)
        result = ToolMessage(found, tool_call_id=call.tool_calls[0]["id"])
        answer = turn.invoke(ChatPromptValue(messages=[question, call, result]))
        assert server.requests == []  # no model asked to answer about a document it lacks
    assert answer.content == NO_DOCUMENTS


def test_a_bundled_answer_is_cited_or_replaced_by_the_passage():
    result = f"{UNTRUSTED_NOTE}\n\n[report.pdf, page 2]\n{PAGES[1]}"
    fact = ToolFact("search_documents", {"query": QUESTION}, result)
    cited = ground_answer("The budget is 81,500 euros for the cold store.", [fact])
    assert cited == "The budget is 81,500 euros for the cold store. (report.pdf, page 2)"
    rambling = ground_answer("I like turtles, 12 of them.", [fact])
    assert rambling.startswith(f'"{PAGES[1]}" (report.pdf, page 2)')
    assert ground_answer("Nothing matched.", [ToolFact("search_documents", {}, NO_DOCUMENTS)]) == (
        "Nothing matched."
    )
