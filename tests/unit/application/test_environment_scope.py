"""The environment's own scope (workspace-config.yaml / fabric-cicd config.yml) limits a deployment."""

from __future__ import annotations

import dataclasses

from fabctl.application.handlers.deployment import plan_deployment
from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.environments import ReleaseConfig

from .world import CONFIG, SOURCE, World, release_config


def scoped(world: World, **fields: object) -> None:
    config = release_config()
    dev = dataclasses.replace(config.environments[0], **fields)  # type: ignore[arg-type]
    world.reader.configs[CONFIG] = ReleaseConfig((dev, *config.environments[1:]), source=CONFIG)


def deployed_whole(world: World) -> None:
    """The target holds every item: a scope that leaves out what an item refers to leaves nothing dangling."""
    assert world.app.bus.handle(ExecuteDeployment("whole", SOURCE, "dev", "tester")).succeeded


def planned(world: World, *items: str) -> list[str]:
    app = world.app
    plan = plan_deployment(app.reader, app.gateway, app.uow, SOURCE, "dev", items=items)
    return sorted(str(c.key) for c in plan.changes)


def test_item_types_in_scope_and_exclusions_limit_what_is_planned(world: World) -> None:
    deployed_whole(world)
    scoped(world, item_types_in_scope=("Notebook", "Report", "SemanticModel"), exclude=(r"^Sales Report\.",))

    assert planned(world) == ["Load Sales.Notebook", "Sales Model.SemanticModel"]


def test_a_selection_on_the_command_line_stays_within_the_scope(world: World) -> None:
    deployed_whole(world)
    scoped(world, exclude_names=("Model",))

    assert planned(world, "Sales Model.SemanticModel", "Load Sales.Notebook") == ["Load Sales.Notebook"]


def test_folder_exclusions_and_skip_publish(world: World) -> None:
    scoped(world, folder_exclude=("^/Notebooks",))
    assert "Load Sales.Notebook" not in planned(world)

    scoped(world, skip_publish=True)
    assert planned(world) == []
