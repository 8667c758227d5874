"""Read-side use cases over promotions' audit trails: prove them (`verify_trails`), and list their entries
(`audit_entries`) for an export. Neither changes state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fabctl.application.ports import UnitOfWork
from fabctl.domain.audit_chain import AuditTampered
from fabctl.domain.errors import NotFound
from fabctl.domain.promotion import AuditEntry, PromotionRequest


@dataclass(frozen=True)
class TrailCheck:
    request_id: str
    entries: int
    head: str  # the newest entry's hash, as stored
    problem: str = ""  # "" when the trail holds

    @property
    def holds(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class ExportedEntry:
    request_id: str
    number: int  # 1-based, in the trail's order
    entry: AuditEntry


def verify_trails(uow: UnitOfWork, request_ids: Sequence[str] = (), *, head: str = "") -> list[TrailCheck]:
    """Each request's trail checked (every request when none is named); `head`, with one request named: a
    hash published earlier that its trail must hold."""
    checks = []
    for request in _requests(uow, request_ids):
        try:
            request.verify_audit(head=head)
            problem = ""
        except AuditTampered as e:
            problem = e.message
        checks.append(TrailCheck(request.id, len(request.audit), request.audit_head, problem))
    return checks


def audit_entries(uow: UnitOfWork, *, since: datetime | None = None) -> list[ExportedEntry]:
    """Every entry of every request's trail (at or after `since`), request by request, each in its order."""
    return [
        ExportedEntry(request.id, number, entry)
        for request in _requests(uow, ())
        for number, entry in enumerate(request.audit, start=1)
        if since is None or entry.at >= since
    ]


def _requests(uow: UnitOfWork, request_ids: Sequence[str]) -> list[PromotionRequest]:
    with uow:
        if not request_ids:
            return uow.promotions.list()
        found = []
        for request_id in request_ids:
            request = uow.promotions.get(request_id)
            if request is None:
                raise NotFound("no such promotion request", subject=f"promotion request {request_id}", field="id")
            found.append(request)
        return found
