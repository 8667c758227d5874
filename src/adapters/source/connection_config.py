"""The `connections:` block of an environment in workspace-config.yaml (docs/connections.md)::

    connections:
      sales-sql:
        type: SQL
        path: "contoso-prod.database.windows.net;sales"
        credentials: {kind: Basic, username: svc_sales, password: "$secret:SALES_SQL_PASSWORD"}
        privacy_level: Organizational

A credential's secret field (`password`, `key`, `client_secret`) must be a whole `$secret:NAME`: the
file is in git, shown in plans and pinned by promotions, so a literal secret there would be one
leaked. `$secret:` is taken in a connection's `credentials` only (`secret_fields`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from fabctl.adapters.source.secret_markers import check_whole_secret
from fabctl.domain.connections import (
    CREDENTIAL_FIELDS,
    ENCRYPTIONS,
    PRIVACY_LEVELS,
    SECRET_FIELDS,
    Credentials,
    DeclaredConnection,
)
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.redaction import SECRET_MARKER, secret_name

# Where a `$secret:` value may stand in workspace-config.yaml: a field of a connection's credentials.
SECRET_FIELD = re.compile(r"environments\.[^.]+\.connections\.[^.]+\.credentials\.[a-z_]+")


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnonymousModel(_Strict):
    kind: Literal["Anonymous"]


class BasicModel(_Strict):
    kind: Literal["Basic"]
    username: Text
    password: Text


class KeyModel(_Strict):
    kind: Literal["Key"]
    key: Text


class ServicePrincipalModel(_Strict):
    kind: Literal["ServicePrincipal"]
    tenant_id: Text
    client_id: Text
    client_secret: Text


CredentialsModel = Annotated[
    AnonymousModel | BasicModel | KeyModel | ServicePrincipalModel, Field(discriminator="kind")
]


class ConnectionModel(_Strict):
    type: Text
    path: Text | None = None
    parameters: dict[Text, Text] | None = None  # connectionDetails.parameters; derived from `path` for SQL
    credentials: CredentialsModel
    privacy_level: Literal[PRIVACY_LEVELS] = "Organizational"  # type: ignore[valid-type]
    connection_encryption: Literal[ENCRYPTIONS] = "NotEncrypted"  # type: ignore[valid-type]
    skip_test_connection: bool = False


def check_secret_marker(where: str, value: str, subject: str) -> None:
    """A `$secret:` in workspace-config.yaml: only a whole `$secret:NAME` in a connection's credentials."""
    if not SECRET_FIELD.fullmatch(where):
        raise InvalidConfiguration(
            f"'{SECRET_MARKER}NAME' is taken in the workspace configuration only in a connection's credentials "
            "(environments.<env>.connections.<name>.credentials); elsewhere use it as a replace_value in "
            "parameter.yml",
            subject=subject,
            field=where,
        )
    check_whole_secret(value, subject, where)


def declared_connections(
    models: dict[str, ConnectionModel], subject: str, environment: str
) -> tuple[DeclaredConnection, ...]:
    seen: dict[str, str] = {}
    declared = []
    for name, model in models.items():
        where = f"environments.{environment}.connections.{name}"
        if name.casefold() in seen:  # Fabric's display names are unique whatever their case
            raise InvalidConfiguration(
                f"names the same connection as '{seen[name.casefold()]}' (Fabric ignores case)",
                subject=subject,
                field=where,
            )
        seen[name.casefold()] = name
        declared.append(_declared(name, model, subject, where))
    return tuple(declared)


def _declared(name: str, model: ConnectionModel, subject: str, where: str) -> DeclaredConnection:
    credentials = model.credentials
    fields = tuple((f, getattr(credentials, f)) for f in CREDENTIAL_FIELDS[credentials.kind])
    for field, value in fields:
        if field in SECRET_FIELDS and secret_name(value) is None:
            raise InvalidConfiguration(
                f"must be '{SECRET_MARKER}NAME' (a secret read when the connection is written): this file is "
                "in git, shown in plans and pinned by promotions, so it never holds a secret's value",
                subject=subject,
                field=f"{where}.credentials.{field}",
            )
    parameters = _parameters(model, subject, where)
    path = model.path if model.path is not None else ";".join(v for _, v in parameters)
    return DeclaredConnection(
        name=name,
        connection_type=model.type,
        path=path,
        parameters=parameters,
        credentials=Credentials(credentials.kind, fields),
        privacy_level=model.privacy_level,
        connection_encryption=model.connection_encryption,
        skip_test_connection=model.skip_test_connection,
        field=where,
    )


def _parameters(model: ConnectionModel, subject: str, where: str) -> tuple[tuple[str, str], ...]:
    """Fabric creates a connection from its parameters and lists their values, `;`-joined, as its path."""
    if model.parameters is not None:
        return tuple(model.parameters.items())
    if model.path is None:
        raise InvalidConfiguration("is required: set 'path' or 'parameters'", subject=subject, field=f"{where}.path")
    if model.type.casefold() == "sql":
        server, semicolon, database = model.path.partition(";")
        if semicolon and server.strip() and database.strip() and ";" not in database:
            return (("server", server.strip()), ("database", database.strip()))
        raise InvalidConfiguration(
            "a SQL connection's path is '<server>;<database>'", subject=subject, field=f"{where}.path"
        )
    raise InvalidConfiguration(
        f"is required for a {model.type} connection: its creation parameters by name (Fabric's "
        "connectionDetails.parameters), e.g. {url: https://...}",
        subject=subject,
        field=f"{where}.parameters",
    )
