"""The Azure store's entities and blobs as state records (`records`), and back into an empty store."""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import suppress
from itertools import islice

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient
from azure.storage.blob import ContainerClient

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_batch import EntityTable, first_line
from fabctl.adapters.state.azure_entities import (
    COMMIT,
    PARTITION,
    Entity,
    inbox_entity,
    item_entity,
    join_text,
    key_parts,
    lease_entity,
    outbox_entities,
    promotion_entity,
    step_entity,
    transaction_entities,
)
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


def _in_store_order(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["Position"], e["RowKey"]))


def _body(stored: Entity) -> object:
    return json.loads(join_text(stored, "Body"))


def export_azure(tables: TableClient, container: ContainerClient) -> list[StateRecord]:
    kinds: dict[str, list[Entity]] = {}
    try:
        for stored in tables.query_entities("PartitionKey eq @partition", parameters={"partition": PARTITION}):
            kinds.setdefault(stored["Kind"], []).append(dict(stored))
        blobs = [(b.name, container.download_blob(b.name).readall()) for b in container.list_blobs()]
    except AzureError as error:
        raise StateStoreError(f"state store {_name(tables, container)}: export failed: {first_line(error)}") from error
    found = [
        record("promotion", key_parts(e["RowKey"])[1], {"created_at": e["CreatedAt"], "body": _body(e)})
        for e in _in_store_order(kinds.get("promotion", []))
    ]
    counts = {key_parts(e["RowKey"])[1]: e["StepCount"] for e in kinds.get("tx", [])}
    landed = {key_parts(e["RowKey"])[1] for e in kinds.get("commit", [])}
    found += [record("transaction", key_parts(e["RowKey"])[1], {"body": _body(e)}) for e in kinds.get("tx", [])]
    found += [
        record("step", step_key(e["TransactionId"], e["Number"]), {"body": _body(e)})
        for e in kinds.get("step", [])
        if e["Number"] <= counts.get(e["TransactionId"], 0)  # one a failed commit wrote ahead is not there
    ]
    for e in kinds.get("item", []):
        body = _body(e)
        assert isinstance(body, dict)
        key = deployed_item_key(e["WorkspaceId"], body["key"]["type"], body["key"]["name"])
        found.append(record("deployed_item", key, {"body": body}))
    found += [
        record(
            "outbox",
            e["MessageId"],
            {
                "type": e["Type"],
                "payload": json.loads(join_text(e, "Payload")),
                "created_at": e["CreatedAt"],
                "published_at": e.get("PublishedAt"),
                "withheld": bool(e.get("Withheld", False)),
            },
        )
        for e in _in_store_order(kinds.get("outbox", []))
        if COMMIT not in e or e[COMMIT] in landed  # a row of a commit that did not land is not there
    ]
    found += [record("inbox", e["MessageId"], {"handled_at": e["HandledAt"]}) for e in kinds.get("inbox", [])]
    found += [
        record(
            "lease",
            e["WorkspaceId"],
            {"holder": e["Holder"], "until": e["Until"], "facts": json.loads(e["HolderFacts"])},
        )
        for e in kinds.get("lease", [])
    ]
    found += [blob_record(name, data) for name, data in blobs]
    return in_export_order(found)


def _positions(times: Iterable[str]) -> list[str]:
    """Positions that keep the order given: each at its sortable time, or the latest before it, if later."""
    positions, latest = [], ""
    for n, at in enumerate(times):
        latest = max(latest, at)
        positions.append(f"{latest}|{n:012d}")
    return positions


def import_azure(tables: TableClient, container: ContainerClient, records: Iterable[StateRecord]) -> None:
    """Store `records` in the empty store: all of them, or (a failure midway) none.

    One import is many entity group transactions (at most 100 entities each) and blob uploads, and the
    service has no transaction across them. So a failure takes back what the import wrote, by key: the
    store was empty, so whatever it holds under those keys is the import's.
    """
    grouped = by_kind(records)
    name = _name(tables, container)
    try:
        held = {
            "entities": len(list(islice(tables.query_entities("PartitionKey eq @p", parameters={"p": PARTITION}), 1))),
            "blobs": len(list(islice(container.list_blobs(), 1))),
        }
    except AzureError as error:
        raise StateStoreError(f"state store {name}: import failed: {first_line(error)}") from error
    refuse_unless_empty(name, held)
    entities = _entities(grouped)
    try:
        for blob in grouped["blob"]:  # before the entities that refer to them
            with suppress(ResourceExistsError):  # content-addressed: the same bytes
                container.upload_blob(blob.key, blob_data(blob), overwrite=False)
        table = EntityTable(tables)
        table.begin()
        for stored in entities:
            table.create(stored)
        table.commit()
    except (AzureError, StateStoreError) as error:
        undone = _take_back(tables, container, [e["RowKey"] for e in entities], [b.key for b in grouped["blob"]])
        reason = str(error) if isinstance(error, StateStoreError) else first_line(error)
        raise StateStoreError(f"state store {name}: import failed: {reason}; {undone}") from error


def _take_back(tables: TableClient, container: ContainerClient, row_keys: list[str], blob_keys: list[str]) -> str:
    """Delete what an import wrote under these keys; says whether the store is empty again."""
    try:
        for row_key in row_keys:
            tables.delete_entity(PARTITION, row_key)  # absent: no error (the SDK ignores a 404 here)
        for blob_key in blob_keys:
            with suppress(ResourceNotFoundError):
                container.delete_blob(blob_key)
    except AzureError as error:
        return (
            f"taking back what it copied failed too ({first_line(error)}): delete the table and the container "
            "before migrating again"
        )
    return "nothing of it was kept, so the migration can run again"


def _entities(grouped: dict[str, list[StateRecord]]) -> list[Entity]:
    entities: list[Entity] = []
    promotions = grouped["promotion"]
    for item, position in zip(promotions, _positions(r.fields()["created_at"] for r in promotions), strict=True):
        doc = item.fields()
        entities.append(
            promotion_entity(item.key, doc["created_at"], position, doc["body"]["state"], to_json(doc["body"]))
        )
    counts: dict[str, int] = {}
    for item in grouped["step"]:
        transaction_id, number = step_number(item.key)
        counts[transaction_id] = max(counts.get(transaction_id, 0), number)
        entities.append(step_entity(transaction_id, number, to_json(item.fields()["body"])))
    for item in grouped["transaction"]:
        body = item.fields()["body"]
        started = sortable_utc(datetime_from_str(body["started_at"]))
        header = to_json(body)
        entities.extend(
            transaction_entities(
                item.key, body["workspace_id"], body["state"], started, counts.get(item.key, 0), header
            )
        )
    for item in grouped["deployed_item"]:
        body = item.fields()["body"]
        item_type, name = body["key"]["type"], body["key"]["name"]
        workspace_id = item.key[: -len(f"/{item_type}/{name}")]
        entities.append(item_entity(workspace_id, item_type, name, to_json(body)))
    outbox = grouped["outbox"]
    created = (sortable_utc(datetime_from_str(r.fields()["created_at"])) for r in outbox)
    for item, position in zip(outbox, _positions(created), strict=True):
        doc = item.fields()
        stored, marker = outbox_entities(
            item.key, doc["type"], to_json(doc["payload"]), doc["created_at"], doc["published_at"], position,
            withheld=bool(doc.get("withheld", False)),
        )  # fmt: skip
        entities.extend([stored] if marker is None else [stored, marker])
    entities += [inbox_entity(item.key, item.fields()["handled_at"]) for item in grouped["inbox"]]
    for item in grouped["lease"]:
        doc = item.fields()
        entities.append(lease_entity(item.key, doc["holder"], doc["until"], to_json(doc["facts"])))
    return entities


def _name(tables: TableClient, container: ContainerClient) -> str:
    return f"table {tables.table_name} with container {container.container_name}"
