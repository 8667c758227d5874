"""An empty Azure state store (a fresh table and container) on a running Azurite, for tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.blob import BlobServiceClient, ContainerClient
from azurite_process import RunningAzurite, fresh_name, running_azurite


@dataclass(frozen=True)
class AzureStateStore:
    tables: TableClient
    blobs: ContainerClient


def fresh_store(azurite: RunningAzurite) -> AzureStateStore:
    tables = TableServiceClient.from_connection_string(azurite.connection_string).create_table(fresh_name("state"))
    blobs = BlobServiceClient.from_connection_string(azurite.connection_string).create_container(fresh_name("state"))
    return AzureStateStore(tables, blobs)


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAzurite]:
    """One Azurite for the test module; each test makes its own table and container."""
    workdir: Path = tmp_path_factory.mktemp("azurite")
    with running_azurite(workdir) as running:
        yield running
