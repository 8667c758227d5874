"""Freeze windows: recurring weekly ranges of local time in an IANA time zone, when promoting is refused.

A window is compared in its zone's wall-clock time ("Friday 16:00 to Monday 08:00 Europe/Amsterdam"),
so it follows the zone across daylight saving time: the same UTC instant can fall inside in winter and
outside in summer. A range whose end comes before its start in the week wraps over Sunday night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fabctl.domain.errors import InvalidConfiguration

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MINUTES_PER_WEEK = 7 * 24 * 60


@dataclass(frozen=True)
class FreezeWindow:
    start_day: str  # one of DAYS
    start: str  # "HH:MM", local time in `time_zone`
    end_day: str
    end: str
    time_zone: str  # an IANA name, e.g. "Europe/Amsterdam"
    name: str = ""

    def __post_init__(self) -> None:
        for field, day in (("start_day", self.start_day), ("end_day", self.end_day)):
            if day not in DAYS:
                raise InvalidConfiguration(f"'{day}' is not a day; use one of {', '.join(DAYS)}", field=field)
        for field, text in (("start", self.start), ("end", self.end)):
            _parse_time(text, field)
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidConfiguration(
                f"'{self.time_zone}' is not an IANA time zone (e.g. Europe/Amsterdam)", field="time_zone"
            ) from None
        if self._start_minute() == self._end_minute():
            raise InvalidConfiguration("starts where it ends; a window must cover some time", field="end")

    def contains(self, at: datetime) -> bool:
        """Whether the instant `at` (timezone-aware) falls in the window: start included, end excluded."""
        if at.tzinfo is None:
            raise ValueError("a freeze window is checked against an aware datetime")
        local = at.astimezone(ZoneInfo(self.time_zone))
        minute = local.weekday() * 24 * 60 + local.hour * 60 + local.minute
        start, end = self._start_minute(), self._end_minute()
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end  # wraps over the end of the week

    def describe(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return (
            f"{label}{self.start_day.capitalize()} {self.start} to {self.end_day.capitalize()} {self.end} "
            f"{self.time_zone}"
        )

    def _start_minute(self) -> int:
        return _week_minute(self.start_day, _parse_time(self.start, "start"))

    def _end_minute(self) -> int:
        return _week_minute(self.end_day, _parse_time(self.end, "end")) % _MINUTES_PER_WEEK


def _week_minute(day: str, clock: time) -> int:
    return DAYS.index(day) * 24 * 60 + clock.hour * 60 + clock.minute


def _parse_time(text: str, field: str) -> time:
    hours, _, minutes = text.partition(":")
    if len(text) == 5 and hours.isdigit() and minutes.isdigit():
        if text == "24:00":
            return time(0, 0)  # only meaningful as an end; the day after is given by end_day
        if int(hours) < 24 and int(minutes) < 60:
            return time(int(hours), int(minutes))
    raise InvalidConfiguration(f"'{text}' is not a time of day as HH:MM (e.g. 16:00)", field=field)
