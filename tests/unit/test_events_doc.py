"""docs/events.md documents every event: its row names the CloudEvent type and every field of its data."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

from fabctl.domain import events

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_every_event_has_a_row_with_its_type_and_every_data_field() -> None:
    rows = {line.split("|")[1].strip().strip("`"): line for line in DOC.read_text(encoding="utf-8").splitlines()
            if line.startswith("| `")}  # fmt: skip
    kinds = [
        k
        for _, k in inspect.getmembers(events, inspect.isclass)
        if issubclass(k, events.Event) and not k.__subclasses__()  # the events, not their bases
    ]
    assert len(kinds) >= 15

    for kind in kinds:
        name = kind.__name__
        assert name in rows, f"docs/events.md has no row for {name}"
        assert f"`fabctl.{name}.v1`" in rows[name]
        missing = [f.name for f in dataclasses.fields(kind) if f"`{f.name}`" not in rows[name]]
        assert not missing, f"docs/events.md's row for {name} lacks {missing}"
