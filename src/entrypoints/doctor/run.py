"""Running the checks in order: whatever one raises becomes its failure, naming the error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fabctl.entrypoints.doctor.context import DoctorContext, NotChecked
from fabctl.entrypoints.doctor.outcome import CheckResult, Outcome, Status


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[DoctorContext], Outcome]
    fix: str  # what to do when it raised instead of answering


def run_checks(checks: Sequence[Check], context: DoctorContext) -> list[CheckResult]:
    return [_run(check, context) for check in checks]


def _run(check: Check, context: DoctorContext) -> CheckResult:
    try:
        outcome = check.run(context)
    except NotChecked as e:
        return CheckResult(check.name, Status.SKIPPED, f"not checked: {e}")
    except Exception as e:  # a check that breaks is a failed check, never a traceback
        return CheckResult(check.name, Status.FAIL, f"{type(e).__name__}: {_first_line(e)}", check.fix)
    return CheckResult(check.name, outcome.status, outcome.detail, outcome.fix)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or "(no message)"
    return text.splitlines()[0][:300]
