"""The sweep a timer runs (the Function app's timer, the worker's own): relay what the outbox still holds,
and finish each transaction a lost process left stranded, from its journal."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fabctl.application.stranded import stranded_recoveries
from fabctl.entrypoints.messages.settlement import settlement_for

if TYPE_CHECKING:
    from fabctl.entrypoints.bootstrap import App

logger = logging.getLogger(__name__)


def sweep(app: App) -> tuple[int, int]:
    """(events relayed, stranded transactions recovered); a recovery that cannot be done now is logged."""
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
    if relayed or recovered:
        logger.info("sweep: %d event(s) relayed, %d stranded transaction(s) recovered", relayed, recovered)
    return relayed, recovered
