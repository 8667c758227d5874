"""JSON Schemas of the YAML files a project keeps, generated from the pydantic models that validate them.

One source of truth: the loaders validate with these models, and `fabctl schema NAME` prints their
schemas, which editors use through a `# yaml-language-server: $schema=...` modeline. What a model
checks in code (a regex that compiles, a cycle of groups) the schema cannot say; what it says, the
loader also refuses. The workspace configuration's schema covers fabctl's format, not fabric-cicd's
`config.yml` (which fabctl also reads).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fabctl.adapters.directory.principals_file import PrincipalsModel
from fabctl.adapters.source.config_files import ReleaseConfigModel
from fabctl.adapters.source.parameter_file import ParameterFileModel

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# name -> (model, the file it describes)
_MODELS: dict[str, tuple[type[BaseModel], str]] = {
    "workspace-config": (ReleaseConfigModel, "workspace-config.yaml"),
    "parameter": (ParameterFileModel, "parameter.yml"),
    "principals": (PrincipalsModel, "principals.yaml"),
}
SCHEMA_NAMES: tuple[str, ...] = tuple(_MODELS)


def file_name(name: str) -> str:
    """The file the schema `name` describes, e.g. `workspace-config.yaml`."""
    return _MODELS[name][1]


def schema_file_name(name: str) -> str:
    """Where a project keeps the schema `name`: `<name>.schema.json`."""
    return f"{name}.schema.json"


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the file `name` names (one of `SCHEMA_NAMES`)."""
    model, described = _MODELS[name]
    generated = model.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": DIALECT, **generated, "title": f"fabctl {described}"}
