"""Every minute: relay the outbox events a crash left unpublished, and recover stranded transactions.

The host runs a timer function on one instance at a time (its schedule monitor holds a blob lease),
so sweeps never overlap across instances; a recovery's message id derives from its transaction anyway.
"""

from __future__ import annotations

import logging

import azure.functions as func

from fabctl.entrypoints.functions import application
from fabctl.entrypoints.messages.sweep import sweep as sweep_once

logger = logging.getLogger(__name__)

EVERY_MINUTE = "0 * * * * *"  # NCRONTAB with seconds

sweep = func.Blueprint()  # type: ignore[no-untyped-call]


@sweep.timer_trigger(arg_name="timer", schedule=EVERY_MINUTE, run_on_startup=False, use_monitor=True)
def outbox_and_recovery_sweep(timer: func.TimerRequest) -> None:
    relayed, recovered = sweep_once(application.current())  # the worker's --sweep-every runs the same
    if timer.past_due:
        logger.info("sweep past due: %d event(s) relayed, %d stranded transaction(s) recovered", relayed, recovered)
