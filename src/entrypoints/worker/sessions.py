"""One slot of the worker: a receiver that takes the next session with messages, drains it, lets it go.

Sessions keep a workspace's commands in order: while this slot holds a session no other receiver
gets its messages. A session with nothing more to give is released at once, so one busy workspace
does not keep a slot from the others. The session lock is renewed while a message is handled (a
deployment may take longer than the lock duration), up to `LOCK_RENEWAL_S`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from azure.servicebus import NEXT_AVAILABLE_SESSION, AutoLockRenewer, ServiceBusClient, ServiceBusReceiveMode
from azure.servicebus.exceptions import (
    MessagingEntityNotFoundError,
    OperationTimeoutError,
    ServiceBusAuthenticationError,
    ServiceBusError,
    SessionCannotBeLockedError,
)

from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.worker.control import WorkerControl
from fabctl.entrypoints.worker.settling import handle, settle

if TYPE_CHECKING:
    from azure.servicebus import ServiceBusReceiver

    from fabctl.entrypoints.bootstrap import App

logger = logging.getLogger(__name__)

LOCK_RENEWAL_S = 4 * 3600.0  # the longest a deployment may hold its session before the lock may lapse
RECEIVE_WAIT_S = 1.0  # how long a receive waits for a message in the session held (and, on Service
# Bus, how long taking the next session waits for one): bounds how soon a stop request is seen
RETRY_WAIT_S = 1.0  # after no session was free, or the broker failed a call: then try again


def run_slot(app: App, client: ServiceBusClient, queue: str, control: WorkerControl) -> None:
    """Take sessions and handle their messages until `control` says stop."""
    with AutoLockRenewer(max_lock_renewal_duration=LOCK_RENEWAL_S, on_lock_renew_failure=_renew_failed) as renewer:
        while not control.stopped:
            try:
                receiver = client.get_queue_receiver(
                    queue, session_id=NEXT_AVAILABLE_SESSION, receive_mode=ServiceBusReceiveMode.PEEK_LOCK,
                    max_wait_time=RECEIVE_WAIT_S, prefetch_count=0,
                )  # fmt: skip
                with receiver:
                    _drain(app, receiver, control, renewer)
            except ServiceBusAuthenticationError as e:
                refused = "Service Bus refused the credential: check the key, or the identity's Data Receiver role"
                raise _setting("servicebus_connection_string", refused) from e
            except MessagingEntityNotFoundError as e:
                raise _setting("commands_queue", f"Service Bus has no queue '{queue}': create it (sessions on)") from e
            except (OperationTimeoutError, SessionCannotBeLockedError):
                control.check_idle()  # no session has messages for this slot now
                control.stopping.wait(RETRY_WAIT_S)
            except ServiceBusError as e:
                # The broker unreachable, the session lost: nothing in hand stays unsettled for long
                # (its lock lapses and it is delivered again), so wait and take a session afresh.
                logger.warning("receiving from %s failed (%s: %s); trying again", queue, type(e).__name__, e)
                control.stopping.wait(RETRY_WAIT_S)


def _drain(app: App, receiver: ServiceBusReceiver, control: WorkerControl, renewer: AutoLockRenewer) -> None:
    renewing = False
    while not control.stopped:
        received = receiver.receive_messages(max_message_count=1, max_wait_time=RECEIVE_WAIT_S)
        if not received:
            control.check_idle()
            return  # the session has nothing more now: release it for whichever slot gets there next
        if not renewing:  # the session is known once the first receive took it
            renewer.register(receiver, receiver.session)
            renewing = True
        for message in received:
            control.took()
            settlement = handle(app, message)
            settle(receiver, message, settlement)
            control.finished(settlement.verdict)


def _setting(field: str, problem: str) -> InvalidConfiguration:
    # Not a passing failure: retrying cannot help, so the worker ends (exit 2) naming what to fix.
    return InvalidConfiguration(problem, subject="fabctl settings", field=field)


def _renew_failed(renewable: object, error: Exception | None) -> None:
    logger.warning("the lock of %s could not be renewed (%s); its messages will be delivered again",
                   type(renewable).__name__, type(error).__name__ if error else "expired")  # fmt: skip
