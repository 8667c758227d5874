"""The scheduler (tasks start as soon as their own prerequisites finish, within the worker bound,
and none after a stop) and the selection rules, on small hand-built inputs."""

from __future__ import annotations

import threading
from graphlib import CycleError

import pytest

from fabctl.application.deployment.scheduler import run_when_ready
from fabctl.application.deployment.selection import Selection, select_items
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import NotFound
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.workspace import Workspace

from .world import source_items


def test_a_task_starts_when_its_own_prerequisites_finish_not_a_whole_level() -> None:
    dependent_ran = threading.Event()
    finished: list[str] = []

    def work(task: str) -> None:
        if task == "slow":  # finishes only once "after-b" (a level-1 task) has run
            dependent_ran.wait(timeout=5)
        if task == "after-b":
            dependent_ran.set()
        finished.append(task)

    left = run_when_ready(["b", "slow", "after-b"], {"after-b": {"b"}}, work, max_workers=3, stopped=lambda: False)

    assert left == []
    assert finished.index("after-b") < finished.index("slow")


def test_prerequisites_finish_before_their_dependents_start() -> None:
    log: list[str] = []
    lock = threading.Lock()

    def work(task: str) -> None:
        with lock:
            log.append(f"start {task}")
        with lock:
            log.append(f"end {task}")

    needs = {"c": {"a", "b"}, "d": {"c"}}
    run_when_ready(["a", "b", "c", "d"], needs, work, max_workers=4, stopped=lambda: False)

    for task, prerequisites in needs.items():
        for needed in prerequisites:
            assert log.index(f"end {needed}") < log.index(f"start {task}")


def test_workers_run_together_up_to_the_bound() -> None:
    pair = threading.Barrier(2, timeout=5)  # breaks (and fails the task) unless two run at once
    lock = threading.Lock()
    active, most = [0], [0]

    def work(task: int) -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        pair.wait()
        with lock:
            active[0] -= 1

    assert run_when_ready([1, 2, 3, 4], {}, work, max_workers=2, stopped=lambda: False) == []
    assert most[0] == 2


def test_nothing_starts_after_a_stop_and_the_rest_is_returned() -> None:
    stop = threading.Event()
    ran: list[str] = []

    def work(task: str) -> None:
        ran.append(task)
        stop.set()

    left = run_when_ready(["x", "y", "z"], {}, work, max_workers=1, stopped=stop.is_set)

    assert ran == ["x"] and left == ["y", "z"]


def test_of_the_tasks_ready_at_once_the_earlier_in_the_given_order_starts_first() -> None:
    started: list[str] = []

    # One worker: "b" becomes ready when "a" ends, and starts before "c" and "d", ready since the start.
    left = run_when_ready(["a", "b", "c", "d"], {"b": {"a"}}, started.append, max_workers=1, stopped=lambda: False)

    assert left == [] and started == ["a", "b", "c", "d"]


def test_a_need_outside_the_tasks_holds_nothing_back() -> None:
    started: list[str] = []

    left = run_when_ready(["b"], {"b": {"elsewhere"}}, started.append, max_workers=1, stopped=lambda: False)

    assert left == [] and started == ["b"]


def test_after_a_stop_the_tasks_left_are_returned_in_the_given_order() -> None:
    stop = threading.Event()
    started: list[str] = []

    def work(task: str) -> None:
        started.append(task)
        if task == "a":
            stop.set()

    # "c" waits for "b", which never starts: both are left, with "d", which was ready all along.
    left = run_when_ready(["a", "b", "c", "d"], {"c": {"b"}}, work, max_workers=1, stopped=stop.is_set)

    assert started == ["a"] and left == ["b", "c", "d"]


def test_a_cycle_among_the_tasks_is_refused_before_any_starts() -> None:
    started: list[str] = []

    with pytest.raises(CycleError):
        run_when_ready(["a", "b", "c"], {"a": {"b"}, "b": {"a"}}, started.append, max_workers=2, stopped=lambda: False)

    assert started == []


def test_an_error_in_the_work_is_raised_once_the_running_tasks_end() -> None:
    other_started = threading.Event()
    ended: list[str] = []

    def work(task: str) -> None:
        if task == "broken":
            other_started.wait(timeout=5)  # a deadline for a broken scheduler, not what decides the outcome
            raise RuntimeError("a bug in the work")
        other_started.set()
        ended.append(task)

    with pytest.raises(RuntimeError, match="a bug in the work"):
        run_when_ready(["broken", "other", "after"], {"after": {"broken"}}, work, max_workers=2, stopped=lambda: False)

    assert ended == ["other"]  # the task running beside it ended; the one needing it never started


SOURCE = Workspace.of("sales", source_items())


def keys(*selection: Selection) -> list[set[str] | None]:
    found = [select_items(SOURCE, s) for s in selection]
    return [None if f is None else {str(k) for k in f} for f in found]


def test_no_filter_means_the_whole_source() -> None:
    assert keys(Selection(), Selection(with_dependencies=True)) == [None, None]


def test_filters_combine_and_values_are_exact_or_full_regexes() -> None:
    by_name, by_regex, partial, both = keys(
        Selection(items=("Sales",)),
        Selection(items=("Sales.*",), item_types=("SemanticModel",)),
        Selection(item_types=("Model",)),  # a regex must match the whole type
        Selection(folders=("Note.*",), exclude=("Load Sales.Notebook",)),
    )
    assert by_name == {"Sales.Lakehouse"}
    assert by_regex == {"Sales Model.SemanticModel"}
    assert partial == set() and both == set()


def chain_item(name: str, number: int, uses: int | None = None) -> Item:
    text = f"# uses {guid(uses)}\n" if uses is not None else "# first\n"
    part = DefinitionPart.from_text("notebook-content.py", text)
    return Item(ItemKey("Notebook", name), LogicalId(guid(number)), definition=ItemDefinition.of([part]))


def guid(number: int) -> str:
    return f"{number:08d}-bbbb-4bbb-8bbb-bbbbbbbbbbbb"


def test_dependencies_are_followed_transitively_and_exclusions_stop_them() -> None:
    chain = Workspace.of("chain", [chain_item("A", 1), chain_item("B", 2, uses=1), chain_item("C", 3, uses=2)])
    everything = select_items(chain, Selection(items=("C",), with_dependencies=True))
    cut = select_items(chain, Selection(items=("C",), with_dependencies=True, exclude=("B",)))

    assert everything == {ItemKey("Notebook", n) for n in "ABC"}
    assert cut == {ItemKey("Notebook", "C")}


def test_an_invalid_regex_is_taken_as_an_exact_value() -> None:
    with pytest.raises(NotFound):
        select_items(SOURCE, Selection(items=("Sales[",)))
    assert select_items(SOURCE, Selection(item_types=("Lakehouse",))) == {ItemKey("Lakehouse", "Sales")}
