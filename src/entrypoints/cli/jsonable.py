"""Turns domain objects and results into plain JSON-able data for `--output json`."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

from fabctl.domain.definition import ItemDefinition
from fabctl.domain.identity import Identity
from fabctl.domain.items import ItemKey


def to_jsonable(value: Any) -> Any:
    if isinstance(value, ItemDefinition):
        # A definition can be megabytes; its identity is what a report needs.
        return {"parts": [p.path for p in value.parts], "content_hash": value.content_hash()}
    if isinstance(value, ItemKey | Identity):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "events" and not f.name.startswith("_")
        }
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return None
    return value
