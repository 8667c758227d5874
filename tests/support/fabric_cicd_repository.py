"""A small Fabric git-integration folder that fabric-cicd 1.4.0 can publish.

Shapes follow what fabric-cicd reads (see docs/fabric-cicd-endpoints.md, "Repository shape"): one
`<displayName>.<Type>` folder per item with a `.platform` file; workspace folders are plain folders.
The logical ids are fixed so tests can check that fabric-cicd replaced them with deployed ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PLATFORM_SCHEMA = (
    "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json"
)
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class RepositoryItem:
    type: str
    display_name: str
    logical_id: str
    folder: str  # workspace folder path relative to the repository root, "" at the root

    @property
    def directory(self) -> str:
        name = f"{self.display_name}.{self.type}"
        return f"{self.folder}/{name}" if self.folder else name


LAKEHOUSE = RepositoryItem("Lakehouse", "SalesLakehouse", "6f1f4c1e-2b3a-4c5d-8e9f-0a1b2c3d4e01", "")
LOAD_NOTEBOOK = RepositoryItem("Notebook", "Load Sales", "6f1f4c1e-2b3a-4c5d-8e9f-0a1b2c3d4e02", "Notebooks")
EXPLORE_NOTEBOOK = RepositoryItem("Notebook", "Explore Sales", "6f1f4c1e-2b3a-4c5d-8e9f-0a1b2c3d4e03", "Notebooks")
PIPELINE = RepositoryItem("DataPipeline", "Daily Sales", "6f1f4c1e-2b3a-4c5d-8e9f-0a1b2c3d4e04", "")
SEMANTIC_MODEL = RepositoryItem("SemanticModel", "Sales Model", "6f1f4c1e-2b3a-4c5d-8e9f-0a1b2c3d4e05", "")
REPORT = RepositoryItem("Report", "Sales Report", "6f1f4c1e-2b3a-4c5d-8e9f-0a1b2c3d4e06", "")

ITEMS: tuple[RepositoryItem, ...] = (LAKEHOUSE, LOAD_NOTEBOOK, EXPLORE_NOTEBOOK, PIPELINE, SEMANTIC_MODEL, REPORT)
ITEM_TYPES: list[str] = ["Lakehouse", "Notebook", "DataPipeline", "SemanticModel", "Report"]
NOTEBOOK_FOLDER = "Notebooks"


def write_repository(directory: Path) -> dict[RepositoryItem, dict[str, str]]:
    """Write the repository under `directory` (created if needed).

    Returns, per item, its definition files (path relative to the item folder -> text), `.platform` excluded.
    """
    files: dict[RepositoryItem, dict[str, str]] = {
        LAKEHOUSE: {"lakehouse.metadata.json": _json({"defaultSchema": "dbo"})},
        LOAD_NOTEBOOK: {"notebook-content.py": _load_notebook()},
        EXPLORE_NOTEBOOK: {"notebook-content.py": _explore_notebook()},
        PIPELINE: {"pipeline-content.json": _pipeline()},
        SEMANTIC_MODEL: {
            "definition.pbism": _json({"version": "4.2", "settings": {}}),
            "definition/database.tmdl": "database\n\tcompatibilityLevel: 1604\n",
            "definition/model.tmdl": _MODEL_TMDL,
            "definition/tables/Sales.tmdl": _SALES_TABLE_TMDL,
        },
        REPORT: {
            "definition.pbir": _json(
                {
                    "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/report/definitionProperties/1.0.0/schema.json",
                    "version": "4.0",
                    "datasetReference": {"byPath": {"path": f"../{SEMANTIC_MODEL.directory}"}},
                }
            ),
            "report.json": _json(_REPORT_JSON),
        },
    }
    for item, parts in files.items():
        item_dir = directory / item.directory
        _write(item_dir / ".platform", _platform(item))
        for relative, text in parts.items():
            _write(item_dir / relative, text)
    return files


def _platform(item: RepositoryItem) -> str:
    return _json(
        {
            "$schema": PLATFORM_SCHEMA,
            "metadata": {
                "type": item.type,
                "displayName": item.display_name,
                "description": f"{item.type} for the fabric-cicd test",
            },
            "config": {"version": "2.0", "logicalId": item.logical_id},
        }
    )


def _load_notebook() -> str:
    meta = {
        "kernel_info": {"name": "synapse_pyspark"},
        "dependencies": {
            "lakehouse": {
                "default_lakehouse": LAKEHOUSE.logical_id,
                "default_lakehouse_name": LAKEHOUSE.display_name,
                "default_lakehouse_workspace_id": ZERO_GUID,
            }
        },
    }
    return (
        "# Fabric notebook source\n\n# METADATA ********************\n\n"
        + _meta_block(meta)
        + "\n# CELL ********************\n\n"
        + 'df = spark.read.option("header", "true").csv("Files/raw/sales.csv")\n'
        + 'df.write.mode("overwrite").format("delta").saveAsTable("sales")\n'
    )


def _explore_notebook() -> str:
    meta = {"kernel_info": {"name": "synapse_pyspark"}, "dependencies": {}}
    return (
        "# Fabric notebook source\n\n# METADATA ********************\n\n"
        + _meta_block(meta)
        + "\n# CELL ********************\n\n"
        + 'display(spark.sql("SELECT COUNT(*) FROM sales"))\n'
    )


def _meta_block(meta: Mapping[str, object]) -> str:
    return "".join(f"# META {line}\n" for line in json.dumps(meta, indent=2).splitlines())


def _pipeline() -> str:
    return _json(
        {
            "properties": {
                "activities": [
                    {
                        "name": "Load Sales",
                        "type": "TridentNotebook",
                        "dependsOn": [],
                        "policy": {"timeout": "0.02:00:00", "retry": 0, "retryIntervalInSeconds": 30},
                        "typeProperties": {"notebookId": LOAD_NOTEBOOK.logical_id, "workspaceId": ZERO_GUID},
                    }
                ],
                "annotations": [],
            }
        }
    )


def _json(value: object) -> str:
    return json.dumps(value, indent=2) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


_MODEL_TMDL = """model Model
\tculture: en-US
\tdefaultPowerBIDataSourceVersion: powerBI_V3

ref table Sales
"""

_SALES_TABLE_TMDL = """table Sales

\tmeasure 'Total Revenue' = SUM(Sales[revenue])

\tcolumn revenue
\t\tdataType: decimal
\t\tsummarizeBy: sum
\t\tsourceColumn: revenue

\tpartition Sales = m
\t\tmode: import
\t\tsource =
\t\t\t\tlet
\t\t\t\t    Source = #table(type table [revenue = number], {{1.5}})
\t\t\t\tin
\t\t\t\t    Source
"""

_REPORT_JSON = {
    "config": json.dumps({"version": "5.55", "activeSectionIndex": 0}),
    "layoutOptimization": 0,
    "resourcePackages": [],
    "sections": [
        {
            "name": "ReportSection0",
            "displayName": "Overview",
            "displayOption": 1,
            "width": 1280,
            "height": 720,
            "config": "{}",
            "filters": "[]",
            "visualContainers": [],
        }
    ],
}
