"""`key_value_replace.find_key` selects and replaces exactly what jsonpath-ng's `ext` parser does (the
parser fabric-cicd uses): every expectation below is computed by jsonpath-ng itself, on a copy."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonpath_ng.ext import parse

from fabctl.adapters.source.jsonpath import JsonPathNg
from fabctl.domain.errors import InvalidConfiguration

DOCUMENT: dict[str, Any] = {
    "variables": [
        {"name": "Environment", "type": "String", "value": "DEV"},
        {"name": "Retries", "type": "Integer", "value": 3},
        {"name": "Timeout", "type": "Integer", "value": 30},
        {"name": "Store", "value": "devstore", "tags": ["a", "b"]},
    ],
    "settings": {"name": "root", "nested": {"name": "inner", "list": [1, 2, 3]}},
}
PATHS = [
    '$.variables[?(@.name=="Environment")].value',
    "$.variables[?(@.name=='Environment')].value",
    '$.variables[?(@.name != "Environment")].name',
    "$.variables[?(@.type == 'Integer' & @.value > 10)].name",
    '$.variables[?(@.name =~ "^(Ret|Tim).*")].value',
    "$.variables[0].type",
    "$.variables[-1].name",
    "$.variables[1:3].name",
    "$.variables[*].type",
    "$.variables[*].tags[*]",
    "$['variables'][1]['name']",
    '$["variables"][1].value',
    "$..name",
    "$.settings..list[1]",
    "$.settings.*",
    "variables[0].name",  # without the root: jsonpath-ng accepts it, so fabric-cicd does
    "$.variables[7].name",
    "$.missing.key",
]


def jsonpath_ng_finds(path: str, document: object) -> list[object]:
    return [match.value for match in parse(path).find(document)]


def jsonpath_ng_replaces(path: str, document: Any, value: object) -> Any:
    changed = copy.deepcopy(document)
    for match in parse(path).find(changed):
        match.full_path.update(changed, value)
    return changed


@pytest.mark.parametrize("path", PATHS)
def test_find_selects_what_jsonpath_ng_selects(path: str) -> None:
    assert JsonPathNg(path, origin="parameter.yml: key_value_replace[0]").find(DOCUMENT) == jsonpath_ng_finds(
        path, DOCUMENT
    )


@pytest.mark.parametrize("path", PATHS)
def test_replace_changes_what_jsonpath_ng_changes(path: str) -> None:
    document = copy.deepcopy(DOCUMENT)

    count = JsonPathNg(path, origin="parameter.yml: key_value_replace[0]").replace(document, "NEW")

    assert document == jsonpath_ng_replaces(path, DOCUMENT, "NEW")
    assert count == len(jsonpath_ng_finds(path, DOCUMENT))


def test_the_paths_exercise_matches_and_misses() -> None:
    # Guards the table above: it must hold paths that select something and paths that select nothing.
    found = [bool(jsonpath_ng_finds(p, DOCUMENT)) for p in PATHS]
    assert any(found) and not all(found)


@pytest.mark.parametrize("path", ["$.", "$[?(@.a ~= 1)]", "$", "$.a[", "$.a..[x", ""])
def test_a_path_jsonpath_ng_refuses_or_the_whole_document_is_an_error_naming_the_rule(path: str) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        JsonPathNg(path, origin="parameter.yml: key_value_replace[1]")

    assert (raised.value.subject, raised.value.field) == ("parameter.yml: key_value_replace[1]", "find_key")
    assert "invalid JSONPath" in raised.value.message


def test_a_path_jsonpath_ng_cannot_evaluate_on_a_document_is_an_error_naming_the_rule() -> None:
    path = JsonPathNg("$.variables[?(@.value > 10)].name", origin="parameter.yml: key_value_replace[2]")
    document = {"variables": [{"name": "Nested", "value": {"a": 1}}]}
    with pytest.raises(TypeError):
        jsonpath_ng_finds(path.expression, document)  # what jsonpath-ng itself does

    with pytest.raises(InvalidConfiguration) as raised:
        path.find(document)

    assert (raised.value.subject, raised.value.field) == ("parameter.yml: key_value_replace[2]", "find_key")
    assert "cannot be evaluated" in raised.value.message
