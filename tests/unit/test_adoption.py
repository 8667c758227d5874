"""Adopting undoes binding: the workspace's ids become logical ids, its own id the zero GUID."""

from __future__ import annotations

from fabctl.domain.adoption import adopted_logical_id, with_logical_ids
from fabctl.domain.definition import DefinitionPart, ItemDefinition

WORKSPACE = "94787a36-6f30-40e6-b37a-614ab37a4f23"
NOTEBOOK = "63d73920-efbc-405c-910d-a77735b72cb3"
LOGICAL = "58e6fed5-d8e4-4386-8a45-b5855d0beae2"
ELSEWHERE = "11111111-2222-3333-4444-555555555555"


def test_fabric_s_logical_id_is_kept_and_a_zero_one_is_derived_the_same_each_time() -> None:
    assert adopted_logical_id(LOGICAL.upper(), NOTEBOOK) == LOGICAL
    derived = adopted_logical_id("00000000-0000-0000-0000-000000000000", NOTEBOOK)
    assert derived == adopted_logical_id("", NOTEBOOK.upper())
    assert derived not in (NOTEBOOK, "00000000-0000-0000-0000-000000000000")


def test_ids_become_logical_ids_and_other_guids_stay() -> None:
    text = f'{{"notebookId": "{NOTEBOOK.upper()}", "workspaceId": "{WORKSPACE}", "other": "{ELSEWHERE}"}}'
    definition = ItemDefinition.of(
        [DefinitionPart.from_text("pipeline-content.json", text), DefinitionPart.from_text(".platform", "{}")]
    )
    adopted = with_logical_ids("DataPipeline", definition, {NOTEBOOK: LOGICAL}, WORKSPACE)
    assert [p.path for p in adopted.parts] == ["pipeline-content.json"]
    assert adopted.parts[0].text == (
        '{"notebookId": "58e6fed5-d8e4-4386-8a45-b5855d0beae2", '
        '"workspaceId": "00000000-0000-0000-0000-000000000000", "other": "11111111-2222-3333-4444-555555555555"}'
    )


def test_a_lakehouse_s_shortcuts_keep_the_workspace_id() -> None:
    text = f'{{"workspaceId": "{WORKSPACE}", "itemId": "{NOTEBOOK}"}}'
    definition = ItemDefinition.of([DefinitionPart.from_text("shortcuts.metadata.json", text)])
    adopted = with_logical_ids("Lakehouse", definition, {NOTEBOOK: LOGICAL}, WORKSPACE)
    assert adopted.parts[0].text == f'{{"workspaceId": "{WORKSPACE}", "itemId": "{LOGICAL}"}}'
