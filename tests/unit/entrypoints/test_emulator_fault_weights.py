"""The emulator's fault weights: validated like every knob, and deciding which kind a fault is."""

from __future__ import annotations

import pytest

from fabctl.entrypoints.emulator.faults import Dice
from fabctl.entrypoints.emulator.options import EmulatorOptions, parse_fault_weights


def test_weights_are_read_from_the_flag_and_from_json_alike() -> None:
    assert parse_fault_weights("failed-operation=4, 500=0.5") == {"500": 0.5, "failed-operation": 4.0}
    assert parse_fault_weights({"reset": 2}) == {"reset": 2.0}
    assert parse_fault_weights("") == {}


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ("boom=2", "unknown fault kind(s) boom"),
        ("failed-operation", "KIND=WEIGHT"),
        ("reset=0", "the weight of fault kind reset must be a number > 0"),
        ("reset=many", "the weight of fault kind reset must be a number > 0"),
        ({"reset": True}, "the weight of fault kind reset must be a number > 0"),
    ],
)
def test_a_bad_weight_is_refused_naming_it(given: object, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("(", r"\(").replace(")", r"\)")):
        parse_fault_weights(given)  # type: ignore[arg-type]


def test_a_running_server_takes_weights_as_an_object_only() -> None:
    options = EmulatorOptions().with_changes({"fault_weights": {"failed-operation": 3}})
    assert options.fault_weights == {"failed-operation": 3.0}
    assert options.runtime_view()["fault_weights"] == {"failed-operation": 3.0}
    with pytest.raises(ValueError, match="fault_weights must be an object"):
        EmulatorOptions().with_changes({"fault_weights": "failed-operation=3"})


def test_a_heavier_kind_is_drawn_more_often() -> None:
    kinds = ["500", "failed-operation"]
    evenly, weighted = Dice(7), Dice(7)
    even_picks = [evenly.fault(1.0, kinds) for _ in range(400)]
    heavy_picks = [weighted.fault(1.0, kinds, {"failed-operation": 9}) for _ in range(400)]
    # Evenly about half each; weighted 9 to 1 about nine in ten. The bounds are far from both means.
    assert 150 < even_picks.count("failed-operation") < 250
    assert heavy_picks.count("failed-operation") > 320
