"""What an Azurite account holds, to show that a refused command wrote nothing, and SAS connection
strings of chosen permissions, signed with the development key as a storage account signs them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient, generate_account_sas
from azurite_process import ACCOUNT, ACCOUNT_KEY, RunningAzurite

# What docs/state.md tells a SAS for fabctl's state needs.
DOCUMENTED_SAS = {"permission": "rwdlacu", "services": "bt", "resource_types": "sco"}


def contents(azurite: RunningAzurite) -> dict[str, Any]:
    """Every table with its entities and every container with its blobs' names."""
    with account(azurite) as (tables, blobs):
        return {
            "tables": {
                t.name: sorted(str(dict(e)) for e in tables.get_table_client(t.name).list_entities())
                for t in tables.list_tables()
            },
            "containers": {
                c.name: sorted(b.name for b in blobs.get_container_client(c.name).list_blobs())
                for c in blobs.list_containers()
            },
        }


@contextmanager
def account(azurite: RunningAzurite) -> Iterator[tuple[TableServiceClient, BlobServiceClient]]:
    """The account's service clients, with the development key; closed after use, since a connection
    left open keeps Azurite from stopping until its stop timeout."""
    with (
        TableServiceClient.from_connection_string(azurite.connection_string) as tables,
        BlobServiceClient.from_connection_string(azurite.connection_string) as blobs,
    ):
        yield tables, blobs


def account_sas(permission: str, *, services: str = "bt", resource_types: str = "sco") -> str:
    """An account SAS token (`sv=...&sig=...`) valid for an hour."""
    expiry = datetime.now(UTC) + timedelta(hours=1)
    return generate_account_sas(ACCOUNT, ACCOUNT_KEY, resource_types, permission, expiry, services=services)


def sas_connection_string(azurite: RunningAzurite, token: str) -> str:
    return f"BlobEndpoint={azurite.blob_url};TableEndpoint={azurite.table_url};SharedAccessSignature={token}"


def signature(token: str) -> str:
    """The secret part of a SAS token: its `sig` value."""
    return dict(part.split("=", 1) for part in token.split("&"))["sig"]
