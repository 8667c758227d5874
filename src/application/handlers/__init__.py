"""One handler per command, a list per event, registered in explicit maps.

Handlers take the message first and their dependencies as keyword arguments named after the
ports; the composition root binds those, so tests can also call handlers with plain objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fabctl.application.handlers import deployment, promotion, recovery
from fabctl.domain import commands, events

COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Any]] = {
    commands.ExecuteDeployment: deployment.execute_deployment,
    commands.RequestPromotion: promotion.request_promotion,
    commands.ApprovePromotion: promotion.approve_promotion,
    commands.RejectPromotion: promotion.reject_promotion,
    commands.CancelPromotion: promotion.cancel_promotion,
    commands.DeployPromotion: promotion.deploy_promotion,
    commands.RecoverTransaction: recovery.recover_transaction,
}

EVENT_HANDLERS: dict[type[events.Event], list[Callable[..., Any]]] = {
    events.PromotionApproved: [promotion.deploy_when_approved],
}
