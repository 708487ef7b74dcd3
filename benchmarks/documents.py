"""Documents: extracting and indexing a 300-page PDF, searching 1,000 passages, and the
time to the first answer token with a 50-page document searched first.

    .venv/bin/python -m benchmarks.documents [--pages 300] [--queries 200]

1. Extraction: a generated PDF (`tests/document_support.make_pdf`, ~40 lines of text a
   page) read by `files.extract.extract` (the worker process, its start included):
   pages per second and the worker's peak resident memory (RUSAGE_CHILDREN).
2. Indexing: its passages split and written to the store's passage index (SQLite, and
   PostgreSQL at `tests.pg_support.PG_URL` when reachable): passages per second.
3. Search: `Conversations.search_passages` over a conversation of 1,000 passages, with
   queries of 1-3 words from the documents' vocabulary: median and 95th percentile.
4. First token, in process: `run_turn` with the scripted model streaming, from the call
   to the first answer token: a plain question, against a question about a 50-page
   document, which costs a model call with a `search_documents` tool round before it.
5. Enter to first token with a 50-page PDF attached, in process, as the page does it on
   Enter: `web.attachments.attach` (content check, extraction in the worker, the file
   and its passages stored), `attachments.for_model` (the question with the document's
   beginning), then `run_turn` to the first answer token; against the same question with
   nothing attached. Streamlit's own upload (browser to server) is not in it.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage

from streamlit_agent.agent.build import build_agent, run_turn
from streamlit_agent.config import Settings
from streamlit_agent.conversation.documents import DocumentScope, index_document
from streamlit_agent.conversation.steps import StepRecorder
from streamlit_agent.files.extract import extract
from streamlit_agent.files.passages import split_passages
from streamlit_agent.store.database import ConversationStore
from streamlit_agent.store.owned import Conversations
from tests.document_support import make_pdf
from tests.scripted_openai import MODEL_ID, Reply, ScriptedOpenAI

OWNER = "bench:documents"
LINES_PER_PAGE = 40


def vocabulary(rng: random.Random, size: int = 3_000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)]


def pages_of_text(pages: int, words: list[str], rng: random.Random) -> list[str]:
    def line() -> str:
        return " ".join(rng.choice(words) for _ in range(12)) + "."

    return ["\n".join(line() for _ in range(LINES_PER_PAGE)) for _ in range(pages)]


def bench_extraction(pdf: bytes, pages: int) -> dict[str, float]:
    start = time.perf_counter()
    extracted = extract("pdf", pdf, "big.pdf", timeout_s=600)
    seconds = time.perf_counter() - start
    assert len(extracted.sections) == pages, len(extracted.sections)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "pdf_mb": len(pdf) / 2**20,
        "seconds": seconds,
        "pages_per_s": pages / seconds,
        "worker_peak_mb": peak_kb / 1024,
        "chars": extracted.chars,
        "extracted": extracted,  # type: ignore[dict-item]
    }


def bench_indexing(store: ConversationStore, extracted: Any) -> dict[str, float]:
    conversations = Conversations(store, OWNER)
    tracemalloc.start()
    start = time.perf_counter()
    indexed = index_document(conversations, "bench-index", "f1", "big.pdf", extracted)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "passages": float(indexed.passages or 0),
        "seconds": seconds,
        "passages_per_s": (indexed.passages or 0) / seconds,
        "app_peak_mb": peak / 2**20,
    }


def bench_search(store: ConversationStore, words: list[str], queries: int) -> dict[str, float]:
    rng = random.Random(7)
    conversations = Conversations(store, OWNER)
    sections = [
        (f"page {n // 3 + 1}", " ".join(rng.choice(words) for _ in range(120)))
        for n in range(1_000)
    ]
    pieces = split_passages(sections)
    assert len(pieces) == 1_000, len(pieces)
    conversations.add_passages(
        "bench-search", "f1", "thousand.pdf", [(p.label, p.text) for p in pieces]
    )
    timings = []
    found = 0
    for _ in range(queries):
        query = " ".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
        start = time.perf_counter()
        hits = conversations.search_passages("bench-search", query)
        timings.append((time.perf_counter() - start) * 1000)
        found += bool(hits)
    timings.sort()
    return {
        "median_ms": statistics.median(timings),
        "p95_ms": timings[int(0.95 * (len(timings) - 1))],
        "found_share": found / queries,
    }


class FirstToken(BaseCallbackHandler):
    def __init__(self) -> None:
        self.at: float | None = None

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        if token and self.at is None:
            self.at = time.perf_counter()


def bench_first_token(store: ConversationStore, words: list[str], turns: int) -> dict[str, float]:
    from streamlit_agent.models.openai_client import ReasoningChatOpenAI
    from streamlit_agent.tools.documents import read_document, search_documents
    from tests.test_agent import ListHistory

    rng = random.Random(11)
    conversations = Conversations(store, OWNER)
    extracted = extract("pdf", make_pdf(pages_of_text(50, words, rng)), "fifty.pdf")
    index_document(conversations, "bench-turn", "f50", "fifty.pdf", extracted)
    scope = DocumentScope(conversations, "bench-turn")
    results: dict[str, list[float]] = {"plain": [], "document": []}
    with ScriptedOpenAI(chunk_delay=0.0) as server:
        llm = ReasoningChatOpenAI(
            base_url=server.base_url, api_key="sk-x", model=MODEL_ID, streaming=True
        )
        for n in range(turns):
            for kind in ("plain", "document"):
                history = ListHistory()
                agent = build_agent(
                    llm, [search_documents, read_document], Settings(), lambda _, h=history: h
                )
                word = rng.choice(words)
                if kind == "plain":
                    question = f"Tell me about {word} ({n})"
                    server.enqueue(Reply.text(f"About {word}: an answer of some length."))
                else:
                    question = f"What does the attached report say about {word}?"
                    server.enqueue(Reply.tool("search_documents", {"query": word}))
                    server.enqueue(Reply.text(f"The report mentions {word} on a page."))
                first = FirstToken()
                start = time.perf_counter()
                run_turn(
                    agent,
                    "bench-turn",
                    HumanMessage(question),
                    StepRecorder(),
                    [first],
                    documents=scope,
                )
                assert first.at is not None
                results[kind].append((first.at - start) * 1000)
    return {f"{kind}_median_ms": statistics.median(v) for kind, v in results.items()}


def bench_attached(store: ConversationStore, words: list[str], turns: int) -> dict[str, float]:
    from streamlit_agent.files.kinds import Incoming
    from streamlit_agent.models.openai_client import ReasoningChatOpenAI
    from streamlit_agent.models.providers import ModelChoice
    from streamlit_agent.tools.documents import read_document, search_documents
    from streamlit_agent.web import attachments
    from tests.test_agent import ListHistory

    rng = random.Random(13)
    conversations = Conversations(store, OWNER)
    pdf = make_pdf(pages_of_text(50, words, rng))
    choice = ModelChoice("compatible", MODEL_ID, "http://127.0.0.1")
    results: dict[str, list[float]] = {"plain": [], "attached": []}
    with ScriptedOpenAI(chunk_delay=0.0) as server:
        llm = ReasoningChatOpenAI(
            base_url=server.base_url, api_key="sk-x", model=MODEL_ID, streaming=True
        )
        for n in range(turns):
            for kind in ("plain", "attached"):
                thread = store.create_thread(OWNER)
                history = ListHistory()
                agent = build_agent(
                    llm, [search_documents, read_document], Settings(), lambda _, h=history: h
                )
                question = HumanMessage("What is this report about?", id=f"q-{kind}-{n}")
                server.enqueue(Reply.text("It is about the harvest, page by page."))
                first = FirstToken()
                start = time.perf_counter()
                sent = question
                if kind == "attached":
                    extra = attachments.attach(
                        conversations, Settings(), thread, str(question.id),
                        [Incoming("fifty.pdf", pdf)],
                    )  # fmt: skip
                    question = question.model_copy(update={"additional_kwargs": extra})
                    sent, _ = attachments.for_model(
                        question, conversations, thread, choice, Settings()
                    )
                    assert sent is not None
                run_turn(
                    agent, thread, sent, StepRecorder(), [first],
                    documents=DocumentScope(conversations, thread),
                )  # fmt: skip
                assert first.at is not None
                results[kind].append((first.at - start) * 1000)
    return {f"{kind}_median_ms": statistics.median(v) for kind, v in results.items()}


def stores(work: Path) -> list[tuple[str, ConversationStore]]:
    found = [("sqlite", ConversationStore(f"sqlite:///{work / 'bench.db'}"))]
    try:
        import uuid

        import sqlalchemy as sa

        from tests.pg_support import PG_URL

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        found.append(
            (
                "postgresql",
                ConversationStore(PG_URL, connect_args={"options": f"-csearch_path={schema}"}),
            )
        )
    except Exception as exc:  # no server here: SQLite alone
        print(f"PostgreSQL not measured: {type(exc).__name__}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(3)
    words = vocabulary(rng)
    pdf = make_pdf(pages_of_text(args.pages, words, rng))
    got = bench_extraction(pdf, args.pages)
    extracted = got.pop("extracted")
    print(
        f"extract {args.pages} pages ({got['pdf_mb']:.1f} MB PDF, {got['chars']:,} chars): "
        f"{got['seconds']:.2f} s, {got['pages_per_s']:.0f} pages/s, "
        f"worker peak {got['worker_peak_mb']:.0f} MB"
    )
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as work:
        for name, store in stores(Path(work)):
            got = bench_indexing(store, extracted)
            print(
                f"[{name}] index {got['passages']:.0f} passages: {got['seconds']:.2f} s, "
                f"{got['passages_per_s']:.0f} passages/s, app peak {got['app_peak_mb']:.0f} MB"
            )
            got = bench_search(store, words, args.queries)
            print(
                f"[{name}] search 1,000 passages: median {got['median_ms']:.1f} ms, "
                f"p95 {got['p95_ms']:.1f} ms ({got['found_share']:.0%} of queries found some)"
            )
            if name == "sqlite":
                got = bench_first_token(store, words, args.turns)
                print(
                    f"[{name}] first answer token (in process): plain "
                    f"{got['plain_median_ms']:.0f} ms, after searching a 50-page document "
                    f"{got['document_median_ms']:.0f} ms"
                )
                got = bench_attached(store, words, args.turns)
                print(
                    f"[{name}] Enter to first answer token (in process): plain "
                    f"{got['plain_median_ms']:.0f} ms, with a 50-page PDF attached "
                    f"{got['attached_median_ms']:.0f} ms"
                )
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
