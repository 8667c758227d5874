"""The machine's facts (a process gone, a pid reused) and the stop switch the signals flip."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fabctl.adapters.system.machine import LocalMachine
from fabctl.adapters.system.stop import StopSwitch, signals_flip
from fabctl.application.ports import ProcessRef


def test_this_process_is_running_and_an_ended_one_is_not() -> None:
    machine = LocalMachine()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()

    me = machine.this_process()

    assert me.pid == os.getpid() and machine.is_running(me)
    assert not machine.is_running(ProcessRef(me.host, child.pid, me.started))


def test_a_process_with_the_holders_pid_but_a_later_start_is_not_the_holder() -> None:
    machine = LocalMachine()
    me = machine.this_process()

    assert not machine.is_running(ProcessRef(me.host, me.pid, me.started - 3600))  # that pid, an hour earlier


def test_a_real_path_resolves_relative_spellings_and_symlinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (tmp_path / "link").symlink_to(source, target_is_directory=True)
    machine = LocalMachine()
    monkeypatch.chdir(tmp_path)

    spellings = {machine.real_path(p) for p in ("src", "./src/", str(source), "link", str(tmp_path / "link"))}

    assert spellings == {os.path.realpath(source)}


def test_a_signal_while_a_transaction_writes_flips_the_switch_and_lets_the_process_go_on() -> None:
    switch = StopSwitch()
    switch.transaction_started("tx-1")

    with signals_flip(switch):
        os.kill(os.getpid(), signal.SIGINT)  # handled before kill() returns to us

    assert (switch.requested(), switch.exit_code) == ("SIGINT", 130)


def test_the_switch_is_asked_once_and_knows_the_transaction() -> None:
    switch = StopSwitch()
    switch.transaction_started("tx-1")

    first, second = switch.request("SIGTERM"), switch.request("SIGINT")
    switch.transaction_ended()

    assert (first, second) == (("tx-1", True), ("tx-1", False))
    assert (switch.requested(), switch.exit_code, switch.transaction, switch.ended) == ("SIGTERM", 143, "", "tx-1")
