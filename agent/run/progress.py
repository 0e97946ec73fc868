"""Progress of a run's stages, on stderr so `--json` stays clean.

On a terminal: one live line per stage (a spinner, or a bar for counted work)
with its time, and, once the run's estimate is known (`expect_llm_calls`), a
line "LLM calls done/expected" with an ETA from the speed measured so far.
When stderr is not a terminal (a log file, a CI job, a pipe), live lines would
print nothing useful, so each stage writes one plain line when it ends
("winback: variants (LLM) 41.2 s, LLM calls 7/9, ETA 25 s"), as does every
LLM call that takes longer than `SLOW_CALL_SECONDS`, so a long run is never
silent.

LLM calls are counted through `agent.llm.usage.observe_calls`: the client
reports each call where it happens, whichever stage made it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from agent.child_processes import raise_if_stop_requested
from agent.llm.usage import observe_calls

SLOW_CALL_SECONDS = 30.0


def eta_text(seconds: float | None) -> str:
    """`ETA 2 min 05 s`, `ETA 40 s` or `ETA unknown`."""
    if seconds is None:
        return "ETA unknown"
    seconds = max(0, round(seconds))
    if seconds >= 60:
        return f"ETA {seconds // 60} min {seconds % 60:02d} s"
    return f"ETA {seconds} s"


class LLMCalls:
    """Calls done against calls expected, and the time left at the speed measured so far."""

    def __init__(self, expected: float, seconds_per_call: float | None = None) -> None:
        self.expected = max(round(expected), 0)
        self.prior = seconds_per_call
        self.done = 0
        self.cached = 0
        self.seconds = 0.0

    def add(self, record: dict[str, Any]) -> None:
        """One call as metered by the client."""
        if record["cached"]:
            self.cached += 1
        else:
            self.done += 1
            self.seconds += float(record["seconds"])

    @property
    def total(self) -> int:
        """The expected total, raised when the run needs more calls than expected."""
        return max(self.expected, self.done + self.cached)

    def remaining_seconds(self) -> float | None:
        """Seconds left: calls left times the measured (else the estimated) time per call."""
        per_call = self.seconds / self.done if self.done else self.prior
        if per_call is None:
            return None
        return max(self.total - self.done - self.cached, 0) * per_call

    def text(self) -> str:
        """`LLM calls 3/9 (1 cached), ETA 2 min 05 s`."""
        cached = f" ({self.cached} cached)" if self.cached else ""
        return f"LLM calls {self.done + self.cached}/{self.total}{cached}, " + eta_text(
            self.remaining_seconds()
        )


class StageProgress:
    """One line per stage: a spinner (or a bar for counted work) and its time."""

    def __init__(self, enabled: bool = True, *, lines: bool = True) -> None:
        self.console = Console(stderr=True)
        self.live = enabled and self.console.is_terminal
        self.enabled = self.live  # kept: callers ask whether anything is shown live
        self.lines = lines and not self.console.is_terminal
        self.timings: dict[str, float] = {}
        self.calls: LLMCalls | None = None
        self._calls_task: int | None = None
        self._exit = ExitStack()
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),  # labels name segments: data
            BarColumn(bar_width=24),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=self.console,
            disable=not self.live,
        )

    def __enter__(self) -> StageProgress:
        self._progress.start()
        self._exit.enter_context(observe_calls(self._on_call))
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()
        self._progress.stop()

    def expect_llm_calls(self, expected: float, seconds_per_call: float | None = None) -> None:
        """Show LLM calls done / `expected` with an ETA from here on."""
        self.calls = LLMCalls(expected, seconds_per_call)
        if self.live:
            self._calls_task = self._progress.add_task(self.calls.text(), total=None)

    def _on_call(self, record: dict[str, Any]) -> None:
        if self.calls is None:
            self.calls = LLMCalls(0)
        self.calls.add(record)
        if self._calls_task is not None:
            self._progress.update(self._calls_task, description=self.calls.text())
        if self.lines and not record["cached"] and record["seconds"] >= SLOW_CALL_SECONDS:
            self._line(f"LLM call took {record['seconds']:.0f} s; {self.calls.text()}")

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[StageTask]:
        """Time a stage; `total` shows a bar the stage advances. A stop signal whose raise
        was lost (see `raise_if_stop_requested`) ends the run at the stage's start or end."""
        raise_if_stop_requested()
        task_id = self._progress.add_task(name, total=total or 1)
        started = time.perf_counter()
        task = StageTask(self._progress, task_id)
        try:
            yield task
        finally:
            took = time.perf_counter() - started
            self.timings[name] = self.timings.get(name, 0.0) + took
            self._progress.update(task_id, completed=total or 1)
            if self.lines:
                calls = f", {self.calls.text()}" if self.calls and "LLM" in name else ""
                self._line(f"{name} {took:.1f} s{calls}")
        raise_if_stop_requested()

    def note(self, text: str) -> None:
        """A message above the progress lines (or a plain line when not on a terminal)."""
        if self.live:
            self._progress.console.print(text, markup=False, highlight=False)
        elif self.lines:
            self._line(text)

    def _line(self, text: str) -> None:
        print(f"winback: {text}", file=sys.stderr, flush=True)


class StageTask:
    """Handle to advance one stage's bar."""

    def __init__(self, progress: Progress, task_id: int) -> None:
        self._progress, self._id = progress, task_id

    def advance(self, n: int = 1) -> None:
        """Mark `n` units done."""
        self._progress.advance(self._id, n)

    def describe(self, text: str) -> None:
        """Change the stage's label."""
        self._progress.update(self._id, description=text)
