"""Which item creates Fabric answers at once (201) and which as a long-running operation (202).

From the recorded deployment (docs/reference/fabric-recorded-behaviour.md, "Creating items"): the
answer depends on the item's type, each created as fabric-cicd creates it: with its definition, or
bare for the shell types (Warehouse, SQLDatabase and MLExperiment were created bare and answered 202,
Lakehouse bare or with a creationPayload and answered 201). Two choices where the recording is silent
(ADR 0024):
- types it does not show are long-running: a client must handle a 202 from any create, so the
  emulator makes it meet the harder path;
- a bare create (no definition, no creationPayload) of a type normally created with a definition,
  e.g. an empty Notebook, is answered 201: there is nothing to build but a name.
"""

from __future__ import annotations

from fabctl.domain.item_types import SHELL_ONLY_TYPES

# Recorded: answered 201 with the item in the body.
IMMEDIATE_TYPES: frozenset[str] = frozenset(
    {
        "Lakehouse", "DataPipeline", "Dataflow", "DataBuildToolJob", "KQLQueryset", "MirroredDatabase",
        "PaginatedReport", "Reflex",
    }
)  # fmt: skip

# Recorded: answered 202 (Location, Retry-After: 20, x-ms-operation-id, empty body).
RECORDED_LONG_RUNNING_TYPES: frozenset[str] = frozenset(
    {
        "Notebook", "Environment", "Eventhouse", "Eventstream", "KQLDatabase", "MLExperiment", "Map",
        "Ontology", "Report", "SemanticModel", "SparkJobDefinition", "SQLDatabase", "VariableLibrary",
        "Warehouse",
    }
)  # fmt: skip

# Types whose create answer (201 body, /result) carried `sensitivityLabel` in the recording.
LABELLED_ON_CREATE: frozenset[str] = frozenset({"SemanticModel", "Report"})


def create_is_long_running(item_type: str, *, bare: bool) -> bool:
    """Whether Fabric answers this create with a 202 (before `--lro-share` thins it); `bare`: the create
    carries neither a definition nor a creationPayload."""
    if item_type in IMMEDIATE_TYPES:
        return False
    return not bare or item_type in SHELL_ONLY_TYPES
