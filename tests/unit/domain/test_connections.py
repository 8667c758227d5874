"""What a deployment does to a declared connection, from what Fabric lists of the existing one."""

from __future__ import annotations

import pytest

from fabctl.domain.connections import (
    ConnectionCannotChange,
    ConnectionChange,
    ConnectionChangeKind,
    ConnectionState,
    Credentials,
    DeclaredConnection,
    compare,
)
from fabctl.domain.dynamic_values import DynamicValue, parse_dynamic_value
from fabctl.domain.errors import InvalidConfiguration

DECLARED = DeclaredConnection(
    "sales-sql", "SQL", "srv;sales", (("server", "srv"), ("database", "sales")),
    Credentials("Basic", (("username", "svc"), ("password", "$secret:PW"))),
)  # fmt: skip
EXISTING = ConnectionState("c-1", "SQL", "srv;sales", "Organizational", "Basic", "NotEncrypted", False)
RESENT = "credentials sent again (Fabric never returns them)"


def test_a_missing_connection_is_created() -> None:
    assert compare(DECLARED, None) == ConnectionChange("sales-sql", ConnectionChangeKind.CREATE, "not in Fabric")


def test_matching_settings_are_a_no_op_whose_credentials_are_sent_again() -> None:
    assert compare(DECLARED, EXISTING) == ConnectionChange(
        "sales-sql", ConnectionChangeKind.NO_OP, f"settings match; {RESENT}", "c-1"
    )


def test_a_different_privacy_level_and_kind_are_an_update_naming_both() -> None:
    existing = ConnectionState("c-1", "sql", "SRV;sales", "Private", "Anonymous", "NotEncrypted", False)
    assert compare(DECLARED, existing) == ConnectionChange(
        "sales-sql", ConnectionChangeKind.UPDATE, f"differs: privacy_level, credentials.kind; {RESENT}", "c-1"
    )


@pytest.mark.parametrize(("existing", "field"), [
    (ConnectionState("c-1", "Web", "srv;sales", "Organizational", "Basic", "NotEncrypted", False), "type"),
    (ConnectionState("c-1", "SQL", "srv;other", "Organizational", "Basic", "NotEncrypted", False), "path"),
])  # fmt: skip
def test_what_fabric_cannot_patch_is_refused_naming_it(existing: ConnectionState, field: str) -> None:
    with pytest.raises(ConnectionCannotChange) as raised:
        compare(DECLARED, existing)
    assert str(raised.value) == field


@pytest.mark.parametrize("text", ["$connections.sales-sql.$id", "$connections.sales-sql.id"])
def test_a_connection_id_is_a_dynamic_value(text: str) -> None:
    assert parse_dynamic_value(text) == DynamicValue(text, "id", connection="sales-sql")


def test_a_connection_has_only_an_id() -> None:
    with pytest.raises(InvalidConfiguration, match=r"a connection has only \$id"):
        parse_dynamic_value("$connections.sales-sql.$path")
