"""Runs work on a bounded pool of threads, each task as soon as every task it needs has finished.

Not level by level: a task waits only for its own prerequisites, never for unrelated slow ones.
Readiness is `graphlib.TopologicalSorter`'s: a task is handed out by `get_ready()` once every task
it needs has been marked `done()`.
"""

from __future__ import annotations

import contextvars
import heapq
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from graphlib import TopologicalSorter
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def run_when_ready(
    tasks: Sequence[K],
    needs: Mapping[K, set[K]],
    work: Callable[[K], None],
    *,
    max_workers: int,
    stopped: Callable[[], bool],
) -> list[K]:
    """Run `work(task)` for every task after the tasks it `needs` (among `tasks`) have finished.

    Of the tasks ready at once, those earlier in `tasks` start first. Once `stopped()` is true no
    task starts; running ones finish. Returns the tasks never started, in the order of `tasks`.
    A cycle among the tasks raises `graphlib.CycleError` before any starts. `work` must not raise:
    it reports its own failures (an exception from it is re-raised here once the running tasks end).
    """
    workers = max(1, max_workers)
    position = {task: index for index, task in enumerate(tasks)}
    graph: TopologicalSorter[K] = TopologicalSorter()
    for task in tasks:
        graph.add(task, *(needed for needed in needs.get(task, ()) if needed in position))
    graph.prepare()
    ready: list[tuple[int, K]] = []  # a heap by position in `tasks`: tasks need not be comparable

    def take_ready() -> None:
        for task in graph.get_ready():
            heapq.heappush(ready, (position[task], task))

    take_ready()
    started: set[K] = set()
    running: dict[Future[None], K] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fabctl-deploy") as pool:
        while True:
            while ready and len(running) < workers and not stopped():
                _, task = heapq.heappop(ready)
                started.add(task)
                # Each task in a copy of the caller's context: its spans are children of the deployment's.
                running[pool.submit(contextvars.copy_context().run, work, task)] = task
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                finished = running.pop(future)
                future.result()  # a bug in `work` surfaces here instead of hanging the run
                graph.done(finished)
            take_ready()
    return [task for task in tasks if task not in started]
