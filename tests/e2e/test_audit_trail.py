"""The promotion audit trail, through the real CLI on the local defaults: an edit of the state file that
changes a request or its trail (the governance probes: approvals, required approvals, requester, pins,
entries edited, removed, reordered) is found by `fabctl audit verify`, naming where, and refused by
`fabctl promote approve`, with nothing deployed. An outside verifier recomputes the exported hashes with
hashlib alone, and the events' `audit_head` proves the trail."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli import EXAMPLE, run, run_json

Body = dict[str, Any]


def half_approved_to_prod(cwd: Path) -> str:
    """A request to prod (two approvals: it promotes a report and a model) that bob approved once."""
    shutil.copytree(EXAMPLE, cwd / "sales")
    run_json(cwd, "deploy", "sales", "--env", "dev")
    to_test = run_json(cwd, "promote", "request", "sales", "--from", "dev", "--user", "alice")
    run_json(cwd, "promote", "approve", to_test["id"], "--user", "bob")
    to_prod = run_json(cwd, "promote", "request", "sales", "--from", "test", "--user", "alice")
    approved = run_json(cwd, "promote", "approve", to_prod["id"], "--user", "bob")
    assert (approved["state"], len(approved["approvals"])) == ("requested", 1), approved
    request_id: str = to_prod["id"]
    return request_id


def edit_state_file(cwd: Path, request_id: str, change: Callable[[Body], None]) -> None:
    """What someone with write access to .fabctl/state.db could do, bypassing fabctl."""
    with sqlite3.connect(cwd / ".fabctl" / "state.db") as db:
        (text,) = db.execute("SELECT body FROM promotions WHERE id = ?", (request_id,)).fetchone()
        body = json.loads(text)
        change(body)
        db.execute("UPDATE promotions SET body = ? WHERE id = ?", (json.dumps(body), request_id))
    db.close()


def add_an_approval(body: Body) -> None:
    body["approvals"].append({"approver": "mallory", "at": body["approvals"][0]["at"], "comment": ""})


def edit_an_approval(body: Body) -> None:
    body["approvals"][0]["approver"] = "carol"  # bob's approval claimed by another name


def lower_required_approvals(body: Body) -> None:
    body["required_approvals"] = 1


def change_the_requester(body: Body) -> None:
    body["requested_by"] = "carol"  # carol could then approve alone


def repoint_a_pin(body: Body) -> None:
    pin = next(p for p in body["terms"] if p[1] == "environments.prod.workspace")
    pin[2] = '"Sales (test)"'


def repoint_an_item_pin(body: Body) -> None:
    body["items"][0]["source_hash"] = "0" * 64  # approve content other than what was requested


def drop_the_required_validations(body: Body) -> None:
    body["validations"] = []  # the rules' requirements, stored with the request


def edit_an_entry(body: Body) -> None:
    body["audit"][1]["detail"] = "approved by the board"


def remove_an_entry(body: Body) -> None:
    del body["audit"][0]


def reorder_the_entries(body: Body) -> None:
    body["audit"].reverse()


PROBES: list[tuple[Callable[[Body], None], str]] = [
    (add_an_approval, "the request was changed after audit entry 2 (approved)"),
    (edit_an_approval, "the request was changed after audit entry 2 (approved)"),
    (lower_required_approvals, "the request was changed after audit entry 2 (approved)"),
    (change_the_requester, "the request was changed after audit entry 2 (approved)"),
    (repoint_a_pin, "the request was changed after audit entry 2 (approved)"),
    (repoint_an_item_pin, "the request was changed after audit entry 2 (approved)"),
    (drop_the_required_validations, "the request was changed after audit entry 2 (approved)"),
    (edit_an_entry, "audit entry 2 (approved) was edited"),
    (remove_an_entry, "audit entry 1 (approved) is not the first entry"),
    (reorder_the_entries, "audit entry 1 (approved) is not the first entry"),
]


@pytest.mark.parametrize(("tamper", "named"), PROBES, ids=[p.__name__ for p, _ in PROBES])
def test_an_edit_of_the_state_file_is_found_by_verify_and_refused_by_approve(
    tmp_path: Path, tamper: Callable[[Body], None], named: str
) -> None:
    request_id = half_approved_to_prod(tmp_path)
    assert run(tmp_path, "audit", "verify", request_id).returncode == 0
    edit_state_file(tmp_path, request_id, tamper)

    verified = run(tmp_path, "audit", "verify", request_id)
    approved = run(tmp_path, "promote", "approve", request_id, "--user", "carol")

    assert verified.returncode == 2 and named in verified.stdout, verified.stdout + verified.stderr
    assert approved.returncode == 2 and "Traceback" not in approved.stderr, approved.stderr
    assert named in approved.stderr and f"promotion request {request_id}" in approved.stderr, approved.stderr
    assert [t["environment"] for t in run_json(tmp_path, "tx", "list")] == ["dev", "test"]  # prod untouched


def recomputed(row: dict[str, Any]) -> str:
    """An entry's hash as docs/audit.md defines it, from the export alone: fields left at "" are left out."""
    document = {"request": row["request_id"], "at": row["at"], "actor": row["actor"], "action": row["action"]}
    document |= {name: row[name] for name in ("object_id", "detail", "previous") if row[name]}
    document["state"] = row["state"]
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_an_untouched_trail_verifies_and_an_outside_verifier_recomputes_every_exported_hash(tmp_path: Path) -> None:
    request_id = half_approved_to_prod(tmp_path)

    verified = run_json(tmp_path, "audit", "verify")
    exported = run(tmp_path, "audit", "export")
    as_csv = run(tmp_path, "audit", "export", "--format", "csv")

    assert verified["holds"] is True and len(verified["requests"]) == 2
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    mine = [r for r in rows if r["request_id"] == request_id]
    assert [(r["number"], r["actor"], r["action"]) for r in mine] == [(1, "alice", "requested"), (2, "bob", "approved")]
    assert all(recomputed(r) == r["hash"] for r in rows)
    assert [r["previous"] for r in mine] == ["", mine[0]["hash"]]
    assert as_csv.stdout.splitlines()[0] == "request_id,number,at,actor,object_id,action,detail,previous,state,hash"
    assert len(as_csv.stdout.splitlines()) == len(rows) + 1


def test_the_head_an_event_published_proves_the_trail_and_another_head_does_not(tmp_path: Path) -> None:
    request_id = half_approved_to_prod(tmp_path)
    published = [
        e["payload"] for e in run_json(tmp_path, "events", "--limit", "1000") if e["type"] == "ApprovalRecorded"
    ]
    head = next(p["audit_head"] for p in published if p["request_id"] == request_id)

    kept = run(tmp_path, "audit", "verify", request_id, "--head", head)
    rewritten = run(tmp_path, "audit", "verify", request_id, "--head", "0" * 64)

    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert rewritten.returncode == 2 and f"no audit entry has the hash {'0' * 64}" in rewritten.stdout


def test_an_export_since_a_time_leaves_earlier_entries_out_and_a_bad_time_is_refused(tmp_path: Path) -> None:
    half_approved_to_prod(tmp_path)

    later = run(tmp_path, "audit", "export", "--since", "2999-01-01")
    bad = run(tmp_path, "audit", "export", "--since", "last tuesday")

    assert later.returncode == 0 and later.stdout == ""
    assert bad.returncode == 2 and "--since" in bad.stderr and "Traceback" not in bad.stderr
