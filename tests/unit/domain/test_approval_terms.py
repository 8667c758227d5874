"""ApprovalTerms: what an approval covers, and the differences it names when something changed."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from fabctl.adapters.source.config_files import read_parameters
from fabctl.domain.approval_terms import ApprovalTerms
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.environments import Environment, PromotionPolicy
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.parameters import FindReplace, ParameterRules
from fabctl.domain.workspace import Workspace

LOAD = ItemKey("Notebook", "Load")
OTHER = ItemKey("Notebook", "Other")
TEST = Environment("test", workspace_name="Sales (test)", promotion=PromotionPolicy(1, {"Report": 2}))
SECRET = "s3cr3t-from-the-environment"


def item(key: ItemKey, code: str = "print(1)", logical_id: str = "11111111-1111-4111-8111-111111111111") -> Item:
    definition = ItemDefinition.of([DefinitionPart.from_text("notebook-content.py", code)])
    return Item(key, LogicalId(logical_id), folder="Notebooks", definition=definition)


SOURCE = Workspace.of("src", [item(LOAD), item(OTHER, logical_id="22222222-2222-4222-8222-222222222222")])


def rules(test: str = "abfss://test", prod: str = "abfss://prod", *extra: FindReplace) -> ParameterRules:
    rule = FindReplace("abfss://dev", {"test": test, "prod": prod}, origin="parameter.yml: find_replace[0]")
    return ParameterRules((rule, *extra))


def terms(
    source: Workspace = SOURCE, environment: Environment = TEST, parameters: ParameterRules | None = None
) -> ApprovalTerms:
    return ApprovalTerms.of(
        salt="request-1", source=source, promoted={LOAD}, environment=environment, parameters=parameters or rules()
    )


def test_the_same_inputs_give_the_same_terms_and_no_difference() -> None:
    assert terms().differences(terms()) == []


@pytest.mark.parametrize(
    ("changed", "difference"),
    [
        (dataclasses.replace(TEST, workspace_name="Sales (prod)"),
         'environments.test.workspace: "Sales (test)" -> "Sales (prod)"'),
        (dataclasses.replace(TEST, workspace_id="0f0f0f0f-0000-4000-8000-000000000000"),
         'environments.test.workspace_id: "" -> "0f0f0f0f-0000-4000-8000-000000000000"'),
        (dataclasses.replace(TEST, capacity_id="c"), 'environments.test.capacity_id: "" -> "c"'),
        (dataclasses.replace(TEST, protected=True), "environments.test.protected: false -> true"),
        (dataclasses.replace(TEST, promotion=PromotionPolicy(2, {"Report": 2})),
         "environments.test.promotion.approvals: 1 -> 2"),
        (dataclasses.replace(TEST, promotion=PromotionPolicy(1, {"Report": 3})),
         "environments.test.promotion.approvals_by_type.Report: 2 -> 3"),
        (dataclasses.replace(TEST, promotion=PromotionPolicy(1, {"Report": 2, "Notebook": 2})),
         "environments.test.promotion.approvals_by_type.Notebook: (none) -> 2"),
        (dataclasses.replace(TEST, exclude=("^Scratch",)), 'environments.test.exclude: [] -> ["^Scratch"]'),
    ],
)  # fmt: skip
def test_a_changed_environment_field_is_named_with_its_old_and_new_value(changed: Environment, difference: str) -> None:
    assert terms().differences(terms(environment=changed)) == [difference]


def test_a_changed_parameter_value_for_the_target_is_named_but_never_shown() -> None:
    before = terms(parameters=rules(test=SECRET))
    after = terms(parameters=rules(test=SECRET + "-rotated"))

    differences = before.differences(after)

    assert differences == ["parameter.yml: find_replace[0].replace_value.test: changed"]
    assert all(SECRET not in text for text in differences)
    stored = [text for pin in before.pins for text in (pin.group, pin.label, pin.value)]
    assert all(SECRET not in text for text in stored)  # only a digest is kept


def test_a_parameter_value_for_another_environment_is_not_part_of_the_terms() -> None:
    assert terms().differences(terms(parameters=rules(prod="abfss://elsewhere"))) == []


def test_added_and_removed_rules_are_named_once_each() -> None:
    extra = FindReplace("x", {"_ALL_": "y"}, origin="parameter.yml: find_replace[1]")

    assert terms().differences(terms(parameters=rules("abfss://test", "abfss://prod", extra))) == [
        "parameter.yml: find_replace[1]: added"
    ]
    assert terms(parameters=rules("abfss://test", "abfss://prod", extra)).differences(terms()) == [
        "parameter.yml: find_replace[1]: removed"
    ]


def test_a_rule_field_other_than_values_counts_too() -> None:
    regex = rules()
    regex = ParameterRules((dataclasses.replace(regex.find_replace[0], is_regex=True),))

    assert terms().differences(terms(parameters=regex)) == ["parameter.yml: find_replace[0].is_regex: changed"]


def test_the_promoted_items_content_folder_and_description_count_and_the_others_only_by_their_identity() -> None:
    moved = dataclasses.replace(item(LOAD, "print(2)"), folder="Elsewhere", description="new")
    other_changed = item(OTHER, "print(3)", logical_id="22222222-2222-4222-8222-222222222222")

    assert terms().differences(terms(source=Workspace.of("src", [moved, SOURCE.get(OTHER)]))) == [  # type: ignore[list-item]
        "Load.Notebook content: changed",
        'Load.Notebook folder: "Notebooks" -> "Elsewhere"',
        'Load.Notebook description: "" -> "new"',
    ]
    assert terms().differences(terms(source=Workspace.of("src", [item(LOAD), other_changed]))) == []


def test_the_set_of_source_items_counts() -> None:
    added = Workspace.of(
        "src", [*SOURCE, item(ItemKey("Report", "New"), logical_id="33333333-3333-4333-8333-333333333333")]
    )
    relinked = Workspace.of("src", [item(LOAD), item(OTHER, logical_id="44444444-4444-4444-8444-444444444444")])

    assert terms().differences(terms(source=added)) == ["source item New.Report: added"]
    assert terms().differences(terms(source=Workspace.of("src", [item(LOAD)]))) == [
        "source item Other.Notebook: removed"
    ]
    assert terms().differences(terms(source=relinked)) == [
        'source item Other.Notebook logical id: "22222222-2222-4222-8222-222222222222" -> '
        '"44444444-4444-4444-8444-444444444444"'
    ]


def test_digests_are_salted_by_the_request() -> None:
    one = ApprovalTerms.of(salt="a", source=SOURCE, promoted={LOAD}, environment=TEST, parameters=rules())
    other = ApprovalTerms.of(salt="b", source=SOURCE, promoted={LOAD}, environment=TEST, parameters=rules())

    sealed = [(p.value, q.value) for p, q in zip(one.pins, other.pins, strict=True) if p.sealed]
    assert sealed and all(a != b for a, b in sealed)


PARAMETER_FILE = """\
find_replace:
  - find_value: "dev-server"
    replace_value: {test: "test-server", prod: "prod-server"}
key_value_replace:
  - find_key: "$.variables[?(@.name=='Environment')].value"
    replace_value: {test: "TEST", prod: "PROD"}
    item_type: VariableLibrary
spark_pool:
  - instance_pool_id: "72c68dbc-0775-4d59-909d-a47896f4573b"
    replace_value:
      test: {type: Capacity, name: TestPool}
semantic_model_binding:
  default:
    connection_id: {_ALL_: "9d0f4a5e-1b7c-4a47-9a3e-2f1e5c6b7a80"}
"""


def test_terms_read_from_one_parameter_file_twice_are_equal(tmp_path: Path) -> None:
    # Every section, as the reader parses it: a value without a stable text (an object shown by its
    # address in memory) would make every approval look changed.
    path = tmp_path / "parameter.yml"
    path.write_text(PARAMETER_FILE, encoding="utf-8")

    def read() -> ApprovalTerms:
        return terms(parameters=read_parameters(str(path)))

    first, second = read(), read()
    assert first.differences(second) == []
    labels = [p.label for p in first.pins]
    assert any(".find_key" in label for label in labels) and any(".replace_value.test" in label for label in labels)
    path.write_text(PARAMETER_FILE.replace('test: "TEST"', 'test: "QA"'), encoding="utf-8")
    assert first.differences(read()) == [f"{os.fspath(path)}: key_value_replace[0].replace_value.test: changed"]
