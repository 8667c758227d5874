"""What a check found: pass, fail or skipped, what it saw, and the fix when it failed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    status: Status
    detail: str  # what the check saw, one line
    fix: str = ""  # what to do, one line; given when it failed


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAIL  # skipped counts as passed


def passed(detail: str) -> Outcome:
    return Outcome(Status.PASS, detail)


def failed(detail: str, fix: str) -> Outcome:
    return Outcome(Status.FAIL, detail, fix)


def skipped(detail: str) -> Outcome:
    return Outcome(Status.SKIPPED, detail)
