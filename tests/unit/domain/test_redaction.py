"""Values taken from outside the files are shown by their names, never as themselves."""

from __future__ import annotations

import pytest

from fabctl.domain.errors import InvalidConfiguration, NotFound
from fabctl.domain.redaction import SensitiveValues

VALUES = SensitiveValues.of({"s3cr3t": "$ENV:TOKEN", "s3cr3t-longer": "$ENV:LONG", "": "$ENV:EMPTY"})


def test_every_occurrence_is_replaced_by_its_name_the_longest_value_first() -> None:
    text = "a s3cr3t, then s3cr3t-longer and s3cr3ts3cr3t"

    assert VALUES.redact(text) == "a $ENV:TOKEN, then $ENV:LONG and $ENV:TOKEN$ENV:TOKEN"


def test_an_empty_value_hides_nothing_and_no_values_change_nothing() -> None:
    assert VALUES.redact("plain text") == "plain text"
    assert SensitiveValues().redact("s3cr3t") == "s3cr3t"
    assert not SensitiveValues() and VALUES


def test_a_name_put_in_is_not_redacted_again() -> None:
    # The value is a part of the name that replaces it: one pass, so the name stays whole.
    values = SensitiveValues.of({"TOKEN": "$ENV:TOKEN"})

    assert values.redact("x TOKEN y") == "x $ENV:TOKEN y"


def test_a_redacted_error_keeps_its_type_and_place_and_leaves_the_original_alone() -> None:
    error = NotFound("no item 's3cr3t'", subject="file s3cr3t.yml", field="items[s3cr3t]")

    redacted = VALUES.redact_error(error)

    assert type(redacted) is NotFound
    assert (redacted.message, redacted.subject, redacted.field) == (
        "no item '$ENV:TOKEN'",
        "file $ENV:TOKEN.yml",
        "items[$ENV:TOKEN]",
    )
    assert "s3cr3t" not in str(redacted) and redacted.args == ("no item '$ENV:TOKEN'",)
    assert error.message == "no item 's3cr3t'"


def test_an_error_without_a_value_is_the_same_error() -> None:
    error = InvalidConfiguration("nothing sensitive", subject="parameter.yml")

    assert VALUES.redact_error(error) is error


def test_merged_values_hide_both() -> None:
    merged = SensitiveValues.of({"one": "$ENV:A"}).merged(SensitiveValues.of({"two": "$ENV:B"}))

    assert merged.redact("one two") == "$ENV:A $ENV:B"


@pytest.mark.parametrize("special", ["a.b*c", "(x|y)", "back\\slash"])
def test_values_are_matched_literally(special: str) -> None:
    values = SensitiveValues.of({special: "$ENV:X"})

    assert values.redact(f"[{special}] abc") == "[$ENV:X] abc"
