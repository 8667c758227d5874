"""The proton event handler: attaches links, routes transfers to the nodes, delivers to receivers.

A plain `proton.Handler` on raw endpoint events rather than `MessagingHandler`: the broker needs the
raw bytes of each transfer (to split batches) and every disposition a receiver sends, which the
higher-level callbacks decode or settle on its behalf.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from proton import Condition, Delivery, Endpoint, Event, Handler, Link, Message

from servicebus_broker import deliveries, management, scheduling
from servicebus_broker.cbs import SasPolicy, put_token_reply
from servicebus_broker.codec import messages_in, outgoing, ticks
from servicebus_broker.entities import LockLost, Namespace, Queue, SessionCannotBeLocked, UnknownEntity
from servicebus_broker.links import LOCKED_UNTIL_UTC, SESSION_FILTER, LinkRole, classify, role_of, session_filter

CREDIT = 100
DEAD_LETTER_CONDITION = "com.microsoft:dead-letter"
SWEEP_S = 0.05  # how often expired locks are noticed; the tests never wait on it to decide anything


def wall_ms() -> int:
    return int(time.time() * 1000)


class BrokerHandler(Handler):
    def __init__(self, namespace: Namespace, policy: SasPolicy, clock: Callable[[], int] = wall_ms) -> None:
        self.namespace = namespace
        self.policy = policy
        self.clock = clock
        self.consumers: list[Link] = []

    # -- endpoints ---------------------------------------------------------------------------------

    def on_connection_remote_open(self, event: Event) -> None:
        event.connection.authorized = False
        if event.connection.state & Endpoint.LOCAL_UNINIT:
            event.connection.open()

    def on_session_remote_open(self, event: Event) -> None:
        if event.session.state & Endpoint.LOCAL_UNINIT:
            event.session.open()

    def on_link_remote_open(self, event: Event) -> None:
        link = event.link
        if not link.state & Endpoint.LOCAL_UNINIT:
            return
        link.source.copy(link.remote_source)
        link.target.copy(link.remote_target)
        link.snd_settle_mode = link.remote_snd_settle_mode
        link.rcv_settle_mode = link.remote_rcv_settle_mode
        role = classify(link.remote_source.address if link.is_sender else link.remote_target.address)
        link.broker_role = role
        with self.namespace.lock:
            refusal = self._refusal(link, role)
        link.open()
        if refusal is not None:
            link.condition = refusal
            link.close()
            return
        if link.is_receiver:
            link.flow(CREDIT)
        elif role.kind == "entity":
            self.consumers.append(link)
            self._pump_link(link)

    def _refusal(self, link: Link, role: LinkRole) -> Condition | None:
        if role.kind == "cbs":
            return None
        if not link.connection.authorized:
            return Condition("amqp:unauthorized-access", "no valid put-token on $cbs for this connection")
        if role.kind == "management":  # a queue's, a subscription's or a topic's (scheduling.py)
            try:
                self.namespace.topic(role.path)
            except UnknownEntity:
                return self._unknown(role.path, receiving=True)
            return None
        if link.is_receiver:
            return self._unknown(role.path, receiving=False)
        unknown = self._unknown(role.path, receiving=True)
        if unknown is not None:
            return unknown
        role.receive_and_delete = link.remote_snd_settle_mode == Link.SND_SETTLED
        return self._lock_session(link, role)

    def _unknown(self, path: str, receiving: bool) -> Condition | None:
        try:
            self.namespace.queue(path)
            known = receiving or self.namespace.can_send_to(path)
        except UnknownEntity:
            known = not receiving and self.namespace.can_send_to(path)
        return None if known else Condition("amqp:not-found", f"The messaging entity '{path}' could not be found.")

    def _lock_session(self, link: Link, role: LinkRole) -> Condition | None:
        queue = self.namespace.queue(role.path)
        asked, session_id = session_filter(link)
        if not queue.options.requires_session:
            return None if not asked else Condition("amqp:not-allowed", f"'{role.path}' does not require sessions")
        if not asked:
            return Condition("amqp:not-allowed", f"'{role.path}' requires sessions: give a session id")
        now = self.clock()
        try:
            role.session_id = deliveries.lock_session(queue, session_id, link, now)
        except SessionCannotBeLocked as e:
            # The SDK reads the attach's properties and session filter before it sees the detach.
            link.properties = {}
            link.source.filter.clear()
            link.source.filter.put_dict({SESSION_FILTER: session_id or ""})
            return Condition("com.microsoft:session-cannot-be-locked", str(e))
        link.source.filter.clear()
        link.source.filter.put_dict({SESSION_FILTER: role.session_id})
        link.properties = {LOCKED_UNTIL_UTC: ticks(queue.session_locks[role.session_id].locked_until_ms)}
        return None

    def on_link_remote_close(self, event: Event) -> None:
        self._forget(event.link)
        if event.link.state & Endpoint.LOCAL_ACTIVE:
            event.link.close()

    def on_session_remote_close(self, event: Event) -> None:
        if event.session.state & Endpoint.LOCAL_ACTIVE:
            event.session.close()

    def on_connection_remote_close(self, event: Event) -> None:
        self._forget_connection(event.connection)
        if event.connection.state & Endpoint.LOCAL_ACTIVE:
            event.connection.close()

    def on_transport_closed(self, event: Event) -> None:
        if event.connection is not None:
            self._forget_connection(event.connection)

    def _forget_connection(self, connection: object) -> None:
        for link in [c for c in self.consumers if c.connection == connection]:
            self._forget(link)

    def _forget(self, link: Link) -> None:
        if link not in self.consumers:
            return
        self.consumers.remove(link)
        role = role_of(link)
        if role is not None and role.session_id is not None:
            with self.namespace.lock:
                queue = self.namespace.queue(role.path)
                deliveries.release_owner(queue, link, self.clock())
                self._pump(queue)

    # -- transfers ---------------------------------------------------------------------------------

    def on_link_flow(self, event: Event) -> None:
        if event.link.is_sender and event.link in self.consumers:
            with self.namespace.lock:
                self._pump_link(event.link)

    def on_delivery(self, event: Event) -> None:
        delivery, link = event.delivery, event.link
        with self.namespace.lock:
            if link.is_receiver:
                if delivery.readable and not delivery.partial:
                    self._incoming(link, delivery)
            elif delivery.updated and not delivery.settled:
                self._outcome(link, delivery)

    def _incoming(self, link: Link, delivery: Delivery) -> None:
        raw = link.recv(delivery.pending)
        link.advance()
        role = role_of(link)
        if role is None:
            return
        if role.kind == "entity":
            try:
                queues = self.namespace.enqueue(role.path, messages_in(raw), self.clock())
            except UnknownEntity as e:
                delivery.local.condition = Condition("amqp:not-found", str(e))
                self._settle(delivery, Delivery.REJECTED)
                return
            self._settle(delivery, Delivery.ACCEPTED)
            for queue in queues:
                self._pump(queue)
        else:
            request = Message()
            request.decode(raw)
            self._settle(delivery, Delivery.ACCEPTED)
            self._answer(link, role, request)
        link.flow(1)

    def _answer(self, link: Link, role: LinkRole, request: Message) -> None:
        if role.kind == "cbs":
            reply = put_token_reply(request, self.policy)
            if (reply.properties or {}).get("status-code") == 200:
                link.connection.authorized = True
        else:
            try:
                topic = self.namespace.topic(role.path)
            except UnknownEntity:
                reply = self._queue_answer(role, request)
            else:
                reply = scheduling.reply_to(request, topic, self.namespace.next_sequence_number)
        response_link = self._response_link(link, role, request.reply_to)
        if response_link is not None:
            response_link.send(reply)

    def _queue_answer(self, role: LinkRole, request: Message) -> Message:
        try:
            queue = self.namespace.queue(role.path)
        except UnknownEntity:  # the link was refused, but the client sent on it before it saw that
            return management.not_found(request, role.path)
        return management.reply_to(request, queue, self.clock())

    def _response_link(self, request_link: Link, role: LinkRole, reply_to: str | None) -> Link | None:
        node = request_link.remote_target.address
        candidates = []
        link = request_link.connection.link_head(Endpoint.LOCAL_ACTIVE)
        while link is not None:
            if link.is_sender and link.remote_source.address == node:
                candidates.append(link)
            link = link.next(Endpoint.LOCAL_ACTIVE)
        exact = [c for c in candidates if reply_to and c.remote_target.address == reply_to]
        chosen = exact or [c for c in candidates if c.session == request_link.session] or candidates
        return chosen[0] if chosen else None

    def _outcome(self, link: Link, delivery: Delivery) -> None:
        role, token = role_of(link), getattr(delivery, "lock_token", None)
        if role is None or token is None:
            return
        queue, now = self.namespace.queue(role.path), self.clock()
        state, remote = delivery.remote_state, delivery.remote
        try:
            if state == Delivery.ACCEPTED:
                deliveries.complete(queue, token)
            elif state == Delivery.REJECTED:
                reason, description = _dead_letter_details(remote.condition)
                deliveries.dead_letter(queue, token, reason, description, now)
            elif state == Delivery.MODIFIED and remote.failed:
                deliveries.abandon(queue, token, now)
            else:  # released, or modified without failure (defer is not modelled): back as it was
                deliveries.release(queue, token)
            self._settle(delivery, state)
        except LockLost as e:
            delivery.local.condition = Condition("com.microsoft:message-lock-lost", f"lock {e} was lost")
            self._settle(delivery, Delivery.REJECTED)
        self._pump(queue)

    @staticmethod
    def _settle(delivery: Delivery, state: int) -> None:
        delivery.update(state)
        delivery.settle()

    # -- delivering --------------------------------------------------------------------------------

    def sweep(self) -> None:
        """Free expired locks and deliver what became available (called on a timer)."""
        with self.namespace.lock:
            now = self.clock()
            for queue in self.namespace.queues():
                deliveries.expire_locks(queue, now)
            for link in list(self.consumers):
                self._pump_link(link)

    def _pump(self, queue: Queue) -> None:
        for link in list(self.consumers):
            role = role_of(link)
            if role is not None and role.path.lower() == queue.path.lower():
                self._pump_link(link)

    def _pump_link(self, link: Link) -> None:
        role = role_of(link)
        if role is None or not link.state & Endpoint.LOCAL_ACTIVE:
            return
        queue = self.namespace.queue(role.path)
        while link.credit > 0:
            now = self.clock()
            stored = deliveries.next_available(queue, role.session_id, now)
            if stored is None:
                return
            if role.receive_and_delete:
                deliveries.remove(queue, stored)
                delivery = link.delivery(stored.sequence_number.to_bytes(16, "little"))
                link.stream(outgoing(stored, None))
                link.advance()
                delivery.settle()
                continue
            token = deliveries.lock_message(queue, stored, link, now)
            delivery = link.delivery(token.bytes_le)  # the SDK reads the lock token as UUID(bytes_le=tag)
            delivery.lock_token = token
            link.stream(outgoing(stored, stored.locked_until_ms))
            link.advance()


def _dead_letter_details(condition: Condition | None) -> tuple[str | None, str | None]:
    if condition is None or condition.name != DEAD_LETTER_CONDITION:
        return None, None
    info = condition.info if isinstance(condition.info, dict) else {}
    by_name = {str(k): v for k, v in info.items()}
    reason, description = by_name.get("DeadLetterReason"), by_name.get("DeadLetterErrorDescription")
    return (None if reason is None else str(reason)), (None if description is None else str(description))
