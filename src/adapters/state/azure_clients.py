"""The Azure state store's two clients, opened and checked before any state is read or written.

A deploy that finds out half-way that its identity may only read would leave a workspace written and
no journal of it. So the clients are checked once, when they are opened (once per process: the
composition root keeps them), in an order that writes nothing until everything has been allowed:

1. a read of each: the table (a query of a partition no entity is in) and the container (its
   properties). A missing one is noted; with creation refused, that is the error.
2. a write of each that cannot take effect: an update and a delete of an entity, and an upload of a
   blob, each conditional on an ETag nothing has. The service checks the permission before the
   condition or the target's existence, so an allowed write answers 412 or 404 and a refused one 403,
   and nothing is written either way; also not into a table or container that does not exist yet.
3. the missing table or container is created.

A read-only identity is thus refused before anything is created. The checks use short timeouts and
one retry, so a host that does not answer ends the command in seconds; the clients keep bounded
timeouts and retries for the store's own calls.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from azure.core import MatchConditions
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError
from azure.data.tables import TableClient, UpdateMode
from azure.storage.blob import ContainerClient, ExponentialRetry

from fabctl.adapters.state.azure_account import AccountEndpoints, connection_facts
from fabctl.adapters.state.azure_refusals import (
    Part,
    Reach,
    Step,
    StorageUnusable,
    Verb,
    error_code,
    refusal,
    shown_endpoint,
)

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 30
RETRIES = 3
CHECK: dict[str, Any] = {"retry_total": 1, "connection_timeout": 5, "read_timeout": 5}  # per call of the checks
PROBE_PARTITION = "fabctl-preflight"  # no entity is ever written there
NO_ENTITY_ETAG = "W/\"datetime'1970-01-01T00%3A00%3A00.0000000Z'\""  # no entity has it
NO_BLOB_ETAG = '"0x0"'
PROBE_BLOB = "fabctl-preflight"
FOUND_NOTHING = ("TableNotFound", "ContainerNotFound")
WROTE_NOTHING = ("TableNotFound", "ResourceNotFound", "UpdateConditionNotSatisfied")
UPLOADED_NOTHING = ("ContainerNotFound", "BlobNotFound", "ConditionNotMet")
ALREADY_THERE = ("TableAlreadyExists", "ContainerAlreadyExists")


def _table_options() -> dict[str, Any]:
    return {"connection_timeout": CONNECT_TIMEOUT_S, "read_timeout": READ_TIMEOUT_S, "retry_total": RETRIES}


def _blob_options() -> dict[str, Any]:
    # Blob's default retry waits 15 s before its first retry: too long for a command line.
    retry = ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=RETRIES)
    return {"connection_timeout": CONNECT_TIMEOUT_S, "read_timeout": READ_TIMEOUT_S, "retry_policy": retry}


def open_with_connection_string(
    connection_string: str, *, table: str, container: str, create: bool
) -> tuple[TableClient, ContainerClient]:
    """The checked clients of the account a connection string names (a key, a SAS, or Azurite's)."""
    try:
        facts = connection_facts(connection_string)
    except ValueError as e:
        raise StorageUnusable(str(e), part="access") from None
    service = "table"
    try:
        tables = TableClient.from_connection_string(connection_string, table_name=table, **_table_options())
        service = "blob"
        blobs = ContainerClient.from_connection_string(connection_string, container_name=container, **_blob_options())
    except ValueError:  # the SDK's text says only "malformed" or "missing required connection details"
        raise StorageUnusable(
            f"the connection string gives no {service} endpoint: it needs AccountName and AccountKey "
            "(or a SharedAccessSignature with TableEndpoint and BlobEndpoint)",
            part="access",
        ) from None
    check(tables, blobs, Reach(facts.account, facts.access), create=create)
    return tables, blobs


def open_with_credential(
    endpoints: AccountEndpoints, credential: TokenCredential, *, table: str, container: str, create: bool
) -> tuple[TableClient, ContainerClient]:
    """The checked clients of an account reached with an azure-identity credential."""
    tables = TableClient(endpoints.table_url, table_name=table, credential=credential, **_table_options())
    blobs = ContainerClient(endpoints.blob_url, container, credential=credential, **_blob_options())
    check(tables, blobs, Reach(endpoints.account, "identity", credential), create=create)
    return tables, blobs


def check(tables: TableClient, blobs: ContainerClient, reach: Reach, *, create: bool) -> None:
    """Refuse, with one `StorageUnusable`, clients the store could not use to the end; see the module."""
    table = Step("read", "table", tables.table_name, tables.url)
    container = Step("read", "blob", blobs.container_name, _service_url(blobs))
    table_found = _call(lambda: _read_nothing(tables), table, reach, FOUND_NOTHING) is None
    container_found = _call(lambda: blobs.get_container_properties(**CHECK), container, reach, FOUND_NOTHING) is None
    found: tuple[tuple[bool, Step, Part], ...] = (
        (table_found, table, "table"),
        (container_found, container, "container"),
    )
    for there, step, part in found:
        if not there and not create:
            raise StorageUnusable(
                f"{step.target} does not exist in account '{reach.account}'",
                part=part,
                creation_refused=True,
            )
    writing, uploading = _as(table, "write to"), _as(container, "write to")
    _call(lambda: _update_nothing(tables), writing, reach, WROTE_NOTHING)
    _call(lambda: _delete_nothing(tables), writing, reach, WROTE_NOTHING)
    _call(lambda: _upload_nothing(blobs), uploading, reach, UPLOADED_NOTHING)
    if not table_found:
        _call(lambda: tables.create_table(**CHECK), _as(table, "create"), reach, ALREADY_THERE)
    if not container_found:
        _call(lambda: blobs.create_container(**CHECK), _as(container, "create"), reach, ALREADY_THERE)


def _service_url(blobs: ContainerClient) -> str:
    """The blob service's URL: the container's, without the container (and without a SAS query)."""
    return shown_endpoint(blobs.url).removesuffix(f"/{blobs.container_name}")


def _as(step: Step, verb: Verb) -> Step:
    return Step(verb, step.service, step.name, step.endpoint)


def _call(action: Callable[[], object], step: Step, reach: Reach, answers: Collection[str]) -> str | None:
    """None when `action` succeeds; the error code when it is one of the expected `answers`."""
    try:
        action()
    except HttpResponseError as e:
        if error_code(e) in answers:
            return error_code(e)
        raise refusal(e, step, reach) from e
    except AzureError as e:
        raise refusal(e, step, reach) from e
    return None


def _read_nothing(tables: TableClient) -> None:
    found = tables.query_entities(
        "PartitionKey eq @partition",
        parameters={"partition": PROBE_PARTITION},
        results_per_page=1,
        select=["RowKey"],
        **CHECK,
    )
    next(iter(found), None)


def _update_nothing(tables: TableClient) -> None:
    tables.update_entity(
        {"PartitionKey": PROBE_PARTITION, "RowKey": "write-check"},
        mode=UpdateMode.MERGE,
        etag=NO_ENTITY_ETAG,
        match_condition=MatchConditions.IfNotModified,
        **CHECK,
    )


def _delete_nothing(tables: TableClient) -> None:
    tables.delete_entity(
        PROBE_PARTITION, "write-check", etag=NO_ENTITY_ETAG, match_condition=MatchConditions.IfNotModified, **CHECK
    )


def _upload_nothing(blobs: ContainerClient) -> None:
    blobs.upload_blob(
        PROBE_BLOB, b"", overwrite=True, etag=NO_BLOB_ETAG, match_condition=MatchConditions.IfNotModified, **CHECK
    )
