"""Which repository writes an aggregate the unit of work saves on commit: the same in every store."""

from __future__ import annotations

from typing import Protocol, TypeVar

from fabctl.domain.aggregate import Aggregate
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.transaction import Transaction

A = TypeVar("A", contravariant=True)


class Writer(Protocol[A]):
    def write(self, aggregate: A, /) -> None: ...


def write_aggregate(
    aggregate: Aggregate, promotions: Writer[PromotionRequest], transactions: Writer[Transaction]
) -> None:
    if isinstance(aggregate, PromotionRequest):
        promotions.write(aggregate)
    elif isinstance(aggregate, Transaction):
        transactions.write(aggregate)
    else:
        raise TypeError(f"the state store cannot save a {type(aggregate).__name__}")
