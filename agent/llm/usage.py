"""Token usage and estimated cost, per call and summed per command.

Costs are estimates from public list prices (USD per million tokens) for known
OpenAI models; an unknown hosted model reports tokens and a cost of `None`,
and the embedded model costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# USD per 1M tokens: (input, output). List prices; an estimate, not a bill.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}


def estimate_cost(provider: str, model: str, input_tokens: int, output_tokens: int) -> float | None:
    """Estimated USD cost of one call, 0 for the embedded model, None if unknown."""
    if provider == "local":
        return 0.0
    # dated snapshots ("gpt-4o-mini-2024-07-18") price like their family
    for name in sorted(PRICES_PER_MILLION, key=len, reverse=True):
        if model == name or model.startswith(name + "-"):
            price_in, price_out = PRICES_PER_MILLION[name]
            return (input_tokens * price_in + output_tokens * price_out) / 1_000_000
    return None


@dataclass
class UsageMeter:
    """Sums LLM calls, cache hits, tokens and cost over one command."""

    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    seconds: float = 0.0
    records: list[dict] = field(default_factory=list)

    def add(
        self,
        *,
        provider: str,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cached: bool,
        seconds: float,
    ) -> None:
        """Record one call (a cache hit counts as a cached call with no new tokens)."""
        if cached:
            self.cached_calls += 1
        else:
            self.calls += 1
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            self.seconds += seconds
            cost = estimate_cost(provider, model, input_tokens, output_tokens)
            self.cost_usd = None if cost is None or self.cost_usd is None else self.cost_usd + cost
        self.records.append(
            {
                "model": model,
                "cached": cached,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "seconds": round(seconds, 3),
            }
        )

    def summary(self) -> dict:
        """The totals, as printed by `--json` commands under the key `llm`."""
        return {
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
        }
