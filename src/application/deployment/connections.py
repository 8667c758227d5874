"""parameter.yml's `semantic_model_binding`: after a semantic model is created or updated, bind it
to the connection the rules give for the environment, as fabric-cicd does (`GET /v1/connections`,
then `POST .../semanticModels/{id}/bindConnection` with the connection's own details).

Unlike fabric-cicd, which only logs a warning, an unknown connection id is an error: at planning time
`check_connections` refuses it before anything is written; `bind_model_connections` (run after the
model's write) raises `ConnectionNotFound` for one that disappeared in between.
"""

from __future__ import annotations

from collections.abc import Iterable

from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.errors import ItemNotFound
from fabctl.application.ports import ConnectionInfo, FabricGateway
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.parameters import ParameterRules

SEMANTIC_MODEL = "SemanticModel"


class ConnectionNotFound(ItemNotFound):
    """A connection named by semantic_model_binding is not among the connections fabctl can see."""


def _wanted(rules: ParameterRules, environment: str, model_names: Iterable[str]) -> list[tuple[str, str, str]]:
    """(model name, connection id, rule origin) for every model a rule binds in `environment`."""
    wanted = []
    for name in model_names:
        found = rules.model_connection(name, environment)
        if found is not None:
            wanted.append((name, *found))
    return wanted


def _by_id(connections: Iterable[ConnectionInfo]) -> dict[str, ConnectionInfo]:
    return {c.id.lower(): c for c in connections}  # Fabric's GUIDs compare case-insensitively


def _unknown(connection_id: str, model_name: str) -> str:
    return (
        f"connection '{connection_id}' (for semantic model '{model_name}') does not exist "
        "or is not visible to fabctl's identity"
    )


def check_connections(gateway: FabricGateway | None, inputs: DeploymentInputs) -> None:
    """Before any write: every connection the rules bind a source semantic model to must exist.

    One `list_connections` call, and none when no rule applies. Without a gateway nothing can be
    checked (binding would then fail after the write, with `ConnectionNotFound`).
    """
    models = [item.name for item in inputs.source if item.type == SEMANTIC_MODEL]
    wanted = _wanted(inputs.rules, inputs.environment.name, models)
    if not wanted or gateway is None:
        return
    known = _by_id(gateway.list_connections())
    for model_name, connection_id, origin in wanted:
        if connection_id.lower() not in known:
            raise InvalidConfiguration(_unknown(connection_id, model_name), subject=origin, field="connection_id")


def bind_model_connections(
    gateway: FabricGateway,
    workspace_id: str,
    model_id: str,
    model_name: str,
    rules: ParameterRules,
    environment: str,
) -> tuple[str, ...]:
    """Bind the deployed model to its connection for `environment`; the connection ids bound.

    Raises `ConnectionNotFound` for an unknown connection, and the gateway's errors for a refused
    bind. Binding the connection a model already has is harmless, so a retry may repeat it.
    """
    wanted = _wanted(rules, environment, [model_name])
    if not wanted:
        return ()
    known = _by_id(gateway.list_connections())
    bound = []
    for _, connection_id, origin in wanted:
        connection = known.get(connection_id.lower())
        if connection is None:
            raise ConnectionNotFound(
                rules.redactions().redact(f"{origin}, field 'connection_id': {_unknown(connection_id, model_name)}"),
                error_code="ConnectionNotFound",
            )
        gateway.bind_semantic_model_connection(workspace_id, model_id, connection)
        bound.append(connection.id)
    return tuple(bound)


def unbound_connections(
    gateway: FabricGateway, workspace_id: str, model_id: str, model_name: str, rules: ParameterRules, environment: str
) -> tuple[str, ...]:
    """The connection ids the rules want for the deployed model that it is not bound to (one read).

    A model's binding is not in its definition, so an unchanged model whose rule changed, or whose
    binding was changed by hand, is found only by asking the workspace.
    """
    wanted = _wanted(rules, environment, [model_name])
    if not wanted:
        return ()
    bound = {c.id.lower() for c in gateway.list_item_connections(workspace_id, model_id)}
    return tuple(connection_id for _, connection_id, _ in wanted if connection_id.lower() not in bound)
