"""Bytes on the wire <-> proton Messages, and the annotations Service Bus adds on delivery."""

from __future__ import annotations

from proton import Data, Message, symbol, timestamp

from servicebus_broker.entities import StoredMessage

DATA_SECTION = 0x75
# Section descriptors of an encoded message: header .. footer (AMQP 1.0, 3.2).
_MESSAGE_SECTIONS = {0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78}
# .NET ticks (100 ns since 0001-01-01) at the Unix epoch: the unit of com.microsoft:locked-until-utc.
DATETIMEOFFSET_EPOCH_TICKS = 621355968000000000


def messages_in(raw: bytes) -> list[Message]:
    """One message, or each message of a batch.

    A batch (`send_messages([...])`) arrives as one transfer of message format 0x80013700 whose body
    is a sequence of data sections, each an encoded message. proton does not expose the message
    format of a delivery, so a transfer is read as a batch when every data section of its body is
    itself a complete encoded message; a single message whose body bytes happen to be an encoded
    AMQP message would be misread (never the case for the bodies fabctl sends).
    """
    sections = _data_sections(raw)
    if sections and all(_is_encoded_message(s) for s in sections):
        inner = []
        for section in sections:
            message = Message()
            message.decode(section)
            inner.append(message)
        return inner
    message = Message()
    message.decode(raw)
    return [message]


def _data_sections(raw: bytes) -> list[bytes]:
    sections: list[bytes] = []
    rest = raw
    while rest:
        data = Data()
        used = data.decode(rest)
        data.rewind()
        data.next()
        if data.type() == Data.DESCRIBED:
            data.enter()
            data.next()
            descriptor = data.get_object()
            data.next()
            if descriptor == DATA_SECTION:
                sections.append(bytes(data.get_binary()))
        rest = rest[used:]
    return sections


def _is_encoded_message(blob: bytes) -> bool:
    if len(blob) < 3 or blob[0] != 0x00 or blob[1] != 0x53 or blob[2] not in _MESSAGE_SECTIONS:
        return False
    try:
        Message().decode(blob)
    except Exception:
        return False
    return True


def outgoing(stored: StoredMessage, locked_until_ms: int | None) -> bytes:
    """The stored message as a receiver gets it: its delivery count and the broker's annotations."""
    message = Message()
    message.decode(stored.message.encode())
    header = _header(message, stored.delivery_count)
    annotations = dict(message.annotations or {})
    annotations[symbol("x-opt-sequence-number")] = stored.sequence_number
    annotations[symbol("x-opt-enqueued-time")] = timestamp(stored.enqueued_at_ms)
    if locked_until_ms is not None:
        annotations[symbol("x-opt-locked-until")] = timestamp(locked_until_ms)
    message.annotations = annotations
    return header + _without_header(message.encode())


def _header(message: Message, delivery_count: int) -> bytes:
    """The header section, written by hand: proton leaves out a delivery-count of 0, and the SDK
    then reports None instead of 0."""
    data = Data()
    data.put_described()
    data.enter()
    data.put_ulong(0x70)
    data.put_list()
    data.enter()
    data.put_bool(bool(message.durable))
    data.put_ubyte(message.priority)
    if message.ttl:
        data.put_uint(int(message.ttl * 1000))
    else:
        data.put_null()
    data.put_bool(bool(message.first_acquirer))
    data.put_uint(delivery_count)
    data.exit()
    data.exit()
    return data.encode()


def _without_header(encoded: bytes) -> bytes:
    # proton writes a header section even when every field is default: it would override ours.
    if encoded[:3] != b"\x00\x53\x70":
        return encoded
    return encoded[Data().decode(encoded) :]


def ticks(unix_ms: int) -> int:
    return DATETIMEOFFSET_EPOCH_TICKS + unix_ms * 10_000
