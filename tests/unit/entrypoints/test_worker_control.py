"""When `fabctl worker` stops: --max-messages counts settled messages; --idle-exit waits for the one in hand."""

from __future__ import annotations

from fabctl.entrypoints.messages.settlement import Verdict
from fabctl.entrypoints.worker.control import WorkerControl


def test_max_messages_stops_once_that_many_were_settled_whatever_their_verdict() -> None:
    control = WorkerControl(max_messages=2)
    control.took()
    control.finished(Verdict.DEAD_LETTER)
    assert not control.stopped
    control.took()
    control.finished(Verdict.COMPLETE)

    assert (control.stopped, control.reason, control.handled) == (True, "max-messages", 2)
    assert dict(control.settled) == {"dead-letter": 1, "complete": 1}


def test_idle_exit_waits_for_the_message_in_hand() -> None:
    control = WorkerControl(idle_exit_s=0.0)  # idle at once, but for the message in hand
    control.took()
    control.check_idle()
    assert not control.stopped
    control.finished(Verdict.ABANDON)
    control.check_idle()
    assert (control.stopped, control.reason) == (True, "idle")


def test_the_first_reason_to_stop_is_the_one_reported() -> None:
    control = WorkerControl(max_messages=1)
    control.stop("SIGTERM")
    control.took()
    control.finished(Verdict.COMPLETE)
    assert control.reason == "SIGTERM"


def test_without_options_nothing_but_a_request_stops_it() -> None:
    control = WorkerControl()
    for _ in range(3):
        control.took()
        control.finished(Verdict.COMPLETE)
    control.check_idle()
    assert not control.stopped
