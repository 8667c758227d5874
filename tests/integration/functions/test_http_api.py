"""The HTTP API through the Function app's functions, with App Service Authentication's principal header."""

from __future__ import annotations

import base64
import json

import pytest
from function_calls import document, http, principal_header

from fabctl.application.queries import list_transactions

from .conftest import Site

ALICE = principal_header("alice@contoso.com")
BOB = principal_header("bob@contoso.com")
CAROL = principal_header("carol@contoso.com")
PROBLEM = "application/problem+json"


def requested(site: Site) -> str:
    site.deploy("dev", "deploy-dev")
    response = http("POST", "promotions", headers=ALICE, body={"source_dir": site.source, "source_environment": "dev"})
    assert response.status_code == 201, response.get_body()
    request_id: str = document(response)["id"]
    assert response.headers["Location"] == f"/api/promotions/{request_id}"
    return request_id


def encoded(claims: object) -> str:
    return base64.b64encode(json.dumps(claims).encode()).decode()


def problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.get_body()  # type: ignore[attr-defined]
    assert response.mimetype == PROBLEM  # type: ignore[attr-defined]
    found: dict[str, object] = document(response)  # type: ignore[arg-type]
    assert set(found) >= {"type", "title", "status", "detail"} and found["status"] == status
    return found


def test_a_promotion_requested_and_approved_by_two_people_is_deployed(site: Site) -> None:
    request_id = requested(site)

    first = http("POST", f"promotions/{request_id}/approve", headers=BOB, body={"comment": "ok"}, id=request_id)
    second = http("POST", f"promotions/{request_id}/approve", headers=CAROL, id=request_id)

    assert first.status_code == 200 and document(first)["state"] == "requested"
    shown = http("GET", f"promotions/{request_id}", headers=ALICE, id=request_id)
    assert second.status_code == shown.status_code == 200
    promotion = document(shown)
    assert promotion["state"] == "succeeded"
    assert promotion["requested_by"] == "alice@contoso.com"
    assert [a["approver"] for a in promotion["approvals"]] == ["bob@contoso.com", "carol@contoso.com"]
    assert [a["comment"] for a in promotion["approvals"]] == ["ok", ""]
    deployed = [t for t in list_transactions(site.app.uow) if t.environment == "test"]
    assert [(t.state.value, t.acting) for t in deployed] == [("committed", "carol@contoso.com")]


def test_without_the_principal_header_the_api_answers_401_and_changes_nothing(site: Site) -> None:
    request_id = requested(site)

    refused = http("POST", f"promotions/{request_id}/approve", id=request_id)
    shown = http("GET", f"promotions/{request_id}", id=request_id)

    assert "X-MS-CLIENT-PRINCIPAL" in str(problem(refused, 401)["detail"])
    problem(shown, 401)
    assert document(http("GET", f"promotions/{request_id}", headers=BOB, id=request_id))["approvals"] == []


@pytest.mark.parametrize(
    "header",
    [
        "not base64!",
        base64.b64encode(b"not json").decode(),
        encoded({"claims": "none"}),
        encoded({"claims": [{"typ": "name", "val": "bob"}]}),  # no object id
        encoded({"claims": [{"typ": "oid", "val": "x"}, {"typ": "upn", "val": 7}]}),
    ],
    ids=["not-base64", "not-json", "claims-not-a-list", "no-object-id", "claim-not-text"],
)
def test_a_malformed_principal_header_is_401(site: Site, header: str) -> None:
    refused = http("POST", "promotions", headers={"X-MS-CLIENT-PRINCIPAL": header}, body={})

    problem(refused, 401)


def test_a_service_principal_without_a_upn_acts_as_its_object_id(site: Site) -> None:
    site.deploy("dev", "deploy-dev")
    claims = {"claims": [{"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "5f0c-77aa"}]}
    header = {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(claims).encode()).decode()}

    response = http("POST", "promotions", headers=header, body={"source_dir": site.source, "source_environment": "dev"})

    assert response.status_code == 201 and document(response)["requested_by"] == "5f0c-77aa"


def test_the_requester_approving_is_403_naming_separation_of_duties(site: Site) -> None:
    request_id = requested(site)

    refused = problem(http("POST", f"promotions/{request_id}/approve", headers=ALICE, id=request_id), 403)

    assert refused["field"] == "approver" and "separation of duties" in str(refused["detail"])


def test_cancelling_someone_elses_request_is_403(site: Site) -> None:
    request_id = requested(site)

    refused = problem(http("POST", f"promotions/{request_id}/cancel", headers=BOB, id=request_id), 403)

    assert refused["field"] == "cancelled_by"
    assert document(http("GET", f"promotions/{request_id}", headers=BOB, id=request_id))["state"] == "requested"


def test_an_actor_named_in_the_body_is_refused_with_400_naming_the_field(site: Site) -> None:
    request_id = requested(site)

    refused = http("POST", f"promotions/{request_id}/approve", headers=CAROL, body={"approver": "bob"}, id=request_id)

    found = problem(refused, 400)
    assert found["field"] == "approver" and "authenticated" in str(found["detail"])
    assert document(http("GET", f"promotions/{request_id}", headers=BOB, id=request_id))["approvals"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source_environment": "dev"}, "source_dir"),
        ({"source_dir": "x", "source_environment": "dev", "itmes": []}, "itmes"),
        ({"source_dir": "x", "source_environment": 3}, "source_environment"),
    ],
)
def test_a_bad_body_is_400_problem_json_naming_the_field(site: Site, body: dict[str, object], field: str) -> None:
    found = problem(http("POST", "promotions", headers=ALICE, body=body), 400)

    assert found["field"] == field and f"field '{field}'" in str(found["detail"])


def test_a_body_that_is_not_json_is_400(site: Site) -> None:
    found = problem(http("POST", "promotions", headers=ALICE, body=b"{nope"), 400)

    assert "not UTF-8 JSON" in str(found["detail"])


def test_rejecting_needs_a_reason(site: Site) -> None:
    request_id = requested(site)

    found = problem(http("POST", f"promotions/{request_id}/reject", headers=BOB, body={}, id=request_id), 400)
    rejected = http("POST", f"promotions/{request_id}/reject", headers=BOB, body={"reason": "not now"}, id=request_id)

    assert found["field"] == "reason"
    assert rejected.status_code == 200 and document(rejected)["state"] == "rejected"
    again = problem(http("POST", f"promotions/{request_id}/approve", headers=CAROL, id=request_id), 409)
    assert again["field"] == "state"


def test_an_unknown_promotion_is_404(site: Site) -> None:
    shown = problem(http("GET", "promotions/no-such-id", headers=BOB, id="no-such-id"), 404)
    approved = problem(http("POST", "promotions/no-such-id/approve", headers=BOB, id="no-such-id"), 404)

    assert "no such promotion request" in str(shown["detail"]) and approved["field"] == "id"


def test_health_answers_with_the_configured_adapters_and_its_checks(site: Site) -> None:
    response = http("GET", "health")

    assert response.status_code == 200
    found = document(response)
    assert {k: found[k] for k in ("status", "state_store", "fabric", "ok")} == {
        "status": "ok", "state_store": "sqlite", "fabric": "local", "ok": True,
    }  # fmt: skip
    statuses = {c["name"]: c["status"] for c in found["checks"]}
    assert statuses == {"settings": "pass", "state store": "pass", "service bus": "skipped"}  # not Fabric's


def test_health_is_503_naming_bad_settings_without_a_traceback(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_STATE_STORE", "paper")

    response = http("GET", "health")

    assert response.status_code == 503
    found = document(response)
    settings = next(c for c in found["checks"] if c["name"] == "settings")
    assert settings["status"] == "fail" and "state_store" in settings["detail"] and settings["fix"]
    assert found["ok"] is False and "Traceback" not in response.get_body().decode()
    assert {c["name"]: c["status"] for c in found["checks"]}["state store"] == "skipped"
