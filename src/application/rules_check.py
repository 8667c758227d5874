"""`fabctl rules check`: judge a promotion by its rules without requesting it."""

from __future__ import annotations

from datetime import datetime

from fabctl.application.deployment.inputs import load_inputs
from fabctl.application.ports import SourceReader
from fabctl.domain.errors import NotFound, PromotionRuleViolation
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.promotion_rules import Evaluation, evaluate


def check_rules(
    reader: SourceReader,
    source_dir: str,
    source_environment: str,
    *,
    target_environment: str = "",
    items: tuple[str, ...] = (),
    change: str = "",
    at: datetime,
    emergency: bool = False,
    config_path: str = "",
) -> Evaluation:
    inputs = load_inputs(reader, source_dir, source_environment, config_path)
    target = inputs.config.next_after(inputs.environment.name)
    if target_environment and target_environment != target.name:
        inputs.config.environment(target_environment)
        raise PromotionRuleViolation(
            f"'{source_environment}' promotes to '{target.name}', not to '{target_environment}'",
            subject=inputs.config.source,
            field="environments",
        )
    keys = {ItemKey.parse(text) for text in items} or {item.key for item in inputs.source}
    for key in sorted(keys):
        if key not in inputs.source:
            raise NotFound(f"no item '{key}' in the source", subject=source_dir, field="items")
    return evaluate(
        target.promotion.rules, (str(k) for k in keys), source_environment=inputs.environment.name,
        change=change, at=at, emergency=emergency, validation=target.validation,
    )  # fmt: skip


def rules_of(reader: SourceReader, request: PromotionRequest) -> Evaluation:
    """The rules that applied to each of a request's items and why, judged as when it was requested (its
    configuration is pinned with it: a changed one voids the approval)."""
    requested = request.audit[0].at  # the trail opens with the request
    return check_rules(
        reader, request.source_dir, request.source_environment, target_environment=request.target_environment,
        items=tuple(i.key for i in request.items), change=request.change, at=requested,
        emergency=request.emergency, config_path=request.config_path,
    )  # fmt: skip
