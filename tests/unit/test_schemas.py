"""The JSON Schemas accept the files fabctl ships and writes, and refuse what the loaders refuse."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from fabctl.adapters.directory.principals_file import PrincipalsFileDirectory
from fabctl.adapters.project.scaffold import configuration_files, workspace_names
from fabctl.adapters.source.config_files import read_release_config
from fabctl.adapters.source.parameter_file import read_parameter_file
from fabctl.adapters.source.schemas import json_schema
from fabctl.domain.errors import InvalidConfiguration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FILES = {"workspace-config": "workspace-config.yaml", "parameter": "parameter.yml", "principals": "principals.yaml"}


def problems(name: str, document: object) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema(name))
    return [error.message for error in validator.iter_errors(document)]


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema(name))


@pytest.mark.parametrize(
    "path",
    [
        "sales-workspace/workspace-config.yaml",
        "sales-workspace/parameter.yml",
        "governed-workspace/workspace-config.yaml",
        "governed-workspace/parameter.yml",
        "governed-workspace/principals.yaml",
    ],
)
def test_the_examples_files_pass_their_schema(path: str) -> None:
    name = next(n for n, f in FILES.items() if path.endswith(f))
    assert problems(name, yaml.safe_load((EXAMPLES / path).read_text())) == []


@pytest.mark.parametrize("adopted", [False, True])
def test_the_scaffolded_files_pass_their_schema_and_load(adopted: bool, tmp_path: Path) -> None:
    files = configuration_files("sales", workspace_names("sales"), adopted=adopted)
    for file in files:
        (tmp_path / file.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file.path).write_bytes(file.content)
    for name, file_name in FILES.items():
        assert problems(name, yaml.safe_load((tmp_path / file_name).read_text())) == [], file_name
    assert [e.name for e in read_release_config(str(tmp_path / "workspace-config.yaml")).environments] == [
        "dev", "test", "prod",
    ]  # fmt: skip
    read_parameter_file(str(tmp_path / "parameter.yml"), required=True)
    principals = PrincipalsFileDirectory(str(tmp_path / "principals.yaml"))
    assert principals.is_member("release-approvers", actor="a@contoso.com") is False  # loads; nobody in it yet


def test_what_the_loader_takes_in_fabric_cicd_s_spellings_the_schema_takes() -> None:
    document = {
        "find_replace": {"find_value": "x", "replace_value": {"prod": 42}, "is_regex": "true", "item_type": "Notebook"}
    }
    document["find_replace"] = [document["find_replace"]]
    assert problems("parameter", document) == []


def test_a_misspelt_key_is_refused_by_the_schema_and_the_loader(tmp_path: Path) -> None:
    text = "environments:\n  prod:\n    workspace: Sales\n    protectd: true\n"
    (tmp_path / "workspace-config.yaml").write_text(text)
    assert problems("workspace-config", yaml.safe_load(text)) != []
    with pytest.raises(InvalidConfiguration) as refused:
        read_release_config(str(tmp_path / "workspace-config.yaml"))
    assert refused.value.field == "environments.prod.protectd"


def test_both_workspace_and_workspace_id_are_refused_by_both(tmp_path: Path) -> None:
    text = "environments:\n  dev:\n    workspace: Sales\n    workspace_id: 6f1c0000-0000-0000-0000-00000000a11c\n"
    (tmp_path / "workspace-config.yaml").write_text(text)
    assert problems("workspace-config", yaml.safe_load(text)) != []
    with pytest.raises(InvalidConfiguration, match="not both"):
        read_release_config(str(tmp_path / "workspace-config.yaml"))


def test_an_unknown_item_type_is_refused_by_both(tmp_path: Path) -> None:
    text = "find_replace:\n  - find_value: a\n    replace_value: {dev: b}\n    item_type: Notbook\n"
    (tmp_path / "parameter.yml").write_text(text)
    assert problems("parameter", yaml.safe_load(text)) != []
    with pytest.raises(InvalidConfiguration) as refused:
        read_parameter_file(str(tmp_path / "parameter.yml"))
    assert refused.value.field == "find_replace[0].item_type[0]"


def test_a_group_without_a_name_is_refused_by_both(tmp_path: Path) -> None:
    text = "groups:\n  - members: [alice@contoso.com]\n"
    (tmp_path / "principals.yaml").write_text(text)
    assert problems("principals", yaml.safe_load(text)) == ["'name' is a required property"]
    with pytest.raises(InvalidConfiguration) as refused:
        PrincipalsFileDirectory(str(tmp_path / "principals.yaml")).is_member("g", actor="alice@contoso.com")
    assert refused.value.field == "groups[0].name"
