"""How the Azure store lays its records out as table entities: RowKeys, and bodies split across properties.

Every entity of a store lives in one partition (ADR 0030). RowKeys are `kind|part|part...` with each
variable part percent-escaped, since a RowKey may not hold / \\ # ? or control characters and `|`
must stay the separator: `quote` leaves only letters, digits and `-._~`. A string property holds at
most 32K UTF-16 code units (64 KiB), so a long body is split across `Body`, `Body1`, `Body2`, ...;
an entity holds at most 1 MiB, which caps one body at about 500,000 characters (the JSON is ASCII).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

PARTITION = "fabctl"
SEPARATOR = "|"
CHUNK = 32_000  # UTF-16 code units per property: under the 32,768 limit
Entity = dict[str, Any]


def row_key(kind: str, *parts: str) -> str:
    return SEPARATOR.join([kind, *(quote(part, safe="") for part in parts)])


def key_parts(key: str) -> list[str]:
    """The kind and the unescaped parts of a RowKey."""
    kind, *parts = key.split(SEPARATOR)
    return [kind, *(unquote(part) for part in parts)]


def promotion_key(request_id: str) -> str:
    return row_key("promotion", request_id)


def transaction_key(transaction_id: str) -> str:
    return row_key("tx", transaction_id)


def workspace_index_key(workspace_id: str, started: str, transaction_id: str) -> str:
    return row_key("txws", workspace_id, started, transaction_id)


def step_key(transaction_id: str, number: int) -> str:
    return row_key("step", transaction_id, f"{number:06d}")


def item_key(workspace_id: str, item_type: str, name: str) -> str:
    return row_key("item", workspace_id, item_type, name)


def outbox_key(message_id: str) -> str:
    return row_key("outbox", message_id)


def pending_key(position: str, message_id: str) -> str:
    return row_key("pending", position, message_id)


def inbox_key(message_id: str) -> str:
    return row_key("inbox", message_id)


def lease_key(workspace_id: str) -> str:
    return row_key("lease", workspace_id)


def prefix(kind: str, *parts: str) -> str:
    """The start of every RowKey of `kind` under `parts`: `kind|part|`."""
    return row_key(kind, *parts) + SEPARATOR


def entity(key: str, **properties: Any) -> Entity:
    return {"PartitionKey": PARTITION, "RowKey": key, **properties}


# --- long text ---------------------------------------------------------------------------------


def _chunks(text: str) -> list[str]:
    if text.isascii():
        return [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    chunks, start, units = [], 0, 0
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1  # a character outside the BMP is a surrogate pair
        if units + width > CHUNK:
            chunks.append(text[start:index])
            start, units = index, 0
        units += width
    chunks.append(text[start:])
    return chunks


def split_text(name: str, text: str) -> dict[str, str]:
    """`text` as properties `name`, `name1`, `name2`, ..., each within the property size limit."""
    return {name if n == 0 else f"{name}{n}": chunk for n, chunk in enumerate(_chunks(text))}


def join_text(stored: Entity, name: str) -> str:
    parts, n = [stored[name]], 1
    while f"{name}{n}" in stored:
        parts.append(stored[f"{name}{n}"])
        n += 1
    return "".join(parts)


# --- the entities of each record ------------------------------------------------------------------


def promotion_entity(request_id: str, created: str, position: str, state: str, body: str) -> Entity:
    """`created`: sortable UTC text; `position`: its place in creation order (see `next_position`)."""
    fields = split_text("Body", body)
    return entity(
        promotion_key(request_id), Kind="promotion", CreatedAt=created, Position=position, State=state, **fields
    )


def transaction_entities(
    transaction_id: str, workspace_id: str, state: str, started: str, step_count: int, header: str
) -> tuple[Entity, Entity]:
    """A journal header (its steps are read up to `step_count`) and its workspace index row, which holds
    the header too, so summaries need no second read."""
    body = split_text("Body", header)
    stored = entity(
        transaction_key(transaction_id),
        Kind="tx",
        WorkspaceId=workspace_id,
        State=state,
        StartedAt=started,
        StepCount=step_count,
        **body,
    )
    index = entity(workspace_index_key(workspace_id, started, transaction_id), Kind="txws", StartedAt=started, **body)
    return stored, index


def step_entity(transaction_id: str, number: int, body: str) -> Entity:
    fields = split_text("Body", body)
    return entity(step_key(transaction_id, number), Kind="step", TransactionId=transaction_id, Number=number, **fields)


def item_entity(workspace_id: str, item_type: str, name: str, body: str) -> Entity:
    return entity(
        item_key(workspace_id, item_type, name), Kind="item", WorkspaceId=workspace_id, **split_text("Body", body)
    )


def outbox_entities(
    message_id: str,
    message_type: str,
    payload: str,
    created: str,
    published: str | None,
    position: str,
    *,
    withheld: bool = False,
) -> tuple[Entity, Entity | None]:
    """An outbox message at `position` in outbox order, and its pending marker (None once published, and for
    a withheld message, which is never sent)."""
    fields = {
        "MessageId": message_id,
        "Type": message_type,
        "CreatedAt": created,
        "Position": position,
        **split_text("Payload", payload),
    }
    stored = entity(
        outbox_key(message_id),
        Kind="outbox",
        **fields,
        **({} if published is None else {"PublishedAt": published}),
        **({"Withheld": True} if withheld else {}),
    )
    pending = published is None and not withheld
    marker = entity(pending_key(position, message_id), Kind="pending", **fields) if pending else None
    return stored, marker


# On the outbox rows of a commit too large for one entity group transaction: the commit record they wait for.
COMMIT = "Commit"


def commit_entity(commit_id: str) -> Entity:
    """The record that a commit split over several transactions landed whole (see azure_batch)."""
    return entity(row_key("commit", commit_id), Kind="commit")


def commit_key(commit_id: str) -> str:
    return row_key("commit", commit_id)


def inbox_entity(message_id: str, handled: str) -> Entity:
    return entity(inbox_key(message_id), Kind="inbox", MessageId=message_id, HandledAt=handled)


def lease_entity(workspace_id: str, holder: str, until: str, facts: str) -> Entity:
    """`until`: sortable UTC text; `facts`: the holder facts as JSON."""
    return entity(
        lease_key(workspace_id), Kind="lease", WorkspaceId=workspace_id, Holder=holder, Until=until, HolderFacts=facts
    )
