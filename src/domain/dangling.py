"""References that would dangle: a deployment never leaves a logical id (or a placeholder) in a definition.

While planning, binding notes what each item refers to (`Reference`): a logical id fabctl knows (from
the source's `.platform` files or its deployment records of the target), an item named by a
`$items` value, or a report's `byPath` model. Such a reference holds only if the item it names is
in the deployment or already in the target (and not deleted by this deployment). Otherwise, before
any write, the plan is refused naming the referring item, its file and the missing item; for a
logical id the user may accept it (`--allow-dangling`), which leaves the logical id as it is.
A `$items` value or a report's model cannot be written without the item, so it is always refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from fabctl.domain.errors import InvalidSource
from fabctl.domain.items import ItemKey

LOGICAL_ID = "logical id"


@dataclass(frozen=True, order=True)
class Reference:
    """Binding found, in `part` (a source-relative file path), a reference to `target`."""

    part: str
    target: ItemKey
    how: str  # "logical id <guid>", "'$items.Lakehouse.Lake.$id'", "byPath '../Sales.SemanticModel'"

    @property
    def by_logical_id(self) -> bool:
        return self.how.startswith(LOGICAL_ID)


@dataclass(frozen=True, order=True)
class DanglingReference:
    item: ItemKey
    reference: Reference

    def __str__(self) -> str:
        r = self.reference
        return f"{self.item} refers to {r.target} in '{r.part}' ({r.how})"


class DanglingReferences(InvalidSource):
    """Items refer to items that will be neither deployed nor in the target workspace."""


def dangling(references: Mapping[ItemKey, Iterable[Reference]], available: Set[ItemKey]) -> list[DanglingReference]:
    """The references, of the items given, to an item that is not `available` after the deployment."""
    return sorted(
        DanglingReference(item, r)
        for item, found in references.items()
        for r in found
        if r.target not in available and r.target != item
    )


def refuse(found: list[DanglingReference], *, allowed: bool, subject: str) -> tuple[str, ...]:
    """Raise for what may not dangle; the warnings for what the user allowed to (`allowed`)."""
    refused = [d for d in found if not (allowed and d.reference.by_logical_id)]
    if refused:
        fix = "deploy the missing items too (--with-dependencies, or --item)"
        if any(d.reference.by_logical_id for d in refused) and not allowed:
            fix += ", or pass --allow-dangling to deploy with the logical ids left in"
        listed = "; ".join(str(d) for d in refused)
        raise DanglingReferences(
            f"{listed}: neither in this deployment nor in the target workspace; {fix}",
            subject=subject,
            field="references",
        )
    return tuple(f"{d}: neither deployed nor in the workspace; its logical id is left as it is" for d in found)
