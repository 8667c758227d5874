"""What a deployment does to the connections its environment declares (workspace-config.yaml):
create the missing ones, update those whose settings differ, leave the rest; and the credentials
each write sends, read from the secret store only then (never kept: see ADR 0051).

Every secret a declared connection names is read when planning, so a missing one is refused
before any write, naming the secret, where it was looked for and the field that names it.
"""

from __future__ import annotations

from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.ports import ConnectionInfo, ConnectionWrite, FabricGateway
from fabctl.domain.connections import (
    CREDENTIAL_FIELDS,
    ConnectionCannotChange,
    ConnectionChange,
    ConnectionState,
    DeclaredConnection,
    compare,
)
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.redaction import secret_name


def plan_connections(gateway: FabricGateway | None, inputs: DeploymentInputs) -> tuple[ConnectionChange, ...]:
    """One change per declared connection, in the order declared; one `list_connections` call."""
    declared = inputs.environment.connections
    if not declared:
        return ()
    for connection in declared:
        credentials_of(connection, inputs)  # a secret that cannot be read is refused now
    existing = {c.display_name.casefold(): c for c in gateway.list_connections()} if gateway is not None else {}
    changes = []
    for connection in declared:
        found = existing.get(connection.name.casefold())
        try:
            changes.append(compare(connection, _state(found) if found is not None else None))
        except ConnectionCannotChange as e:
            assert found is not None
            field = "type" if str(e) == "type" else "path"
            raise InvalidConfiguration(
                f"connection '{found.display_name}' ({found.id}) exists with {field} "
                f"'{found.connection_type if field == 'type' else found.path}', which Fabric cannot change: "
                "give the connection another name, or delete the existing one",
                subject=inputs.config.source,
                field=f"{connection.field}.{field}",
            ) from None
    return tuple(changes)


def _state(info: ConnectionInfo) -> ConnectionState:
    return ConnectionState(
        info.id, info.connection_type, info.path, info.privacy_level, info.credential_type,
        info.connection_encryption, info.skip_test_connection,
    )  # fmt: skip


def credentials_of(connection: DeclaredConnection, inputs: DeploymentInputs) -> dict[str, str]:
    """The connection's credentials in Fabric's field names, each `$secret:NAME` read from the store."""
    names = CREDENTIAL_FIELDS[connection.credentials.kind]
    resolved = {}
    for field, value in connection.credentials.fields:
        secret = secret_name(value)
        if secret is None:
            resolved[names[field]] = value
            continue
        try:
            resolved[names[field]] = inputs.rules.secret(secret)
        except InvalidConfiguration as e:
            raise InvalidConfiguration(
                e.message, subject=inputs.config.source, field=f"{connection.field}.credentials.{field}"
            ) from None
    return resolved


def connection_write(connection: DeclaredConnection, inputs: DeploymentInputs) -> ConnectionWrite:
    return ConnectionWrite(
        display_name=connection.name,
        connection_type=connection.connection_type,
        parameters=connection.parameters,
        privacy_level=connection.privacy_level,
        connection_encryption=connection.connection_encryption,
        skip_test_connection=connection.skip_test_connection,
        credential_type=connection.credentials.kind,
        credentials=credentials_of(connection, inputs),
    )
