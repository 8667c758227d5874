"""Freeze windows judged again when a promotion's deployment starts (through bootstrap, in-memory adapters,
a clock the test moves): a request made before a window cannot deploy inside it without the emergency
override, and an emergency deployment in a window is marked in the audit trail."""

from __future__ import annotations

import dataclasses

from fabctl.application.queries import get_promotion
from fabctl.domain.commands import ApprovePromotion, ExecuteDeployment, RequestPromotion
from fabctl.domain.environments import PromotionPolicy
from fabctl.domain.freeze_windows import FreezeWindow
from fabctl.domain.promotion_rules import PromotionRule, RuleSet

from .world import CONFIG, SOURCE, World, make_world, release_config

# The world's clock starts at 2026-01-01 00:00 UTC, a Thursday (01:00 in Amsterdam): outside the freeze.
TO_FRIDAY_EVENING = 41 * 3600  # to Friday 2026-01-02 17:00 UTC, 18:00 in Amsterdam: inside it
WEEKEND = FreezeWindow("friday", "16:00", "monday", "08:00", "Europe/Amsterdam", "weekend")


def frozen_world() -> World:
    world = make_world()
    config = release_config()
    test = dataclasses.replace(
        config.environment("test"),
        promotion=PromotionPolicy(1, rules=RuleSet({"default": PromotionRule(freeze_windows=(WEEKEND,), origin="t")})),
    )
    envs = tuple(test if e.name == "test" else e for e in config.environments)
    world.reader.configs[CONFIG] = dataclasses.replace(config, environments=envs)
    assert world.app.bus.handle(ExecuteDeployment("deploy-dev", SOURCE, "dev", "ci")).succeeded
    return world


def test_a_request_made_before_a_freeze_is_not_deployed_inside_it() -> None:
    world = frozen_world()
    opened = world.app.bus.handle(RequestPromotion("req-1", SOURCE, "dev", "alice"))
    world.clock.advance(TO_FRIDAY_EVENING)

    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    done = get_promotion(world.app.uow, opened.id)
    assert done.state.value == "failed"
    assert (
        "the freeze began after the request" in done.reason and "weekend: Friday 16:00 to Monday 08:00" in done.reason
    )
    assert world.app.gateway.find_workspace("Sales (test)") is None  # nothing deployed
    assert [e.action for e in done.audit] == ["requested", "approved", "deploying", "failed"]


def test_the_same_request_approved_before_the_freeze_deploys() -> None:
    world = frozen_world()
    opened = world.app.bus.handle(RequestPromotion("req-1", SOURCE, "dev", "alice"))

    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    assert get_promotion(world.app.uow, opened.id).state.value == "succeeded"
