"""Every minute: relay the outbox events a crash left unpublished, and recover stranded transactions.

The host runs a timer function on one instance at a time (its schedule monitor holds a blob lease),
so sweeps never overlap across instances; a recovery's message id derives from its transaction anyway.
"""

from __future__ import annotations

import logging

import azure.functions as func

from fabctl.application.stranded import stranded_recoveries
from fabctl.entrypoints.functions import application
from fabctl.entrypoints.messages.settlement import settlement_for

logger = logging.getLogger(__name__)

EVERY_MINUTE = "0 * * * * *"  # NCRONTAB with seconds

sweep = func.Blueprint()  # type: ignore[no-untyped-call]


@sweep.timer_trigger(arg_name="timer", schedule=EVERY_MINUTE, run_on_startup=False, use_monitor=True)
def outbox_and_recovery_sweep(timer: func.TimerRequest) -> None:
    app = application.current()
    relayed = app.bus.relay_outbox()
    recovered = 0
    for command in stranded_recoveries(app.uow, app.machine):
        try:
            app.bus.handle(command)
            recovered += 1
        except Exception as e:  # one transaction that cannot be recovered now must not stop the others
            settlement = settlement_for(e)
            logger.warning("recovering transaction %s (%s) did not complete: %s: %s", command.transaction_id,
                           command.mode, settlement.reason, settlement.description)  # fmt: skip
    logger.info("sweep: %d event(s) relayed, %d stranded transaction(s) recovered%s", relayed, recovered,
                " (past due)" if timer.past_due else "")  # fmt: skip
