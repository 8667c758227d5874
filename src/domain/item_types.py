"""What the domain knows about Fabric item types."""

from __future__ import annotations

# Every type fabric-cicd 1.4.0 deploys, plus a few the git integration exports.
KNOWN_ITEM_TYPES: frozenset[str] = frozenset(
    {
        "ApacheAirflowJob", "CopyJob", "CosmosDBDatabase", "DataAgent", "DataBuildToolJob",
        "Dataflow", "DataPipeline", "Environment", "Eventhouse", "Eventstream", "GraphModel",
        "GraphQLApi", "KQLDashboard", "KQLDatabase", "KQLQueryset", "Lakehouse", "Map",
        "MirroredDatabase", "MLExperiment", "MLModel", "MountedDataFactory", "Notebook",
        "Ontology", "PaginatedReport", "Reflex", "Report", "SemanticModel",
        "SparkJobDefinition", "SQLDatabase", "UserDataFunction", "VariableLibrary", "Warehouse",
    }
)  # fmt: skip

# Items that hold data: deleting one loses data, so nothing deletes them unless told to.
DATA_HOLDING_TYPES: frozenset[str] = frozenset(
    {"Lakehouse", "Warehouse", "SQLDatabase", "Eventhouse", "KQLDatabase", "MirroredDatabase",
     "CosmosDBDatabase", "MLExperiment", "MLModel"}
)  # fmt: skip

# Items deployed as shells: metadata only, their definition is not sent.
SHELL_ONLY_TYPES: frozenset[str] = frozenset({"Lakehouse", "Warehouse", "SQLDatabase", "MLExperiment"})

# Items whose definition is only staged when written: it takes effect once published (`staging/publish`).
PUBLISHED_TYPES: frozenset[str] = frozenset({"Environment"})

# Items the service refuses to create without a definition (a KQLDatabase needs at least a
# creation payload naming its Eventhouse).
DEFINITION_REQUIRED_TYPES: frozenset[str] = frozenset(
    {"Report", "SemanticModel", "PaginatedReport", "MirroredDatabase", "MirroredCatalog", "KQLDatabase"}
)


def can_be_created_empty(item_type: str) -> bool:
    """Fabric creates an item of this type from a name alone, its definition sent afterwards."""
    return item_type not in DEFINITION_REQUIRED_TYPES and item_type not in SHELL_ONLY_TYPES
