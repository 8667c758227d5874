"""fabric-cicd parameter.yml semantics: file_path globs, key_value_replace, bindings, dynamic values.

Expected values follow fabric-cicd's documented behaviour (`Path.glob` from the
repository root, key_value_replace before find_replace, `_ALL_`), not the output of this code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.source.jsonpath import JsonPathNg
from fabctl.adapters.source.parameter_file import YAML_CODEC
from fabctl.application.deployment.binder import binding_context
from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.domain.binding import BindingContext, bind, check_all_rules_matched
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.parameters import (
    FindReplace,
    KeyValueReplace,
    ModelConnection,
    ParameterRules,
    SparkPool,
    SparkPoolTarget,
    path_matches,
)
from fabctl.domain.workspace import Workspace

VARIABLES = {
    "variables": [
        {"name": "Environment", "type": "String", "value": "DEV"},
        {"name": "Retries", "type": "Integer", "value": 3},
        {"name": "Nested", "value": {"name": "inner"}},
    ]
}

# ---- file_path ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("Load.Notebook/notebook-content.py", "Load.Notebook/notebook-content.py", True),
        ("/Load.Notebook/notebook-content.py", "Load.Notebook/notebook-content.py", True),
        ("Load.Notebook/notebook-content.py", "Sub/Load.Notebook/notebook-content.py", False),
        ("**/notebook-content.py", "Load.Notebook/notebook-content.py", True),
        ("**/notebook-content.py", "a/b/Load.Notebook/notebook-content.py", True),
        ("**/notebook-content.py", "notebook-content.py", True),
        ("*/notebook-content.py", "a/b/notebook-content.py", False),  # `*` stays within one folder
        ("*.Notebook/*.py", "Load.Notebook/notebook-content.py", True),
        ("Sub/**/*.json", "Sub/X.DataPipeline/pipeline-content.json", True),
        ("Sub/**/*.json", "Other/X.DataPipeline/pipeline-content.json", False),
        ("*.notebook/*.py", "Load.Notebook/notebook-content.py", False),  # case-sensitive, as on Linux
        ("Load.Notebook\\notebook-content.py", "Load.Notebook/notebook-content.py", True),
        ("Load.Notebook/notebook-content.?y", "Load.Notebook/notebook-content.py", True),
    ],
)
def test_file_path_is_repository_relative_like_path_glob(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


# ---- key_value_replace in binding --------------------------------------------------------------

WS = "aaaaaaaa-0000-4000-8000-000000000001"
LH_ID = "bbbbbbbb-0000-4000-8000-000000000002"


def context(environment: str = "prod", resolve: dict[str, str] | None = None) -> BindingContext:
    values = resolve or {}
    return BindingContext(
        environment=environment,
        workspace_id=WS,
        workspace_name="Sales PROD",
        ids_by_logical_id={},
        ids_by_key={},
        resolve=values.__getitem__,
    )


def library(parts: Iterable[DefinitionPart], name: str = "Vars", item_type: str = "VariableLibrary") -> Item:
    return Item(ItemKey(item_type, name), definition=ItemDefinition.of(list(parts)), source_path=f"{name}.{item_type}")


def kv(find_key: str, replace: dict[str, object], index: int = 0, **filters: tuple[str, ...]) -> KeyValueReplace:
    origin = f"parameter.yml: key_value_replace[{index}]"
    return KeyValueReplace(JsonPathNg(find_key, origin=origin), replace, origin, **filters)


def text_of(definition: ItemDefinition, path: str) -> str:
    part = definition.part(path)
    assert part is not None and part.text is not None
    return part.text


def test_key_value_replace_sets_the_value_for_the_environment_in_a_json_part() -> None:
    item = library([DefinitionPart.from_text("variables.json", json.dumps(VARIABLES, indent=2))])
    rules = ParameterRules(key_value_replace=(kv('$.variables[?(@.name=="Environment")].value', {"prod": "PROD"}),))

    bound = json.loads(text_of(bind(item, rules, context()), "variables.json"))

    assert bound["variables"][0] == {"name": "Environment", "type": "String", "value": "PROD"}
    assert bound["variables"][1:] == VARIABLES["variables"][1:]


def test_key_value_replace_accepts_non_string_values_and_all_environments() -> None:
    item = library([DefinitionPart.from_text("variables.json", json.dumps(VARIABLES))])
    rules = ParameterRules(key_value_replace=(kv('$.variables[?(@.name=="Retries")].value', {"_ALL_": 5}),))

    bound = json.loads(text_of(bind(item, rules, context("test")), "variables.json"))

    assert bound["variables"][1]["value"] == 5


def test_key_value_replace_leaves_other_environments_alone_and_is_not_required_to_match_there() -> None:
    original = json.dumps(VARIABLES)
    item = library([DefinitionPart.from_text("variables.json", original)])
    rules = ParameterRules(key_value_replace=(kv("$.nothing.here", {"prod": "X"}),))
    ctx = context("test")

    assert text_of(bind(item, rules, ctx), "variables.json") == original
    assert check_all_rules_matched(rules, ctx) is None


def test_key_value_replace_edits_yaml_parts_with_the_codec_of_the_rules() -> None:
    compute = "instance_pool_id: dev-pool\ndriver_cores: 4\nruntime_version: '1.3'\n"
    item = library([DefinitionPart.from_text("Setting/Sparkcompute.yml", compute)], "Env", "Environment")
    rules = ParameterRules(key_value_replace=(kv("$.driver_cores", {"prod": 8}),), yaml=YAML_CODEC)

    bound = YAML_CODEC.load(text_of(bind(item, rules, context()), "Setting/Sparkcompute.yml"))

    assert bound == {"instance_pool_id": "dev-pool", "driver_cores": 8, "runtime_version": "1.3"}


def test_a_yaml_part_without_a_codec_fails_naming_the_rule() -> None:
    item = library([DefinitionPart.from_text("Setting/Sparkcompute.yml", "driver_cores: 4\n")], "Env", "Environment")
    rules = ParameterRules(key_value_replace=(kv("$.driver_cores", {"prod": 8}, 3),))

    with pytest.raises(InvalidConfiguration) as raised:
        bind(item, rules, context())

    assert raised.value.subject == "parameter.yml: key_value_replace[3]"


def test_key_value_replace_skips_text_parts_and_respects_filters() -> None:
    notebook = library([DefinitionPart.from_text("notebook-content.py", "x = {'a': 1}\n")], "NB", "Notebook")
    other = library([DefinitionPart.from_text("variables.json", json.dumps(VARIABLES))], "Other")
    rules = ParameterRules(key_value_replace=(kv("$.variables[0].value", {"prod": "P"}, item_names=("Vars",)),))
    ctx = context()

    assert text_of(bind(notebook, rules, ctx), "notebook-content.py") == "x = {'a': 1}\n"
    assert json.loads(text_of(bind(other, rules, ctx), "variables.json")) == VARIABLES
    with pytest.raises(InvalidConfiguration) as raised:
        check_all_rules_matched(rules, ctx)
    assert (raised.value.subject, raised.value.field) == ("parameter.yml: key_value_replace[0]", "find_key")


def test_key_value_replace_runs_before_find_replace_and_resolves_dynamic_values() -> None:
    item = library([DefinitionPart.from_text("variables.json", json.dumps({"lakehouse": "old"}))])
    rules = ParameterRules(
        find_replace=(FindReplace(LH_ID, {"prod": "final"}, "parameter.yml: find_replace[0]"),),
        key_value_replace=(kv("$.lakehouse", {"prod": "$items.Lakehouse.Sales.$id"}),),
    )

    bound = bind(item, rules, context(resolve={"$items.Lakehouse.Sales.$id": LH_ID}))

    # fabric-cicd applies key_value_replace first, so find_replace then sees the new value
    assert json.loads(text_of(bound, "variables.json")) == {"lakehouse": "final"}


def test_an_unresolvable_dynamic_value_names_the_rule_that_uses_it() -> None:
    def refuse(value: str) -> str:
        raise InvalidConfiguration(f"unknown '{value}'", subject="parameter.yml", field="replace_value")

    item = library([DefinitionPart.from_text("variables.json", '{"a": "b"}')])
    rules = ParameterRules(
        find_replace=(FindReplace("b", {"prod": "$items.X.Y.$id"}, "parameter.yml: find_replace[4]"),)
    )
    ctx = context()
    ctx.resolve = refuse

    with pytest.raises(InvalidConfiguration) as raised:
        bind(item, rules, ctx)

    assert (raised.value.subject, raised.value.field) == ("parameter.yml: find_replace[4]", "replace_value")


def test_an_ignore_case_literal_replaces_every_casing() -> None:
    item = library([DefinitionPart.from_text("variables.json", '{"a": "Dev-LH", "b": "dev-lh"}')])
    rule = FindReplace("DEV-LH", {"prod": "prod-lh"}, "parameter.yml: find_replace[0]", ignore_case=True)

    assert json.loads(text_of(bind(item, ParameterRules((rule,)), context()), "variables.json")) == {
        "a": "prod-lh",
        "b": "prod-lh",
    }


# ---- spark_pool and semantic_model_binding (exposed, applied by the engine) ---------------------


def test_spark_pool_picks_the_first_rule_for_the_pool_id_and_item_name() -> None:
    named = SparkPool("dev-pool", {"prod": SparkPoolTarget("Workspace", "Named")}, "p: spark_pool[0]", ("Env A",))
    anyone = SparkPool("dev-pool", {"_ALL_": SparkPoolTarget("Capacity", "Shared")}, "p: spark_pool[1]")
    rules = ParameterRules(spark_pool=(named, anyone))

    assert rules.spark_pool_for("Env A", "dev-pool", "prod") is named
    assert rules.spark_pool_for("Env B", "dev-pool", "prod") is anyone
    assert rules.spark_pool_for("Env B", "other-pool", "prod") is None
    assert anyone.target_for("test") == SparkPoolTarget("Capacity", "Shared")


def test_a_named_model_binding_wins_over_the_default() -> None:
    rules = ParameterRules(
        semantic_model_binding=(
            ModelConnection(("Sales",), {"prod": "conn-sales"}, "p: semantic_model_binding.models[0]"),
            ModelConnection((), {"_ALL_": "conn-default"}, "p: semantic_model_binding.default"),
        )
    )

    assert rules.model_connection("Sales", "prod") == ("conn-sales", "p: semantic_model_binding.models[0]")
    assert rules.model_connection("Sales", "test") == ("conn-default", "p: semantic_model_binding.default")
    assert rules.model_connection("Finance", "prod") == ("conn-default", "p: semantic_model_binding.default")


# ---- dynamic values, with the local Fabric gateway ---------------------------------------------


def inputs_for(items: list[Item]) -> DeploymentInputs:
    env = Environment("prod", workspace_name="Sales (prod)")
    return DeploymentInputs("src", Workspace.of("source", items), ReleaseConfig((env,)), env, ParameterRules())


SOURCE_ITEMS = [Item(ItemKey("Lakehouse", "Sales.Bronze")), Item(ItemKey("Notebook", "Load"))]


def test_workspace_and_item_values_without_a_gateway() -> None:
    ctx = binding_context(inputs_for(SOURCE_ITEMS), WS, "Sales (prod)", {ItemKey("Lakehouse", "Sales.Bronze"): LH_ID})

    assert ctx.resolve("$workspace.$id") == WS
    assert ctx.resolve("$workspace.$name") == "Sales (prod)"
    assert ctx.resolve("$items.Lakehouse.Sales.Bronze.$id") == LH_ID  # a name may contain dots
    assert "Notebook" in ctx.resolve("$items.Notebook.Load.$id")  # not created yet: a placeholder
    assert "SQL endpoint" in ctx.resolve("$items.Lakehouse.Sales.Bronze.$sqlendpoint")
    assert "Other WS" in ctx.resolve("$workspace.Other WS.$items.Notebook.X.$id")


@pytest.mark.parametrize(
    "value",
    ["$items.Lakehouse.Nope.$id", "$items.Lakehouse.Sales.Bronze.$size", "$items.Notebook.Load.$sqlendpoint", "$foo"],
)
def test_an_unknown_item_or_attribute_fails(value: str) -> None:
    ctx = binding_context(inputs_for(SOURCE_ITEMS), WS, "Sales (prod)", {})

    with pytest.raises(InvalidConfiguration) as raised:
        ctx.resolve(value)

    assert raised.value.field == "replace_value"


def local_gateway() -> tuple[LocalFabricGateway, str, str]:
    gateway = LocalFabricGateway(FabricTenant.in_memory())
    target = gateway.create_workspace("Sales (prod)")
    lakehouse = gateway.create_item(target.id, "Lakehouse", "Sales.Bronze")
    shared = gateway.create_workspace("Shared")
    gateway.create_item(shared.id, "Notebook", "Common")
    return gateway, target.id, lakehouse.id


def test_gateway_backed_values_come_from_fabric() -> None:
    gateway, target_id, lakehouse_id = local_gateway()
    ids = {ItemKey("Lakehouse", "Sales.Bronze"): lakehouse_id}
    ctx = binding_context(inputs_for(SOURCE_ITEMS), target_id, "Sales (prod)", ids, gateway=gateway)
    shared = gateway.find_workspace("Shared")
    assert shared is not None
    (common,) = gateway.list_items(shared.id)

    assert ctx.resolve("$items.Lakehouse.Sales.Bronze.$sqlendpoint") == gateway.get_item_attribute(
        target_id, "Lakehouse", lakehouse_id, "sqlendpoint"
    )
    assert ctx.resolve("$workspace.Shared") == shared.id
    assert ctx.resolve("$workspace.Shared.$id") == shared.id
    assert ctx.resolve("$workspace.Shared.$items.Notebook.Common.$id") == common.id


@pytest.mark.parametrize(
    "value", ["$workspace.Nowhere.$id", "$workspace.Shared.$items.Notebook.Missing.$id", "$workspace.Shared.$items.X"]
)
def test_an_unknown_workspace_or_remote_item_fails_before_any_write(value: str) -> None:
    gateway, target_id, _ = local_gateway()
    ctx = binding_context(inputs_for(SOURCE_ITEMS), target_id, "Sales (prod)", {}, gateway=gateway)

    with pytest.raises(InvalidConfiguration):
        ctx.resolve(value)
