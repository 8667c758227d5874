"""A Variable Library's active value set: which of its value sets Fabric applies (ADR 0028).

fabric-cicd 1.4.0, after publishing a library, activates the set named like the target environment when
the library's `settings.json` lists it in `valueSetsOrder`, else the default values ("Default value
set"); a library without `settings.json` keeps whichever set is active. fabctl follows the same rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fabctl.domain.errors import InvalidSource
from fabctl.domain.items import Item

VALUE_SET_HOLDER = "VariableLibrary"
SETTINGS_PART = "settings.json"
DEFAULT_VALUE_SET = "Default value set"
ORDER_FIELD = "valueSetsOrder"


def value_set_for(item: Item, environment: str, source_dir: str = "") -> str | None:
    """The value set the library must have active in `environment`; None when it has no settings.json.

    A settings.json that is not a JSON object with a list `valueSetsOrder` is `InvalidSource` naming it."""
    if item.type != VALUE_SET_HOLDER:
        return None
    part = next((p for p in item.definition.parts if p.path == SETTINGS_PART), None)
    if part is None:
        return None
    relative = f"{item.source_path}/{SETTINGS_PART}" if item.source_path else SETTINGS_PART
    origin = f"{source_dir.rstrip('/')}/{relative}" if source_dir else relative
    try:
        settings = json.loads(part.payload.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InvalidSource(f"not JSON: {e}", subject=origin, field=ORDER_FIELD) from None
    order = settings.get(ORDER_FIELD) if isinstance(settings, dict) else None
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise InvalidSource(f"'{ORDER_FIELD}' must be a list of value set names", subject=origin, field=ORDER_FIELD)
    return environment if environment in order else DEFAULT_VALUE_SET


@dataclass(frozen=True)
class ValueSetWrite:
    """A journaled activation: the library's active value set goes from `before` to `after`."""

    before: str
    after: str

    def to_json(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ValueSetWrite:
        return cls(str(doc["before"]), str(doc["after"]))
