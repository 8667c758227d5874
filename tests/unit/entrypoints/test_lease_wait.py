"""--lock-timeout: a refused command is tried again while another runner holds the workspace, until the timeout."""

from __future__ import annotations

import pytest

from fabctl.domain.errors import NotFound
from fabctl.domain.transaction import WorkspaceBusy
from fabctl.entrypoints.cli.lease_wait import parse_duration, waiting_for_lease


class FakeTime:
    """A monotonic clock that only the fake sleep moves: no test waits for real."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.seconds += seconds


def busy(field: str = "lease") -> WorkspaceBusy:
    return WorkspaceBusy("transaction tx-1 (alice, pid 7 on host runner-2) is deploying", field=field)


class Attempts:
    def __init__(self, *outcomes: BaseException | str) -> None:
        self.outcomes = list(outcomes)
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def test_without_a_timeout_a_busy_workspace_is_refused_at_once() -> None:
    time, attempt = FakeTime(), Attempts(busy(), "deployed")

    with pytest.raises(WorkspaceBusy):
        waiting_for_lease(attempt, 0, sleep=time.sleep, now=time.now)

    assert attempt.count == 1
    assert time.slept == []


def test_a_command_waits_while_the_workspace_is_busy_then_runs(capsys: pytest.CaptureFixture[str]) -> None:
    time, attempt = FakeTime(), Attempts(busy(), busy("transactions"), "deployed")

    assert waiting_for_lease(attempt, 60, sleep=time.sleep, now=time.now) == "deployed"

    assert attempt.count == 3
    assert time.slept == [2.0, 2.0]
    said = capsys.readouterr().err.splitlines()
    assert said == ["waiting for the workspace (lock timeout 60s): transaction tx-1 (alice, pid 7 on host runner-2) "
                    "is deploying"]  # fmt: skip


def test_the_last_try_comes_at_the_timeout_and_its_refusal_is_the_error() -> None:
    time = FakeTime()
    last = WorkspaceBusy("still held by tx-1", field="lease")
    attempt = Attempts(busy(), busy(), busy(), last, "too late")

    with pytest.raises(WorkspaceBusy, match="still held by tx-1"):
        waiting_for_lease(attempt, 5, sleep=time.sleep, now=time.now)

    assert time.slept == [2.0, 2.0, 1.0]  # tries at 0 s, 2 s, 4 s and 5 s
    assert attempt.count == 4


@pytest.mark.parametrize(
    "error", [NotFound("no such transaction", field="id"), busy(field="workspace_id")], ids=["not-found", "lost-lease"]
)
def test_a_refusal_that_waiting_cannot_end_is_not_retried(error: Exception) -> None:
    time, attempt = FakeTime(), Attempts(error, "deployed")

    with pytest.raises(type(error)):
        waiting_for_lease(attempt, 600, sleep=time.sleep, now=time.now)

    assert attempt.count == 1


def test_the_duration_says_seconds_minutes_or_hours() -> None:
    assert [parse_duration(text) for text in ("0", "90", "90s", "5m", "1h", " 2M ")] == [0, 90, 90, 300, 3600, 120]
    for wrong in ("", "ten", "5 min", "-5", "1.5h"):
        with pytest.raises(ValueError, match="not a duration"):
            parse_duration(wrong)
