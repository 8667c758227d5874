"""The SQLite store's tables as state records (`records`), and back into an empty file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fabctl.adapters.state.records import (
    StateRecord,
    blob_data,
    blob_record,
    by_kind,
    deployed_item_key,
    in_export_order,
    record,
    refuse_unless_empty,
    step_key,
    step_number,
)
from fabctl.adapters.state.serialization import datetime_from_str, sortable_utc, to_json

Query = Callable[[str, Sequence[Any]], list[Any]]
Execute = Callable[[str, Sequence[Any]], None]
Row = tuple[Any, ...]

TABLES = ("promotions", "transactions", "transaction_steps", "deployed_items", "outbox", "inbox", "leases", "blobs")


def export_sqlite(query: Query) -> list[StateRecord]:
    found = [
        record("promotion", i, {"created_at": created_at, "body": json.loads(body)})
        for i, created_at, body in query("SELECT id, created_at, body FROM promotions ORDER BY created_at, rowid", ())
    ]
    headers = query("SELECT id, body FROM transactions", ())
    found += [record("transaction", i, {"body": json.loads(body)}) for i, body in headers]
    steps = query("SELECT transaction_id, number, body FROM transaction_steps", ())
    found += [record("step", step_key(tx, n), {"body": json.loads(body)}) for tx, n, body in steps]
    items = query("SELECT workspace_id, item_type, item_name, body FROM deployed_items", ())
    found += [record("deployed_item", deployed_item_key(w, t, n), {"body": json.loads(b)}) for w, t, n, b in items]
    outbox = query("SELECT id, type, payload, created_at, published_at, withheld FROM outbox ORDER BY seq", ())
    found += [
        record(
            "outbox",
            i,
            {"type": t, "payload": json.loads(p), "created_at": c, "published_at": published, "withheld": bool(w)},
        )
        for i, t, p, c, published, w in outbox
    ]
    found += [record("inbox", i, {"handled_at": at}) for i, at in query("SELECT message_id, handled_at FROM inbox", ())]
    leases = query("SELECT workspace_id, holder, until, holder_facts FROM leases", ())
    found += [record("lease", w, {"holder": h, "until": u, "facts": json.loads(f)}) for w, h, u, f in leases]
    found += [blob_record(digest, bytes(data)) for digest, data in query("SELECT digest, data FROM blobs", ())]
    return in_export_order(found)


def import_sqlite(query: Query, execute: Execute, records: Iterable[StateRecord], store: str) -> None:
    """Within the caller's SQLite transaction, so a failed import leaves the file as it was."""
    refuse_unless_empty(store, {table: query(f"SELECT count(*) FROM {table}", ())[0][0] for table in TABLES})
    grouped = by_kind(records)
    for item in grouped["promotion"]:
        doc = item.fields()
        params: Row = (item.key, doc["body"]["state"], doc["created_at"], to_json(doc["body"]))
        execute("INSERT INTO promotions (id, state, created_at, body) VALUES (?, ?, ?, ?)", params)
    for item in grouped["transaction"]:
        body = item.fields()["body"]
        started = sortable_utc(datetime_from_str(body["started_at"]))
        params = (item.key, body["workspace_id"], body["state"], started, to_json(body))
        execute("INSERT INTO transactions (id, workspace_id, state, started_at, body) VALUES (?, ?, ?, ?, ?)", params)
    for item in grouped["step"]:
        transaction_id, number = step_number(item.key)
        params = (transaction_id, number, to_json(item.fields()["body"]))
        execute("INSERT INTO transaction_steps (transaction_id, number, body) VALUES (?, ?, ?)", params)
    for item in grouped["deployed_item"]:
        body = item.fields()["body"]
        workspace_id = item.key[: -len(f"/{body['key']['type']}/{body['key']['name']}")]
        params = (workspace_id, body["key"]["type"], body["key"]["name"], to_json(body))
        execute("INSERT INTO deployed_items (workspace_id, item_type, item_name, body) VALUES (?, ?, ?, ?)", params)
    for item in grouped["outbox"]:  # in the order given: that is the outbox order (seq)
        doc = item.fields()
        withheld = int(bool(doc.get("withheld", False)))  # absent from records exported before the flag
        params = (item.key, doc["type"], to_json(doc["payload"]), doc["created_at"], doc["published_at"], withheld)
        execute(
            "INSERT INTO outbox (id, type, payload, created_at, published_at, withheld) VALUES (?, ?, ?, ?, ?, ?)",
            params,
        )
    for item in grouped["inbox"]:
        execute("INSERT INTO inbox (message_id, handled_at) VALUES (?, ?)", (item.key, item.fields()["handled_at"]))
    for item in grouped["lease"]:
        doc = item.fields()
        params = (item.key, doc["holder"], doc["until"], to_json(doc["facts"]))
        execute("INSERT INTO leases (workspace_id, holder, until, holder_facts) VALUES (?, ?, ?, ?)", params)
    for item in grouped["blob"]:
        execute("INSERT INTO blobs (digest, data) VALUES (?, ?)", (item.key, blob_data(item)))
