"""A duplicate delivered while the first delivery is still being handled (two workers holding one
message) changes nothing: the handler claims the message id in the unit of work that stores its
effect, so the second to get there finds it handled, whatever the bus's first look said.

The "other worker" runs inside the first one's handling, at the point where both have passed the
bus's look at the inbox and neither has stored anything: while the approval reads its source.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fabctl.application.queries import get_promotion
from fabctl.domain.commands import ApprovePromotion, Command, ExecuteDeployment, RequestPromotion
from fabctl.domain.workspace import Workspace

from .world import SOURCE, World


def deploy_to(world: World, env: str) -> None:
    assert world.app.bus.handle(ExecuteDeployment(f"deploy-{env}", SOURCE, env, "ci")).succeeded


def while_reading_the_source(world: World, action: Callable[[], None]) -> None:
    """Run `action` once, the next time a handler reads the source folder."""
    original = world.reader.read_workspace

    def read_workspace(source_dir: str) -> Workspace:
        world.reader.read_workspace = original  # type: ignore[method-assign]
        action()
        return original(source_dir)

    world.reader.read_workspace = read_workspace  # type: ignore[method-assign]


def deployments(world: World) -> list[str]:
    with world.app.uow as uow:
        return [t.id for t in uow.transactions.list()]


@pytest.mark.parametrize("to_prod", [False, True], ids=["one approval completes it", "one of two approvals"])
def test_an_approval_delivered_twice_at_once_is_counted_once_and_deploys_once(world: World, to_prod: bool) -> None:
    deploy_to(world, "dev")
    if to_prod:
        deploy_to(world, "test")
    opened = world.app.bus.handle(RequestPromotion("req-1", SOURCE, "test" if to_prod else "dev", "alice"))
    before = deployments(world)
    approval = ApprovePromotion("the-same-message", opened.id, "bob")
    results: list[object] = []
    while_reading_the_source(world, lambda: results.append(world.app.bus.handle(approval)))

    results.append(world.app.bus.handle(approval))

    after = get_promotion(world.app.uow, opened.id)
    assert [str(a.approver) for a in after.approvals] == ["bob"]
    assert [e.action for e in after.audit].count("approved") == 1
    assert results[1] is None  # the first delivery, overtaken: it found the message handled
    new = [t for t in deployments(world) if t not in before]
    assert len(new) == (0 if to_prod else 1)
    assert after.state.value == ("requested" if to_prod else "succeeded")


def test_a_request_delivered_twice_at_once_opens_one_request(world: World) -> None:
    deploy_to(world, "dev")
    request: Command = RequestPromotion("the-same-message", SOURCE, "dev", "alice")
    results: list[object] = []
    while_reading_the_source(world, lambda: results.append(world.app.bus.handle(request)))

    results.append(world.app.bus.handle(request))

    with world.app.uow as uow:
        assert len(uow.promotions.list()) == 1
    assert results[1] is None
