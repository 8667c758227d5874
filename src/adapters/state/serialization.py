"""Aggregates and records to and from JSON-able dicts, and back, exactly.

Enums are stored by value, datetimes as ISO-8601 with their offset, definition parts as
base64. Recorded events are never stored with their aggregate: they leave through the outbox.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from fabctl.adapters.state.blobs import BlobStore
from fabctl.application.ports import DeployedItem, JournalSummary, Lease, OutboxMessage, ProcessRef
from fabctl.domain.approval_terms import ApprovalTerms, Pin
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.identity import Identity
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import (
    Approval,
    AuditEntry,
    PromotedItem,
    PromotionRequest,
    PromotionState,
)
from fabctl.domain.shortcuts import ShortcutWrite
from fabctl.domain.smoke_tests import SmokeResult
from fabctl.domain.transaction import (
    ItemImage,
    JournaledInputs,
    StepAction,
    StepOutcome,
    Transaction,
    TransactionState,
    TransactionStep,
)
from fabctl.domain.value_sets import ValueSetWrite

Document = dict[str, Any]


# --- datetimes --------------------------------------------------------------------------------


def datetime_to_str(value: datetime) -> str:
    # A naive datetime would come back as a different instant on another machine.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"cannot store naive datetime {value.isoformat()}: a timezone is required")
    return value.isoformat()


def datetime_from_str(value: str) -> datetime:
    return datetime.fromisoformat(value)


def sortable_utc(at: datetime) -> str:
    """`at` as text that sorts in time order: stores compare these as strings (one offset, one precision)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def to_json(document: Document) -> str:
    """The JSON text every store keeps for a document (ASCII only, keys sorted)."""
    return json.dumps(document, sort_keys=True)


def _optional_datetime_to_str(value: datetime | None) -> str | None:
    return None if value is None else datetime_to_str(value)


def _optional_datetime_from_str(value: str | None) -> datetime | None:
    return None if value is None else datetime_from_str(value)


# --- promotion requests -----------------------------------------------------------------------


def promotion_to_dict(request: PromotionRequest) -> Document:
    return {
        "id": request.id,
        "source_dir": request.source_dir,
        "source_environment": request.source_environment,
        "target_environment": request.target_environment,
        "requested_by": str(request.requested_by),
        "items": [{"key": i.key, "source_hash": i.source_hash} for i in request.items],
        "required_approvals": request.required_approvals,
        "note": request.note,
        "config_path": request.config_path,
        "terms": [[p.group, p.label, p.value, p.sealed] for p in request.terms.pins],
        "target_workspace_id": request.target_workspace_id,
        "change": request.change,
        "emergency": request.emergency,
        "approver_groups": [list(g) for g in request.approver_groups],
        "emergency_approvers": list(request.emergency_approvers),
        "validations": list(request.validations),
        "state": request.state.value,
        "approvals": [
            {
                "approver": str(a.approver),
                "at": datetime_to_str(a.at),
                "comment": a.comment,
                "object_id": a.object_id,
                "groups": list(a.groups),
            }
            for a in request.approvals
        ],
        "audit": [
            {
                "at": datetime_to_str(e.at),
                "actor": e.actor,
                "action": e.action,
                "detail": e.detail,
                "object_id": e.object_id,
                "previous": e.previous,
                "state": e.state,
                "hash": e.hash,
            }
            for e in request.audit
        ],
        "transaction_id": request.transaction_id,
        "reason": request.reason,
        "requester_object_id": request.requester_object_id,
    }


def promotion_from_dict(doc: Document) -> PromotionRequest:
    return PromotionRequest(
        id=doc["id"],
        source_dir=doc["source_dir"],
        source_environment=doc["source_environment"],
        target_environment=doc["target_environment"],
        requested_by=Identity.parse(doc["requested_by"]),
        items=tuple(PromotedItem(i["key"], i["source_hash"]) for i in doc["items"]),
        required_approvals=doc["required_approvals"],
        note=doc["note"],
        config_path=doc["config_path"],
        # Requests stored before terms were pinned have none: every term then reads as added.
        terms=ApprovalTerms(tuple(Pin(g, label, v, sealed) for g, label, v, sealed in doc.get("terms", []))),
        target_workspace_id=doc.get("target_workspace_id", ""),
        # Requests stored before promotion rules have none of their fields: no rule applied to them.
        change=doc.get("change", ""),
        emergency=doc.get("emergency", False),
        approver_groups=tuple(tuple(g) for g in doc.get("approver_groups", [])),
        emergency_approvers=tuple(doc.get("emergency_approvers", [])),
        validations=tuple(doc.get("validations", [])),
        state=PromotionState(doc["state"]),
        # Object ids are absent from requests stored before actors were verified: those read as typed names.
        approvals=[
            Approval(
                Identity.parse(a["approver"]),
                datetime_from_str(a["at"]),
                a["comment"],
                a.get("object_id", ""),
                tuple(a.get("groups", [])),
            )
            for a in doc["approvals"]
        ],
        # Entries stored before the trail was chained have no links: `verify` says the trail is not chained.
        audit=[
            AuditEntry(
                datetime_from_str(e["at"]),
                e["actor"],
                e["action"],
                e["detail"],
                e.get("object_id", ""),
                e.get("previous", ""),
                e.get("state", ""),
                e.get("hash", ""),
            )
            for e in doc["audit"]
        ],
        transaction_id=doc["transaction_id"],
        reason=doc["reason"],
        requester_object_id=doc.get("requester_object_id", ""),
    )


# --- transactions -----------------------------------------------------------------------------


def definition_to_dict(definition: ItemDefinition) -> Document:
    return {"parts": [{"path": p.path, "payload": p.to_base64()} for p in definition.parts]}


def definition_from_dict(doc: Document) -> ItemDefinition:
    return ItemDefinition(tuple(DefinitionPart.from_base64(p["path"], p["payload"]) for p in doc["parts"]))


def _image_definition_to_dict(definition: ItemDefinition, blobs: BlobStore | None) -> Document:
    if blobs is None:
        return definition_to_dict(definition)
    return {"parts": [{"path": p.path, "blob": blobs.put(p.payload)} for p in definition.parts]}


def _image_definition_from_dict(doc: Document, blobs: BlobStore | None) -> ItemDefinition:
    parts = []
    for part in doc["parts"]:
        if "blob" in part:
            if blobs is None:
                raise ValueError("this journal stores its before-images as blobs; no blob store was given")
            parts.append(DefinitionPart(part["path"], blobs.get(part["blob"])))
        else:
            parts.append(DefinitionPart.from_base64(part["path"], part["payload"]))
    return ItemDefinition(tuple(parts))


def _image_to_dict(image: ItemImage, blobs: BlobStore | None) -> Document:
    return {
        "item_id": image.item_id,
        "item_type": image.item_type,
        "name": image.name,
        "description": image.description,
        "folder": image.folder,
        "definition": _image_definition_to_dict(image.definition, blobs),
    }


def _image_from_dict(doc: Document, blobs: BlobStore | None) -> ItemImage:
    return ItemImage(
        item_id=doc["item_id"],
        item_type=doc["item_type"],
        name=doc["name"],
        description=doc["description"],
        folder=doc["folder"],
        definition=_image_definition_from_dict(doc["definition"], blobs),
    )


def step_to_dict(step: TransactionStep, blobs: BlobStore | None) -> Document:
    return {
        "number": step.number,
        "action": step.action.value,
        "item": step.item,
        "item_id": step.item_id,
        "before": None if step.before is None else _image_to_dict(step.before, blobs),
        "outcome": step.outcome.value,
        "error": step.error,
        "shortcut": None if step.shortcut is None else step.shortcut.to_json(),
        "value_set": None if step.value_set is None else step.value_set.to_json(),
    }


def _step_from_dict(doc: Document, blobs: BlobStore | None) -> TransactionStep:
    before = doc["before"]
    return TransactionStep(
        number=doc["number"],
        action=StepAction(doc["action"]),
        item=doc["item"],
        item_id=doc["item_id"],
        before=None if before is None else _image_from_dict(before, blobs),
        outcome=StepOutcome(doc["outcome"]),
        error=doc["error"],
        # Journals written before shortcut steps existed have no "shortcut" key.
        shortcut=ShortcutWrite.from_json(doc["shortcut"]) if doc.get("shortcut") else None,
        # Nor those written before value set activations existed a "value_set" key.
        value_set=ValueSetWrite.from_json(doc["value_set"]) if doc.get("value_set") else None,
    )


def transaction_to_dict(
    transaction: Transaction, blobs: BlobStore | None = None, *, with_steps: bool = True
) -> Document:
    """With `blobs`, before-image payloads go to the blob store (compressed, by content) instead.
    Without `with_steps`, the journal's header only (a store that keeps steps apart adds them back)."""
    return {
        "id": transaction.id,
        "workspace_id": transaction.workspace_id,
        "environment": transaction.environment,
        "started_at": datetime_to_str(transaction.started_at),
        "source_dir": transaction.source_dir,
        "state": transaction.state.value,
        **({"steps": [step_to_dict(s, blobs) for s in transaction.steps]} if with_steps else {}),
        "ended_at": _optional_datetime_to_str(transaction.ended_at),
        "reason": transaction.reason,
        "fabric_url": transaction.fabric_url,
        "resumes": transaction.resumes,
        "scope": list(transaction.scope),
        "deletes": list(transaction.deletes),
        "actor": transaction.actor,
        "actor_object_id": transaction.actor_object_id,
        "recovered_by": transaction.recovered_by,
        "recovered_by_object_id": transaction.recovered_by_object_id,
        "inputs": dataclasses.asdict(transaction.inputs),
        "features": dict(transaction.features),
        "smoke_tests": [r.to_json() for r in transaction.smoke_tests],
        "warnings": list(transaction.warnings),
    }


def journal_summary_from_dict(doc: Document) -> JournalSummary:
    """The summary of a stored transaction, from its header (its steps are not read)."""
    return JournalSummary(doc["id"], TransactionState(doc["state"]), doc["source_dir"])


def transaction_from_dict(doc: Document, blobs: BlobStore | None = None) -> Transaction:
    return Transaction(
        id=doc["id"],
        workspace_id=doc["workspace_id"],
        environment=doc["environment"],
        started_at=datetime_from_str(doc["started_at"]),
        source_dir=doc["source_dir"],
        state=TransactionState(doc["state"]),
        steps=[_step_from_dict(s, blobs) for s in doc["steps"]],
        ended_at=_optional_datetime_from_str(doc["ended_at"]),
        reason=doc["reason"],
        fabric_url=doc.get("fabric_url", ""),  # absent from journals written before recovery existed
        resumes=doc.get("resumes", ""),
        scope=tuple(doc.get("scope", ())),  # absent from journals written before resume kept a scope
        deletes=tuple(doc.get("deletes", ())),
        actor=doc.get("actor", ""),  # absent from journals written before the actor was recorded
        recovered_by=doc.get("recovered_by", ""),
        recovered_by_object_id=doc.get("recovered_by_object_id", ""),  # absent before recoverers were verified
        actor_object_id=doc.get("actor_object_id", ""),  # absent before actors were verified: a typed name
        inputs=JournaledInputs(**doc.get("inputs", {})),  # absent before a resume read the deploy's files
        features=dict(doc.get("features", {})),  # absent from journals written before feature flags
        smoke_tests=[SmokeResult.from_json(r) for r in doc.get("smoke_tests", ())],  # absent before smoke tests
        warnings=tuple(doc.get("warnings", ())),  # absent from journals written before warnings were kept
    )


# --- deployment records and messages ----------------------------------------------------------


def deployed_item_to_dict(item: DeployedItem) -> Document:
    return {
        "key": {"type": item.key.type, "name": item.key.name},
        "item_id": item.item_id,
        "logical_id": item.logical_id,
        "source_hash": item.source_hash,
        "deployed_hash": item.deployed_hash,
        "transaction_id": item.transaction_id,
    }


def deployed_item_from_dict(doc: Document) -> DeployedItem:
    return DeployedItem(
        key=ItemKey(doc["key"]["type"], doc["key"]["name"]),
        item_id=doc["item_id"],
        logical_id=doc["logical_id"],
        source_hash=doc["source_hash"],
        deployed_hash=doc["deployed_hash"],
        transaction_id=doc["transaction_id"],
    )


def outbox_message_to_dict(message: OutboxMessage) -> Document:
    return {
        "id": message.id,
        "type": message.type,
        "payload": message.payload,
        "created_at": datetime_to_str(message.created_at),
        "published_at": _optional_datetime_to_str(message.published_at),
        "withheld": message.withheld,
    }


def outbox_message_from_dict(doc: Document) -> OutboxMessage:
    return OutboxMessage(
        id=doc["id"],
        type=doc["type"],
        payload=doc["payload"],
        created_at=datetime_from_str(doc["created_at"]),
        published_at=_optional_datetime_from_str(doc["published_at"]),
        withheld=bool(doc.get("withheld", False)),  # absent from outboxes written before the flag
    )


# --- lease holders ----------------------------------------------------------------------------


def lease_holder_to_dict(lease: Lease) -> Document:
    """Where a lease's holder runs and since when (its workspace, holder and expiry are columns)."""
    process = lease.process
    return {
        "process": None if process is None else {"host": process.host, "pid": process.pid, "started": process.started},
        "user": lease.user,
        "since": _optional_datetime_to_str(lease.since),
    }


def lease_from_dict(workspace_id: str, holder: str, until: datetime, doc: Document) -> Lease:
    process = doc.get("process")  # absent from leases written before holders were recorded
    return Lease(
        workspace_id,
        holder,
        until,
        process=None if process is None else ProcessRef(process["host"], process["pid"], process["started"]),
        user=doc.get("user", ""),
        since=_optional_datetime_from_str(doc.get("since")),
    )
