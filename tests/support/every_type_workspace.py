"""A Fabric git-integration workspace with at least one item of every type fabric-cicd 1.4.0 deploys (31).

Written from what fabric-cicd's publishers read (`fabric_cicd/_items/_*.py`): the parts each type keeps in git,
the paths fabric-cicd leaves out (`.pbi/` of reports, semantic models and data agents; an Eventhouse's
`.children/`), creation payloads (a Warehouse's `.platform` `metadata.creationPayload`, a schema-enabled
Lakehouse's `defaultSchema`), an Eventhouse's KQL database under `.children/`, empty `clusterUri`s that fabric-cicd
fills from the KQL database, and `parameter.yml` rules. Items refer to each other by logical id (notebook ->
lakehouse and environment, pipeline -> notebook, report -> semantic model by path, KQL database -> eventhouse,
queryset and dashboard -> KQL database, ...) and to the workspace by the zero GUID.

`write_every_type_workspace(directory)` writes the files and returns the items; the test modules check what the
tools made of them. The logical ids are fixed so that a test can tell they were replaced.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PLATFORM_SCHEMA = (
    "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json"
)
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
TARGET_ENVIRONMENT = "test"
# parameter.yml replaces the dev storage account by the test one in every item that names it.
DEV_STORAGE = "contosodevlake.dfs.core.windows.net"
TEST_STORAGE = "contosotestlake.dfs.core.windows.net"
# The model's SQL source, and the tenant connection parameter.yml binds it to: the tests seed it
# (POST /_emulator/connections with this body) before a tool runs, as a Fabric admin would create it.
SALES_SQL_SERVER = "contoso-sql.database.windows.net"
SALES_SQL_DATABASE = "sales"
SALES_SQL_CONNECTION = {
    "id": "5b0e7c1d-3a2f-4e6b-8c9d-c0000000a001",
    "displayName": "Sales SQL (test)",
    "connectivityType": "ShareableCloud",
    "connectionDetails": {"type": "SQL", "path": f"{SALES_SQL_SERVER};{SALES_SQL_DATABASE}"},
}
WAREHOUSE_COLLATION = "Latin1_General_100_CI_AS_KS_WS_SC_UTF8"
SQL_PROJECT = (
    '<Project DefaultTargets="Build">\n  <Sdk Name="Microsoft.Build.Sql" Version="0.1.19-preview" />\n</Project>\n'
)


def _logical_id(number: int) -> str:
    return f"5b0e7c1d-3a2f-4e6b-8c9d-{number:012x}"


@dataclass(frozen=True)
class SourceItem:
    type: str
    display_name: str
    logical_id: str
    folder: str = ""  # workspace folder, "" at the root
    parent: SourceItem | None = None  # an Eventhouse, for a KQL database kept under its `.children/`
    parts: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    creation_payload: Mapping[str, object] | None = field(default=None, compare=False, hash=False)

    @property
    def directory(self) -> str:
        name = f"{self.display_name}.{self.type}"
        if self.parent is not None:
            return f"{self.parent.directory}/.children/{name}"
        return f"{self.folder}/{name}" if self.folder else name

    @property
    def key(self) -> str:
        return f"{self.type}/{self.display_name}"


def _json(value: object) -> str:
    return json.dumps(value, indent=2) + "\n"


def _meta_block(meta: Mapping[str, object]) -> str:
    return "".join(f"# META {line}\n" for line in json.dumps(meta, indent=2).splitlines())


# --- the items, in fabric-cicd's publish order --------------------------------------------------

VARIABLE_LIBRARY = SourceItem(
    "VariableLibrary",
    "Lake Settings",
    _logical_id(1),
    folder="Settings",
    parts={
        "variables.json": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/variableLibrary/definition/variables/1.0.0/schema.json",
                "variables": [
                    {"name": "storage_account", "type": "String", "value": DEV_STORAGE},
                    {"name": "batch_size", "type": "Integer", "value": 500},
                ],
            }
        ),
        "settings.json": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/variableLibrary/definition/settings/1.0.0/schema.json",
                "valueSetsOrder": [TARGET_ENVIRONMENT],
            }
        ),
        f"valueSets/{TARGET_ENVIRONMENT}.json": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/variableLibrary/definition/valueSet/1.0.0/schema.json",
                "name": TARGET_ENVIRONMENT,
                "variableOverrides": [{"name": "storage_account", "value": TEST_STORAGE}],
            }
        ),
    },
)
WAREHOUSE = SourceItem(
    "Warehouse",
    "Sales Warehouse",
    _logical_id(2),
    parts={
        "Sales Warehouse.sqlproj": SQL_PROJECT,
        "dbo/Tables/Orders.sql": (
            "CREATE TABLE [dbo].[Orders] ([OrderId] INT NOT NULL, [Amount] DECIMAL(18, 2) NULL);\n"
        ),
    },
    creation_payload={"defaultCollation": WAREHOUSE_COLLATION},
)
MIRRORED_DATABASE = SourceItem(
    "MirroredDatabase",
    "Orders Mirror",
    _logical_id(3),
    parts={
        "mirroring.json": _json(
            {
                "properties": {
                    "source": {
                        "type": "GenericMirror",
                        "typeProperties": {},
                    },
                    "target": {
                        "type": "MountedRelationalDatabase",
                        "typeProperties": {"format": "Delta", "defaultSchema": "dbo"},
                    },
                }
            }
        )
    },
)
LAKEHOUSE = SourceItem(
    "Lakehouse",
    "Sales Lake",
    _logical_id(4),
    parts={
        "lakehouse.metadata.json": _json({"defaultSchema": "dbo"}),
        "alm.settings.json": _json({"version": "1.0.1", "objectTypes": []}),
        "shortcuts.metadata.json": _json(
            [
                {
                    "name": "raw_orders",
                    "path": "/Files",
                    "target": {
                        "type": "OneLake",
                        "oneLake": {"path": "Files/landing", "itemId": ZERO_GUID, "workspaceId": ZERO_GUID},
                    },
                }
            ]
        ),
    },
)
SQL_DATABASE = SourceItem(
    "SQLDatabase",
    "Inventory Db",
    _logical_id(5),
    parts={
        "Inventory Db.sqlproj": SQL_PROJECT,
        "dbo/Tables/Stock.sql": (
            "CREATE TABLE [dbo].[Stock] ([Sku] NVARCHAR(20) NOT NULL, [Quantity] INT NOT NULL);\n"
        ),
    },
)
COSMOS_DB_DATABASE = SourceItem(
    "CosmosDBDatabase",
    "Carts Cosmos",
    _logical_id(6),
    parts={
        "definition.json": _json(
            {
                "containers": [
                    {"id": "carts", "partitionKey": {"paths": ["/customerId"], "kind": "Hash"}, "defaultTtl": 86400}
                ]
            }
        )
    },
)
ENVIRONMENT = SourceItem(
    "Environment",
    "Sales Spark",
    _logical_id(7),
    parts={
        "Setting/Sparkcompute.yml": (
            "enable_native_execution_engine: false\n"
            "driver_cores: 4\n"
            "driver_memory: 28g\n"
            "executor_cores: 4\n"
            "executor_memory: 28g\n"
            "dynamic_executor_allocation:\n"
            "  enabled: true\n"
            "  min_executors: 1\n"
            "  max_executors: 2\n"
            "runtime_version: '1.3'\n"
        ),
        "Libraries/PublicLibraries/environment.yml": "dependencies:\n  - pip:\n      - great-expectations==0.18.12\n",
    },
)
USER_DATA_FUNCTION = SourceItem(
    "UserDataFunction",
    "Order Functions",
    _logical_id(8),
    parts={
        "definition.json": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/userDataFunction/definition/1.1.0/schema.json",
                "runtime": "PYTHON",
                "connectedDataSources": [
                    {"alias": "inventory", "artifactId": SQL_DATABASE.logical_id, "workspaceId": ZERO_GUID}
                ],
                "functions": [],
                "libraries": {"public": [], "private": []},
            }
        ),
        "function_app.py": (
            "import fabric.functions as fn\n\nudf = fn.UserDataFunctions()\n\n\n"
            "@udf.function()\ndef order_total(quantity: int, price: float) -> float:\n    return quantity * price\n"
        ),
    },
)
EVENTHOUSE = SourceItem(
    "Eventhouse",
    "Telemetry House",
    _logical_id(9),
    folder="Real-Time",
    parts={"EventhouseProperties.json": _json({})},
)
SPARK_JOB_DEFINITION = SourceItem(
    "SparkJobDefinition",
    "Nightly Compaction",
    _logical_id(10),
    parts={
        "SparkJobDefinitionV1.json": _json(
            {
                "executableFile": None,
                "defaultLakehouseArtifactId": LAKEHOUSE.logical_id,
                "mainClass": None,
                "additionalLakehouseIds": [],
                "retryPolicy": None,
                "commandLineArguments": "--days 7",
                "additionalLibraryUris": [],
                "language": "Python",
                "environmentArtifactId": ENVIRONMENT.logical_id,
            }
        ),
        "Main/compact.py": (
            "from delta.tables import DeltaTable\n\n"
            "DeltaTable.forName(spark, 'orders').optimize().executeCompaction()\n"
        ),
    },
)
NOTEBOOK = SourceItem(
    "Notebook",
    "Load Orders",
    _logical_id(11),
    folder="Notebooks",
    parts={
        "notebook-content.py": (
            "# Fabric notebook source\n\n# METADATA ********************\n\n"
            + _meta_block(
                {
                    "kernel_info": {"name": "synapse_pyspark"},
                    "dependencies": {
                        "lakehouse": {
                            "default_lakehouse": LAKEHOUSE.logical_id,
                            "default_lakehouse_name": LAKEHOUSE.display_name,
                            "default_lakehouse_workspace_id": ZERO_GUID,
                        },
                        "environment": {"environmentId": ENVIRONMENT.logical_id, "workspaceId": ZERO_GUID},
                    },
                }
            )
            + "\n# CELL ********************\n\n"
            + f'df = spark.read.parquet("abfss://landing@{DEV_STORAGE}/orders")\n'
            + 'df.write.mode("overwrite").saveAsTable("orders")\n'
        ),
    },
)
SEMANTIC_MODEL = SourceItem(
    "SemanticModel",
    "Sales Model",
    _logical_id(12),
    parts={
        "definition.pbism": _json({"version": "4.2", "settings": {}}),
        "definition/database.tmdl": "database\n\tcompatibilityLevel: 1604\n",
        "definition/model.tmdl": "model Model\n\tculture: en-US\n\tdefaultPowerBIDataSourceVersion: powerBI_V3\n",
        "definition/tables/Orders.tmdl": (
            "table Orders\n\n\tcolumn OrderId\n\t\tdataType: int64\n\t\tsourceColumn: OrderId\n\n"
            "\tpartition Orders = m\n\t\tmode: import\n\t\tsource =\n\t\t\t\tlet\n"
            f'\t\t\t\t\tSource = AzureStorage.DataLake("https://{DEV_STORAGE}/landing")\n'
            "\t\t\t\tin\n\t\t\t\t\tSource\n"
        ),
        "definition/tables/Customers.tmdl": (
            "table Customers\n\n\tcolumn CustomerId\n\t\tdataType: int64\n\t\tsourceColumn: CustomerId\n\n"
            "\tpartition Customers = m\n\t\tmode: import\n\t\tsource =\n\t\t\t\tlet\n"
            f'\t\t\t\t\tSource = Sql.Database("{SALES_SQL_SERVER}", "{SALES_SQL_DATABASE}"),\n'
            '\t\t\t\t\tCustomers = Source{[Schema="dbo",Item="Customers"]}[Data]\n'
            "\t\t\t\tin\n\t\t\t\t\tCustomers\n"
        ),
        # Desktop's local settings: fabric-cicd leaves `.pbi/` out of a semantic model's definition.
        ".pbi/editorSettings.json": _json({"version": "1.0", "autodetectRelationships": True}),
    },
)
REPORT = SourceItem(
    "Report",
    "Sales Report",
    _logical_id(13),
    parts={
        "definition.pbir": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/report/definitionProperties/1.0.0/schema.json",
                "version": "4.0",
                "datasetReference": {"byPath": {"path": "../Sales Model.SemanticModel"}},
            }
        ),
        "report.json": _json({"config": "{}", "layoutOptimization": 0, "sections": [{"name": "Overview"}]}),
        "StaticResources/SharedResources/BaseThemes/CY24SU10.json": _json({"name": "CY24SU10"}),
        ".pbi/localSettings.json": _json({"version": "1.0"}),
    },
)
PAGINATED_REPORT = SourceItem(
    "PaginatedReport",
    "Invoice",
    _logical_id(14),
    parts={
        "Invoice.rdl": (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<Report xmlns="http://schemas.microsoft.com/sqlserver/reporting/2016/01/reportdefinition">\n'
            "  <ReportSections><ReportSection><Body><Height>2in</Height></Body><Width>6.5in</Width>"
            "<Page /></ReportSection></ReportSections>\n</Report>\n"
        )
    },
)
COPY_JOB = SourceItem(
    "CopyJob",
    "Copy Orders",
    _logical_id(15),
    parts={
        "copyjob-content.json": _json(
            {
                "properties": {
                    "jobMode": "Batch",
                    "source": {"type": "AzureBlobFS", "connectionSettings": {"url": f"https://{DEV_STORAGE}"}},
                    "destination": {
                        "type": "LakehouseTable",
                        "connectionSettings": {
                            "type": "Lakehouse",
                            "typeProperties": {"artifactId": LAKEHOUSE.logical_id, "workspaceId": ZERO_GUID},
                        },
                    },
                },
                "activities": [],
            }
        )
    },
)
DATA_BUILD_TOOL_JOB = SourceItem(
    "DataBuildToolJob",
    "Sales Dbt",
    _logical_id(16),
    parts={
        "dbtjob-content.json": _json(
            {
                "project": {"path": "sales_dbt"},
                "target": {"type": "Warehouse", "artifactId": WAREHOUSE.logical_id, "workspaceId": ZERO_GUID},
                "commands": ["dbt build"],
            }
        )
    },
)
KQL_DATABASE = SourceItem(
    "KQLDatabase",
    "Telemetry",
    _logical_id(17),
    folder="Real-Time",
    parent=EVENTHOUSE,
    parts={
        "DatabaseProperties.json": _json(
            {
                "databaseType": "ReadWrite",
                "parentEventhouseItemId": EVENTHOUSE.logical_id,
                "oneLakeCachingPeriod": "P36500D",
                "oneLakeStandardStoragePeriod": "P36500D",
            }
        ),
        "DatabaseSchema.kql": (
            "// KQL script\n.create-merge table Events (Timestamp:datetime, Device:string, Value:real)\n"
        ),
    },
)
KQL_QUERYSET = SourceItem(
    "KQLQueryset",
    "Device Queries",
    _logical_id(18),
    folder="Real-Time",
    parts={
        "RealTimeQueryset.json": _json(
            {
                "queryset": {
                    "version": "1.0.0",
                    "dataSources": [
                        {
                            "id": "8e3f0c5a-2b71-4d9e-a6c4-1f0b9d7e3a25",
                            "clusterUri": "",  # fabric-cicd fills it in from the KQL database
                            "type": "Fabric",
                            "databaseItemId": KQL_DATABASE.logical_id,
                            "databaseItemName": KQL_DATABASE.display_name,
                        }
                    ],
                    "tabs": [
                        {
                            "id": "0d8e4b2c-6f13-4a7e-9b5d-3c2a1e0f9d84",
                            "content": "Events | take 10",
                            "title": "Latest",
                            "dataSourceId": "8e3f0c5a-2b71-4d9e-a6c4-1f0b9d7e3a25",
                        }
                    ],
                }
            }
        )
    },
)
DATAFLOW = SourceItem(
    "Dataflow",
    "Shape Orders",
    _logical_id(19),
    parts={
        "queryMetadata.json": _json(
            {
                "formatVersion": "202502",
                "computeEngineSettings": {},
                "name": "Shape Orders",
                "queriesMetadata": {
                    "Orders": {"queryId": "4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "queryName": "Orders"}
                },
                "documentLocale": "en-US",
                "gatewayObjectId": None,
            }
        ),
        "mashup.pq": (
            '[StagingDefinition = [Kind = "FastCopy"]]\nsection Section1;\nshared Orders = let\n'
            f'  Source = Lakehouse.Contents([]),\n  Navigation = Source{{[workspaceId = "{ZERO_GUID}"]}}[Data],\n'
            f'  Lake = Navigation{{[lakehouseId = "{LAKEHOUSE.logical_id}"]}}[Data]\nin\n  Lake;\n'
        ),
    },
)
DATA_PIPELINE = SourceItem(
    "DataPipeline",
    "Daily Orders",
    _logical_id(20),
    parts={
        "pipeline-content.json": _json(
            {
                "properties": {
                    "activities": [
                        {
                            "name": "Load Orders",
                            "type": "TridentNotebook",
                            "dependsOn": [],
                            "policy": {"timeout": "0.12:00:00", "retry": 0, "retryIntervalInSeconds": 30},
                            "typeProperties": {"notebookId": NOTEBOOK.logical_id, "workspaceId": ZERO_GUID},
                        },
                        {
                            "name": "Shape Orders",
                            "type": "RefreshDataflow",
                            "dependsOn": [{"activity": "Load Orders", "dependencyConditions": ["Succeeded"]}],
                            "typeProperties": {
                                "dataflowId": DATAFLOW.logical_id,
                                "workspaceId": ZERO_GUID,
                                "notifyOption": "NoNotification",
                                "dataflowType": "DataflowFabric",
                            },
                        },
                    ],
                    "annotations": [],
                }
            }
        )
    },
)
EVENTSTREAM = SourceItem(
    "Eventstream",
    "Device Stream",
    _logical_id(22),
    folder="Real-Time",
    parts={
        "eventstream.json": _json(
            {
                "sources": [
                    {
                        "id": "2f9b7c4d-1e0a-4b3c-8d6e-5a4f3e2d1c0b",
                        "name": "devices",
                        "type": "CustomEndpoint",
                        "properties": {},
                    }
                ],
                "destinations": [
                    {
                        "id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
                        "name": "telemetry",
                        "type": "Eventhouse",
                        "properties": {
                            "dataIngestionMode": "ProcessedIngestion",
                            "workspaceId": ZERO_GUID,
                            "itemId": KQL_DATABASE.logical_id,
                            "databaseName": KQL_DATABASE.display_name,
                            "tableName": "Events",
                        },
                        "inputNodes": [{"name": "devices-stream"}],
                    }
                ],
                "streams": [
                    {
                        "id": "9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a",
                        "name": "devices-stream",
                        "type": "DefaultStream",
                        "properties": {},
                        "inputNodes": [{"name": "devices"}],
                    }
                ],
                "operators": [],
                "compatibilityLevel": "1.0",
            }
        ),
        "eventstreamProperties.json": _json({"retentionTimeInDays": 1, "eventThroughputLevel": "Low"}),
    },
)
# fabric-cicd publishes a Reflex before an Eventstream, so a Reflex may refer by logical id only to the types before it.
REFLEX = SourceItem(
    "Reflex",
    "Device Alerts",
    _logical_id(21),
    folder="Real-Time",
    parts={
        "ReflexEntities.json": _json(
            [
                {
                    "uniqueIdentifier": "1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90",
                    "payload": {"name": "Device Alerts", "type": "samples"},
                    "type": "container-v1",
                },
                {
                    "uniqueIdentifier": "7a6b5c4d-3e2f-4a1b-0c9d-8e7f6a5b4c3d",
                    "payload": {
                        "name": "Telemetry source",
                        "definition": json.dumps(
                            {"instance": [{"name": "workspaceId", "type": "string", "value": ZERO_GUID}]},
                            separators=(",", ":"),
                        ),
                        "kqlDatabaseItemId": KQL_DATABASE.logical_id,
                        "query": "Events | where Value > 100",
                    },
                    "type": "kqlSource-v1",
                },
            ]
        )
    },
)
KQL_DASHBOARD = SourceItem(
    "KQLDashboard",
    "Device Dashboard",
    _logical_id(23),
    folder="Real-Time",
    parts={
        "RealTimeDashboard.json": _json(
            {
                "schema_version": "52",
                "title": "Device Dashboard",
                "tiles": [
                    {
                        "id": "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170",
                        "title": "Events per device",
                        "query": "Events | summarize count() by Device",
                        "dataSourceId": "3c2b1a09-8f7e-4d6c-b5a4-9382716f5e4d",
                        "visualType": "table",
                        "pageId": "b1a09f8e-7d6c-45b4-a392-8170f6e5d4c3",
                    }
                ],
                "dataSources": [
                    {
                        "id": "3c2b1a09-8f7e-4d6c-b5a4-9382716f5e4d",
                        "name": KQL_DATABASE.display_name,
                        "clusterUri": "",  # fabric-cicd fills it in from the deployed KQL database
                        "database": KQL_DATABASE.logical_id,
                        "kind": "kusto-trident",
                        "scopeId": "KustoDatabaseResource",
                        "workspace": ZERO_GUID,
                    }
                ],
                "pages": [{"id": "b1a09f8e-7d6c-45b4-a392-8170f6e5d4c3", "name": "Overview"}],
                "parameters": [],
            }
        )
    },
)
GRAPHQL_API = SourceItem(
    "GraphQLApi",
    "Orders Api",
    _logical_id(24),
    parts={
        "graphql-definition.json": _json(
            {
                "datasources": [
                    {
                        "sourceType": "WarehouseSQL",
                        "sourceItemId": WAREHOUSE.logical_id,
                        "sourceWorkspaceId": ZERO_GUID,
                        "objects": [
                            {"sourceObject": "dbo.Orders", "graphqlType": "Order", "actions": {"Query": "Enabled"}}
                        ],
                    }
                ]
            }
        )
    },
)
APACHE_AIRFLOW_JOB = SourceItem(
    "ApacheAirflowJob",
    "Orchestrator",
    _logical_id(25),
    parts={
        "apacheairflowjob-content.json": _json(
            {
                "properties": {
                    "type": "Airflow",
                    "typeProperties": {
                        "airflowProperties": {
                            "airflowVersion": "2.10.5",
                            "pythonVersion": "3.12",
                            "packageProviderPath": "plugins",
                        },
                        "computeProperties": {"location": "westeurope", "computeSize": "Small", "extraNodes": 0},
                    },
                }
            }
        ),
        "dags/daily_orders.py": (
            "from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n\n"
            'with DAG("daily_orders", schedule="@daily") as dag:\n    EmptyOperator(task_id="start")\n'
        ),
    },
)
MOUNTED_DATA_FACTORY = SourceItem(
    "MountedDataFactory",
    "Legacy Factory",
    _logical_id(26),
    parts={
        "mountedDataFactory-content.json": _json(
            {
                "dataFactoryResourceId": (
                    "/subscriptions/4f1c2d3e-5a6b-4c7d-8e9f-a0b1c2d3e4f5/resourceGroups/rg-data"
                    "/providers/Microsoft.DataFactory/factories/contoso-adf"
                )
            }
        )
    },
)
ONTOLOGY = SourceItem(
    "Ontology",
    "Retail Ontology",
    _logical_id(27),
    parts={
        "definition.json": _json({}),
        "EntityTypes/1001/definition.json": _json(
            {
                "id": "1001",
                "name": "Order",
                "entityIdParts": ["2001"],
                "properties": [{"id": "2001", "name": "OrderId", "valueType": "BigInt"}],
            }
        ),
        "EntityTypes/1001/DataBindings/a3b4c5d6-e7f8-4a9b-8c7d-6e5f4a3b2c1d.json": _json(
            {
                "id": "a3b4c5d6-e7f8-4a9b-8c7d-6e5f4a3b2c1d",
                "dataBindingConfiguration": {
                    "dataBindingType": "NonTimeSeries",
                    "sourceTableProperties": {
                        "sourceType": "LakehouseTable",
                        "workspaceId": ZERO_GUID,
                        "itemId": LAKEHOUSE.logical_id,
                        "sourceTableName": "orders",
                    },
                },
            }
        ),
    },
)
DATA_AGENT = SourceItem(
    "DataAgent",
    "Sales Agent",
    _logical_id(28),
    parts={
        "Files/Config/data_agent.json": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/dataAgent/definition/dataAgent/2.1.0/schema.json"
            }
        ),
        "Files/Config/draft/stage_config.json": _json({"aiInstructions": "Answer questions about orders."}),
        "Files/Config/draft/lakehouse-tables-Sales Lake/datasource.json": _json(
            {
                "artifactId": LAKEHOUSE.logical_id,
                "workspaceId": ZERO_GUID,
                "displayName": LAKEHOUSE.display_name,
                "type": "lakehouse_tables",
                "elements": [],
            }
        ),
        ".pbi/cache.json": _json({"version": "1.0"}),
    },
)
ML_EXPERIMENT = SourceItem("MLExperiment", "Churn Experiment", _logical_id(29))
MAP = SourceItem(
    "Map",
    "Store Map",
    _logical_id(30),
    parts={
        "map.json": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/map/definition/1.0.0/schema.json",
                "basemap": {"options": {"style": "road"}},
                "dataSources": [{"type": "Lakehouse", "itemId": LAKEHOUSE.logical_id, "workspaceId": ZERO_GUID}],
                "layers": [],
            }
        )
    },
)
GRAPH_MODEL = SourceItem(
    "GraphModel",
    "Customer Graph",
    _logical_id(31),
    parts={
        "graphType.json": _json({"nodeTypes": [{"alias": "Customer", "labels": ["Customer"]}], "edgeTypes": []}),
        "dataSources.json": _json(
            {
                "dataSources": [
                    {
                        "name": "orders",
                        "type": "DeltaTable",
                        "properties": {
                            "path": f"abfss://{ZERO_GUID}@onelake.dfs.fabric.microsoft.com/{LAKEHOUSE.logical_id}/Tables/orders"
                        },
                    }
                ]
            }
        ),
        "graphDefinition.json": _json({"nodeTables": [], "edgeTables": []}),
        "stylingConfiguration.json": _json({"modelLayout": {"positions": {}}}),
    },
)

ITEMS: tuple[SourceItem, ...] = (
    VARIABLE_LIBRARY,
    WAREHOUSE,
    MIRRORED_DATABASE,
    LAKEHOUSE,
    SQL_DATABASE,
    COSMOS_DB_DATABASE,
    ENVIRONMENT,
    USER_DATA_FUNCTION,
    EVENTHOUSE,
    SPARK_JOB_DEFINITION,
    NOTEBOOK,
    SEMANTIC_MODEL,
    REPORT,
    PAGINATED_REPORT,
    COPY_JOB,
    DATA_BUILD_TOOL_JOB,
    KQL_DATABASE,
    KQL_QUERYSET,
    DATAFLOW,
    DATA_PIPELINE,
    REFLEX,
    EVENTSTREAM,
    KQL_DASHBOARD,
    GRAPHQL_API,
    APACHE_AIRFLOW_JOB,
    MOUNTED_DATA_FACTORY,
    ONTOLOGY,
    DATA_AGENT,
    ML_EXPERIMENT,
    MAP,
    GRAPH_MODEL,
)
ITEM_TYPES: list[str] = sorted({item.type for item in ITEMS})

# find_replace for a value in several items, key_value_replace for a JSON path, the model's binding: what
# fabric-cicd users write.
PARAMETER_YML = f"""find_replace:
  - find_value: "{DEV_STORAGE}"
    replace_value:
      {TARGET_ENVIRONMENT}: "{TEST_STORAGE}"
key_value_replace:
  - find_key: $.properties.typeProperties.computeProperties.computeSize
    replace_value:
      {TARGET_ENVIRONMENT}: "Large"
    item_type: "ApacheAirflowJob"
semantic_model_binding:
  models:
    - semantic_model_name: "Sales Model"
      connection_id:
        {TARGET_ENVIRONMENT}: "{SALES_SQL_CONNECTION["id"]}"
"""


def write_every_type_workspace(directory: Path) -> tuple[SourceItem, ...]:
    """Write the workspace (and its parameter.yml) under `directory`, created if needed; returns its items."""
    for item in ITEMS:
        item_dir = directory / item.directory
        _write(item_dir / ".platform", _platform(item))
        for relative, text in item.parts.items():
            _write(item_dir / relative, text)
    _write(directory / "parameter.yml", PARAMETER_YML)
    return ITEMS


def _platform(item: SourceItem) -> str:
    metadata: dict[str, object] = {
        "type": item.type,
        "displayName": item.display_name,
        "description": f"{item.type} of the every-type workspace",
    }
    if item.creation_payload is not None:
        metadata["creationPayload"] = dict(item.creation_payload)
    return _json(
        {
            "$schema": PLATFORM_SCHEMA,
            "metadata": metadata,
            "config": {"version": "2.0", "logicalId": item.logical_id},
        }
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
