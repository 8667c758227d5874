"""What real Fabric answered, route by route, as data: the facts of
docs/reference/fabric-recorded-behaviour.md restated (not a copied trace), for the conformance suite
(tests/integration/test_emulator_conformance.py).

One `RecordedRoute` per recorded route. To add one: give its method, its path with `{placeholders}`
(filled from the ids the suite's tenant provides: see `PLACEHOLDERS`), the body fabric-cicd sends,
the recorded status, key paths and headers. Key paths (`key_paths`):
- `a.b`      key `b` of the object under `a`;
- `a.{b,c}`  both `a.b` and `a.c` (braces nest: `a.{b, c.{d, e}}`);
- `value[]`  every element of the list `value` (the list must not be empty: the suite's tenant holds
             one of each thing, so an empty list would prove nothing);
- `k?`       `k` may be absent (recorded as sometimes present, e.g. `folderId?`);
- `k.*`      `k` is an object, whatever its keys.
A key that is present with the value null counts as present: Fabric sends nulls (`error`, `gatewayId`).
Headers: name -> expected value, or `PRESENT` when any value will do; `Content-Type` is always checked.
No key paths (`""`): the body is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"  # every JSON answer unless the recording says otherwise
PRESENT = "<present>"
FABRIC_CICD_HEADERS = {"User-Agent": "ms-fabric-cicd/1.4.0", "Content-Type": "application/json; charset=utf-8"}
FABRIC_CICD_GET_BODY = "{}"  # fabric-cicd sends the JSON string "{}" with every request, GETs included

# What the suite's tenant provides for a path's placeholders.
PLACEHOLDERS = (
    "workspaceId", "lakehouseId", "warehouseId", "sqlDatabaseId", "mirroredDatabaseId", "eventhouseId",
    "kqlDatabaseId", "variableLibraryId", "environmentId", "runningOperationId", "finishedOperationId",
    "elsewhereId",
)  # fmt: skip

ITEM_KEYS = "id, type, displayName, description, workspaceId"
SQL_ENDPOINT = "sqlEndpointProperties.{id, connectionString, provisioningStatus}"


@dataclass(frozen=True)
class RecordedRoute:
    route: str  # as the reference names it, e.g. "GET /v1/workspaces/{id}"
    method: str
    path: str  # with placeholders, e.g. "/v1/workspaces/{workspaceId}"
    status: int
    key_paths: str  # see the module docstring; whitespace is ignored
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    body: Any = FABRIC_CICD_GET_BODY


RECORDED_ROUTES: tuple[RecordedRoute, ...] = (
    RecordedRoute(
        "GET /v1/workspaces/{id}",
        "GET",
        "/v1/workspaces/{workspaceId}",
        200,
        "id, displayName, description, type, capacityId, capacityRegion, capacityAssignmentProgress, "
        "oneLakeEndpoints.{blobEndpoint, dfsEndpoint}",
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/items",
        "GET",
        "/v1/workspaces/{workspaceId}/items",
        200,
        "value[].{id, type, displayName, description, workspaceId, folderId?, sensitivityLabel.id}",
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/folders",
        "GET",
        "/v1/workspaces/{workspaceId}/folders",
        200,
        "value[].{id, displayName, workspaceId, parentFolderId?}",
    ),
    RecordedRoute(
        "POST /v1/workspaces/{id}/folders",
        "POST",
        "/v1/workspaces/{workspaceId}/folders",
        201,
        "id, displayName, workspaceId",
        # The value is checked by the suite against the new folder's id.
        headers={"Location": PRESENT},
        body={"displayName": "Recorded folder"},
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/lakehouses/{id}",
        "GET",
        "/v1/workspaces/{workspaceId}/lakehouses/{lakehouseId}",
        200,
        f"{ITEM_KEYS}, sensitivityLabel.id, "
        f"properties.{{oneLakeFilesPath, oneLakeTablesPath, defaultSchema, {SQL_ENDPOINT}}}",
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/warehouses/{id}",
        "GET",
        "/v1/workspaces/{workspaceId}/warehouses/{warehouseId}",
        200,
        f"{ITEM_KEYS}, properties.{{connectionString, createdDate, lastUpdatedTime, collationType}}",
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/sqldatabases/{id}",
        "GET",
        "/v1/workspaces/{workspaceId}/sqldatabases/{sqlDatabaseId}",
        200,
        f"{ITEM_KEYS}, sensitivityLabel.id, "
        "properties.{backupRetentionDays, collation, connectionInfo, connectionString, databaseName, serverFqdn}",
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/mirroreddatabases/{id}",
        "GET",
        "/v1/workspaces/{workspaceId}/mirroreddatabases/{mirroredDatabaseId}",
        200,
        f"{ITEM_KEYS}, properties.{SQL_ENDPOINT}",
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/eventhouses/{id}",
        "GET",
        "/v1/workspaces/{workspaceId}/eventhouses/{eventhouseId}",
        200,
        f"{ITEM_KEYS}, sensitivityLabel.id, "
        "properties.{databasesItemIds, ingestionServiceUri, queryServiceUri, minimumConsumptionUnits}",
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/kqlDatabases/{id}",
        "GET",
        "/v1/workspaces/{workspaceId}/kqlDatabases/{kqlDatabaseId}",
        200,
        f"{ITEM_KEYS}, sensitivityLabel.id, "
        "properties.{databaseType, parentEventhouseItemId, ingestionServiceUri, queryServiceUri}",
    ),
    RecordedRoute(
        "PATCH /v1/workspaces/{id}/VariableLibraries/{id}",
        "PATCH",
        "/v1/workspaces/{workspaceId}/VariableLibraries/{variableLibraryId}",
        200,
        f"{ITEM_KEYS}, sensitivityLabel.id, properties.{{$type, activeValueSetName}}",
        body={"properties": {"activeValueSetName": "prod"}},
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/environments/",
        "GET",
        "/v1/workspaces/{workspaceId}/environments/",
        200,
        f"value[].{{{ITEM_KEYS}, properties.publishDetails.{{state, targetVersion, startTime, endTime, "
        "componentPublishInfo.{sparkLibraries.state, sparkSettings.state}}}",
    ),
    RecordedRoute(
        "POST /v1/workspaces/{id}/environments/{id}/staging/publish?beta=...",
        "POST",
        "/v1/workspaces/{workspaceId}/environments/{environmentId}/staging/publish?beta=False",
        202,
        "",
        headers={"Location": PRESENT, "Retry-After": "120", "x-ms-operation-id": PRESENT},
        content_type="application/octet-stream",
    ),
    RecordedRoute(
        "GET /v1/workspaces/{id}/items/{id}/shortcuts",
        "GET",
        "/v1/workspaces/{workspaceId}/items/{lakehouseId}/shortcuts",
        200,
        "value[]",
        content_type="application/json",
    ),
    RecordedRoute(
        "POST /v1/workspaces/{id}/items/{id}/shortcuts?shortcutConflictPolicy=...",
        "POST",
        "/v1/workspaces/{workspaceId}/items/{lakehouseId}/shortcuts?shortcutConflictPolicy=CreateOrOverwrite",
        400,  # the recording's: a target the tenant could not reach (here: a workspace that does not exist)
        "errorCode, message, requestId, isRetriable, moreDetails[].{errorCode, message}",
        body={
            "path": "Tables",
            "name": "Unreachable",
            "target": {"oneLake": {"workspaceId": "{elsewhereId}", "itemId": "{elsewhereId}", "path": "Tables/x"}},
        },
    ),
    RecordedRoute(
        "GET /v1/connections",
        "GET",
        "/v1/connections",
        200,
        "value[].{id, displayName, connectivityType, gatewayId, privacyLevel, allowConnectionUsageInGateway, "
        "allowUsageInUserControlledCode, connectionDetails.{type, path}, "
        "credentialDetails.{credentialType, connectionEncryption, singleSignOnType, skipTestConnection}, "
        "connectionRecency.*}",
    ),
    RecordedRoute(
        "GET /v1/operations/{id}",
        "GET",
        "/v1/operations/{runningOperationId}",
        200,
        "status, createdTimeUtc, lastUpdatedTimeUtc, percentComplete, error",
        # Location is checked by the suite to name the same operation.
        headers={"Location": PRESENT, "x-ms-operation-id": PRESENT},
    ),
    RecordedRoute(
        "GET /v1/operations/{id}/result",
        "GET",
        "/v1/operations/{finishedOperationId}/result",
        200,
        ITEM_KEYS,
        content_type="application/json",
    ),
)

# --- creating items: which types answer 201 and which a long-running 202 ----------------------------

CREATED_AT_ONCE = (
    "Lakehouse", "DataPipeline", "Dataflow", "DataBuildToolJob", "KQLQueryset", "MirroredDatabase",
    "PaginatedReport", "Reflex",
)  # fmt: skip
CREATED_LONG_RUNNING = (
    "Notebook", "Environment", "Eventhouse", "Eventstream", "KQLDatabase", "MLExperiment", "Map", "Ontology",
    "Report", "SemanticModel", "SparkJobDefinition", "SQLDatabase", "VariableLibrary", "Warehouse",
)  # fmt: skip
CREATE_201_HEADERS = {"ETag": '""'}
# The 202 of a create: body empty; Location names the operation of x-ms-operation-id (checked by the suite).
CREATE_202_HEADERS = {"Location": PRESENT, "Retry-After": "20", "x-ms-operation-id": PRESENT}
# Types whose create answer (201 body or /result) carried sensitivityLabel.id in the recording.
LABELLED_ON_CREATE = ("SemanticModel", "Report")

# fabric-cicd creates these bare (metadata only, no definition): its shell-only types.
CREATED_BARE = ("Lakehouse", "Warehouse", "SQLDatabase", "MLExperiment")

# The parts fabric-cicd would send for each type created with a definition (paths from its sample
# workspace and Fabric's definition docs; contents small but of the right kind). `.platform` is added
# by the suite.
DEFINITION_PARTS: dict[str, dict[str, str]] = {
    "DataPipeline": {"pipeline-content.json": '{"properties": {"activities": []}}'},
    "Dataflow": {
        "queryMetadata.json": '{"formatVersion": "202502", "queriesMetadata": {}}',
        "mashup.pq": "section Section1;\n",
    },
    "DataBuildToolJob": {"dbt-content.json": '{"dbtVersion": "1.8", "commands": ["dbt run"]}'},
    "KQLQueryset": {"RealTimeQueryset.json": '{"queryset": {"version": "1.0.0", "tabs": [], "dataSources": []}}'},
    "MirroredDatabase": {
        "mirroring.json": '{"properties": {"source": {"type": "GenericMirror", "typeProperties": {}}, "target": '
        '{"type": "MountedRelationalDatabase", "typeProperties": {"format": "Delta"}}}}'
    },
    "PaginatedReport": {"Sales.rdl": '<?xml version="1.0" encoding="utf-8"?><Report></Report>'},
    "Reflex": {"ReflexEntities.json": "[]"},
    "Notebook": {"notebook-content.py": "# Fabric notebook source\n\n# CELL ********************\n\nprint(1)\n"},
    "Environment": {"Setting/Sparkcompute.yml": "enable_native_execution_engine: false\nruntime_version: 1.3\n"},
    "Eventhouse": {"EventhouseProperties.json": "{}"},
    "Eventstream": {"eventstream.json": '{"sources": [], "destinations": [], "streams": [], "operators": []}'},
    "KQLDatabase": {
        "DatabaseProperties.json": '{"databaseType": "ReadWrite", "parentEventhouseItemId": "{eventhouseId}"}',
        "DatabaseSchema.kql": ".create-merge table Events (Timestamp: datetime)\n",
    },
    "Map": {"map.json": '{"layers": []}'},
    "Ontology": {"definition.json": '{"entityTypes": []}'},
    "Report": {
        "definition.pbir": '{"version": "4.0", "datasetReference": {"byPath": {"path": "../Sales.SemanticModel"}}}',
        "report.json": '{"config": "{}", "layoutOptimization": 0, "sections": []}',
    },
    "SemanticModel": {
        "definition.pbism": '{"version": "4.2", "settings": {}}',
        "definition/model.tmdl": "model Model\n\tculture: en-US\n",
    },
    "SparkJobDefinition": {
        "SparkJobDefinitionV1.json": '{"executableFile": null, "defaultLakehouseArtifactId": "", "language": ""}'
    },
    "VariableLibrary": {
        "variables.json": '{"variables": [{"name": "stage", "type": "String", "value": "dev"}]}',
        "settings.json": '{"valueSetsOrder": ["prod"]}',
        "valueSets/prod.json": '{"name": "prod", "variableOverrides": [{"name": "stage", "value": "prod"}]}',
    },
}
