"""One object per id per unit of work, shared by the in-memory and SQLite repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from fabctl.application.unit_of_work import TrackingUnitOfWork
from fabctl.domain.aggregate import Aggregate

A = TypeVar("A", bound=Aggregate)


class IdentityMap(Generic[A]):
    """Everything handed out is tracked, so changes to it are saved when the unit of work commits."""

    def __init__(self, uow: TrackingUnitOfWork, decode: Callable[[dict[str, Any]], A]) -> None:
        self._uow = uow
        self._decode = decode
        self._loaded: dict[str, A] = {}

    def remember(self, key: str, aggregate: A) -> A:
        self._loaded[key] = aggregate
        self._uow.track(aggregate)
        return aggregate

    def materialize(self, key: str, body: str) -> A:
        loaded = self._loaded.get(key)
        return self.remember(key, loaded if loaded is not None else self._decode(json.loads(body)))
