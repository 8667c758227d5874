"""workspace-config.yaml and parameter.yml as users write them, and the example's order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fabctl.adapters.source.config_files import read_parameters, read_release_config
from fabctl.adapters.source.git_folder import FabricGitFolderReader
from fabctl.domain.environments import PromotionPolicy
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import ItemKey
from fabctl.domain.parameters import SparkPoolTarget
from fabctl.domain.promotion_rules import RuleSet
from fabctl.domain.references import dependency_order

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sales-workspace"
WORKSPACE_ID = "6c1e7a52-0d3b-4f7e-9a41-2b8c5d9e0f13"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return str(path)


def config_error(tmp_path: Path, text: str) -> InvalidConfiguration:
    path = write(tmp_path, "workspace-config.yaml", text)
    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(path)
    assert raised.value.subject == path
    return raised.value


def parameter_error(tmp_path: Path, text: str) -> InvalidConfiguration:
    path = write(tmp_path, "parameter.yml", text)
    with pytest.raises(InvalidConfiguration) as raised:
        read_parameters(path)
    assert raised.value.subject == path
    return raised.value


# --- workspace-config.yaml --------------------------------------------------------------------


def test_the_example_configuration_defines_dev_test_and_prod_in_order() -> None:
    path = str(EXAMPLE / "workspace-config.yaml")

    config = read_release_config(path)

    assert config.source == path
    assert [e.name for e in config.environments] == ["dev", "test", "prod"]
    dev, test, prod = config.environments
    assert [e.workspace_name for e in config.environments] == [
        "Sales (dev)",
        "Sales (test)",
        "Sales (prod)",
    ]
    assert (dev.protected, test.protected, prod.protected) == (False, False, True)
    assert replace(test.promotion, rules=RuleSet()) == PromotionPolicy(1, {})
    assert replace(prod.promotion, rules=RuleSet()) == PromotionPolicy(1, {"SemanticModel": 2, "Report": 2})
    assert prod.promotion.required_approvals(["Notebook", "SemanticModel"]) == 2
    assert prod.promotion.required_approvals(["Notebook"]) == 1
    assert config.next_after("test") == prod


def test_environments_keep_the_order_of_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "workspace-config.yaml",
        "environments:\n"
        "  sandbox: {workspace: Sandbox}\n"
        "  acceptance: {workspace: Acceptance}\n"
        "  live: {workspace: Live}\n",
    )

    config = read_release_config(path)

    assert [e.name for e in config.environments] == ["sandbox", "acceptance", "live"]


def test_an_environment_can_target_a_workspace_by_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "workspace-config.yaml",
        f"environments:\n  prod:\n    workspace_id: {WORKSPACE_ID.upper()}\n",
    )

    (prod,) = read_release_config(path).environments

    assert prod.workspace_id == WORKSPACE_ID
    assert prod.workspace_name == ""
    assert prod.target == WORKSPACE_ID


def test_an_environment_without_promotion_takes_the_default_policy(tmp_path: Path) -> None:
    path = write(tmp_path, "workspace-config.yaml", "environments:\n  dev:\n    workspace: Dev\n")

    (dev,) = read_release_config(path).environments

    assert replace(dev.promotion, rules=RuleSet()) == PromotionPolicy()
    assert dev.promotion.rules.for_type("Notebook").origin == "fabctl template notebook.yaml"
    assert dev.capacity_id == ""
    assert dev.protected is False


def test_an_unknown_key_is_named_with_its_path_and_a_suggestion(tmp_path: Path) -> None:
    error = config_error(
        tmp_path,
        "environments:\n  prod:\n    workspace: Prod\n    protectd: true\n",
    )

    assert error.field == "environments.prod.protectd"
    assert "'protected'" in error.message


def test_an_unknown_promotion_key_is_named(tmp_path: Path) -> None:
    error = config_error(
        tmp_path,
        "environments:\n  test:\n    workspace: Test\n    promotion: {approval: 2}\n",
    )

    assert error.field == "environments.test.promotion.approval"
    assert "'approvals'" in error.message


def test_an_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    error = config_error(tmp_path, "environments:\n  dev: {workspace: Dev}\nowner: sales-team\n")

    assert error.field == "owner"


def test_a_misspelt_environments_key_is_named_rather_than_reported_missing(tmp_path: Path) -> None:
    error = config_error(tmp_path, "environmnts:\n  dev: {workspace: Dev}\n")

    assert error.field == "environmnts"
    assert "'environments'" in error.message


def test_workspace_and_workspace_id_together_are_an_error(tmp_path: Path) -> None:
    error = config_error(
        tmp_path,
        f"environments:\n  prod:\n    workspace: Prod\n    workspace_id: {WORKSPACE_ID}\n",
    )

    assert error.field == "environments.prod.workspace_id"
    assert "not both" in error.message


def test_an_environment_without_a_workspace_is_an_error(tmp_path: Path) -> None:
    error = config_error(tmp_path, "environments:\n  dev:\n    protected: false\n")

    assert error.field == "environments.dev.workspace"


@pytest.mark.parametrize(
    ("environment", "field"),
    [
        ("workspace_id: prod-ws", "environments.prod.workspace_id"),
        ("workspace: P\n    capacity_id: big", "environments.prod.capacity_id"),
        ("workspace: P\n    promotion: {approvals: -1}", "environments.prod.promotion.approvals"),
        ("workspace: P\n    protected: maybe", "environments.prod.protected"),
        (
            "workspace: P\n    promotion: {approvals_by_type: {SemanticModl: 2}}",
            "environments.prod.promotion.approvals_by_type.SemanticModl",
        ),
    ],
)
def test_a_bad_value_is_named_by_its_path(tmp_path: Path, environment: str, field: str) -> None:
    error = config_error(tmp_path, f"environments:\n  prod:\n    {environment}\n")

    assert error.field == field


def test_an_unknown_item_type_in_approvals_suggests_the_known_one(tmp_path: Path) -> None:
    error = config_error(
        tmp_path,
        "environments:\n  prod:\n    workspace: P\n    promotion: {approvals_by_type: {SemanticModl: 2}}\n",
    )

    assert "'SemanticModel'" in error.message


def test_a_missing_configuration_file_tells_how_to_fix_it(tmp_path: Path) -> None:
    path = str(tmp_path / "workspace-config.yaml")

    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(path)

    assert raised.value.subject == path
    assert "--config" in raised.value.message


def test_a_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    # A second ": " on one line is not allowed in a plain scalar; the error is at that colon.
    error = config_error(tmp_path, "environments:\n  dev:\n    workspace: Sales: dev\n")

    assert "line 3, column 21" in error.message


def test_a_duplicated_environment_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    error = config_error(
        tmp_path,
        "environments:\n  prod: {workspace: Prod, protected: true}\n  prod: {workspace: Prod}\n",
    )

    assert "duplicate key 'prod'" in error.message
    assert "line 3" in error.message


@pytest.mark.parametrize("text", ["", "environments: {}\n", "- dev\n- prod\n"])
def test_a_configuration_without_environments_is_an_error(tmp_path: Path, text: str) -> None:
    error = config_error(tmp_path, text)

    assert error.field == "environments"


# --- parameter.yml ----------------------------------------------------------------------------


def test_the_example_parameters_read_as_find_replace_rules() -> None:
    path = str(EXAMPLE / "parameter.yml")

    rules = read_parameters(path)

    assert rules.source == path
    storage, endpoint, alerts = rules.find_replace
    assert storage.find == "contosodevsales.dfs.core.windows.net"
    assert storage.replacement_for("prod") == "contosoprodsales.dfs.core.windows.net"
    assert storage.replacement_for("dev") is None
    assert (storage.is_regex, storage.item_types) == (False, ("Notebook", "Lakehouse"))
    assert endpoint.is_regex is True
    assert endpoint.find == r'Sql\.Database\("([^"]*)",\s*"SalesLakehouse"\)'
    assert endpoint.replacement_for("test") == "sales-test.datawarehouse.fabric.microsoft.com"
    assert endpoint.item_types == ("SemanticModel",)
    assert endpoint.file_paths == ("**/definition/tables/*.tmdl",)
    assert (alerts.ignore_case, alerts.item_names) == (True, ("Transform Sales",))
    assert [r.origin for r in rules.find_replace] == [
        f"{path}: find_replace[0]",
        f"{path}: find_replace[1]",
        f"{path}: find_replace[2]",
    ]


def test_filters_are_a_string_or_a_list_and_flags_a_string_or_a_bool(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameter.yml",
        "find_replace:\n"
        "  - find_value: dev-guid\n"
        "    replace_value: {_ALL_: all-guid}\n"
        "    is_regex: 'false'\n"
        "    ignore_case: true\n"
        "    item_type: Notebook\n"
        "    item_name: [Load Sales, Transform Sales]\n"
        "    file_path: 'Notebooks\\*.Notebook\\notebook-content.py'\n"
        "  - find_value: 'id=(\\d+)'\n"
        "    replace_value: {prod: '42'}\n"
        "    is_regex: 'true'\n"
        "    ignore_case: 'False'\n"
        "    item_type: [Notebook, DataPipeline]\n",
    )

    first, second = read_parameters(path).find_replace

    assert (first.is_regex, first.ignore_case) == (False, True)
    assert first.item_types == ("Notebook",)
    assert first.item_names == ("Load Sales", "Transform Sales")
    assert first.file_paths == ("Notebooks/*.Notebook/notebook-content.py",)
    assert first.replacement_for("test") == "all-guid"
    assert (second.is_regex, second.ignore_case) == (True, False)
    assert second.item_types == ("Notebook", "DataPipeline")
    assert (second.item_names, second.file_paths) == ((), ())
    assert second.replacement_for("prod") == "42"
    assert second.replacement_for("test") is None


def test_every_fabric_cicd_section_is_read(tmp_path: Path) -> None:
    write(tmp_path, "templates/common.yml", "find_replace:\n  - {find_value: c, replace_value: {_ALL_: d}}\n")
    path = write(
        tmp_path,
        "parameter.yml",
        "find_replace:\n"
        "  - {find_value: a, replace_value: {prod: b}}\n"
        "key_value_replace:\n"
        '  - find_key: $.variables[?(@.name=="Environment")].value\n'
        "    replace_value: {prod: PROD}\n"
        "spark_pool:\n"
        "  - instance_pool_id: dev-pool\n"
        "    replace_value: {prod: {type: Capacity, name: ProdPool}}\n"
        "semantic_model_binding:\n"
        "  models:\n"
        "    - {semantic_model_name: [Sales Model], connection_id: {prod: conn}}\n"
        "extend: [templates/common.yml]\n",
    )

    rules = read_parameters(path)

    # the extended file's rules come after the main file's own
    assert [(r.find, dict(r.replace)) for r in rules.find_replace] == [("a", {"prod": "b"}), ("c", {"_ALL_": "d"})]
    assert [r.find_key.expression for r in rules.key_value_replace] == ['$.variables[?(@.name=="Environment")].value']
    assert [(p.instance_pool_id, p.target_for("prod")) for p in rules.spark_pool] == [
        ("dev-pool", SparkPoolTarget("Capacity", "ProdPool"))
    ]
    assert rules.model_connection("Sales Model", "prod") == (
        "conn",
        f"{path}: semantic_model_binding.models[0]",
    )


def test_an_unknown_top_level_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    error = parameter_error(tmp_path, "find_replce:\n  - {find_value: a, replace_value: {p: b}}\n")

    assert error.field == "find_replce"
    assert "'find_replace'" in error.message


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ("{find_value: a, replace_value: {p: b}, item_typ: Notebook}", "find_replace[1].item_typ"),
        ("{find_value: a}", "find_replace[1].replace_value"),
        ("{replace_value: {p: b}}", "find_replace[1].find_value"),
        ("{find_value: '', replace_value: {p: b}}", "find_replace[1].find_value"),
        ("{find_value: a, replace_value: {}}", "find_replace[1].replace_value"),
        ("{find_value: a, replace_value: {p: b}, is_regex: maybe}", "find_replace[1].is_regex"),
        (
            "{find_value: a, replace_value: {p: b}, item_type: [Notebook, Noteboo]}",
            "find_replace[1].item_type[1]",
        ),
        (
            "{find_value: '(unclosed', replace_value: {p: b}, is_regex: 'true'}",
            "find_replace[1].find_value",
        ),
    ],
)  # fmt: skip
def test_a_bad_rule_is_named_by_its_index_and_key(tmp_path: Path, rule: str, field: str) -> None:
    error = parameter_error(tmp_path, f"find_replace:\n  - {{find_value: ok, replace_value: {{p: q}}}}\n  - {rule}\n")

    assert error.field == field


def test_an_unclosed_regex_is_reported_as_invalid(tmp_path: Path) -> None:
    error = parameter_error(
        tmp_path,
        "find_replace:\n  - {find_value: '(unclosed', replace_value: {p: b}, is_regex: 'true'}\n",
    )

    assert "invalid regex" in error.message


def test_a_literal_with_regex_characters_is_fine_when_not_a_regex(tmp_path: Path) -> None:
    path = write(tmp_path, "parameter.yml", "find_replace:\n  - {find_value: '(x', replace_value: {p: y}}\n")

    (rule,) = read_parameters(path).find_replace

    assert rule.find == "(x" and rule.is_regex is False


def test_a_missing_parameter_file_means_no_rules(tmp_path: Path) -> None:
    path = str(tmp_path / "parameter.yml")

    rules = read_parameters(path)

    assert rules.find_replace == ()
    assert rules.source == path


def test_an_empty_parameter_file_means_no_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "parameter.yml", "# nothing to replace yet\n")

    assert read_parameters(path).find_replace == ()


def test_a_parameter_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    # The flow mapping on line 2 is never closed; the parser finds out at the end of the file.
    error = parameter_error(tmp_path, "find_replace:\n  - {find_value: a, replace_value: {p: b}\n")

    assert "invalid YAML at line 3" in error.message


def test_the_reader_port_reads_both_files() -> None:
    reader = FabricGitFolderReader()

    config = reader.read_release_config(str(EXAMPLE / "workspace-config.yaml"))
    rules = reader.read_parameters(str(EXAMPLE / "parameter.yml"))

    assert [e.name for e in config.environments] == ["dev", "test", "prod"]
    assert len(rules.find_replace) == 3


# --- the example's dependency order -----------------------------------------------------------


def test_the_example_deploys_what_is_referred_to_first() -> None:
    workspace = FabricGitFolderReader().read_workspace(str(EXAMPLE))

    order = dependency_order(workspace)
    position = {key: index for index, key in enumerate(order)}

    lakehouse = position[ItemKey("Lakehouse", "SalesLakehouse")]
    environment = position[ItemKey("Environment", "SalesSpark")]
    load = position[ItemKey("Notebook", "Load Sales")]
    transform = position[ItemKey("Notebook", "Transform Sales")]
    pipeline = position[ItemKey("DataPipeline", "Daily Sales")]
    model = position[ItemKey("SemanticModel", "Sales Model")]
    report = position[ItemKey("Report", "Sales Report")]
    assert len(order) == 8
    assert lakehouse < load and lakehouse < transform
    assert environment < load
    assert load < pipeline and transform < pipeline
    assert model < report
