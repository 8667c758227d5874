"""References between items, deployment order, and binding a source item to a target workspace."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest

from fabctl.domain.binding import BindingContext, bind, check_all_rules_matched
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import DependencyCycle, InvalidConfiguration
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.parameters import FindReplace, ParameterRules
from fabctl.domain.references import dependency_order, model_key_from_path, references_of
from fabctl.domain.workspace import Workspace

ZERO = "00000000-0000-0000-0000-000000000000"
# Logical ids (source) and the ids the same items have in the target workspace.
LH_LOGICAL = "aaaaaaaa-0000-4000-8000-000000000001"
NB_LOGICAL = "aaaaaaaa-0000-4000-8000-000000000002"
PL_LOGICAL = "aaaaaaaa-0000-4000-8000-000000000003"
SM_LOGICAL = "aaaaaaaa-0000-4000-8000-000000000004"
RP_LOGICAL = "aaaaaaaa-0000-4000-8000-000000000005"
LH_TARGET = "bbbbbbbb-1111-4111-9111-000000000001"
NB_TARGET = "bbbbbbbb-1111-4111-9111-000000000002"
SM_TARGET = "bbbbbbbb-1111-4111-9111-000000000004"
WORKSPACE_TARGET = "cccccccc-2222-4222-a222-000000000000"
UNKNOWN_GUID = "dddddddd-3333-4333-b333-000000000000"


def platform(item_type: str, name: str, logical_id: str) -> DefinitionPart:
    document = {
        "metadata": {"type": item_type, "displayName": name},
        "config": {"version": "2.0", "logicalId": logical_id},
    }
    return DefinitionPart.from_text(".platform", json.dumps(document))


def make_item(item_type: str, name: str, logical_id: str, parts: Iterable[DefinitionPart] = ()) -> Item:
    return Item(
        ItemKey(item_type, name),
        logical_id=LogicalId(logical_id),
        definition=ItemDefinition.of([platform(item_type, name, logical_id), *parts]),
        source_path=f"{name}.{item_type}",
    )


def pbir_by_path(path: str) -> DefinitionPart:
    document = {"version": "4.0", "datasetReference": {"byPath": {"path": path}}}
    return DefinitionPart.from_text("definition.pbir", json.dumps(document))


LAKEHOUSE = make_item("Lakehouse", "LH", LH_LOGICAL)
NOTEBOOK = make_item(
    "Notebook",
    "Load",
    NB_LOGICAL,
    [
        DefinitionPart.from_text(
            "notebook-content.py",
            f'# META "default_lakehouse": "{LH_LOGICAL}",\n# META "default_lakehouse_workspace_id": "{ZERO}"\n',
        )
    ],
)
PIPELINE = make_item(
    "DataPipeline",
    "Run",
    PL_LOGICAL,
    [DefinitionPart.from_text("pipeline-content.json", f'{{"notebookId": "{NB_LOGICAL.upper()}"}}')],
)
MODEL = make_item("SemanticModel", "Sales", SM_LOGICAL)
REPORT = make_item("Report", "Sales", RP_LOGICAL, [pbir_by_path("../Sales.SemanticModel")])
ALL_ITEMS = [LAKEHOUSE, NOTEBOOK, PIPELINE, MODEL, REPORT]


def source() -> Workspace:
    return Workspace.of("source", ALL_ITEMS)


# ---- references --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (LAKEHOUSE, set()),  # its own logical id in .platform is not a reference
        (NOTEBOOK, {LAKEHOUSE.key}),
        (PIPELINE, {NOTEBOOK.key}),  # found even when written in upper case
        (MODEL, set()),
        (REPORT, {MODEL.key}),  # by the byPath of definition.pbir
    ],
    ids=lambda v: str(v.key) if isinstance(v, Item) else None,
)
def test_references_are_read_from_the_definition(item: Item, expected: set[ItemKey]) -> None:
    assert references_of(item, source()) == expected


def test_unknown_guids_self_references_and_binary_parts_are_not_references() -> None:
    odd = make_item(
        "Notebook",
        "Odd",
        "aaaaaaaa-0000-4000-8000-0000000000ff",
        [
            DefinitionPart.from_text("notebook-content.py", f"{UNKNOWN_GUID} aaaaaaaa-0000-4000-8000-0000000000ff"),
            DefinitionPart("blob.bin", b"\x00" + LH_LOGICAL.encode()),
        ],
    )
    workspace = Workspace.of("source", [*ALL_ITEMS, odd])

    assert references_of(odd, workspace) == set()


def test_a_report_bound_to_a_model_outside_the_workspace_refers_to_nothing() -> None:
    report = make_item("Report", "Orphan", RP_LOGICAL, [pbir_by_path("../Elsewhere.SemanticModel")])

    assert references_of(report, Workspace.of("source", [MODEL, report])) == set()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("../Sales.SemanticModel", ItemKey("SemanticModel", "Sales")),
        ("../Sales Model.SemanticModel/", ItemKey("SemanticModel", "Sales Model")),
        ("..\\models\\Sales.v2.SemanticModel", ItemKey("SemanticModel", "Sales.v2")),
        ("../NoType", None),
    ],
)
def test_model_key_from_path(path: str, expected: ItemKey | None) -> None:
    assert model_key_from_path(path) == expected


def test_dependency_order_puts_referenced_items_first() -> None:
    order = dependency_order(source())

    for item in ALL_ITEMS:
        for referenced in references_of(item, source()):
            assert order.index(referenced) < order.index(item.key), (referenced, item.key)
    # Ties are broken by key (type, then name), so the whole order is fixed:
    assert order == [
        LAKEHOUSE.key,  # Lakehouse < SemanticModel among the items with no references
        NOTEBOOK.key,  # ready once LH is placed; Notebook < SemanticModel
        PIPELINE.key,  # ready once Load is placed; DataPipeline < SemanticModel
        MODEL.key,
        REPORT.key,
    ]


def test_dependency_order_does_not_depend_on_insertion_order() -> None:
    reversed_source = Workspace.of("source", list(reversed(ALL_ITEMS)))

    assert dependency_order(reversed_source) == dependency_order(source())


def test_dependency_order_of_a_selection_ignores_the_rest() -> None:
    order = dependency_order(source(), [REPORT.key, PIPELINE.key, MODEL.key])

    assert order == [PIPELINE.key, MODEL.key, REPORT.key]


def notebook_referring_to(name: str, logical_id: str, *targets: str) -> Item:
    content = "\n".join(f'ref = "{t}"' for t in targets)
    return make_item("Notebook", name, logical_id, [DefinitionPart.from_text("notebook-content.py", content)])


ALPHA = "eeeeeeee-0000-4000-8000-000000000001"
BETA = "eeeeeeee-0000-4000-8000-000000000002"
GAMMA = "eeeeeeee-0000-4000-8000-000000000003"


def test_a_cycle_raises_dependency_cycle_naming_its_items() -> None:
    workspace = Workspace.of(
        "source",
        [
            notebook_referring_to("Alpha", ALPHA, BETA),
            notebook_referring_to("Beta", BETA, ALPHA),
            LAKEHOUSE,
        ],
    )

    with pytest.raises(DependencyCycle) as caught:
        dependency_order(workspace)

    assert "Alpha.Notebook" in caught.value.message
    assert "Beta.Notebook" in caught.value.message
    assert "LH.Lakehouse" not in caught.value.message


def test_a_cycle_error_does_not_name_items_that_merely_depend_on_the_cycle() -> None:
    # "A cycle raises an error that names the items forming it": Consumer refers to Alpha but
    # is not part of the Alpha <-> Beta cycle, so naming it would send the user the wrong way.
    workspace = Workspace.of(
        "source",
        [
            notebook_referring_to("Alpha", ALPHA, BETA),
            notebook_referring_to("Beta", BETA, ALPHA),
            notebook_referring_to("Consumer", GAMMA, ALPHA),
        ],
    )

    with pytest.raises(DependencyCycle) as caught:
        dependency_order(workspace)

    assert "Alpha.Notebook" in caught.value.message
    assert "Beta.Notebook" in caught.value.message
    assert "Consumer.Notebook" not in caught.value.message


# ---- binding -----------------------------------------------------------------------------------

DYNAMIC = {"$workspace.$id": WORKSPACE_TARGET, "$items.Lakehouse.LH.$id": LH_TARGET}


def context(environment: str = "prod") -> BindingContext:
    return BindingContext(
        environment=environment,
        workspace_id=WORKSPACE_TARGET,
        workspace_name=f"Sales {environment.upper()}",
        ids_by_logical_id={LH_LOGICAL: LH_TARGET, NB_LOGICAL: NB_TARGET, SM_LOGICAL: SM_TARGET},
        ids_by_key={MODEL.key: SM_TARGET},
        resolve=DYNAMIC.__getitem__,
    )


def rule(
    find: str, replace: dict[str, str], origin: str = "parameter.yml: find_replace[0]", **kw: object
) -> FindReplace:
    return FindReplace(find=find, replace=replace, origin=origin, **kw)  # type: ignore[arg-type]


def notebook_with(text: str, name: str = "Load", extra: Iterable[DefinitionPart] = ()) -> Item:
    parts = [DefinitionPart.from_text("notebook-content.py", text), *extra]
    return make_item("Notebook", name, NB_LOGICAL, parts)


def bound_text(
    item: Item,
    rules: Iterable[FindReplace] = (),
    ctx: BindingContext | None = None,
    path: str = "notebook-content.py",
) -> str:
    definition = bind(item, ParameterRules(tuple(rules)), ctx or context())
    part = definition.part(path)
    assert part is not None and part.text is not None
    return part.text


def test_bind_replaces_logical_ids_and_the_zero_guid() -> None:
    text = bound_text(NOTEBOOK)

    assert text == (
        f'# META "default_lakehouse": "{LH_TARGET}",\n# META "default_lakehouse_workspace_id": "{WORKSPACE_TARGET}"\n'
    )


def test_bind_replaces_a_logical_id_written_in_upper_case() -> None:
    assert bound_text(PIPELINE, path="pipeline-content.json") == f'{{"notebookId": "{NB_TARGET}"}}'


def test_bind_leaves_unknown_guids_alone() -> None:
    assert bound_text(notebook_with(f"id = '{UNKNOWN_GUID}'")) == f"id = '{UNKNOWN_GUID}'"


def test_bind_drops_the_platform_file() -> None:
    assert bind(NOTEBOOK, ParameterRules(), context()).part(".platform") is None


@pytest.mark.parametrize(
    ("replace", "environment", "expected"),
    [
        ({"prod": "prod-sql"}, "prod", "server=prod-sql.database.windows.net"),
        ({"prod": "prod-sql"}, "test", "server=dev-sql.database.windows.net"),
        ({"_ALL_": "shared-sql"}, "test", "server=shared-sql.database.windows.net"),
        (
            {"_ALL_": "shared-sql", "prod": "prod-sql"},
            "prod",
            "server=prod-sql.database.windows.net",
        ),
        (
            {"_ALL_": "shared-sql", "prod": "prod-sql"},
            "test",
            "server=shared-sql.database.windows.net",
        ),
    ],
)
def test_literal_find_replace_for_the_environment_or_all(
    replace: dict[str, str], environment: str, expected: str
) -> None:
    item = notebook_with("server=dev-sql.database.windows.net")

    assert bound_text(item, [rule("dev-sql", replace)], context(environment)) == expected


def test_literal_find_is_not_a_regex() -> None:
    item = notebook_with("a.b axb")

    assert bound_text(item, [rule("a.b", {"prod": "X"})]) == "X axb"


def test_regex_find_replace_replaces_only_the_first_group() -> None:
    item = notebook_with('{"storage": "devstore", "other": "devstore"}')
    storage = rule(r'"storage": "(\w+)"', {"_ALL_": "prodstore"}, is_regex=True)

    assert bound_text(item, [storage]) == '{"storage": "prodstore", "other": "devstore"}'


def test_regex_find_replace_without_a_group_replaces_the_whole_match() -> None:
    item = notebook_with("build-123 build-456")

    assert bound_text(item, [rule(r"build-\d+", {"prod": "release"}, is_regex=True)]) == "release release"


def test_ignore_case_find_replace() -> None:
    item = notebook_with("DEV-SQL dev-sql")

    assert bound_text(item, [rule("dev-sql", {"prod": "p"}, ignore_case=True)]) == "p p"


def test_a_dynamic_replacement_is_resolved_by_the_context() -> None:
    item = notebook_with("lakehouse = 'placeholder'")
    dynamic = rule("placeholder", {"prod": "$items.Lakehouse.LH.$id"})

    assert bound_text(item, [dynamic]) == f"lakehouse = '{LH_TARGET}'"


@pytest.mark.parametrize(
    ("filters", "item_type", "name", "part", "applies"),
    [
        ({"item_types": ("Notebook",)}, "Notebook", "Load", "notebook-content.py", True),
        ({"item_types": ("Notebook",)}, "DataPipeline", "Load", "notebook-content.py", False),
        ({"item_names": ("Load",)}, "Notebook", "Load", "notebook-content.py", True),
        ({"item_names": ("Load",)}, "Notebook", "Clean", "notebook-content.py", False),
        ({"file_paths": ("Load.Notebook/*.py",)}, "Notebook", "Load", "notebook-content.py", True),
        ({"file_paths": ("Load.Notebook/*.py",)}, "Notebook", "Load", "settings.json", False),
        (
            {"file_paths": ("Load.Notebook/*.py",)},
            "Notebook",
            "Clean",
            "notebook-content.py",
            False,
        ),
        (
            {"item_types": ("Notebook",), "item_names": ("Load",)},
            "Notebook",
            "Clean",
            "notebook-content.py",
            False,
        ),
    ],
)
def test_find_replace_filters(
    filters: dict[str, tuple[str, ...]], item_type: str, name: str, part: str, applies: bool
) -> None:
    item = make_item(item_type, name, NB_LOGICAL, [DefinitionPart.from_text(part, "env=dev")])
    filtered = rule("env=dev", {"prod": "env=prod"}, **filters)

    assert bound_text(item, [filtered], path=part) == ("env=prod" if applies else "env=dev")


def test_bind_leaves_binary_parts_untouched() -> None:
    blob = DefinitionPart("data.bin", b"\x00\x01" + f"{LH_LOGICAL} {ZERO} dev-sql".encode())
    item = notebook_with("dev-sql", extra=[blob])

    bound = bind(item, ParameterRules((rule("dev-sql", {"prod": "prod-sql"}),)), context())

    assert bound.part("data.bin") == blob
    assert bound.part("notebook-content.py") == DefinitionPart.from_text("notebook-content.py", "prod-sql")


def test_bind_rebinds_a_report_by_path_to_the_deployed_model() -> None:
    pbir_part = bind(REPORT, ParameterRules(), context()).part("definition.pbir")
    assert pbir_part is not None and pbir_part.text is not None
    pbir = json.loads(pbir_part.text)

    assert pbir["version"] == "4.0"
    assert set(pbir["datasetReference"]) == {"byConnection"}  # no "byPath": null, as fabric-cicd writes it
    assert pbir["datasetReference"]["byConnection"]["pbiModelDatabaseName"] == SM_TARGET


def test_bind_leaves_a_report_already_bound_by_connection() -> None:
    document = {
        "version": "4.0",
        "datasetReference": {"byConnection": {"pbiModelDatabaseName": SM_LOGICAL}},
    }
    report = make_item(
        "Report",
        "Live",
        RP_LOGICAL,
        [DefinitionPart.from_text("definition.pbir", json.dumps(document))],
    )

    pbir = json.loads(bound_text(report, path="definition.pbir"))

    # Only the logical id is rebound; the shape of the reference is left alone.
    assert pbir == {
        "version": "4.0",
        "datasetReference": {"byConnection": {"pbiModelDatabaseName": SM_TARGET}},
    }


def test_check_all_rules_matched_names_a_regex_rule_that_matched_nothing() -> None:
    ctx = context()
    rules = ParameterRules(
        (
            rule("dev-sql", {"prod": "prod-sql"}, origin="parameter.yml: find_replace[0]"),
            rule(
                r"stroage=(\w+)",
                {"prod": "x"},
                origin="parameter.yml: find_replace[1]",
                is_regex=True,
            ),
        )
    )
    bind(notebook_with("dev-sql storage=dev"), rules, ctx)

    with pytest.raises(InvalidConfiguration) as caught:
        check_all_rules_matched(rules, ctx)

    assert caught.value.subject == "parameter.yml: find_replace[1]"
    assert r"stroage=(\w+)" in caught.value.message


def test_check_all_rules_matched_passes_when_regex_rules_matched_somewhere() -> None:
    ctx = context()
    rules = ParameterRules(
        (
            rule(r"storage=(\w+)", {"prod": "x"}, is_regex=True, item_names=("Clean",)),
            rule("nothing", {"prod": "y"}, origin="parameter.yml: find_replace[1]"),
            rule(
                r"nowhere(\d)",
                {"test": "z"},
                origin="parameter.yml: find_replace[2]",
                is_regex=True,
            ),
        )
    )
    bind(notebook_with("nothing here", name="Load"), rules, ctx)
    bind(notebook_with("storage=dev", name="Clean"), rules, ctx)

    # Regex 0 matched in Clean; literal 1 in Load; 2 is for another environment.
    assert check_all_rules_matched(rules, ctx) is None
    assert ctx.matches["parameter.yml: find_replace[0]"] == 1


def test_check_all_rules_matched_names_a_literal_rule_that_matched_nothing() -> None:
    ctx = context()
    rules = ParameterRules((rule("never-there", {"prod": "y"}, origin="parameter.yml: find_replace[1]"),))
    bind(notebook_with("nothing here", name="Load"), rules, ctx)

    with pytest.raises(InvalidConfiguration) as caught:
        check_all_rules_matched(rules, ctx)

    assert (caught.value.subject, caught.value.field) == ("parameter.yml: find_replace[1]", "find_value")
    assert "'never-there' matched nothing" in caught.value.message


def test_an_invalid_regex_raises_invalid_configuration_naming_the_rule() -> None:
    broken = rule("conn=(", {"prod": "x"}, origin="parameter.yml: find_replace[3]", is_regex=True)

    with pytest.raises(InvalidConfiguration) as caught:
        bind(notebook_with("conn=(abc"), ParameterRules((broken,)), context())

    assert caught.value.subject == "parameter.yml: find_replace[3]"


def test_a_regex_whose_first_group_did_not_take_part_leaves_the_text_around_it_alone() -> None:
    # `(\d+)?` may match nothing: then there is no group-1 text to replace, and in no case may
    # text outside the match change.
    item = notebook_with("abc key=; key=5;")
    optional = rule(r"key=(\d+)?;", {"prod": "NEW"}, is_regex=True)

    assert bound_text(item, [optional]) == "abc key=; key=NEW;"
