"""The conformance suite's key-path helper (tests/support/key_paths.py): a checker that cannot fail
would make every recorded route pass."""

from __future__ import annotations

import pytest
from key_paths import every_missing, expand


def test_braces_expand_into_leaf_paths_and_nest() -> None:
    assert expand("id, a.{b, c.{d, e}}, value[].{x, y?}") == ["id", "a.b", "a.c.d", "a.c.e", "value[].x", "value[].y?"]


@pytest.mark.parametrize("bad", ["a.{b", "a.b}", "a{b}", "a.{b}.c"])
def test_malformed_key_paths_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        expand(bad)


def test_present_keys_pass_even_when_null() -> None:
    body = {"id": "1", "error": None, "properties": {"sqlEndpointProperties": {"id": None}}}
    assert every_missing(body, "id, error, properties.sqlEndpointProperties.id") == []


def test_a_missing_key_or_a_missing_nested_key_is_named() -> None:
    body = {"id": "1", "properties": {"other": 1}}
    assert every_missing(body, "id, displayName, properties.{other, sqlEndpointProperties.id}") == [
        "displayName is missing",
        "properties.sqlEndpointProperties is missing",
    ]


def test_every_list_element_is_checked_and_the_list_must_not_be_empty() -> None:
    body = {"value": [{"id": "1", "folderId": "f"}, {"type": "Notebook"}]}
    assert every_missing(body, "value[].{id, folderId?}") == ["value[1].id is missing"]
    assert every_missing({"value": []}, "value[].id") == ["value is not a non-empty list"]


def test_a_star_asks_for_an_object_whatever_its_keys() -> None:
    assert every_missing({"recency": {}}, "recency.*") == []
    assert every_missing({"recency": None}, "recency.*") == ["recency is not an object"]
