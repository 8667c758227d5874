import base64
import json

import pytest

from fabctl.adapters.identity.token_claims import TokenPrincipal, UnreadableToken, principal_of_token


def _token(claims: object) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2lnbmF0dXJl"


def test_a_user_token_names_the_user_by_upn():
    token = _token({"oid": "11111111-0000-0000-0000-000000000001", "tid": "t1", "upn": "alice@contoso.com"})
    assert principal_of_token(token) == TokenPrincipal(
        "11111111-0000-0000-0000-000000000001", "t1", "alice@contoso.com", is_application=False
    )


def test_a_user_token_without_upn_falls_back_to_preferred_username():
    assert principal_of_token(_token({"oid": "o", "preferred_username": "bob@contoso.com"})).name == "bob@contoso.com"


def test_an_application_token_names_the_app_id():
    principal = principal_of_token(_token({"oid": "o2", "tid": "t", "appid": "app-123", "idtyp": "app"}))
    assert (principal.actor, principal.is_application) == ("app-123", True)


def test_a_v2_application_token_names_azp():
    assert principal_of_token(_token({"oid": "o3", "azp": "app-456"})).actor == "app-456"


@pytest.mark.parametrize(
    "token, message",
    [
        ("not-a-jwt", "not a JWT"),
        ("a.!!!.c", "not base64url-encoded JSON"),
        (_token(["a", "list"]), "not a JSON object"),
        (_token({"upn": "alice@contoso.com"}), "no object id claim"),
    ],
)
def test_an_unreadable_token_is_refused_saying_why(token, message):
    with pytest.raises(UnreadableToken, match=message):
        principal_of_token(token)
