"""spark_pool in binding: an Environment's `instance_pool_id` becomes the id of the target pool.

Expected behaviour follows fabric-cicd 1.4.0's Environment publisher: only `Setting/Sparkcompute.yml`,
the first rule whose `instance_pool_id` (and optional `item_name`) matches, the pool looked up by name
and type in the target, and a missing pool is an error.
"""

from __future__ import annotations

import pytest

from fabctl.adapters.source.parameter_file import YAML_CODEC
from fabctl.domain.binding import BindingContext, bind
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.parameters import ParameterRules, SparkPool, SparkPoolTarget

DEV_POOL = "11111111-aaaa-4aaa-8aaa-000000000001"
PROD_POOL = "22222222-bbbb-4bbb-8bbb-000000000002"
COMPUTE = f"enable_native_execution_engine: false\ninstance_pool_id: {DEV_POOL}\ndriver_cores: 4\n"


def environment(name: str = "Spark", path: str = "Setting/Sparkcompute.yml", text: str = COMPUTE) -> Item:
    parts = [DefinitionPart.from_text(path, text)]
    return Item(ItemKey("Environment", name), definition=ItemDefinition.of(parts), source_path=f"{name}.Environment")


def rule(pool_id: str = DEV_POOL, index: int = 0, names: tuple[str, ...] = (), **targets: SparkPoolTarget) -> SparkPool:
    return SparkPool(pool_id, targets, f"parameter.yml: spark_pool[{index}]", names)


def context(environment: str = "prod", pools: dict[tuple[str, str], str] | None = None) -> BindingContext:
    known = {("Workspace", "Prod pool"): PROD_POOL} if pools is None else pools
    asked: list[SparkPoolTarget] = []

    def resolve_pool(_rule: SparkPool, target: SparkPoolTarget) -> str:
        asked.append(target)
        if (target.type, target.name) not in known:
            raise InvalidConfiguration(f"no {target.type} Spark pool named '{target.name}'")
        return known[(target.type, target.name)]

    return BindingContext(
        environment=environment,
        workspace_id="cccccccc-2222-4222-a222-000000000000",
        workspace_name="Sales PROD",
        ids_by_logical_id={},
        ids_by_key={},
        resolve=lambda value: value,
        resolve_pool=resolve_pool,
    )


def compute_of(definition: ItemDefinition, path: str = "Setting/Sparkcompute.yml") -> object:
    part = definition.part(path)
    assert part is not None and part.text is not None
    return YAML_CODEC.load(part.text)


def rules(*pools: SparkPool) -> ParameterRules:
    return ParameterRules(spark_pool=pools, yaml=YAML_CODEC)


def test_the_pool_id_becomes_the_target_pools_id_and_nothing_else_changes() -> None:
    bound = bind(environment(), rules(rule(prod=SparkPoolTarget("Workspace", "Prod pool"))), context())

    assert compute_of(bound) == {
        "enable_native_execution_engine": False,
        "instance_pool_id": PROD_POOL,
        "driver_cores": 4,
    }


def test_all_environments_and_the_first_matching_rule_win() -> None:
    first = rule(_ALL_=SparkPoolTarget("Capacity", "Shared"))
    second = rule(index=1, prod=SparkPoolTarget("Workspace", "Prod pool"))
    ctx = context(pools={("Capacity", "Shared"): "33333333-cccc-4ccc-8ccc-000000000003"})

    bound = bind(environment(), rules(first, second), ctx)

    assert compute_of(bound)["instance_pool_id"] == "33333333-cccc-4ccc-8ccc-000000000003"  # type: ignore[index]


def test_a_rule_for_other_items_other_pools_or_other_environments_changes_nothing() -> None:
    other_item = rule(names=("Other",), prod=SparkPoolTarget("Workspace", "Prod pool"))
    other_pool = rule("99999999-9999-4999-8999-999999999999", 1, prod=SparkPoolTarget("Workspace", "Prod pool"))
    other_env = rule(index=2, test=SparkPoolTarget("Workspace", "Prod pool"))
    item = environment()

    for each in (other_item, other_pool, other_env):
        assert bind(item, rules(each), context()) == item.definition.without_platform()


def test_an_item_name_filter_selects_the_environment() -> None:
    named = rule(names=("Spark",), prod=SparkPoolTarget("Workspace", "Prod pool"))

    assert compute_of(bind(environment(), rules(named), context()))["instance_pool_id"] == PROD_POOL  # type: ignore[index]


def test_only_the_sparkcompute_part_of_an_environment_is_rewritten() -> None:
    elsewhere = environment(path="Libraries/PublicLibraries/environment.yml")
    pool_rule = rules(rule(prod=SparkPoolTarget("Workspace", "Prod pool")))

    assert bind(elsewhere, pool_rule, context()) == elsewhere.definition.without_platform()


def test_a_missing_pool_fails_naming_the_rule_and_the_field() -> None:
    missing = rule(index=4, prod=SparkPoolTarget("Workspace", "Nope"))

    with pytest.raises(InvalidConfiguration) as raised:
        bind(environment(), rules(missing), context())

    assert str(raised.value).startswith("parameter.yml: spark_pool[4], field 'replace_value.prod.name': ")
    assert "'Nope'" in str(raised.value)


def test_without_a_pool_lookup_the_id_is_a_placeholder() -> None:
    ctx = context()
    ctx.resolve_pool = None

    bound = bind(environment(), rules(rule(prod=SparkPoolTarget("Workspace", "Prod pool"))), ctx)

    assert compute_of(bound)["instance_pool_id"] == "<id of Workspace pool 'Prod pool'>"  # type: ignore[index]
