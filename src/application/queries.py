"""Read-side use cases: what the CLI shows. None of them changes state."""

from __future__ import annotations

from fabctl.application.ports import OutboxMessage, UnitOfWork
from fabctl.domain.errors import NotFound
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.transaction import Transaction


def list_promotions(uow: UnitOfWork) -> list[PromotionRequest]:
    with uow:
        return uow.promotions.list()


def get_promotion(uow: UnitOfWork, request_id: str) -> PromotionRequest:
    with uow:
        request = uow.promotions.get(request_id)
    if request is None:
        raise NotFound("no such promotion request", subject=f"promotion request {request_id}", field="id")
    return request


def list_transactions(uow: UnitOfWork, workspace_id: str | None = None) -> list[Transaction]:
    with uow:
        return uow.transactions.list(workspace_id)


def get_transaction(uow: UnitOfWork, transaction_id: str) -> Transaction:
    with uow:
        tx = uow.transactions.get(transaction_id)
    if tx is None:
        raise NotFound("no such transaction", subject=f"transaction {transaction_id}", field="id")
    return tx


def list_events(uow: UnitOfWork, limit: int = 100) -> list[OutboxMessage]:
    with uow:
        return uow.outbox.list(limit)
