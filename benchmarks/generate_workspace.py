"""Generate a synthetic Fabric workspace in git-integration format, for benchmarks.

N items (default 200) with a realistic mix of types, a dependency graph of realistic depth, nested
workspace folders and realistic definition sizes (a few KB each, a few much larger ones). The same
`seed` always gives byte-identical output. Both fabctl and fabric-cicd 1.4.0 accept the result:

- every item is `<folder>/<Name>.<Type>/` with a `.platform` (type, displayName, logicalId);
- Notebook `notebook-content.py`: `# META` dependencies name a Lakehouse and an Environment by logicalId;
- DataPipeline `pipeline-content.json`: TridentNotebook activities (notebookId = a notebook's logicalId)
  and, above the first layer, ExecutePipeline activities (pipelineId = a lower pipeline's logicalId),
  four layers deep;
- Lakehouse `lakehouse.metadata.json`; SemanticModel `definition.pbism` + `definition/*.tmdl`;
  Report `definition.pbir` bound `byPath` to a model (relative path) + `report.json`;
  Environment `Setting/Sparkcompute.yml` + `Libraries/PublicLibraries/environment.yml`;
  VariableLibrary `variables.json`, `settings.json` (`valueSetsOrder`), `valueSets/bench.json`;
- `workspace-config.yaml` (environment `bench`) and an effectively empty `parameter.yml` (one rule that
  matches nothing: fabric-cicd 1.4.0 refuses a parameter file without any parameter) at the root.

`scale` (default 1) multiplies the bulk of every definition that has one (notebook cells, pipeline
activities, model columns, report pages, variables) without drawing anything more from the random
generator: the same seed and item count give the same items, folders and references at every scale,
only bigger. The memory check of deploy_benchmark.py uses it to vary definition size alone. Files with no
bulk (`.platform`, Lakehouse metadata, Environment settings, `.pbism`/`.pbir`) keep their size.

    python benchmarks/generate_workspace.py OUT_DIR --items 200 --seed 1 [--scale 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PLATFORM_SCHEMA = (
    "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json"
)
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
ENVIRONMENT = "bench"
DEFAULT_WORKSPACE_NAME = "Benchmark (bench)"

# Share of each type; whatever rounding leaves over goes to notebooks.
MIX: tuple[tuple[str, float], ...] = (
    ("Lakehouse", 0.10),
    ("Environment", 0.05),
    ("VariableLibrary", 0.05),
    ("SemanticModel", 0.10),
    ("Report", 0.10),
    ("DataPipeline", 0.15),
    ("Notebook", 0.45),
)
PIPELINE_LAYERS = 4  # layer 0 runs notebooks; layer k also runs pipelines of layer k-1
LARGE_SHARE = 0.04  # share of notebooks, models and reports given a large definition

FOLDERS: dict[str, tuple[str, ...]] = {
    "Lakehouse": ("Data/Bronze", "Data/Silver", "Data/Gold"),
    "Environment": ("Platform/Environments",),
    "VariableLibrary": ("Platform/Settings",),
    "Notebook": ("Ingestion/Sources/Erp", "Ingestion/Sources/Crm", "Ingestion/Landing", "Transform/Silver",
                 "Transform/Gold/Finance", "Transform/Gold/Sales", "Exploration", ""),
    "DataPipeline": ("Orchestration/Ingest", "Orchestration/Transform", "Orchestration/Daily", "Orchestration"),
    "SemanticModel": ("Analytics/Models/Finance", "Analytics/Models/Sales"),
    "Report": ("Analytics/Reports/Finance", "Analytics/Reports/Sales", "Analytics/Reports"),
}  # fmt: skip
# Effectively no parameterization: the benchmark measures deployment, not parameterization. A file with no
# parameter at all (comments only, or 0 bytes) is refused by fabric-cicd 1.4.0 ("invalid parameter file"), and a
# rule that matches nothing is refused by fabctl (a likely typo), so it holds one rule that every notebook's
# parameters cell matches and that replaces the text by itself: the definitions deployed are the ones generated.
PARAMETER_YML = f"""# No change in the benchmark: this rule replaces the notebooks' run date by the same date.
find_replace:
  - find_value: 'run_date = "2024-01-01"'
    replace_value:
      {ENVIRONMENT}: 'run_date = "2024-01-01"'
    item_type: "Notebook"
"""
DOMAINS = ("sales", "finance", "customer", "product", "inventory", "supplier", "hr", "marketing", "web", "iot")


@dataclass
class Item:
    type: str
    name: str
    logical_id: str
    folder: str
    files: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)  # logical ids (or model names for reports)

    @property
    def directory(self) -> str:
        leaf = f"{self.name}.{self.type}"
        return f"{self.folder}/{leaf}" if self.folder else leaf

    @property
    def size(self) -> int:
        return sum(len(text.encode("utf-8")) for text in self.files.values())


@dataclass(frozen=True)
class GeneratedWorkspace:
    root: Path
    items: tuple[Item, ...]
    workspace_name: str

    @property
    def item_types(self) -> list[str]:
        return sorted({item.type for item in self.items})

    @property
    def largest_definition_bytes(self) -> int:
        return max(item.size for item in self.items)

    @property
    def total_definition_bytes(self) -> int:
        return sum(item.size for item in self.items)

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for item in self.items:
            result[item.type] = result.get(item.type, 0) + 1
        return dict(sorted(result.items()))


def generate(
    out_dir: Path,
    items: int = 200,
    seed: int = 1,
    workspace_name: str = DEFAULT_WORKSPACE_NAME,
    scale: int = 1,
    copies: int = 1,
) -> GeneratedWorkspace:
    """Write a workspace of `items` items (`copies` times over) into `out_dir` (which must be empty or absent)."""
    if items < len(MIX):
        raise ValueError(f"--items must be at least {len(MIX)} (one of each type)")
    if scale < 1:
        raise ValueError("--scale must be at least 1")
    if copies < 1:
        raise ValueError("--copies must be at least 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty")
    counts = _counts(items)
    built = _Generator(random.Random(seed), scale).build(counts)
    built += [item for copy in range(2, copies + 1) for item in _renamed(built, copy)]
    for item in built:
        _write(out_dir / item.directory / ".platform", _platform(item))
        for relative, text in item.files.items():
            _write(out_dir / item.directory / relative, text)
    _write(out_dir / "workspace-config.yaml", _workspace_config(workspace_name))
    _write(out_dir / "parameter.yml", PARAMETER_YML)
    return GeneratedWorkspace(out_dir, tuple(built), workspace_name)


def _counts(items: int) -> dict[str, int]:
    counts = {item_type: max(1, round(items * share)) for item_type, share in MIX}
    counts["Notebook"] += items - sum(counts.values())
    return counts


def _renamed(items: list[Item], copy: int) -> list[Item]:
    """The same items under new names and logical ids, so that a workspace can hold both.

    Every reference follows: logical ids in the files are replaced, and a report's `byPath` names the renamed
    model. Definitions keep their size to the byte (a prefix per name aside), which is what makes copies the
    way to vary the item count alone. The prefix (lower case: after every original name) keeps the copies
    of an item apart in the deployment order, as unrelated items would be, instead of side by side.
    """
    prefix = f"c{copy}_"
    ids = {item.logical_id: str(uuid.uuid5(uuid.NAMESPACE_URL, f"copy{copy}/{item.logical_id}")) for item in items}
    models = {f"/{item.name}.SemanticModel": f"/{prefix}{item.name}.SemanticModel" for item in items}
    renamed = []
    for item in items:
        files = {}
        for relative, text in item.files.items():
            for old, new in [*ids.items(), *(models.items() if item.type == "Report" else ())]:
                text = text.replace(old, new)
            files[relative] = text
        references = [ids.get(reference, reference) for reference in item.references]
        renamed.append(Item(item.type, prefix + item.name, ids[item.logical_id], item.folder, files, references))
    return renamed


class _Generator:
    def __init__(self, rng: random.Random, scale: int = 1) -> None:
        self.rng = rng
        # Copies of each definition's bulk; copies are renamed, never drawn, so the rng sequence is the same.
        self.scale = scale

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def folder(self, item_type: str) -> str:
        return self.rng.choice(FOLDERS[item_type])

    def large(self) -> bool:
        return self.rng.random() < LARGE_SHARE

    def build(self, counts: dict[str, int]) -> list[Item]:
        lakehouses = [self.lakehouse(i) for i in range(counts["Lakehouse"])]
        environments = [self.environment(i) for i in range(counts["Environment"])]
        libraries = [self.variable_library(i) for i in range(counts["VariableLibrary"])]
        notebooks = [self.notebook(i, lakehouses, environments) for i in range(counts["Notebook"])]
        pipelines = self.pipelines(counts["DataPipeline"], notebooks)
        models = [self.semantic_model(i) for i in range(counts["SemanticModel"])]
        reports = [self.report(i, models) for i in range(counts["Report"])]
        return [*lakehouses, *environments, *libraries, *notebooks, *pipelines, *models, *reports]

    # -- data and platform items -------------------------------------------------------------

    def lakehouse(self, index: int) -> Item:
        item = Item(
            "Lakehouse", f"LH_{DOMAINS[index % len(DOMAINS)]}_{index:03d}", self.guid(), self.folder("Lakehouse")
        )
        item.files["lakehouse.metadata.json"] = _json({"defaultSchema": "dbo"} if index % 2 else {})
        return item

    def environment(self, index: int) -> Item:
        item = Item("Environment", f"ENV_spark_{index:02d}", self.guid(), self.folder("Environment"))
        cores = self.rng.choice((4, 8, 16))
        item.files["Setting/Sparkcompute.yml"] = (
            f"enable_native_execution_engine: {str(self.rng.random() < 0.5).lower()}\n"
            f"driver_cores: {cores}\ndriver_memory: {cores * 7}g\nexecutor_cores: {cores}\n"
            f"executor_memory: {cores * 7}g\ndynamic_executor_allocation:\n  enabled: true\n"
            f"  min_executors: 1\n  max_executors: {self.rng.randint(2, 10)}\n"
            'spark_conf:\n  spark.sql.shuffle.partitions: "64"\nruntime_version: 1.3\n'
        )
        packages = self.rng.sample(
            ["great-expectations==0.18.19", "holidays==0.57", "pydantic==2.9.2", "pyarrow==17.0.0",
             "semantic-link==0.8.0", "azure-storage-blob==12.23.1", "requests==2.32.3", "polars==1.9.0"], 3
        )  # fmt: skip
        item.files["Libraries/PublicLibraries/environment.yml"] = "dependencies:\n  - pip:\n" + "".join(
            f"      - {p}\n" for p in packages
        )
        return item

    def variable_library(self, index: int) -> Item:
        item = Item("VariableLibrary", f"VL_settings_{index:02d}", self.guid(), self.folder("VariableLibrary"))
        variables = [
            {"name": f"Setting{v:02d}", "note": "", "type": "String", "value": f"value-{self.rng.getrandbits(32):08x}"}
            for v in range(self.rng.randint(5, 20))
        ]
        variables += [{**v, "name": f"{v['name']}_{copy}"} for copy in range(1, self.scale) for v in variables]
        schema = "https://developer.microsoft.com/json-schemas/fabric/item/variableLibrary/definition"
        item.files["variables.json"] = _json(
            {"$schema": f"{schema}/variables/1.0.0/schema.json", "variables": variables}
        )
        item.files["settings.json"] = _json(
            {"$schema": f"{schema}/settings/1.0.0/schema.json", "valueSetsOrder": [ENVIRONMENT]}
        )
        item.files[f"valueSets/{ENVIRONMENT}.json"] = _json(
            {
                "$schema": f"{schema}/valueSet/1.0.0/schema.json",
                "name": ENVIRONMENT,
                "variableOverrides": [{"name": variables[0]["name"], "value": "bench-override"}],
            }
        )
        return item

    # -- notebooks and pipelines ----------------------------------------------------------------

    def notebook(self, index: int, lakehouses: list[Item], environments: list[Item]) -> Item:
        domain = DOMAINS[index % len(DOMAINS)]
        item = Item("Notebook", f"NB_{domain}_{index:03d}", self.guid(), self.folder("Notebook"))
        lakehouse = self.rng.choice(lakehouses)
        environment = self.rng.choice(environments)
        item.references = [lakehouse.logical_id, environment.logical_id]
        meta = {
            "kernel_info": {"name": "synapse_pyspark"},
            "dependencies": {
                "lakehouse": {
                    "default_lakehouse": lakehouse.logical_id,
                    "default_lakehouse_name": lakehouse.name,
                    "default_lakehouse_workspace_id": ZERO_GUID,
                    "known_lakehouses": [{"id": lakehouse.logical_id}],
                },
                "environment": {"environmentId": environment.logical_id, "workspaceId": ZERO_GUID},
            },
        }
        cells = self.rng.randint(4, 12) if not self.large() else self.rng.randint(400, 900)
        body = [
            "# Fabric notebook source\n\n# METADATA ********************\n\n",
            _meta_block(meta),
            '\n# PARAMETERS CELL ********************\n\nrun_date = "2024-01-01"\n',
        ]
        drawn = [self.cell(domain, cell) for cell in range(cells)]
        body.extend(drawn * self.scale)
        item.files["notebook-content.py"] = "".join(body)
        return item

    def cell(self, domain: str, cell: int) -> str:
        table = f"{domain}_{self.rng.choice(('orders', 'events', 'accounts', 'lines', 'snapshots'))}_{cell}"
        columns = ", ".join(f'"col_{self.rng.getrandbits(20):05x}"' for _ in range(self.rng.randint(3, 10)))
        return (
            '\n# METADATA ********************\n\n# META {\n# META   "language": "python",\n'
            '# META   "language_group": "synapse_pyspark"\n# META }\n\n# CELL ********************\n\n'
            f"# Step {cell}: load {table}, keep the columns the downstream model reads, and write it back.\n"
            f'df_{cell} = spark.read.table("{table}").select({columns})\n'
            f'df_{cell} = df_{cell}.where(F.col("load_date") == run_date).dropDuplicates()\n'
            f'df_{cell}.write.mode("overwrite").format("delta").saveAsTable("{table}_clean")\n'
        )

    def pipelines(self, count: int, notebooks: list[Item]) -> list[Item]:
        layers: list[list[Item]] = [[] for _ in range(min(PIPELINE_LAYERS, count))]
        for index in range(count):
            layers[index * len(layers) // count].append(
                Item("DataPipeline", f"PL_{DOMAINS[index % len(DOMAINS)]}_{index:03d}", self.guid(), "")
            )
        result: list[Item] = []
        for depth, layer in enumerate(layers):
            for item in layer:
                item.folder = FOLDERS["DataPipeline"][min(depth, len(FOLDERS["DataPipeline"]) - 1)]
                runs = self.rng.sample(
                    notebooks, k=min(len(notebooks), self.rng.randint(1, 4) if depth == 0 else self.rng.randint(0, 2))
                )
                calls = (
                    self.rng.sample(layers[depth - 1], k=min(len(layers[depth - 1]), self.rng.randint(1, 3)))
                    if depth
                    else []
                )
                item.references = [n.logical_id for n in runs] + [p.logical_id for p in calls]
                item.files["pipeline-content.json"] = _json(self.pipeline_content(runs, calls))
                result.append(item)
        return result

    def pipeline_content(self, notebooks: list[Item], pipelines: list[Item]) -> dict[str, object]:
        activities: list[dict[str, object]] = []
        previous: str | None = None
        policy = {
            "timeout": "0.02:00:00",
            "retry": 1,
            "retryIntervalInSeconds": 120,
            "secureOutput": False,
            "secureInput": False,
        }
        for pipeline in pipelines:
            name = f"Run {pipeline.name}"
            activities.append(
                {
                    "name": name,
                    "type": "ExecutePipeline",
                    "dependsOn": [{"activity": previous, "dependencyConditions": ["Succeeded"]}] if previous else [],
                    "typeProperties": {
                        "pipeline": {"referenceName": pipeline.logical_id, "type": "PipelineReference"},
                        "waitOnCompletion": True,
                        "parameters": {"run_date": {"value": "@pipeline().parameters.run_date", "type": "Expression"}},
                    },
                    "externalReferences": {"pipelineId": pipeline.logical_id},
                }
            )
            previous = name
        # A scaled workspace runs each notebook `scale` times; activity names must stay unique.
        for copy, notebook in ((c, n) for c in range(self.scale) for n in notebooks):
            name = f"Run {notebook.name}" + (f" ({copy})" if copy else "")
            activities.append(
                {
                    "name": name,
                    "type": "TridentNotebook",
                    "dependsOn": [{"activity": previous, "dependencyConditions": ["Succeeded"]}] if previous else [],
                    "policy": policy,
                    "typeProperties": {
                        "notebookId": notebook.logical_id,
                        "workspaceId": ZERO_GUID,
                        "parameters": {
                            "run_date": {
                                "value": {"value": "@pipeline().parameters.run_date", "type": "Expression"},
                                "type": "string",
                            }
                        },
                    },
                }
            )
            previous = name
        return {
            "properties": {
                "activities": activities,
                "parameters": {"run_date": {"type": "string", "defaultValue": ""}},
                "annotations": ["benchmark"],
            }
        }

    # -- models and reports -------------------------------------------------------------------

    def semantic_model(self, index: int) -> Item:
        domain = DOMAINS[index % len(DOMAINS)]
        item = Item("SemanticModel", f"SM_{domain}_{index:03d}", self.guid(), self.folder("SemanticModel"))
        tables = self.rng.randint(2, 6) if not self.large() else self.rng.randint(60, 120)
        names = [f"{domain.title()}Table{t:03d}" for t in range(tables)]
        item.files["definition.pbism"] = _json({"version": "4.2", "settings": {}})
        item.files["definition/database.tmdl"] = "database\n\tcompatibilityLevel: 1604\n"
        item.files["definition/model.tmdl"] = (
            "model Model\n\tculture: en-US\n\tdefaultPowerBIDataSourceVersion: powerBI_V3\n\n"
            + "".join(f"ref table {name}\n" for name in names)
        )
        for name in names:
            item.files[f"definition/tables/{name}.tmdl"] = self.table(name)
        return item

    def table(self, name: str) -> str:
        columns = [f"col_{self.rng.getrandbits(24):06x}" for _ in range(self.rng.randint(5, 25))]
        lines = [f"table {name}\n", f"\tmeasure 'Total {name}' = SUM({name}[{columns[0]}])\n"]
        drawn = [
            (column, self.rng.choice(("string", "int64", "decimal", "dateTime"))) for column in columns
        ]  # fmt: skip
        for column, data_type in drawn + [(f"{c}_{copy}", t) for copy in range(1, self.scale) for c, t in drawn]:
            lines.append(
                f"\n\tcolumn {column}\n\t\tdataType: {data_type}\n\t\tsummarizeBy: none\n\t\tsourceColumn: {column}\n"
            )
        lines.append(
            f"\n\tpartition {name} = m\n\t\tmode: import\n\t\tsource =\n\t\t\t\tlet\n"
            f'\t\t\t\t    Source = Sql.Database("bench.datawarehouse.fabric.microsoft.com", "{name}")\n'
            "\t\t\t\tin\n\t\t\t\t    Source\n"
        )
        return "".join(lines)

    def report(self, index: int, models: list[Item]) -> Item:
        domain = DOMAINS[index % len(DOMAINS)]
        item = Item("Report", f"RP_{domain}_{index:03d}", self.guid(), self.folder("Report"))
        model = models[index % len(models)]
        item.references = [model.logical_id]
        # Relative to the report's own folder, as Fabric writes it (fabric-cicd resolves it from there).
        path = os.path.relpath(model.directory, item.directory).replace(os.sep, "/")
        item.files["definition.pbir"] = _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/report/definitionProperties/1.0.0/schema.json",
                "version": "4.0",
                "datasetReference": {"byPath": {"path": path}},
            }
        )
        pages = self.rng.randint(2, 6) if not self.large() else self.rng.randint(40, 80)
        sections = [
            {
                "name": f"ReportSection{p}",
                "displayName": f"Page {p}",
                "displayOption": 1,
                "width": 1280,
                "height": 720,
                "config": "{}",
                "filters": "[]",
                "visualContainers": [self.visual(v) for v in range(self.rng.randint(3, 12))],
            }
            for p in range(pages)
        ]
        sections += [
            {**s, "name": f"{s['name']}_{copy}", "displayName": f"{s['displayName']} ({copy})"}
            for copy in range(1, self.scale)
            for s in sections
        ]
        item.files["report.json"] = _json(
            {"config": json.dumps({"version": "5.55", "activeSectionIndex": 0}), "layoutOptimization": 0,
             "resourcePackages": [], "sections": sections}
        )  # fmt: skip
        return item

    def visual(self, index: int) -> dict[str, object]:
        config = {
            "name": f"{self.rng.getrandbits(64):016x}",
            "singleVisual": {
                "visualType": self.rng.choice(("barChart", "lineChart", "card", "tableEx", "slicer")),
                "projections": {"Values": [{"queryRef": f"Measure{index}"}]},
            },
        }
        return {
            "x": 20 * index,
            "y": 40,
            "z": index,
            "width": 400,
            "height": 300,
            "config": json.dumps(config),
            "filters": "[]",
        }


def _platform(item: Item) -> str:
    return _json(
        {
            "$schema": PLATFORM_SCHEMA,
            "metadata": {"type": item.type, "displayName": item.name, "description": f"Benchmark {item.type.lower()}"},
            "config": {"version": "2.0", "logicalId": item.logical_id},
        }
    )


def _workspace_config(workspace_name: str) -> str:
    return (
        "# Synthetic benchmark workspace (benchmarks/generate_workspace.py).\n"
        f'environments:\n  {ENVIRONMENT}:\n    workspace: "{workspace_name}"\n'
    )


def _meta_block(meta: dict[str, object]) -> str:
    return "".join(f"# META {line}\n" for line in json.dumps(meta, indent=2).splitlines())


def _json(value: object) -> str:
    return json.dumps(value, indent=2) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workspace-name", default=DEFAULT_WORKSPACE_NAME)
    parser.add_argument("--scale", type=int, default=1, help="multiply the bulk of every definition by this [1]")
    parser.add_argument("--copies", type=int, default=1, help="write the items this many times, renamed [1]")
    args = parser.parse_args(argv)
    try:
        workspace = generate(args.out_dir, args.items, args.seed, args.workspace_name, args.scale, args.copies)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"{len(workspace.items)} items {workspace.counts()} in {workspace.root}; definitions "
        f"{workspace.total_definition_bytes / 1024:.0f} KiB in all, "
        f"largest {workspace.largest_definition_bytes / 1024:.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
