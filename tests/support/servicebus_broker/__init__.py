"""A protocol-level AMQP 1.0 broker for the real azure-servicebus SDK: a TEST DOUBLE OF THE PROTOCOL.

It is not a Service Bus emulator and not a model of Service Bus: it speaks the AMQP 1.0 frames and
the `$cbs` / `$management` request-response conventions the SDK uses, and keeps just enough state
to answer them. Anything a test proves with it is proven against this double only.
"""
