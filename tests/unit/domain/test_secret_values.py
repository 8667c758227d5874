"""SecretValues: secrets read by name when bound, every value read remembered for redaction and sealing."""

from __future__ import annotations

import pytest

from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.redaction import SecretValues

STORE = {"SHORT": "abc-1", "LONG": "abc-1-and-more", "OTHER": "zz-9"}


def read(name: str) -> str:
    if name not in STORE:
        raise KeyError(f"secret {name}: not in the test store")
    return STORE[name]


def test_a_missing_secret_is_an_invalid_configuration_with_the_stores_message() -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        SecretValues(read).value("NOPE")
    assert caught.value.message == "secret NOPE: not in the test store"


def test_a_bad_name_is_refused_before_the_store_is_asked() -> None:
    asked: list[str] = []
    with pytest.raises(InvalidConfiguration) as caught:
        SecretValues(lambda n: asked.append(n) or "x").value("has space")
    assert "1 to 127 letters" in caught.value.message and asked == []


def test_only_values_read_are_redacted_longest_first() -> None:
    values = SecretValues(read)
    values.value("SHORT")
    values.value("LONG")

    assert values.revealed().redact("abc-1-and-more, abc-1, zz-9") == "$secret:LONG, $secret:SHORT, zz-9"


def test_sealed_bytes_name_the_secret_and_unseal_reads_it_again() -> None:
    values = SecretValues(read)
    values.value("LONG")
    sealed = values.seal(b"a=abc-1-and-more; b=abc-1")

    assert sealed == b"a=\x00$secret:LONG\x00; b=abc-1"  # SHORT was never read: not known, not sealed
    fresh = SecretValues(read)  # a later process: nothing read yet
    assert fresh.unseal(sealed) == b"a=abc-1-and-more; b=abc-1"
    assert fresh.unseal(b"text that says $secret:LONG") == b"text that says $secret:LONG"  # not a seal


def test_a_listener_hears_every_value_once_also_those_read_before_it_listened() -> None:
    values = SecretValues(read)
    values.value("SHORT")
    heard: list[str] = []
    values.on_revealed(heard.append)
    values.value("OTHER")
    values.value("OTHER")

    assert heard == ["abc-1", "zz-9"]
