"""Progress display for the stages of a run, on stderr so `--json` stays clean."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class StageProgress:
    """One line per stage: a spinner (or a bar for counted work) and its time."""

    def __init__(self, enabled: bool = True) -> None:
        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.timings: dict[str, float] = {}
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),  # labels name segments: data
            BarColumn(bar_width=24),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=self.console,
            disable=not self.enabled,
        )

    def __enter__(self) -> StageProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[StageTask]:
        """Time a stage; `total` shows a bar the stage advances."""
        task_id = self._progress.add_task(name, total=total or 1)
        started = time.perf_counter()
        task = StageTask(self._progress, task_id)
        try:
            yield task
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
            self._progress.update(task_id, completed=total or 1)

    def note(self, text: str) -> None:
        """A message above the progress lines."""
        if self.enabled:
            self._progress.console.print(text)


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
