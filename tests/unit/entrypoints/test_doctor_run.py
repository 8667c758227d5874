"""The doctor's runner: a check that raises is a failed check naming the error, one that needs what an
earlier one did not find is skipped, and the exit decision counts skipped as passed."""

from __future__ import annotations

from fabctl.entrypoints.doctor.context import DoctorContext, NotChecked
from fabctl.entrypoints.doctor.outcome import Outcome, Status, passed, skipped
from fabctl.entrypoints.doctor.report import report
from fabctl.entrypoints.doctor.run import Check, run_checks


def _breaks(context: DoctorContext) -> Outcome:
    raise ConnectionResetError("the peer went away\nsecond line")


def _needs_more(context: DoctorContext) -> Outcome:
    raise NotChecked("the settings did not load")


def test_a_check_that_raises_fails_naming_the_error_and_the_others_still_run() -> None:
    checks = [
        Check("breaks", _breaks, "try again"),
        Check("fine", lambda c: passed("all good"), ""),
        Check("needs more", _needs_more, ""),
        Check("not set up", lambda c: skipped("not configured"), ""),
    ]

    results = run_checks(checks, DoctorContext(None))

    assert [(r.name, r.status, r.detail, r.fix) for r in results] == [
        ("breaks", Status.FAIL, "ConnectionResetError: the peer went away", "try again"),
        ("fine", Status.PASS, "all good", ""),
        ("needs more", Status.SKIPPED, "not checked: the settings did not load", ""),
        ("not set up", Status.SKIPPED, "not configured", ""),
    ]
    assert report(results)["ok"] is False
    assert report(results[1:])["ok"] is True  # skipped counts as passed
