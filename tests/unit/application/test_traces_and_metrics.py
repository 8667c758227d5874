"""What a deployment and a promotion tell OpenTelemetry, read back through the SDK's in-memory exporters:
one trace per command, the deployment's and its items' spans in it (items are written on worker threads),
and the metrics by outcome."""

from __future__ import annotations

import json

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from otel_capture import Captured, captured

from fabctl.domain.commands import ApprovePromotion, ExecuteDeployment, RequestPromotion
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.entrypoints.messages.handling import handle_command_message

from .world import SOURCE, World, make_world, source_items

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
REMOTE_TRACE = int("0af7651916cd43dd8448eb211c80319c", 16)
REMOTE_SPAN = int("b7ad6b7169203331", 16)


def traced_world() -> tuple[World, Captured]:
    capture = captured()
    return make_world(telemetry=capture.telemetry), capture


def ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    """The names of the span's ancestors, nearest first (within the spans recorded)."""
    by_id = {s.context.span_id: s for s in spans}
    names, parent = [], span.parent
    while parent is not None and parent.span_id in by_id:
        span = by_id[parent.span_id]
        names.append(span.name)
        parent = span.parent
    return names


def test_a_deployment_is_one_trace_from_the_command_to_every_item_write() -> None:
    world, capture = traced_world()

    result = world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester", max_workers=4))

    assert result.succeeded
    [command] = capture.named("fabctl.command")
    [deploy] = capture.named("fabctl.deploy")
    items = capture.named("fabctl.item")
    assert command.attributes["command"] == "ExecuteDeployment"
    assert {s.attributes["item"] for s in items} == {str(i.key) for i in source_items()}
    assert {s.context.trace_id for s in [command, deploy, *items]} == {command.context.trace_id}
    spans = capture.spans()
    assert ancestors(deploy, spans) == ["fabctl.command"]
    for item in items:  # written on the pool's threads, yet children of the deployment
        assert ancestors(item, spans)[-2:] == ["fabctl.deploy", "fabctl.command"]
        assert item.kind is SpanKind.INTERNAL and item.status.status_code is not StatusCode.ERROR
    assert deploy.attributes["outcome"] == "committed"


def test_a_deployment_counts_its_outcome_duration_and_item_writes_by_type() -> None:
    world, capture = traced_world()

    world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))

    assert capture.total("fabctl.deployments", outcome="committed", environment="dev") == 1
    [duration] = [p for p in capture.points() if p.metric == "fabctl.deployment.duration"]
    assert (duration.unit, duration.count, duration.attributes["outcome"]) == ("s", 1, "committed")
    writes = [p for p in capture.points() if p.metric == "fabctl.item.writes"]
    by_type = {p.attributes["item.type"] for p in writes if p.attributes["outcome"] == "succeeded"}
    assert by_type == {i.key.type for i in source_items()}


def test_a_failed_write_and_the_rollback_are_counted_and_the_item_span_is_failed() -> None:
    world, capture = traced_world()
    world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))
    model = next(i for i in source_items() if i.name == "Sales Model")
    changed = model.with_definition(
        ItemDefinition.of([*model.definition.parts, DefinitionPart.from_text("definition/x.tmdl", "table X\n")])
    )
    world.set_source([changed if i.name == "Sales Model" else i for i in source_items()])
    world.gateway.fail_on = "Sales Model"

    result = world.app.bus.handle(ExecuteDeployment("m-2", SOURCE, "dev", "tester", on_error="rollback"))

    assert result.state == "rolled_back"
    assert capture.total("fabctl.deployments", outcome="rolled_back") == 1
    assert capture.total("fabctl.rollbacks", trigger="on_error") == 1
    assert capture.total("fabctl.item.writes", outcome="failed", **{"item.type": "SemanticModel"}) == 1
    failed = [s for s in capture.named("fabctl.item") if s.status.status_code is StatusCode.ERROR]
    assert [s.attributes["item"] for s in failed] == ["Sales Model.SemanticModel"]
    assert failed[0].attributes["error.type"] == "GatewayError"


def test_a_revert_counts_as_a_rollback_told_apart_by_its_trigger() -> None:
    from fabctl.application.handlers.revert import revert_transaction

    world, capture = traced_world()
    app = world.app
    app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))
    world.set_source(source_items(notebook_extra="# v2\n"))
    second = app.bus.handle(ExecuteDeployment("m-2", SOURCE, "dev", "tester"))

    result = revert_transaction(
        second.transaction_id, uow=app.uow, gateway=app.gateway, clock=app.clock, ids=app.ids,
        telemetry=capture.telemetry,
    )  # fmt: skip

    assert result.succeeded
    assert capture.total("fabctl.rollbacks", trigger="revert", environment="dev") == 1
    assert capture.total("fabctl.rollbacks", trigger="on_error") == 0


def test_an_approve_message_continues_its_senders_trace_down_to_the_item_writes() -> None:
    world, capture = traced_world()
    world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))
    opened = world.app.bus.handle(RequestPromotion("req-1", SOURCE, "dev", "alice"))
    world.clock.advance(600)  # ten minutes until approved
    capture.exporter.clear()
    body = json.dumps({"command": "ApprovePromotion", "version": 1, "data": {"request_id": opened.id}}).encode()

    settled = handle_command_message(
        world.app, body, "approve-1", {b"fabctl-actor": b"bob", b"traceparent": TRACEPARENT.encode()}
    )

    assert settled.verdict.value == "complete"
    spans = capture.spans()
    commands = {s.attributes["command"] for s in capture.named("fabctl.command")}
    assert {"ApprovePromotion", "DeployPromotion"} <= commands
    assert capture.named("fabctl.item") and capture.named("fabctl.deploy")
    assert {s.context.trace_id for s in spans} == {REMOTE_TRACE}
    [approve] = [s for s in capture.named("fabctl.command") if s.attributes["command"] == "ApprovePromotion"]
    [message] = capture.named("fabctl.message")
    assert message.kind is SpanKind.CONSUMER and message.attributes["messaging.message.id"] == "approve-1"
    assert message.parent is not None and message.parent.span_id == REMOTE_SPAN and message.parent.is_remote
    assert approve.parent is not None and approve.parent.span_id == message.context.span_id


def test_a_promotion_records_its_lead_time_and_approval_wait() -> None:
    world, capture = traced_world()
    world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))
    opened = world.app.bus.handle(RequestPromotion("req-1", SOURCE, "dev", "alice"))
    world.clock.advance(600)

    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    waits = {p.metric: p for p in capture.points() if p.metric.startswith("fabctl.promotion.")}
    assert waits["fabctl.promotion.approval_wait"].value == 600  # the clock moves only when told to
    assert waits["fabctl.promotion.lead_time"].value == 600
    assert {p.unit for p in waits.values()} == {"s"}
    assert waits["fabctl.promotion.lead_time"].attributes == {"environment": "test"}
    lead = waits["fabctl.promotion.lead_time"]
    assert max(lead.bounds) >= 7 * 86400  # promotions wait days: buckets reach a week
    assert lead.buckets[-1] == 0 and sum(lead.buckets) == 1  # ten minutes is inside the buckets, not past them
