"""The emulator's `$filter`: the one `eq` clause Graph answers on the properties fabctl sends, and Graph's
refusals (400 Request_UnsupportedQuery, 400 BadRequest) for everything else."""

from __future__ import annotations

import pytest

from fabctl.entrypoints.emulator.graph_filter import Equals, FilterError, parse_filter

USERS = frozenset({"id", "userPrincipalName", "displayName"})


def parse(text: str) -> Equals:
    return parse_filter(text, resource="User", supported=USERS)


def test_an_eq_clause_names_its_property_and_value() -> None:
    assert parse("userPrincipalName eq 'alice@contoso.com'") == Equals("userPrincipalName", "alice@contoso.com")


def test_property_names_match_without_case_and_keep_graphs_spelling() -> None:
    assert parse("USERPRINCIPALNAME EQ 'a@b.c'") == Equals("userPrincipalName", "a@b.c")


def test_a_doubled_quote_is_one_quote_in_the_value() -> None:
    assert parse("displayName eq 'O''Brien'") == Equals("displayName", "O'Brien")


@pytest.mark.parametrize(
    "text",
    [
        "mail eq 'a@b.c'",  # a property fabctl does not filter on
        "displayName ne 'x'",  # another operator
        "displayName eq 'a' and id eq 'b'",  # a second clause
        "startswith(displayName,'a')",  # a function
    ],
)
def test_other_clauses_are_unsupported_queries_naming_the_property(text: str) -> None:
    with pytest.raises(FilterError) as refused:
        parse(text)
    assert refused.value.code == "Request_UnsupportedQuery"
    assert "of resource 'User'" in refused.value.message


@pytest.mark.parametrize("text", ["", "displayName eq", "displayName eq alice"])
def test_what_does_not_parse_is_a_bad_request(text: str) -> None:
    with pytest.raises(FilterError) as refused:
        parse(text)
    assert refused.value.code == "BadRequest"
    assert "Invalid filter clause" in refused.value.message
