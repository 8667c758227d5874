"""Freeze windows follow their zone's wall clock: across midnight, the week's end and DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.freeze_windows import FreezeWindow
from fabctl.domain.promotion_rules import PromotionRule, RuleSet, evaluate

WEEKEND = FreezeWindow("friday", "16:00", "monday", "08:00", "Europe/Amsterdam", "weekend")


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        # Winter (CET, UTC+1): Friday 16:00 local is 15:00 UTC.
        (datetime(2026, 12, 4, 14, 59, tzinfo=UTC), False),
        (datetime(2026, 12, 4, 15, 0, tzinfo=UTC), True),
        (datetime(2026, 12, 6, 23, 30, tzinfo=UTC), True),  # Monday 00:30 local: past midnight and the week's end
        (datetime(2026, 12, 7, 6, 59, tzinfo=UTC), True),
        (datetime(2026, 12, 7, 7, 0, tzinfo=UTC), False),  # Monday 08:00 local: the end is excluded
        # Summer (CEST, UTC+2): the same UTC instants fall otherwise.
        (datetime(2026, 7, 3, 14, 30, tzinfo=UTC), True),  # Friday 16:30 local
        (datetime(2026, 7, 6, 6, 30, tzinfo=UTC), False),  # Monday 08:30 local
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), False),  # a Wednesday
    ],
)
def test_weekend_window_in_amsterdam(utc: datetime, inside: bool) -> None:
    assert WEEKEND.contains(utc) is inside


def test_a_window_spanning_the_switch_to_summer_time_ends_at_local_time() -> None:
    # 2026-03-29 is the Sunday Amsterdam moves from UTC+1 to UTC+2: Monday 08:00 local is 06:00 UTC.
    assert WEEKEND.contains(datetime(2026, 3, 30, 5, 59, tzinfo=UTC))
    assert not WEEKEND.contains(datetime(2026, 3, 30, 6, 0, tzinfo=UTC))


def test_a_night_window_across_midnight_in_new_york() -> None:
    night = FreezeWindow("tuesday", "22:00", "wednesday", "02:00", "America/New_York")
    assert night.contains(datetime(2026, 11, 4, 4, 0, tzinfo=UTC))  # Tue 23:00 EST
    assert not night.contains(datetime(2026, 11, 4, 7, 30, tzinfo=UTC))  # Wed 02:30 EST


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_day": "fri"}, "start_day"),
        ({"start": "25:00"}, "start"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"end_day": "friday", "end": "16:00"}, "end"),
    ],
)
def test_bad_windows_name_the_field(kwargs: dict[str, str], field: str) -> None:
    values = {"start_day": "friday", "start": "16:00", "end_day": "monday", "end": "08:00",
              "time_zone": "Europe/Amsterdam", **kwargs}  # fmt: skip
    with pytest.raises(InvalidConfiguration) as raised:
        FreezeWindow(**values)
    assert raised.value.field == field


RULES = RuleSet({
    "default": PromotionRule(change_pattern=r"CHG\d{7}", freeze_windows=(WEEKEND,), origin="test"),
    "Report": PromotionRule(allowed_sources=("test",), max_items=1, emergency_approvers="board", origin="test"),
})  # fmt: skip
WEDNESDAY = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_change_reference_required_and_matched_whole() -> None:
    for change in ("", "CHG123", "CHG12345678", "xCHG1234567"):
        refused = evaluate(RULES, ["N.Notebook"], source_environment="dev", change=change, at=WEDNESDAY).refusals
        assert [r.rule for r in refused] == ["change_pattern"], change
    assert not evaluate(RULES, ["N.Notebook"], source_environment="dev", change="CHG1234567", at=WEDNESDAY).refusals


def test_freeze_refuses_unless_emergency_and_then_needs_an_emergency_group() -> None:
    frozen = evaluate(RULES, ["N.Notebook"], source_environment="dev", change="CHG1234567", at=SATURDAY)
    assert [r.rule for r in frozen.refusals] == ["freeze_windows"]
    no_group = evaluate(RULES, ["N.Notebook"], source_environment="dev", change="CHG1234567", at=SATURDAY,
                        emergency=True)  # fmt: skip
    assert [r.rule for r in no_group.refusals] == ["emergency_approvers"]


def test_report_rule_source_and_item_limit() -> None:
    judged = evaluate(RULES, ["A.Report", "B.Report"], source_environment="dev", change="", at=WEDNESDAY)
    assert sorted({r.rule for r in judged.refusals}) == ["allowed_sources", "max_items"]
    assert [a.item for a in judged.applied] == ["A.Report", "B.Report"]
