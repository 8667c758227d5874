"""What the scheduler runs for a plan: each item's write and, first, reservations of referenced items.

Creating an item with its definition is a long-running operation (seconds on Fabric), and the id
of the new item is known only when it ends. An item that refers to it needs that id, so a chain
of references would cost one whole operation per link. Instead, an item that another item being
written refers to, and that Fabric can create from a name alone, is *reserved*: created empty (a
short call that returns its id), its definition sent afterwards like an update. Whatever refers
to it waits for the reservation only, and the operations of a chain run side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fabctl.domain.creation import creation_payload_of
from fabctl.domain.item_types import can_be_created_empty
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.plan import ChangeKind, PlannedChange


@dataclass(frozen=True)
class Task:
    """One unit of scheduled work: an item's write, or (`reserve`) its creation without definition."""

    key: ItemKey
    reserve: bool = False


@dataclass(frozen=True)
class TaskGraph:
    order: list[Task]  # reservations first, then the writes in plan order (prerequisites first)
    needs: dict[Task, set[Task]]
    reserved: frozenset[ItemKey]


def plan_tasks(
    writes: Mapping[ItemKey, PlannedChange],
    references: Mapping[ItemKey, frozenset[ItemKey]],
    items: Mapping[ItemKey, Item],
) -> TaskGraph:
    """The tasks for `writes` (in plan order), given what each item refers to."""
    referenced = {r for key in writes for r in references.get(key, frozenset()) if r in writes}
    reserved = frozenset(
        key
        for key in referenced
        if writes[key].kind is ChangeKind.CREATE
        and can_be_created_empty(key.type)
        and creation_payload_of(items[key]) is None
        and not items[key].definition.is_empty
    )

    def prerequisite(key: ItemKey) -> Task:
        return Task(key, reserve=key in reserved)

    needs: dict[Task, set[Task]] = {Task(key, reserve=True): set() for key in reserved}
    for key in writes:
        wanted = {prerequisite(r) for r in references.get(key, frozenset()) if r in writes and r != key}
        if key in reserved:
            wanted.add(Task(key, reserve=True))
        needs[Task(key)] = wanted
    order = [Task(key, reserve=True) for key in writes if key in reserved] + [Task(key) for key in writes]
    return TaskGraph(order, needs, reserved)
