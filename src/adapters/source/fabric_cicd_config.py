"""fabric-cicd's `config.yml`, read into fabctl's `ReleaseConfig`.

    core:
      workspace_id: {dev: <guid>, prod: <guid>}   # or  workspace: {dev: "Sales (dev)", ...}
      repository_directory: "../workspace"        # a path, or {env: path}; relative to this file
      item_types_in_scope: [Notebook, DataPipeline]  # or {env: [...]}
      parameter: "parameter.yml"                  # or {env: path}; relative to this file
    publish:   {exclude_regex, folder_exclude_regex, items_to_include, skip}   # each: value or {env: value}
    unpublish: {exclude_regex, items_to_include, skip}
    features: [...]                                # and `constants`: accepted, fabric-cicd internals

The environments are the keys of `core.workspace_id` (or `core.workspace`), in the order written,
which is the promotion order. Every other setting is one value for all environments or a mapping by
environment (an environment missing from the mapping gets no value, as in fabric-cicd).
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field

from fabctl.adapters.source.config_files import Guid, ItemType, NonEmptyStr, _Strict, checked_path, validate_model
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.regex import InvalidRegex, compile_regex


class CoreModel(_Strict):
    workspace_id: dict[NonEmptyStr, Guid] | None = None
    workspace: dict[NonEmptyStr, NonEmptyStr] | None = None
    repository_directory: NonEmptyStr | dict[NonEmptyStr, NonEmptyStr] | None = None
    item_types_in_scope: list[ItemType] | dict[NonEmptyStr, list[ItemType]] | None = None
    parameter: NonEmptyStr | dict[NonEmptyStr, NonEmptyStr] | None = None


class PublishModel(_Strict):
    exclude_regex: str | dict[NonEmptyStr, str] | None = None
    folder_exclude_regex: str | dict[NonEmptyStr, str] | None = None
    shortcut_exclude_regex: str | dict[NonEmptyStr, str] | None = None  # lakehouse shortcuts: not applied
    items_to_include: list[NonEmptyStr] | dict[NonEmptyStr, list[NonEmptyStr]] | None = None
    skip: bool | dict[NonEmptyStr, bool] | None = None


class UnpublishModel(_Strict):
    exclude_regex: str | dict[NonEmptyStr, str] | None = None
    items_to_include: list[NonEmptyStr] | dict[NonEmptyStr, list[NonEmptyStr]] | None = None
    skip: bool | dict[NonEmptyStr, bool] | None = None


class FabricCicdConfigModel(_Strict):
    core: CoreModel
    publish: PublishModel = Field(default_factory=PublishModel)
    unpublish: UnpublishModel = Field(default_factory=UnpublishModel)
    features: Any = None
    constants: Any = None


def is_fabric_cicd_config(data: object) -> bool:
    return isinstance(data, dict) and "core" in data and "environments" not in data


def read_fabric_cicd_config(path: str, data: dict[str, Any]) -> ReleaseConfig:
    config = validate_model(FabricCicdConfigModel, data, path)
    core = config.core
    if core.workspace_id is not None and core.workspace is not None:
        raise InvalidConfiguration(
            "set either 'workspace_id' or 'workspace' (names), not both", subject=path, field="core.workspace"
        )
    targets = core.workspace_id if core.workspace_id is not None else core.workspace
    if not targets:
        raise InvalidConfiguration(
            "is required: a mapping of environment names to workspace ids (or 'core.workspace' to names)",
            subject=path,
            field="core.workspace_id",
        )
    base = os.path.dirname(path)

    def pick(value: Any, env: str) -> Any:
        return value.get(env) if isinstance(value, dict) else value

    def regexes(value: Any, env: str, field: str) -> tuple[str, ...]:
        pattern = pick(value, env)
        if not pattern:
            return ()
        try:
            compile_regex(pattern)
        except InvalidRegex as e:
            raise InvalidConfiguration(str(e), subject=path, field=field) from e
        return (pattern,)

    def resolved(value: Any, env: str, field: str) -> str:
        chosen = pick(value, env)
        if not chosen:
            return ""
        where = f"{field}.{env}" if isinstance(value, dict) else field
        return os.path.normpath(os.path.join(base, checked_path(chosen, path, where, base)))

    from fabctl.adapters.source.feature_config import flags_in_force

    environments = []
    for env in targets:
        publish, unpublish = config.publish, config.unpublish
        environments.append(
            Environment(
                name=env,
                workspace_id=targets[env] if core.workspace_id is not None else "",
                workspace_name=targets[env] if core.workspace is not None else "",
                item_types_in_scope=tuple(pick(core.item_types_in_scope, env) or ()),
                exclude_names=regexes(publish.exclude_regex, env, "publish.exclude_regex"),
                folder_exclude=regexes(publish.folder_exclude_regex, env, "publish.folder_exclude_regex"),
                items_to_include=tuple(pick(publish.items_to_include, env) or ()),
                skip_publish=bool(pick(publish.skip, env)),
                unpublish_exclude_names=regexes(unpublish.exclude_regex, env, "unpublish.exclude_regex"),
                skip_unpublish=bool(pick(unpublish.skip, env)),
                source_dir=resolved(core.repository_directory, env, "core.repository_directory"),
                parameter_file=resolved(core.parameter, env, "core.parameter"),
                # fabric-cicd's file has no flags of fabctl's: the defaults, and FABCTL_FEATURE_* over them
                features=flags_in_force({}, {}),
            )
        )
    return ReleaseConfig(tuple(environments), source=path)
