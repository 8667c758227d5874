"""Progress while deploying: a live display on a terminal, one plain line per item in CI logs.

Both are callables taking the `ItemOutcome` the executor reports as each item finishes, and
both remember how long each item took, for the JUnit report.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from fabctl.application.deployment.results import ItemOutcome
    from fabctl.domain.plan import DeploymentPlan


class ProgressReporter:
    """Counts finished items against the expected total and times each of them."""

    def __init__(self) -> None:
        self.total = 0
        self.finished = 0
        self.durations: dict[str, float] = {}
        self._started = time.monotonic()
        self._last = self._started

    def __enter__(self) -> ProgressReporter:
        self._started = self._last = time.monotonic()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        return None

    def started(self, plan: DeploymentPlan) -> None:
        # Folders are created first, then one outcome per planned change.
        self.total = len(plan.folders_to_create) + len(plan.changes)
        self._started = self._last = time.monotonic()

    def item_finished(self, outcome: ItemOutcome) -> None:
        now = time.monotonic()
        # Items finish one after another: an item took the time since the one before it finished.
        elapsed = getattr(outcome, "duration", None)
        seconds = float(elapsed) if isinstance(elapsed, int | float) else now - self._last
        self._last = now
        self.finished += 1
        self.total = max(self.total, self.finished)
        self.durations[outcome.item] = seconds
        self.show(outcome, seconds)

    def show(self, outcome: ItemOutcome, seconds: float) -> None:
        """Nothing by default: JSON mode prints only the final document."""

    def line(self, outcome: ItemOutcome, seconds: float) -> str:
        suffix = f": {outcome.detail}" if outcome.status in ("failed", "skipped") and outcome.detail else ""
        return (
            f"[{self.finished}/{self.total}] {outcome.action} {outcome.item} ... "
            f"{outcome.status} ({seconds:.1f}s){suffix}"
        )


class PlainProgress(ProgressReporter):
    """For CI logs (stdout is not a terminal): `[3/11] create Load Sales.Notebook ... done (1.2s)`."""

    _closed = False

    def show(self, outcome: ItemOutcome, seconds: float) -> None:
        if self._closed:
            return
        try:
            click.echo(self.line(outcome, seconds))
            sys.stdout.flush()
        except OSError:
            # The reader went away (`| head`, a closed CI log): a display must never stop a deployment.
            self._closed = True


class LiveProgress(ProgressReporter):
    """For a terminal: a rich progress bar, with each finished item printed above it."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]deploying[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(highlight=False),
            transient=True,
        )
        self._task: Any = None

    def __enter__(self) -> LiveProgress:
        super().__enter__()
        self._progress.start()
        self._task = self._progress.add_task("", total=None)
        return self

    def started(self, plan: DeploymentPlan) -> None:
        super().started(plan)
        self._progress.update(self._task, total=self.total)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.stop()

    def show(self, outcome: ItemOutcome, seconds: float) -> None:
        from rich.markup import escape

        style = {"done": "green", "failed": "red", "skipped": "yellow", "unchanged": "dim"}.get(outcome.status, "")
        status = f"[{style}]{outcome.status}[/{style}]" if style else outcome.status
        self._progress.console.print(
            f"[{self.finished}/{self.total}] {outcome.action} {escape(outcome.item)} ... {status} "
            f"({seconds:.1f}s)" + (f": {escape(outcome.detail)}" if outcome.status == "failed" else ""),
        )
        self._progress.update(self._task, total=self.total, completed=self.finished, description=escape(outcome.item))


def reporter(output: str) -> ProgressReporter:
    """Silent for JSON, live on a terminal, plain lines otherwise."""
    if output == "json":
        return ProgressReporter()
    if sys.stdout.isatty():
        return LiveProgress()
    return PlainProgress()
