"""fabric-cicd parameter.yml files as users write them: every section, extend, $ENV and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabctl.adapters.source.config_files import read_parameters
from fabctl.domain.binding import BindingContext, bind
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.parameters import SparkPoolTarget


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return str(path)


def error_of(path: str) -> InvalidConfiguration:
    with pytest.raises(InvalidConfiguration) as raised:
        read_parameters(path)
    return raised.value


def test_key_value_replace_with_filters_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameter.yml",
        "key_value_replace:\n"
        '  - find_key: $.properties.activities[?(@.name=="Copy")].typeProperties.source.connection\n'
        "    replace_value: {PPE: ppe-conn, PROD: prod-conn}\n"
        "    item_type: DataPipeline\n"
        "    item_name: [Ingest, Load]\n"
        "    file_path: '**/pipeline-content.json'\n",
    )

    (rule,) = read_parameters(path).key_value_replace

    assert rule.origin == f"{path}: key_value_replace[0]"
    assert (rule.replacement_for("PROD"), rule.replacement_for("dev")) == ("prod-conn", None)
    assert (rule.item_types, rule.item_names) == (("DataPipeline",), ("Ingest", "Load"))
    assert rule.applies_to("DataPipeline", "Ingest", "Ingest.DataPipeline/pipeline-content.json")
    assert not rule.applies_to("DataPipeline", "Other", "Other.DataPipeline/pipeline-content.json")


def test_a_key_value_rule_on_a_yaml_part_works_end_to_end(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameter.yml",
        "key_value_replace:\n  - find_key: $.dynamic_executor_allocation.max_executors\n    replace_value: {PROD: 9}\n",
    )
    rules = read_parameters(path)
    compute = (
        "enable_native_execution_engine: false\ndynamic_executor_allocation:\n  enabled: true\n  max_executors: 2\n"
    )
    item = Item(
        ItemKey("Environment", "Spark"),
        definition=ItemDefinition.of([DefinitionPart.from_text("Setting/Sparkcompute.yml", compute)]),
    )
    context = BindingContext("PROD", "ws", "WS", {}, {}, resolve=lambda v: v)

    part = bind(item, rules, context).part("Setting/Sparkcompute.yml")

    assert part is not None and part.text is not None
    assert rules.yaml is not None
    assert rules.yaml.load(part.text) == {
        "enable_native_execution_engine": False,
        "dynamic_executor_allocation": {"enabled": True, "max_executors": 9},
    }


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ("  - {replace_value: {prod: x}}\n", "key_value_replace[0].find_key"),
        ("  - {find_key: $.a}\n", "key_value_replace[0].replace_value"),
        ("  - {find_key: $.a, replace_value: {prod: x}, item_type: Notebok}\n", "key_value_replace[0].item_type[0]"),
        ("  - {find_key: $.a, replace_value: {prod: x}, find_value: y}\n", "key_value_replace[0].find_value"),
        ("  - {find_key: $.a, replace_value: {_ALL_: x, prod: y}}\n", "key_value_replace[0].replace_value"),
    ],
)
def test_a_bad_key_value_rule_names_file_and_field(tmp_path: Path, rule: str, field: str) -> None:
    path = write(tmp_path, "parameter.yml", "key_value_replace:\n" + rule)

    error = error_of(path)

    assert (error.subject, error.field) == (path, field)


def test_a_bad_jsonpath_names_the_rule_and_find_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameter.yml",
        "key_value_replace:\n"
        "  - {find_key: $.a, replace_value: {p: x}}\n"
        "  - {find_key: '$.a[', replace_value: {p: x}}\n",  # jsonpath-ng refuses it
    )

    error = error_of(path)

    assert (error.subject, error.field) == (f"{path}: key_value_replace[1]", "find_key")


def test_all_environments_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path, "parameter.yml", "find_replace:\n  - {find_value: a, replace_value: {_all_: b}}\n")

    (rule,) = read_parameters(path).find_replace

    assert (rule.replacement_for("dev"), rule.replacement_for("prod")) == ("b", "b")


def test_spark_pool_is_read_and_validated(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameter.yml",
        "spark_pool:\n"
        "  - instance_pool_id: 72c68dbc-0775-4d59-909d-a47896f4573b\n"
        "    replace_value:\n"
        "      PPE: {type: Capacity, name: CapacityPool_Large_PPE}\n"
        "      PROD: {type: Workspace, name: WorkspacePool_Prod}\n"
        "    item_name: World\n",
    )

    (pool,) = read_parameters(path).spark_pool

    assert pool.target_for("PROD") == SparkPoolTarget("Workspace", "WorkspacePool_Prod")
    assert pool.target_for("dev") is None
    assert pool.item_names == ("World",)


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (
            "  - {instance_pool_id: p, replace_value: {PROD: {type: Cluster, name: n}}}\n",
            "spark_pool[0].replace_value.PROD.type",
        ),
        (
            "  - {instance_pool_id: p, replace_value: {PROD: {type: Capacity}}}\n",
            "spark_pool[0].replace_value.PROD.name",
        ),
        ("  - {replace_value: {PROD: {type: Capacity, name: n}}}\n", "spark_pool[0].instance_pool_id"),
    ],
)
def test_a_bad_spark_pool_names_the_field(tmp_path: Path, entry: str, field: str) -> None:
    path = write(tmp_path, "parameter.yml", "spark_pool:\n" + entry)

    assert error_of(path).field == field


def test_semantic_model_binding_new_format_with_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameter.yml",
        "semantic_model_binding:\n"
        "  default:\n"
        "    connection_id: {_ALL_: default-conn}\n"
        "  models:\n"
        "    - semantic_model_name: [Sales Model, Finance Model]\n"
        "      connection_id: {PROD: prod-conn}\n",
    )
    rules = read_parameters(path)

    assert rules.model_connection("Finance Model", "PROD") == ("prod-conn", f"{path}: semantic_model_binding.models[0]")
    assert rules.model_connection("Finance Model", "PPE") == ("default-conn", f"{path}: semantic_model_binding.default")
    assert rules.model_connection("HR Model", "PROD") == ("default-conn", f"{path}: semantic_model_binding.default")


def test_semantic_model_binding_legacy_list_and_gateway_binding(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameter.yml",
        "semantic_model_binding:\n"
        "  - {connection_id: legacy-conn, semantic_model_name: Sales Model}\n"
        "gateway_binding:\n"
        "  - {gateway_id: gw-conn, dataset_name: [HR Model]}\n",
    )
    rules = read_parameters(path)

    assert rules.model_connection("Sales Model", "any") == ("legacy-conn", f"{path}: semantic_model_binding[0]")
    assert rules.model_connection("HR Model", "any") == ("gw-conn", f"{path}: gateway_binding[0]")


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("semantic_model_binding: {}\n", "semantic_model_binding"),
        (
            "semantic_model_binding:\n  models:\n    - {connection_id: {PROD: c}}\n",
            "semantic_model_binding.models[0].semantic_model_name",
        ),
        (
            "semantic_model_binding:\n  models:\n    - {semantic_model_name: M, connection_id: c}\n",
            "semantic_model_binding.models[0].connection_id",
        ),
        ("semantic_model_binding:\n  - {semantic_model_name: M}\n", "semantic_model_binding[0].connection_id"),
        ("semantic_model_binding:\n  connection_id: c\n", "semantic_model_binding.connection_id"),
    ],
)
def test_a_bad_semantic_model_binding_names_the_field(tmp_path: Path, section: str, field: str) -> None:
    path = write(tmp_path, "parameter.yml", section)

    assert error_of(path).field == field


# ---- $ENV --------------------------------------------------------------------------------------


def test_env_tokens_are_replaced_when_the_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROD_LAKEHOUSE", "prod-lh-guid")
    path = write(
        tmp_path,
        "parameter.yml",
        "find_replace:\n"
        "  - {find_value: dev-lh, replace_value: {PROD: $ENV:PROD_LAKEHOUSE, PPE: 'x-$ENV:PROD_LAKEHOUSE'}}\n",
    )

    (rule,) = read_parameters(path).find_replace

    assert (rule.replacement_for("PROD"), rule.replacement_for("PPE")) == ("prod-lh-guid", "x-prod-lh-guid")


def test_a_missing_env_variable_names_the_rule_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FABCTL_SURELY_UNSET", raising=False)
    path = write(
        tmp_path,
        "parameter.yml",
        "find_replace:\n  - {find_value: a, replace_value: {PROD: b}}\n"
        "  - {find_value: c, replace_value: {PROD: $ENV:FABCTL_SURELY_UNSET}}\n",
    )

    error = error_of(path)

    assert (error.subject, error.field) == (path, "find_replace[1].replace_value.PROD")
    assert "FABCTL_SURELY_UNSET" in error.message


def test_the_values_taken_from_the_environment_are_handed_over_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROD_LAKEHOUSE", "prod-lh-guid")
    monkeypatch.setenv("COMMON_TOKEN", "common-token-value")
    write(tmp_path, "common.yml", "find_replace:\n  - {find_value: t, replace_value: {PROD: $ENV:COMMON_TOKEN}}\n")
    path = write(
        tmp_path,
        "parameter.yml",
        "find_replace:\n  - {find_value: dev-lh, replace_value: {PROD: 'x-$ENV:PROD_LAKEHOUSE'}}\n"
        "extend: [common.yml]\n",
    )

    rules = read_parameters(path)

    shown = rules.sensitive.redact("prod-lh-guid and common-token-value")
    assert shown == "$ENV:PROD_LAKEHOUSE and $ENV:COMMON_TOKEN"


def test_an_error_in_a_field_taken_from_the_environment_names_the_variable_not_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THE_TYPE", "Notebook-s3cr3t")
    monkeypatch.setenv("THE_PATH", "$.s3cr3t[")
    write(tmp_path, "common.yml", "key_value_replace:\n  - {find_key: $ENV:THE_PATH, replace_value: {P: x}}\n")
    typed = write(
        tmp_path, "typed.yml", "find_replace:\n  - {find_value: a, replace_value: {P: b}, item_type: $ENV:THE_TYPE}\n"
    )
    extending = write(tmp_path, "parameter.yml", "extend: [common.yml]\n")

    for path in (typed, extending):
        error = error_of(path)
        assert "s3cr3t" not in str(error), str(error)
        assert "$ENV:THE_TYPE" in str(error) or "$ENV:THE_PATH" in str(error)


def test_a_required_parameter_file_that_is_missing_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yml")

    with pytest.raises(InvalidConfiguration) as raised:
        read_parameters(missing, required=True)

    assert raised.value.subject == missing and "not found" in raised.value.message
    assert read_parameters(missing).find_replace == ()  # not required: no rules


# ---- extend ------------------------------------------------------------------------------------


def test_extended_files_are_relative_to_the_file_and_come_after_it(tmp_path: Path) -> None:
    write(tmp_path, "config/templates/a.yml", "find_replace:\n  - {find_value: a, replace_value: {P: A}}\n")
    write(tmp_path, "config/b.yml", "key_value_replace:\n  - {find_key: $.b, replace_value: {P: B}}\n")
    path = write(
        tmp_path,
        "config/parameter.yml",
        "find_replace:\n  - {find_value: main, replace_value: {P: M}}\nextend: [templates/a.yml, b.yml, b.yml]\n",
    )

    rules = read_parameters(path)

    assert [r.find for r in rules.find_replace] == ["main", "a"]
    assert [r.origin for r in rules.find_replace] == [
        f"{path}: find_replace[0]",
        f"{tmp_path}/config/templates/a.yml: find_replace[0]",
    ]
    assert [r.find_key.expression for r in rules.key_value_replace] == ["$.b"]  # listed twice, read once


def test_an_error_in_an_extended_file_names_that_file(tmp_path: Path) -> None:
    template = write(tmp_path, "common.yml", "find_replace:\n  - {find_value: a}\n")
    path = write(tmp_path, "parameter.yml", "extend: common.yml\n")

    error = error_of(path)

    assert (error.subject, error.field) == (template, "find_replace[0].replace_value")


def test_a_missing_extended_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "parameter.yml", "extend: [missing.yml]\n")

    error = error_of(path)

    assert (error.subject, error.field) == (path, "extend[0]")
    assert "missing.yml" in error.message


def test_a_cycle_of_extends_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", "extend: [b.yml]\n")
    write(tmp_path, "b.yml", "extend: [a.yml]\n")
    path = write(tmp_path, "parameter.yml", "extend: [a.yml]\n")

    error = error_of(path)

    assert error.field == "extend[0]"
    assert "a.yml" in error.message and "b.yml" in error.message
