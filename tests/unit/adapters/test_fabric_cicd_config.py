"""fabric-cicd's config.yml read as a ReleaseConfig, and scope/exclude in workspace-config.yaml."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fabctl.adapters.source.config_files import read_release_config
from fabctl.domain.errors import InvalidConfiguration

DEV = "11111111-1111-4111-8111-111111111111"
PROD = "22222222-2222-4222-8222-222222222222"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return str(path)


def test_a_fabric_cicd_config_gives_one_environment_per_workspace_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deploy/config.yml",
        "core:\n"
        f"  workspace_id: {{dev: {DEV}, prod: {PROD}}}\n"
        "  repository_directory: ../workspace\n"
        "  item_types_in_scope: {dev: [Notebook], prod: [Notebook, DataPipeline]}\n"
        "  parameter: {prod: params/prod.yml}\n"
        "publish:\n"
        "  exclude_regex: '^DONT_DEPLOY.*'\n"
        "  folder_exclude_regex: {prod: '^/legacy'}\n"
        "  items_to_include: {prod: [Load.Notebook]}\n"
        "  skip: {dev: true, prod: false}\n"
        "unpublish:\n"
        "  exclude_regex: '^KEEP.*'\n"
        "  skip: true\n"
        "features: [enable_shortcut_publish]\n",
    )

    config = read_release_config(path)

    dev, prod = config.environments
    assert (dev.name, dev.workspace_id, prod.name, prod.workspace_id) == ("dev", DEV, "prod", PROD)
    assert dev.source_dir == prod.source_dir == os.path.normpath(str(tmp_path / "workspace"))
    assert (dev.item_types_in_scope, prod.item_types_in_scope) == (("Notebook",), ("Notebook", "DataPipeline"))
    assert (dev.parameter_file, prod.parameter_file) == ("", os.path.normpath(str(tmp_path / "deploy/params/prod.yml")))
    assert dev.exclude_names == prod.exclude_names == ("^DONT_DEPLOY.*",)
    assert (dev.folder_exclude, prod.folder_exclude) == ((), ("^/legacy",))
    assert (dev.items_to_include, prod.items_to_include) == ((), ("Load.Notebook",))
    assert (dev.skip_publish, prod.skip_publish) == (True, False)
    assert dev.unpublish_exclude_names == ("^KEEP.*",) and dev.skip_unpublish and prod.skip_unpublish
    assert config.next_after("dev") is prod


def test_workspace_names_are_accepted_too(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yml", "core:\n  workspace: {test: Sales (test)}\n")

    (test,) = read_release_config(path).environments

    assert (test.name, test.workspace_name, test.workspace_id, test.target) == (
        "test",
        "Sales (test)",
        "",
        "Sales (test)",
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("core: {repository_directory: x}\n", "core.workspace_id"),
        (f"core: {{workspace_id: {{dev: {DEV}}}, workspace: {{dev: n}}}}\n", "core.workspace"),
        ("core: {workspace_id: {dev: not-a-guid}}\n", "core.workspace_id.dev"),
        (f"core: {{workspace_id: {{dev: {DEV}}}, item_types_in_scope: [Notebok]}}\n", "core.item_types_in_scope"),
        (f"core: {{workspace_id: {{dev: {DEV}}}}}\npublish: {{exclude_regex: '(['}}\n", "publish.exclude_regex"),
        (f"core: {{workspace_id: {{dev: {DEV}}}}}\npublish: {{exclud_regex: x}}\n", "publish.exclud_regex"),
    ],
)
def test_a_bad_fabric_cicd_config_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, "config.yml", text)

    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(path)

    assert raised.value.subject == path
    assert raised.value.field.startswith(field)


def test_workspace_config_sets_scope_and_exclusions_globally_and_per_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "workspace-config.yaml",
        "item_types_in_scope: [Notebook, Lakehouse]\n"
        "exclude: ['^scratch_']\n"
        "environments:\n"
        "  dev: {workspace: Sales (dev)}\n"
        "  prod: {workspace: Sales (prod), item_types_in_scope: [Notebook], exclude: ['\\.Lakehouse$']}\n",
    )

    dev, prod = read_release_config(path).environments

    assert (dev.item_types_in_scope, dev.exclude) == (("Notebook", "Lakehouse"), ("^scratch_",))
    assert (prod.item_types_in_scope, prod.exclude) == (("Notebook",), ("^scratch_", "\\.Lakehouse$"))


def test_a_bad_exclude_regex_in_workspace_config_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "workspace-config.yaml", "environments:\n  dev: {workspace: W, exclude: ['(']}\n")

    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(path)

    assert raised.value.field == "environments.dev.exclude[0]"
