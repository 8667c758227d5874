"""A protocol-level AMQP 1.0 broker for the real azure-servicebus SDK: a TEST DOUBLE OF THE PROTOCOL.

It is not a Service Bus emulator and not a model of Service Bus: it speaks the AMQP 1.0 frames and
the `$cbs` / `$management` request-response conventions the SDK uses, and keeps just enough state
to answer them. Anything a test proves with it is proven against this double only.

Files: entities.py (queues, topics, subscriptions, dead-letter sub-queues, duplicate detection),
deliveries.py (peek-lock and session-lock rules), codec.py (batches, annotations), cbs.py (SAS
put-token), management.py (`$management` operations), scheduling.py (a topic's schedule/cancel),
links.py (addresses, session filter), handler.py (proton events), process.py (thread, port, stop,
inspection), fixtures.py (pytest).

Not modelled: scheduled delivery (a message scheduled on a topic is held until cancelled, never
delivered), deferral (treated as release), TTL/expiry, subscription rules,
auto-forward, transactions, partitions, `update-disposition` over `$management`, and a
NEXT_AVAILABLE_SESSION receiver waiting for a session (refused at once when none is free).
See docs/servicebus-broker.md.
"""
