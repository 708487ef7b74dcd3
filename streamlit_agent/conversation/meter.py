"""Token and cost meter: what each answer's agent run used, and the conversation's total.

An answer's `response_metadata["usage"]` holds its input and output tokens summed over
every model call of the run (`steps.StepRecorder`), and `model_name` the model the
provider says answered. Cost is an estimate from the price table in settings, given
only for a model in it: an unknown model (the bundled one, most OpenAI-compatible
servers) shows tokens and no made-up price.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ui/sidebar.py imports this module before the page imports LangChain
    from langchain_core.messages import BaseMessage

Prices = Sequence[tuple[str, float, float]]  # (model, USD per 1M input, per 1M output)
# In a reply's response metadata: its server reported no usage, so its tokens were
# estimated from its text (`openai_client.ReasoningChatOpenAI`).
USAGE_ESTIMATED_KEY = "usage_estimated"


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # None: no answer had a known price
    unpriced: int = 0  # answers with tokens but no known price (totals only)
    estimated: int = 0  # answers whose tokens were estimated from text, not reported

    def __add__(self, other: Usage) -> Usage:
        costs = [c for c in (self.cost_usd, other.cost_usd) if c is not None]
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            sum(costs) if costs else None,
            self.unpriced + other.unpriced,
            self.estimated + other.estimated,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def as_dict(self) -> dict[str, int | float | None]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
        }


def price_for(model_name: str | None, prices: Prices) -> tuple[float, float] | None:
    """The table's price for `model_name`, also under a dated name (gpt-4o-2024-08-06)."""
    if not model_name:
        return None
    best: tuple[str, float, float] | None = None
    for row in prices:
        name = row[0]
        exact = model_name == name
        dated = (
            model_name.startswith(name + "-")
            and model_name[len(name) + 1 : len(name) + 2].isdigit()
        )
        if (exact or dated) and (best is None or len(name) > len(best[0])):
            best = row
    return (best[1], best[2]) if best else None


def answer_usage(message: BaseMessage, prices: Prices) -> Usage | None:
    """What the run behind one stored answer used; None when nothing was reported."""
    if message.type != "ai" or message.tool_calls:  # type: ignore[attr-defined]
        return None
    meta = message.response_metadata or {}
    used = meta.get("usage") or {}
    tokens_in, tokens_out = int(used.get("input_tokens") or 0), int(used.get("output_tokens") or 0)
    if not tokens_in and not tokens_out:
        return None
    estimated = 1 if meta.get(USAGE_ESTIMATED_KEY) else 0
    price = price_for(meta.get("model_name"), prices)
    if price is None:
        return Usage(tokens_in, tokens_out, None, unpriced=1, estimated=estimated)
    cost = (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000
    return Usage(tokens_in, tokens_out, cost, estimated=estimated)


def conversation_usage(messages: Iterable[BaseMessage], prices: Prices) -> Usage:
    """The running total over the answers the conversation holds."""
    total = Usage()
    for message in messages:
        used = answer_usage(message, prices)
        if used is not None:
            total += used
    return total


def describe(used: Usage) -> str:
    """`1,234 in · 56 out tokens · ≈ $0.0012`, the cost left out when unknown; "(estimated)"
    when some of the tokens were counted from text because the server reported none."""
    text = f"{used.input_tokens:,} in · {used.output_tokens:,} out tokens"
    if used.estimated:
        text += " (estimated)"
    if used.cost_usd is not None:
        text += f" · ≈ ${used.cost_usd:.4f}"
        if used.unpriced:
            text += f" (+{used.unpriced} unpriced)"
    return text
