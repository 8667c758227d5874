"""Runs work on a bounded pool of threads, each task as soon as every task it needs has finished.

Not level by level: a task waits only for its own prerequisites, never for unrelated slow ones.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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

    `tasks` is a valid order (prerequisites first); ready tasks start in that order. Once
    `stopped()` is true no task starts; running ones finish. Returns the tasks never started.
    `work` must not raise: it reports its own failures.
    """
    among = set(tasks)
    waiting = {t: needs.get(t, set()) & among for t in tasks}  # new sets: discarded from as tasks finish
    not_started = list(tasks)
    running: dict[Future[None], K] = {}
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="fabctl-deploy") as pool:
        while True:
            if not stopped():
                for task in [t for t in not_started if not waiting[t]]:
                    if len(running) >= max(1, max_workers):
                        break
                    not_started.remove(task)
                    running[pool.submit(work, task)] = task
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                finished = running.pop(future)
                future.result()  # a bug in `work` surfaces here instead of hanging the run
                for other in not_started:
                    waiting[other].discard(finished)
    return not_started
