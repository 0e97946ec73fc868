"""Token usage and estimated cost, per call and summed per command.

Costs are estimates from public list prices (USD per million tokens) for known
OpenAI models; an unknown hosted model reports tokens and a cost of `None`,
and the embedded model costs nothing.

Speed: `fit_speed` turns timed calls (input tokens, output tokens, seconds)
into seconds per input and per output token, by least squares over this
command's calls or the replies stored in the response cache
(`stored_replies`); the client sets its request timeout from it and
`winback run --dry-run` its time estimate (`agent.run.estimate`).

Observers: `observe_calls(fn)` makes every call metered in this context (this
thread or task) also go to `fn(record)`, so a progress display can count the
calls of a run where they happen without being handed the client.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROMPT_SPEEDUP = 10.0  # prompt tokens vs generated tokens per second, when only one is measured
MIN_HISTORY = 4  # timed calls needed to fit the two rates
CallObserver = Callable[[dict[str, Any]], None]
_OBSERVERS: ContextVar[tuple[CallObserver, ...]] = ContextVar(
    "winback_llm_call_observers", default=()
)


@contextmanager
def observe_calls(observer: CallObserver) -> Iterator[None]:
    """Send every metered call's record to `observer` while the context is open."""
    token = _OBSERVERS.set((*_OBSERVERS.get(), observer))
    try:
        yield
    finally:
        _OBSERVERS.reset(token)


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
        record = {
            "model": model,
            "cached": cached,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "seconds": round(seconds, 3),
        }
        self.records.append(record)
        for observer in _OBSERVERS.get():
            observer(record)

    def timed_calls(self) -> list[tuple[int, int, float]]:
        """(input tokens, output tokens, seconds) of this command's uncached calls."""
        return [
            (r["input_tokens"], r["output_tokens"], r["seconds"])
            for r in self.records
            if not r["cached"] and r["seconds"] > 0
        ]

    def summary(self) -> dict:
        """The totals, as printed by `--json` commands under the key `llm`."""
        return {
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
        }


@dataclass(frozen=True)
class Speed:
    """Seconds per input and per output token, and where the figures come from."""

    seconds_per_input_token: float
    seconds_per_output_token: float
    source: str
    samples: int = 0

    @property
    def output_tokens_per_second(self) -> float:
        """Generation speed, the figure people quote."""
        return 1 / self.seconds_per_output_token if self.seconds_per_output_token else math.inf

    def seconds(self, input_tokens: float, output_tokens: float) -> float:
        """Predicted seconds for one call of this size."""
        return (
            input_tokens * self.seconds_per_input_token
            + output_tokens * self.seconds_per_output_token
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {
            "output_tokens_per_second": round(self.output_tokens_per_second, 1),
            "input_tokens_per_second": round(1 / self.seconds_per_input_token, 1)
            if self.seconds_per_input_token
            else None,
            "source": self.source,
            "samples": self.samples,
        }


def fit_speed(records: Iterable[tuple[int, int, float]], source: str) -> Speed | None:
    """Rates from (input tokens, output tokens, seconds) of real calls; None without data."""
    import numpy as np  # here, not at import: `winback --help` stays light

    rows = [(i, o, s) for i, o, s in records if s > 0 and (i or o)]
    if not rows:
        return None
    x = np.array([[i, o] for i, o, _ in rows], dtype=float)
    y = np.array([s for _, _, s in rows], dtype=float)
    if len(rows) >= MIN_HISTORY and np.linalg.matrix_rank(x) == 2:
        (a, b), *_ = np.linalg.lstsq(x, y, rcond=None)
        if a >= 0 and b > 0:
            return Speed(float(a), float(b), source, len(rows))
    # one rate from the totals, the prompt rate a fixed fraction of it
    effective_out = x[:, 1].sum() + x[:, 0].sum() / PROMPT_SPEEDUP
    b = float(y.sum() / effective_out) if effective_out else 0.0
    return Speed(b / PROMPT_SPEEDUP, b, source, len(rows)) if b > 0 else None


def stored_replies(path: Path, model: str) -> list[dict[str, Any]]:
    """This model's replies in the response cache that carry their duration (read-only)."""
    if not path.is_file():
        return []
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT response FROM responses WHERE model = ?", (model,)).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    out = []
    for (blob,) in rows:
        reply = json.loads(blob)
        if float(reply.get("seconds") or 0) > 0:
            out.append(reply)
    return out
