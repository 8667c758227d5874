"""workspace-config.yaml's `connections:` as users write them: parsed with their `$secret:` markers kept
(no secret is read with the file), and every mistake one error naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabctl.adapters.source.config_files import read_release_config
from fabctl.domain.connections import Credentials, DeclaredConnection
from fabctl.domain.errors import InvalidConfiguration

HEAD = "environments:\n  prod:\n    workspace: Sales (prod)\n    connections:\n"
SALES_SQL = (
    '      sales-sql: {type: SQL, path: "contoso-prod.database.windows.net;sales", credentials: {kind: Basic, '
    'username: svc_sales, password: "$secret:SALES_SQL_PASSWORD"}, privacy_level: Organizational}\n'
)


def read(tmp_path: Path, connections: str) -> tuple[DeclaredConnection, ...]:
    path = tmp_path / "workspace-config.yaml"
    path.write_text(HEAD + connections, "utf-8")
    return read_release_config(str(path)).environment("prod").connections


def refused(tmp_path: Path, connections: str) -> InvalidConfiguration:
    with pytest.raises(InvalidConfiguration) as raised:
        read(tmp_path, connections)
    assert raised.value.subject == str(tmp_path / "workspace-config.yaml")
    return raised.value


def test_a_basic_sql_connection_keeps_its_secret_as_a_marker(tmp_path: Path) -> None:
    assert read(tmp_path, SALES_SQL) == (
        DeclaredConnection(
            name="sales-sql",
            connection_type="SQL",
            path="contoso-prod.database.windows.net;sales",
            parameters=(("server", "contoso-prod.database.windows.net"), ("database", "sales")),
            credentials=Credentials("Basic", (("username", "svc_sales"), ("password", "$secret:SALES_SQL_PASSWORD"))),
            privacy_level="Organizational",
            field="environments.prod.connections.sales-sql",
        ),
    )


def test_key_and_service_principal_credentials_with_parameters(tmp_path: Path) -> None:
    found = read(
        tmp_path,
        "      api: {type: Web, parameters: {url: 'https://api.contoso.com'}, credentials: {kind: Key, "
        "key: '$secret:API_KEY'}, privacy_level: Private}\n"
        "      lake: {type: AzureDataLakeStorage, parameters: {server: 'https://contoso.dfs.core.windows.net', "
        "path: raw}, credentials: {kind: ServicePrincipal, tenant_id: t-1, client_id: c-1, "
        "client_secret: '$secret:LAKE_SECRET'}}\n",
    )
    assert [(c.name, c.path, c.credentials, c.privacy_level) for c in found] == [
        ("api", "https://api.contoso.com", Credentials("Key", (("key", "$secret:API_KEY"),)), "Private"),
        (
            "lake",
            "https://contoso.dfs.core.windows.net;raw",
            Credentials(
                "ServicePrincipal",
                (("tenant_id", "t-1"), ("client_id", "c-1"), ("client_secret", "$secret:LAKE_SECRET")),
            ),
            "Organizational",
        ),
    ]


def test_a_literal_password_is_refused_naming_its_field(tmp_path: Path) -> None:
    error = refused(tmp_path, SALES_SQL.replace('"$secret:SALES_SQL_PASSWORD"', "hunter2"))
    assert error.field == "environments.prod.connections.sales-sql.credentials.password"
    assert error.message.startswith("must be '$secret:NAME'") and "hunter2" not in error.message


def test_a_secret_outside_a_connections_credentials_is_still_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, SALES_SQL.replace("type: SQL", "type: '$secret:KIND'"))
    assert error.field == "environments.prod.connections.sales-sql.type"
    assert "only in a connection's credentials" in error.message and "replace_value in parameter.yml" in error.message


def test_a_marker_that_is_not_the_whole_value_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, SALES_SQL.replace('"$secret:SALES_SQL_PASSWORD"', "pre-$secret:X"))
    assert error.field == "environments.prod.connections.sales-sql.credentials.password"
    assert error.message == "'$secret:NAME' must be the whole value (it is replaced by the secret NAME)"


def test_an_unknown_credential_kind_names_the_field(tmp_path: Path) -> None:
    error = refused(tmp_path, SALES_SQL.replace("kind: Basic", "kind: Basik"))
    assert error.field.startswith("environments.prod.connections.sales-sql.credentials")


def test_a_sql_path_without_a_database_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, SALES_SQL.replace(";sales", ""))
    assert (error.field, error.message) == (
        "environments.prod.connections.sales-sql.path",
        "a SQL connection's path is '<server>;<database>'",
    )


def test_a_type_other_than_sql_needs_its_parameters(tmp_path: Path) -> None:
    error = refused(tmp_path, SALES_SQL.replace("type: SQL", "type: Web"))
    assert error.field == "environments.prod.connections.sales-sql.parameters"


def test_two_names_fabric_takes_for_one_are_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, SALES_SQL + SALES_SQL.replace("sales-sql:", "Sales-SQL:"))
    assert error.field == "environments.prod.connections.Sales-SQL"
    assert error.message == "names the same connection as 'sales-sql' (Fabric ignores case)"


def test_an_unknown_privacy_level_names_the_field(tmp_path: Path) -> None:
    error = refused(tmp_path, SALES_SQL.replace("privacy_level: Organizational", "privacy_level: Secret"))
    assert error.field == "environments.prod.connections.sales-sql.privacy_level"
