"""Bundled-model throughput: tokens per second through the app's path next to raw
llama-cpp-python, on the same model and machine, in the same run.

Rounds alternate the two (never at the same time), each generating a fixed prompt's
answer greedily (temperature 0, fixed seed) so both produce the same tokens:

    raw  `llama_cpp.Llama` in this process, loaded as the app's server loads it (same
         GGUF, n_ctx, chat format, threads), `create_chat_completion(stream=True)`;
    app  the app's own `LocalModelServer` (a separate process, started as the app starts
         it) driven by the app's chat model (`providers.build_chat_model` for the bundled
         choice), streaming over HTTP.

Tokens are counted with the GGUF's own tokenizer on the generated text (the same
counter for both). Two rates per round: decode (first token to last, what the user
sees while the answer streams) and end to end (request to last token, prompt
processing included). The target: app / raw >= 0.90 on the median of the rounds.

    .venv/bin/python -m benchmarks.throughput [--rounds 3] [--max-tokens 128] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.e2e_support import ensure_loopback_bypasses_proxies

REPO_ROOT = Path(__file__).resolve().parents[1]

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
SEED = 42
TARGET = 0.90


@dataclass
class Generation:
    """One streamed answer, timed from the request."""

    path: str  # raw | app
    round: int
    tokens: int
    chunks: int
    first_token_s: float  # request -> first content
    total_s: float  # request -> last content
    text: str
    model_cpu_s: float = 0.0  # CPU of the process running the model (this one, or the server)
    client_cpu_s: float = 0.0  # app path only: this process, reading the stream

    @property
    def cpu_ms_per_token(self) -> float:
        """CPU per token across both processes: unlike tok/s, hardly moved by others' load."""
        return (self.model_cpu_s + self.client_cpu_s) * 1000 / self.tokens if self.tokens else 0.0

    @property
    def decode_tps(self) -> float:
        """Tokens after the first, over the time from the first token to the last."""
        span = self.total_s - self.first_token_s
        return (self.tokens - 1) / span if span > 0 and self.tokens > 1 else 0.0

    @property
    def end_to_end_tps(self) -> float:
        return self.tokens / self.total_s if self.total_s > 0 else 0.0


def cpu_seconds(process: Any) -> float:
    times = process.cpu_times()
    return times.user + times.system


def timed_stream(pieces: Iterable[str]) -> tuple[str, int, float, float]:
    """(text, content chunks, first content at, last content at) in seconds from now."""
    began = time.perf_counter()
    parts: list[str] = []
    first = last = 0.0
    for piece in pieces:
        if not piece:
            continue
        last = time.perf_counter() - began
        if not parts:
            first = last
        parts.append(piece)
    return "".join(parts), len(parts), first, last


def server_model_settings(model_path: Path) -> Any:
    """The ModelSettings the app's server builds (local_model_server.build_app)."""
    from llama_cpp.server.settings import ModelSettings

    from streamlit_agent.models.bundled.launcher import parse_args
    from streamlit_agent.models.bundled.server import CHAT_FORMAT, MODEL_ALIAS

    args = parse_args(
        [
            *("--model", str(model_path), "--model-alias", MODEL_ALIAS),
            *("--chat-format", CHAT_FORMAT, "--port", "0"),
        ]
    )
    return ModelSettings(
        model=args.model,
        model_alias=args.model_alias,
        chat_format=args.chat_format,
        n_ctx=args.n_ctx,
    )


def raw_llama(model_path: Path) -> Any:
    """Plain `llama_cpp.Llama` with the server's model-defining settings, defaults otherwise."""
    from llama_cpp import Llama

    settings = server_model_settings(model_path)
    return Llama(
        model_path=str(model_path),
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        n_threads_batch=settings.n_threads_batch,
        n_batch=settings.n_batch,
        chat_format=settings.chat_format,
        verbose=False,
    )


def raw_generation(
    llm: Any, max_tokens: int, round_: int, count: Callable[[str], int]
) -> Generation:
    import psutil

    me = psutil.Process()
    cpu_before = cpu_seconds(me)
    stream = llm.create_chat_completion(
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        max_tokens=max_tokens,
        temperature=0.0,
        seed=SEED,
        # The server's request default (the app sends none): the same greedy choice.
        repeat_penalty=1.1,
    )
    pieces = (chunk["choices"][0]["delta"].get("content") or "" for chunk in stream)
    text, chunks, first, last = timed_stream(pieces)
    cpu = cpu_seconds(me) - cpu_before
    return Generation("raw", round_, count(text), chunks, first, last, text, cpu)


def app_generation(
    chat: Any, server: Any, max_tokens: int, round_: int, count: Callable[[str], int]
) -> Generation:
    """`server`: the psutil.Process of the app's model server."""
    import psutil
    from langchain_core.messages import HumanMessage

    me = psutil.Process()
    server_before, client_before = cpu_seconds(server), cpu_seconds(me)
    capped = chat.model_copy(update={"max_tokens": max_tokens})  # as the app caps its 512
    stream = capped.stream([HumanMessage(PROMPT)], seed=SEED)
    text, chunks, first, last = timed_stream(str(chunk.content) for chunk in stream)
    server_cpu, client_cpu = cpu_seconds(server) - server_before, cpu_seconds(me) - client_before
    return Generation("app", round_, count(text), chunks, first, last, text, server_cpu, client_cpu)


def server_process(base_url: str) -> Any:
    """The child process serving `base_url` (LocalModelServer keeps its handle private)."""
    import psutil

    port = base_url.rsplit(":", 1)[1].split("/")[0]
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            command = child.cmdline()
            if "streamlit_agent.models.bundled.launcher" in command and port in command:
                return child
    raise RuntimeError(f"no model server process for {base_url}")


def app_chat_model(server: Any) -> Any:
    """The app's chat model for the bundled choice, pointed at `server`."""
    from streamlit_agent.config import Settings
    from streamlit_agent.models.providers import ModelChoice, build_chat_model

    return build_chat_model(
        ModelChoice("bundled", "smollm2"),
        Settings(),
        local_base_url=server.base_url,
        local_api_key=server.api_key,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def summarise(generations: Sequence[Generation]) -> dict[str, Any]:
    by_path: dict[str, dict[str, float]] = {}
    for path in ("raw", "app"):
        mine = [g for g in generations if g.path == path]
        by_path[path] = {
            "decode_tps": median([g.decode_tps for g in mine]),
            "end_to_end_tps": median([g.end_to_end_tps for g in mine]),
            "first_token_s": median([g.first_token_s for g in mine]),
            "cpu_ms_per_token": median([g.cpu_ms_per_token for g in mine]),
            "model_cpu_ms_per_token": median([g.model_cpu_s * 1000 / g.tokens for g in mine]),
            "tokens": median([g.tokens for g in mine]),
        }
    raw, app = by_path["raw"], by_path["app"]
    ratios = {
        key: (app[key] / raw[key] if raw[key] else 0.0) for key in ("decode_tps", "end_to_end_tps")
    }
    texts = {g.path: g.text for g in generations}
    return {"median": by_path, "ratio": ratios, "same_text": len(set(texts.values())) == 1}


def machine_note() -> str:
    from importlib.metadata import version

    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    llama = version("llama_cpp_python")
    return f"{os.cpu_count()} cores {cpu!r}; llama-cpp-python {llama}; load average {load}"


def run(rounds: int, max_tokens: int, say: Callable[[str], None]) -> list[Generation]:
    from llama_cpp import Llama

    from streamlit_agent.models.bundled.server import LocalModelServer, find_bundled_model

    model_path = find_bundled_model(os.environ.get("STREAMLIT_AGENT_LOCAL_MODEL"))
    vocab = Llama(model_path=str(model_path), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False, special=True))

    say(f"model {model_path.name}; loading raw llama-cpp-python and starting the app's server")
    llm = raw_llama(model_path)
    server = LocalModelServer(model_path)
    server.start()
    generations: list[Generation] = []
    try:
        chat = app_chat_model(server)
        served_by = server_process(server.base_url)
        # One untimed warm-up each: first-call costs (page faults, client set-up) aside.
        raw_generation(llm, 8, 0, count)
        app_generation(chat, served_by, 8, 0, count)
        for round_ in range(1, rounds + 1):
            # Alternate which goes first, so a change in the machine's load hits both.
            order = ("raw", "app") if round_ % 2 else ("app", "raw")
            for path in order:
                if path == "raw":
                    generation = raw_generation(llm, max_tokens, round_, count)
                else:
                    generation = app_generation(chat, served_by, max_tokens, round_, count)
                generations.append(generation)
                say(
                    f"round {round_} {path}: {generation.tokens} tokens, "
                    f"decode {generation.decode_tps:.1f} tok/s, "
                    f"end to end {generation.end_to_end_tps:.1f} tok/s, "
                    f"first token {generation.first_token_s * 1000:.0f} ms, "
                    f"CPU {generation.cpu_ms_per_token:.1f} ms/token"
                )
        # The bundled model is the app's largest memory user, in its own process.
        say(f"the app's model server: RSS {served_by.memory_info().rss / 2**20:.0f} MiB")
    finally:
        server.stop()
        llm.close()
        vocab.close()
    return generations


def report(generations: Sequence[Generation], summary: dict[str, Any]) -> str:
    raw, app = summary["median"]["raw"], summary["median"]["app"]
    ratio = summary["ratio"]
    lines = [
        "",
        f"Median of {len(generations) // 2} rounds       raw llama-cpp   app path   app / raw",
        f"decode tok/s (1st->last)      {raw['decode_tps']:>11.1f}  {app['decode_tps']:>9.1f}"
        f"   {ratio['decode_tps']:.2f}",
        f"end-to-end tok/s              {raw['end_to_end_tps']:>11.1f}"
        f"  {app['end_to_end_tps']:>9.1f}"
        f"   {ratio['end_to_end_tps']:.2f}",
        f"first token (ms)              {raw['first_token_s'] * 1000:>11.0f}"
        f"  {app['first_token_s'] * 1000:>9.0f}",
        f"CPU ms per token (all)        {raw['cpu_ms_per_token']:>11.1f}"
        f"  {app['cpu_ms_per_token']:>9.1f}",
        f"  of which the model process  {raw['model_cpu_ms_per_token']:>11.1f}"
        f"  {app['model_cpu_ms_per_token']:>9.1f}",
        f"tokens                        {raw['tokens']:>11.0f}  {app['tokens']:>9.0f}",
        f"same text both ways: {'yes' if summary['same_text'] else 'NO'}",
        f"target app / raw >= {TARGET:.2f} (decode): "
        + ("met" if ratio["decode_tps"] >= TARGET else "NOT met"),
        f"machine: {machine_note()}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--json", type=Path, help="also write every generation here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.max_tokens < 2:
        parser.error("--rounds >= 1 and --max-tokens >= 2")
    ensure_loopback_bypasses_proxies()

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    generations = run(args.rounds, args.max_tokens, say)
    summary = summarise(generations)
    print(report(generations, summary), flush=True)
    if args.json:
        data = {
            "summary": summary,
            "generations": [
                {
                    **asdict(g),
                    "decode_tps": g.decode_tps,
                    "end_to_end_tps": g.end_to_end_tps,
                    "cpu_ms_per_token": g.cpu_ms_per_token,
                }
                for g in generations
            ],
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
