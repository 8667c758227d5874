"""The deployment order of small hand-made graphs: ties, selections, given references and cycles.

Each expected order is written out by hand from the references the test's items hold.
"""

from __future__ import annotations

import pytest

from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import DependencyCycle
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.references import dependency_order
from fabctl.domain.workspace import Workspace


def guid(number: int) -> str:
    return f"{number:08d}-cccc-4ccc-8ccc-cccccccccccc"


def notebook(name: str, number: int, *uses: int) -> Item:
    """A notebook whose content names the logical ids of the notebooks numbered `uses`."""
    text = "\n".join(f'ref = "{guid(n)}"' for n in uses) or "# refers to nothing"
    part = DefinitionPart.from_text("notebook-content.py", text)
    return Item(ItemKey("Notebook", name), LogicalId(guid(number)), definition=ItemDefinition.of([part]))


def key(name: str) -> ItemKey:
    return ItemKey("Notebook", name)


def names(order: list[ItemKey]) -> list[str]:
    return [k.name for k in order]


def test_of_the_items_ready_at_each_point_the_smallest_key_comes_first() -> None:
    # D needs B and C, which both need A; E needs nothing. Ready at first: A and E; A < E, and
    # placing A makes B and C ready, which sort before E.
    workspace = Workspace.of(
        "diamond",
        [notebook("E", 5), notebook("D", 4, 2, 3), notebook("C", 3, 1), notebook("B", 2, 1), notebook("A", 1)],
    )

    assert names(dependency_order(workspace)) == ["A", "B", "C", "D", "E"]


def test_a_late_ready_item_waits_for_smaller_keys_already_ready() -> None:
    # A needs Z: Z must come first although A sorts first; once Z is placed, A and B are both ready.
    workspace = Workspace.of("late", [notebook("A", 1, 26), notebook("B", 2), notebook("Z", 26)])

    assert names(dependency_order(workspace)) == ["B", "Z", "A"]


def test_references_outside_the_selection_do_not_hold_an_item_back() -> None:
    workspace = Workspace.of("chain", [notebook("A", 1), notebook("B", 2, 1), notebook("C", 3, 2)])

    assert names(dependency_order(workspace, [key("C"), key("B")])) == ["B", "C"]
    assert names(dependency_order(workspace, [key("C")])) == ["C"]


def test_selected_keys_the_workspace_does_not_hold_are_left_out() -> None:
    workspace = Workspace.of("pair", [notebook("A", 1), notebook("B", 2, 1)])

    assert names(dependency_order(workspace, [key("B"), key("Missing"), key("A")])) == ["A", "B"]


def test_given_references_replace_what_the_definitions_say() -> None:
    # The definitions say B needs A; the references given (say, with the parameters' ones) say
    # A needs C and B needs nothing.
    workspace = Workspace.of("given", [notebook("A", 1), notebook("B", 2, 1), notebook("C", 3)])
    given = {key("A"): {key("C")}, key("B"): set(), key("C"): set()}

    assert names(dependency_order(workspace, references=given)) == ["B", "C", "A"]


def test_an_item_the_given_references_lack_has_its_own_read() -> None:
    workspace = Workspace.of("partial", [notebook("A", 1, 2), notebook("B", 2)])

    assert names(dependency_order(workspace, references={key("B"): set()})) == ["B", "A"]


def cycle_named(workspace: Workspace) -> set[str]:
    with pytest.raises(DependencyCycle) as caught:
        dependency_order(workspace)
    message = caught.value.message
    assert message.startswith("these items refer to each other in a cycle: ")
    assert caught.value.field == "references"
    return set(message.removeprefix("these items refer to each other in a cycle: ").split(", "))


def test_an_item_between_two_cycles_is_not_named_as_part_of_one() -> None:
    # A <-> B and C <-> D are cycles; X is needed by A and needs C, but no path leads from X back to X.
    workspace = Workspace.of(
        "two cycles",
        [
            notebook("A", 1, 2, 24),
            notebook("B", 2, 1),
            notebook("X", 24, 3),
            notebook("C", 3, 4),
            notebook("D", 4, 3),
        ],
    )

    named = cycle_named(workspace)

    assert named in ({"A.Notebook", "B.Notebook"}, {"C.Notebook", "D.Notebook"})


def test_a_longer_cycle_is_named_whole_and_only_it() -> None:
    # A -> B -> C -> A; D needs A, E needs nothing.
    workspace = Workspace.of(
        "ring",
        [notebook("A", 1, 2), notebook("B", 2, 3), notebook("C", 3, 1), notebook("D", 4, 1), notebook("E", 5)],
    )

    assert cycle_named(workspace) == {"A.Notebook", "B.Notebook", "C.Notebook"}


def test_the_cycle_reported_is_the_same_whatever_order_the_items_were_added_in() -> None:
    items = [notebook("A", 1, 2), notebook("B", 2, 1), notebook("C", 3, 4), notebook("D", 4, 3)]

    assert cycle_named(Workspace.of("one", items)) == cycle_named(Workspace.of("other", items[::-1]))
