"""X-MS-CLIENT-PRINCIPAL: the signed-in caller App Service Authentication passes on."""

from __future__ import annotations

import base64
import json

import pytest

from fabctl.entrypoints.functions.principal import OBJECT_ID, UPN, Principal, Unauthenticated, principal_of


def header(document: object) -> dict[str, str]:
    return {"x-ms-client-principal": base64.b64encode(json.dumps(document).encode()).decode()}


def test_the_upn_is_the_actor_normalised_as_an_identity() -> None:
    claims = [{"typ": OBJECT_ID, "val": "oid-1"}, {"typ": UPN, "val": "Alice@Contoso.com"}]

    assert principal_of(header({"claims": claims})) == Principal("oid-1", "alice@contoso.com")


def test_without_a_upn_the_name_claim_then_the_object_id_acts() -> None:
    named = {"name_typ": "name", "claims": [{"typ": "oid", "val": "oid-2"}, {"typ": "name", "val": "build-bot"}]}
    bare = {"claims": [{"typ": "oid", "val": "oid-3"}]}

    assert principal_of(header(named)).actor == "build-bot"
    assert principal_of(header(bare)).actor == "oid-3"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-MS-CLIENT-PRINCIPAL": " "},
        {"X-MS-CLIENT-PRINCIPAL": "%%%"},
        {"X-MS-CLIENT-PRINCIPAL": "A" * 20000},
        header({"claims": [{"typ": "oid"}]}),
        header({"claims": [{"typ": UPN, "val": "alice@contoso.com"}]}),
        header({"claims": [{"typ": "oid", "val": "o"}, {"typ": UPN, "val": "\u0430lice@contoso.com"}]}),
    ],
    ids=["absent", "blank", "not-base64", "too-long", "claim-without-val", "no-object-id", "confusable-upn"],
)
def test_an_absent_or_unreadable_principal_is_unauthenticated(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthenticated):
        principal_of(headers)
