"""The worker process: slots in parallel (each its own application and Service Bus client), signals, summary.

Each slot has its own application, as each of the Function app's threads has: a unit of work holds
one open session with the state store and is not shared between threads; the slots meet only in the
state store, whose leases and optimistic commits already keep separate processes apart.

The first SIGTERM or SIGINT stops receiving, and flips every slot's stop switch: a deployment in
hand starts no new write, its writes in flight settle, and it ends (rolled back or failed) with its
workspace lease released, as `fabctl deploy` does on Ctrl-C; the message in hand is then settled and
the worker exits 0. A second signal exits at once (143 / 130): the transaction is left as a crash
leaves it, for the recovery of expired leases, and the message comes back once its lock lapses.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from azure.servicebus import ServiceBusClient

from fabctl.adapters.system.stop import EXIT_CODES, handling_signals, say
from fabctl.entrypoints.messages.sweep import sweep
from fabctl.entrypoints.settings import Settings
from fabctl.entrypoints.worker.control import WorkerControl
from fabctl.entrypoints.worker.sessions import run_slot

if TYPE_CHECKING:
    from fabctl.entrypoints.bootstrap import App

logger = logging.getLogger(__name__)
WATCH_S = 0.5  # how often the main thread looks at the slots and the idle time (it also takes the signals)


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 1
    max_messages: int | None = None
    idle_exit_s: float | None = None
    sweep_every_s: float | None = 60.0  # None: no sweep in this worker (another process runs it)


def run_worker(settings: Settings, options: WorkerOptions, build_app: Callable[[], App]) -> WorkerControl:
    """Receive from `settings.commands_queue` until stopped; what was done, and why it stopped."""
    control = WorkerControl(options.max_messages, options.idle_exit_s)
    apps = [build_app() for _ in range(options.concurrency)]  # a bad setting fails here, before receiving
    failures: list[BaseException] = []

    def serve(app: App) -> None:
        try:
            with _client(settings) as client:
                run_slot(app, client, settings.commands_queue, control)
        except BaseException as e:  # reported by the main thread, which raises it
            failures.append(e)
            control.stop("failed")

    threads = [threading.Thread(target=serve, args=(app,), name=f"fabctl-worker-{i}") for i, app in enumerate(apps)]
    if options.sweep_every_s is not None:
        sweeper = build_app()
        apps.append(sweeper)  # a signal winds down a recovery's deployment too
        threads.append(threading.Thread(target=_sweep_until_stopped, args=(sweeper, control, options.sweep_every_s),
                                        name="fabctl-worker-sweep"))  # fmt: skip
    with _signals_stop(control, apps):
        for thread in threads:
            thread.start()
        logger.info("receiving from queue %s with %d session slot(s)", settings.commands_queue, options.concurrency)
        while any(t.is_alive() for t in threads):
            control.check_idle()
            control.stopping.wait(WATCH_S)
            if control.stopped:
                for thread in threads:
                    thread.join(WATCH_S)
    if failures:
        raise failures[0]
    return control


def _sweep_until_stopped(app: App, control: WorkerControl, every_s: float) -> None:
    # A transaction stranded by a lost worker (killed mid-deployment) has nobody to finish it: the
    # redelivered message is "handled" (its id was claimed when the deployment started). The sweep
    # finishes it from its journal once its lease ran out (or its holder is seen gone on this host).
    while not control.stopping.wait(every_s):
        try:
            sweep(app)
        except Exception:
            logger.exception("the sweep failed; tried again in %s s", every_s)


def _client(settings: Settings) -> ServiceBusClient:
    from fabctl.entrypoints.bootstrap import servicebus_client_opener

    return servicebus_client_opener(settings)()  # the publisher's way: one identity choice, one check


@contextmanager
def _signals_stop(control: WorkerControl, apps: list[App]) -> Iterator[None]:
    def on_signal(number: int, _frame: FrameType | None) -> None:
        name = signal.Signals(number).name
        if control.stopped and control.reason.startswith("SIG"):
            say(f"error: {name} again: stopped at once; whatever was being deployed is left to the lease recovery")
            sys.stdout.flush()
            os._exit(EXIT_CODES[name])  # not SystemExit: the slots' threads would go on writing
        control.stop(name)
        for app in apps:
            request = getattr(app.stop, "request", None)
            if request is not None:
                request(name)  # a deployment in hand winds down and releases its workspace
        say(f"fabctl worker: {name} received: no new message is taken; the one in hand is finished and settled")

    with handling_signals(on_signal):
        yield
