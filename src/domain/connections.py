"""Fabric connections declared per environment in workspace-config.yaml, and what a deployment does to each.

A declared connection holds no secret value: a credential field that is a secret keeps its
`$secret:NAME` marker, read only when the connection is written (see `application/deployment/
connection_writes.py`). Fabric never returns a connection's credentials, so a connection that exists
has its credentials sent again on every deployment (ADR 0051): the plan compares everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The credential kinds fabctl writes, each with its fields as workspace-config.yaml names them and as
# Fabric's `credentials` object names them; the fields that must be `$secret:NAME`.
CREDENTIAL_FIELDS: dict[str, dict[str, str]] = {
    "Anonymous": {},
    "Basic": {"username": "username", "password": "password"},
    "Key": {"key": "key"},
    "ServicePrincipal": {
        "tenant_id": "tenantId",
        "client_id": "servicePrincipalClientId",
        "client_secret": "servicePrincipalSecret",
    },
}
SECRET_FIELDS = frozenset({"password", "key", "client_secret"})
PRIVACY_LEVELS = ("None", "Public", "Organizational", "Private")
ENCRYPTIONS = ("NotEncrypted", "Encrypted", "Any")
CONNECTION_SUBJECT = "Connection"  # the step item of a connection write: "<name>.Connection"


@dataclass(frozen=True)
class Credentials:
    """A credential kind and its fields (config name -> a literal value or a `$secret:NAME` marker)."""

    kind: str
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeclaredConnection:
    """A shareable cloud connection an environment needs; `name` is its display name in Fabric."""

    name: str
    connection_type: str  # connectionDetails.type, e.g. "SQL"
    path: str  # connectionDetails.path as Fabric lists it, e.g. "server.database.windows.net;sales"
    parameters: tuple[tuple[str, str], ...]  # connectionDetails.parameters to create it, in order
    credentials: Credentials
    privacy_level: str = "Organizational"
    connection_encryption: str = "NotEncrypted"
    skip_test_connection: bool = False
    field: str = ""  # where it is declared, e.g. "environments.prod.connections.sales-sql"

    @property
    def step_item(self) -> str:
        return f"{self.name}.{CONNECTION_SUBJECT}"


@dataclass(frozen=True)
class ConnectionState:
    """What Fabric lists of an existing connection (never its credentials)."""

    id: str
    connection_type: str
    path: str
    privacy_level: str
    credential_type: str
    connection_encryption: str
    skip_test_connection: bool


class ConnectionChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    NO_OP = "no-op"


@dataclass(frozen=True)
class ConnectionChange:
    """What a deployment does to one declared connection; `reason` never holds a credential value."""

    name: str
    kind: ConnectionChangeKind
    reason: str
    connection_id: str = ""  # "" until it is created


class ConnectionCannotChange(ValueError):
    """What Fabric cannot change on an existing connection (its type or data source) differs."""


RESENT = "credentials sent again (Fabric never returns them)"


def compare(declared: DeclaredConnection, existing: ConnectionState | None) -> ConnectionChange:
    """The change that makes `existing` what `declared` says; raises `ConnectionCannotChange` naming
    the field when only a new connection could (Fabric's PATCH takes no connectionDetails)."""
    if existing is None:
        return ConnectionChange(declared.name, ConnectionChangeKind.CREATE, "not in Fabric")
    if existing.connection_type.casefold() != declared.connection_type.casefold():
        raise ConnectionCannotChange("type")
    if existing.path.rstrip("/").casefold() != declared.path.rstrip("/").casefold():
        raise ConnectionCannotChange("path")
    differences = [
        what
        for what, now, wanted in (
            ("privacy_level", existing.privacy_level, declared.privacy_level),
            ("credentials.kind", existing.credential_type, declared.credentials.kind),
            ("connection_encryption", existing.connection_encryption, declared.connection_encryption),
            ("skip_test_connection", str(existing.skip_test_connection), str(declared.skip_test_connection)),
        )
        if now.casefold() != wanted.casefold()
    ]
    if differences:
        reason = f"differs: {', '.join(differences)}; {RESENT}"
        return ConnectionChange(declared.name, ConnectionChangeKind.UPDATE, reason, existing.id)
    return ConnectionChange(declared.name, ConnectionChangeKind.NO_OP, f"settings match; {RESENT}", existing.id)
