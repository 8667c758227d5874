"""Which items an item refers to, read from what its definition actually contains."""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Iterable, Mapping, Set
from graphlib import CycleError, TopologicalSorter

from fabctl.domain.definition import ItemDefinition
from fabctl.domain.errors import DependencyCycle
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.workspace import Workspace

REPORT_BINDING_PART = "definition.pbir"
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def report_model_path(definition: ItemDefinition) -> str | None:
    """The `byPath` semantic model path of a report's definition.pbir, if it binds by path."""
    part = definition.part(REPORT_BINDING_PART)
    text = part.text if part else None
    if not text:
        return None
    try:
        reference = json.loads(text).get("datasetReference", {})
    except (ValueError, AttributeError):
        return None
    by_path = reference.get("byPath") if isinstance(reference, dict) else None
    path = by_path.get("path") if isinstance(by_path, dict) else None
    return path if isinstance(path, str) else None


def model_key_from_path(path: str) -> ItemKey | None:
    """'../Sales Model.SemanticModel' -> ItemKey('SemanticModel', 'Sales Model')."""
    folder = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    name, dot, item_type = folder.rpartition(".")
    return ItemKey(item_type, name) if dot and name else None


def references_of(item: Item, workspace: Workspace) -> set[ItemKey]:
    """The other items of `workspace` that `item` refers to, by logical id or by path."""
    found: set[ItemKey] = set()
    for part in item.definition.content_parts:
        text = part.text
        if text is None:
            continue
        for guid in {m.group(0).lower() for m in _GUID.finditer(text)}:
            other = workspace.by_logical_id(LogicalId(guid))
            if other is not None and other.key != item.key:
                found.add(other.key)
    path = report_model_path(item.definition) if item.type == "Report" else None
    model = model_key_from_path(path) if path else None
    if model is not None and model in workspace:
        found.add(model)
    return found


def references_by_key(workspace: Workspace, keys: Iterable[ItemKey] | None = None) -> dict[ItemKey, frozenset[ItemKey]]:
    """`references_of` for each of `keys` (default: every item) that the workspace holds.

    Computing them reads every part of every definition, so a caller computes them once and
    passes them on rather than asking again.
    """
    chosen = sorted(keys) if keys is not None else sorted(i.key for i in workspace)
    return {
        key: frozenset(references_of(item, workspace)) for key in chosen if (item := workspace.get(key)) is not None
    }


def dependency_order(
    workspace: Workspace,
    keys: Iterable[ItemKey] | None = None,
    references: Mapping[ItemKey, Set[ItemKey]] | None = None,
) -> list[ItemKey]:
    """Items ordered so that every item comes after what it refers to.

    Of the items ready at each point, the smallest key comes first, so the order is stable between
    runs. A cycle raises an error that names the items of one cycle, and no item merely depending on
    it. `references` (as from `references_by_key`) saves reading the definitions again; an item it
    lacks has its references computed here.
    """
    selected = set(keys) if keys is not None else {i.key for i in workspace}
    known = references or {}
    items = {key: item for key in sorted(selected) if (item := workspace.get(key)) is not None}
    graph: TopologicalSorter[ItemKey] = TopologicalSorter()
    for key, item in items.items():  # in key order, so that the cycle reported is the same on every run
        needs = known[key] if key in known else references_of(item, workspace)
        graph.add(key, *sorted(k for k in needs if k in items))
    try:
        graph.prepare()
    except CycleError as e:
        cycle = ", ".join(str(k) for k in sorted(set(e.args[1])))
        raise DependencyCycle(f"these items refer to each other in a cycle: {cycle}", field="references") from None
    order: list[ItemKey] = []
    ready = list(graph.get_ready())
    heapq.heapify(ready)
    while ready:
        key = heapq.heappop(ready)
        order.append(key)
        graph.done(key)
        for unblocked in graph.get_ready():
            heapq.heappush(ready, unblocked)
    return order
