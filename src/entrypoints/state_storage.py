"""The Azure state store's clients, from the settings: opened, checked, and refused in the settings' words.

The adapter (`adapters/state/azure_clients.py`) knows which of its inputs is at fault; here that
becomes the setting, and where it was set, so the one line a user reads names what to change.
"""

from __future__ import annotations

from collections.abc import Callable

from azure.core.credentials import TokenCredential
from azure.data.tables import TableClient
from azure.storage.blob import ContainerClient

from fabctl.adapters.state.azure_account import account_endpoints
from fabctl.adapters.state.azure_clients import open_with_connection_string, open_with_credential
from fabctl.adapters.state.azure_refusals import StorageUnusable
from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.settings import SUBJECT, Settings, check_storage_account, connection_string, setting_origin


def open_state_storage(
    settings: Settings, credential_for: Callable[[str], object | None]
) -> tuple[TableClient, ContainerClient]:
    """The table and container clients the settings name, checked (`azure_clients.check`), or
    `InvalidConfiguration` naming the setting at fault. `credential_for(url)` gives the identity."""
    check_storage_account(settings)
    secret = connection_string(settings)
    table, container, create = settings.state_table, settings.state_container, settings.state_create
    try:
        if secret:
            return open_with_connection_string(secret, table=table, container=container, create=create)
        endpoints = account_endpoints(settings.storage_account_url)
        credential = credential_for(endpoints.table_url)
        if not isinstance(credential, TokenCredential):  # none only for a loopback URL, which the settings refuse
            raise TypeError(f"no azure-identity credential for {endpoints.table_url}")
        return open_with_credential(endpoints, credential, table=table, container=container, create=create)
    except StorageUnusable as e:
        raise _in_settings_words(e, via="storage_connection_string" if secret else "storage_account_url") from None


def _in_settings_words(error: StorageUnusable, *, via: str) -> InvalidConfiguration:
    key = {"access": via, "table": "state_table", "container": "state_container"}[error.part]
    problem = error.problem
    if error.creation_refused:
        allowed = setting_origin("state_create")
        problem += f", and state_create is false ({allowed}): create it, or set state_create to true so fabctl does"
    return InvalidConfiguration(f"{problem} ({setting_origin(key)})", subject=SUBJECT, field=key)
