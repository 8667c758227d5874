"""`$secret:NAME` replace values through bootstrap() with in-memory adapters: read when bound, for the
environment deployed only; the rules, the journal and the pinned terms keep the marker, not the value."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from fabctl.adapters.secrets.memory import InMemorySecretStore
from fabctl.application.errors import GatewayError
from fabctl.application.queries import get_promotion
from fabctl.domain.commands import ApprovePromotion, ExecuteDeployment, RequestPromotion
from fabctl.domain.errors import InvalidConfiguration, PromotionRuleViolation
from fabctl.domain.parameters import FindReplace, ParameterRules
from fabctl.domain.redaction import SecretValues

from .world import PARAMETERS, SOURCE, World, make_world

LAKE = "abfss://dev@onelake"


class CountingStore(InMemorySecretStore):
    def __init__(self, secrets: dict[str, str]) -> None:
        super().__init__(secrets)
        self.reads: Counter[str] = Counter()

    def get_secret(self, name: str) -> str:
        self.reads[name] += 1
        return super().get_secret(name)


def with_secrets(replace: dict[str, str], secrets: dict[str, str]) -> tuple[World, CountingStore]:
    world = make_world()
    store = CountingStore(secrets)
    rule = FindReplace(LAKE, replace, origin=f"{PARAMETERS}: find_replace[0]")
    world.reader.parameters[PARAMETERS] = ParameterRules(
        (rule,), source=PARAMETERS, secrets=SecretValues(store.get_secret)
    )
    return world, store


def deploy(world: World, env: str, message_id: str = "") -> None:
    result = world.app.bus.handle(ExecuteDeployment(message_id or f"deploy-{env}", SOURCE, env, "ci"))
    assert result.succeeded


def test_a_secret_value_is_bound_into_the_content_and_only_the_target_environments_is_read() -> None:
    world, store = with_secrets(
        {"test": "$secret:TEST_LAKE", "prod": "$secret:PROD_LAKE"},
        {"TEST_LAKE": "abfss://test-secret@onelake", "PROD_LAKE": "abfss://prod-secret@onelake"},
    )
    deploy(world, "dev")
    assert store.reads == Counter()  # dev has no replacement: nothing is read

    deploy(world, "test")

    notebook = world.definition_text("Sales (test)", "Load Sales.Notebook", "notebook-content.py")
    assert "abfss://test-secret@onelake/sales" in notebook
    assert set(store.reads) == {"TEST_LAKE"}  # prod's secret is never read for test


def test_a_missing_secret_refuses_the_deployment_naming_the_rule_and_the_store_before_any_write() -> None:
    world, _ = with_secrets({"test": "$secret:NOWHERE"}, {})

    with pytest.raises(InvalidConfiguration) as caught:
        world.app.bus.handle(ExecuteDeployment("d-1", SOURCE, "test", "ci"))

    assert caught.value.subject == f"{PARAMETERS}: find_replace[0]" and caught.value.field == "replace_value"
    assert "secret 'NOWHERE' is not defined" in caught.value.message
    assert world.app.gateway.find_workspace("Sales (test)") is None


def test_a_secret_value_is_written_as_it_is_never_read_as_a_dynamic_value() -> None:
    world, _ = with_secrets({"dev": "$secret:DEV_ITEM"}, {"DEV_ITEM": "$items.Notebook.Missing.$id"})
    deploy(world, "dev")
    notebook = world.definition_text("Sales (dev)", "Load Sales.Notebook", "notebook-content.py")
    assert "$items.Notebook.Missing.$id/sales" in notebook


def request(world: World) -> str:
    opened = world.app.bus.handle(RequestPromotion("req-1", SOURCE, "dev", "alice"))
    return str(opened.id)


def test_a_rotated_secret_keeps_the_approval_and_the_new_value_is_deployed() -> None:
    world, store = with_secrets({"test": "$secret:TEST_LAKE"}, {"TEST_LAKE": "abfss://old-secret@onelake"})
    deploy(world, "dev")
    opened = request(world)

    store.set_secret("TEST_LAKE", "abfss://rotated-secret@onelake")
    world.app.bus.handle(ApprovePromotion("app-1", opened, "bob"))

    assert get_promotion(world.app.uow, opened).state.value == "succeeded"
    notebook = world.definition_text("Sales (test)", "Load Sales.Notebook", "notebook-content.py")
    assert "abfss://rotated-secret@onelake/sales" in notebook


def test_another_secret_named_after_the_request_refuses_the_approval() -> None:
    world, _ = with_secrets({"test": "$secret:TEST_LAKE"}, {"TEST_LAKE": "v1", "OTHER_LAKE": "v1"})
    deploy(world, "dev")
    opened = request(world)
    rules = world.reader.parameters[PARAMETERS]
    swapped = dataclasses.replace(rules.find_replace[0], replace={"test": "$secret:OTHER_LAKE"})
    world.reader.parameters[PARAMETERS] = dataclasses.replace(rules, find_replace=(swapped,))

    with pytest.raises(PromotionRuleViolation) as caught:
        world.app.bus.handle(ApprovePromotion("app-1", opened, "bob"))

    assert caught.value.field == "terms" and "replace_value.test: changed" in caught.value.message
    assert world.app.gateway.find_workspace("Sales (test)") is None


class QuotingGateway:
    """Refuses a write to `Load Sales` quoting the content it was sent, as Fabric's messages sometimes do."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def create_item(self, workspace_id: str, item_type: str, name: str, **kwargs: object) -> object:
        definition = kwargs.get("definition")
        if name == "Load Sales" and definition is not None:
            part = definition.part("notebook-content.py")  # type: ignore[attr-defined]
            raise GatewayError(f"invalid notebook: {part.text}", error_code="InvalidDefinition", status=400)
        return self._inner.create_item(workspace_id, item_type, name, **kwargs)  # type: ignore[attr-defined]


def test_a_fabric_error_quoting_the_content_shows_the_marker_in_the_journal_outcome_and_events() -> None:
    world, _ = with_secrets({"test": "$secret:TEST_LAKE"}, {"TEST_LAKE": "abfss://canary-7f3e@onelake"})
    deploy(world, "dev")
    world.gateway._inner = QuotingGateway(world.gateway._inner)  # type: ignore[assignment]

    result = world.app.bus.handle(ExecuteDeployment("d-test", SOURCE, "test", "ci"))

    assert not result.succeeded
    failed = [o for o in result.outcomes if o.status == "failed"]
    assert failed and "$secret:TEST_LAKE" in failed[0].detail and "canary-7f3e" not in failed[0].detail
    assert "canary-7f3e" not in (result.error or "")
    with world.app.uow as uow:
        journal = uow.transactions.get(result.transaction_id)
        assert journal is not None
        assert not any("canary-7f3e" in step.error for step in journal.steps)
        assert any("$secret:TEST_LAKE" in step.error for step in journal.steps)
    assert not any("canary-7f3e" in repr(m) for m in world.app.publisher.published)  # type: ignore[attr-defined]
