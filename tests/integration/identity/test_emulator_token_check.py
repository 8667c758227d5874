"""The emulator's token check against the real Entra-like authority: its OpenID configuration and keys
fetched over HTTPS (through the proxy, trusting the test CA), each kind of bad token refused in Fabric's
401 shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from signed_in_identity import AUTHORITY_URL, PRINCIPAL, SignedInIdentity, signed_in_identity

from fabctl.entrypoints.emulator.token_check import TokenCheck

FABRIC = "https://api.fabric.microsoft.com"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInIdentity]:
    yield from signed_in_identity(tmp_path_factory.mktemp("identity"))


@pytest.fixture
def check(world: SignedInIdentity, monkeypatch: pytest.MonkeyPatch) -> TokenCheck:
    for name, value in world.network().items():
        monkeypatch.setenv(name, value)
    return TokenCheck(AUTHORITY_URL)


def test_a_token_of_the_authority_for_fabric_passes(world: SignedInIdentity, check: TokenCheck) -> None:
    assert check.refusal("Bearer " + world.authority.issue(PRINCIPAL.client_id, FABRIC)) is None


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "Unauthorized"),
        ("Basic dXNlcjpwYXNz", "Unauthorized"),
        ("Bearer not-a-jwt", "InvalidToken"),
    ],
)
def test_a_missing_or_malformed_token_is_refused(header: str | None, code: str, check: TokenCheck) -> None:
    refusal = check.refusal(header)

    assert refusal is not None and (refusal.status, refusal.error_code) == (401, code)


def test_an_expired_token_is_refused_as_token_expired(world: SignedInIdentity, check: TokenCheck) -> None:
    expired = world.authority.issue(PRINCIPAL.client_id, FABRIC, lifetime_s=-120)

    refusal = check.refusal(f"Bearer {expired}")

    assert refusal is not None
    assert (refusal.status, refusal.error_code, refusal.message) == (401, "TokenExpired", "Access token has expired")
    assert expired.encode() not in refusal.response("r-1").body  # a refusal never echoes the token


def test_a_token_for_another_audience_is_refused(world: SignedInIdentity, check: TokenCheck) -> None:
    storage = world.authority.issue(PRINCIPAL.client_id, "https://storage.azure.com")

    refusal = check.refusal(f"Bearer {storage}")

    assert refusal is not None and (refusal.status, refusal.error_code) == (401, "InvalidToken")
    assert "aud" in refusal.message.lower()


def test_a_token_signed_by_another_authority_is_refused(
    check: TokenCheck, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for other in signed_in_identity(tmp_path_factory.mktemp("other")):
        forged = other.authority.issue(PRINCIPAL.client_id, FABRIC)  # same tenant, issuer and kid; another key

        refusal = check.refusal(f"Bearer {forged}")

        assert refusal is not None and (refusal.status, refusal.error_code) == (401, "InvalidToken")
        assert "Signature" in refusal.message
