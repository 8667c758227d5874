"""The machine fabctl runs on: its host name, this process, whether another process still runs,
and where a path really leads. psutil reads process facts on every OS fabctl runs on."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

import psutil

from fabctl.application.ports import ProcessRef

# Two start times of one process, read at different moments, agree to the clock tick (10 ms on
# Linux); a later process given the same pid started long after, since pids are reused only once
# the whole range has been handed out.
SAME_START_SECONDS = 1.0


class LocalMachine:
    def this_process(self) -> ProcessRef:
        return ProcessRef(socket.gethostname(), os.getpid(), psutil.Process().create_time())

    def is_running(self, process: ProcessRef) -> bool:
        try:
            found = psutil.Process(process.pid)
            alive = found.status() != psutil.STATUS_ZOMBIE  # ended, not yet reaped by its parent
            return bool(alive and abs(found.create_time() - process.started) < SAME_START_SECONDS)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return False

    def real_path(self, path: str) -> str:
        return os.path.realpath(path)


@dataclass
class InMemoryMachine:
    """A machine for tests: one host, the processes said to be running, and paths normalized (and
    put under `cwd` when it is given) unless `links` maps them elsewhere."""

    host: str = "test-host"
    process: ProcessRef = field(default_factory=lambda: ProcessRef("test-host", 4242, 1_700_000_000.0))
    running: set[ProcessRef] = field(default_factory=set)
    cwd: str = ""
    links: dict[str, str] = field(default_factory=dict)

    def this_process(self) -> ProcessRef:
        return self.process

    def is_running(self, process: ProcessRef) -> bool:
        return process == self.process or process in self.running

    def real_path(self, path: str) -> str:
        absolute = os.path.normpath(os.path.join(self.cwd, path))
        return self.links.get(absolute, absolute)
