"""The files of a new workspace project, and writing them without overwriting anything unasked.

A project is: the items (a sample notebook, or a workspace's items exported), `workspace-config.yaml`
with dev, test and prod, `parameter.yml`, `principals.yaml`, a README, a `.gitignore`, the JSON
Schemas of the three YAML files in `.schemas/` (each YAML file names its schema in a
`yaml-language-server` modeline), and the CI files of fabctl's `templates/<provider>/`, copied as
they are, paths kept.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

from fabctl.adapters.source.schemas import SCHEMA_NAMES, file_name, json_schema, schema_file_name
from fabctl.application.handlers.adoption import ExportedItem
from fabctl.domain.errors import InvalidConfiguration

ENVIRONMENTS = ("dev", "test", "prod")
SCHEMA_DIR = ".schemas"
# --ci's choices -> the folder of fabctl's `templates/` (package `fabctl.templates`) they copy
CI_PROVIDERS = {"github": "github-actions", "azure-devops": "azure-devops"}
PLATFORM_SCHEMA = (
    "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json"
)
SAMPLE_NOTEBOOK = "Notebooks/Hello.Notebook"
IGNORED_WHEN_EMPTY = frozenset({".git"})  # a fresh clone of an empty repository is an empty project


@dataclass(frozen=True)
class ProjectFile:
    path: str  # "/"-separated, relative to the project
    content: bytes


def _sample(name: str) -> str:
    return resources.files(__package__).joinpath("sample", name).read_text(encoding="utf-8")


def modeline(schema: str) -> str:
    """The first line of a YAML file of `schema`: editors running yaml-language-server check it against
    the schema kept in the project (a path relative to the file, which sits at the project root)."""
    return f"# yaml-language-server: $schema={SCHEMA_DIR}/{schema_file_name(schema)}\n"


def workspace_names(project: str, *, adopted: str = "", environment: str = "dev") -> dict[str, str]:
    """Each environment's workspace: "<project> (<env>)", or the adopted one's name for `environment`,
    the others named after it (its "dev" becoming "test", say, when the name holds the environment)."""
    if not adopted:
        return {env: f"{project} ({env})" for env in ENVIRONMENTS}
    names = {}
    for env in ENVIRONMENTS:
        if env == environment:
            names[env] = adopted
        elif environment in adopted:
            names[env] = adopted.replace(environment, env)
        else:
            names[env] = f"{adopted} ({env})"
    return names


def configuration_files(project: str, workspaces: dict[str, str], *, adopted: bool) -> list[ProjectFile]:
    """workspace-config.yaml, parameter.yml, principals.yaml, README.md, .gitignore and the schemas."""
    quoted = {env: json.dumps(name)[1:-1] for env, name in workspaces.items()}  # inside YAML's double quotes
    texts = {
        "workspace-config.yaml": modeline("workspace-config")
        + Template(_sample("workspace-config.yaml")).substitute(quoted),
        "parameter.yml": modeline("parameter") + _sample("adopted-parameter.yml" if adopted else "parameter.yml"),
        "principals.yaml": modeline("principals") + _sample("principals.yaml"),
        "README.md": Template(_sample("README.md")).substitute(project=project),
        ".gitignore": _sample("gitignore"),
    }
    files = [ProjectFile(path, text.encode("utf-8")) for path, text in texts.items()]
    for name in SCHEMA_NAMES:
        text = json.dumps(json_schema(name), indent=2) + "\n"
        files.append(ProjectFile(f"{SCHEMA_DIR}/{schema_file_name(name)}", text.encode("utf-8")))
    assert {file_name(n) for n in SCHEMA_NAMES} <= set(texts)  # every schema has its file
    return files


def platform_file(item_type: str, name: str, description: str, logical_id: str) -> bytes:
    """An item's `.platform`, as Fabric git integration writes it."""
    document = {
        "$schema": PLATFORM_SCHEMA,
        "metadata": {"type": item_type, "displayName": name, "description": description},
        "config": {"version": "2.0", "logicalId": logical_id},
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sample_items(logical_id: str) -> list[ProjectFile]:
    """A small notebook in Fabric's git format: a first item to plan and deploy."""
    description = "A sample notebook: replace it with your own items"
    return [
        ProjectFile(f"{SAMPLE_NOTEBOOK}/.platform", platform_file("Notebook", "Hello", description, logical_id)),
        ProjectFile(f"{SAMPLE_NOTEBOOK}/notebook-content.py", _sample("notebook-content.py").encode("utf-8")),
    ]


def ci_files(provider: str) -> list[ProjectFile]:
    """Every file of fabctl's `templates/<folder of provider>/`, at the same path in the project."""
    folder = resources.files("fabctl.templates").joinpath(CI_PROVIDERS[provider])
    return sorted(_walk(folder, ""), key=lambda f: f.path)


def _walk(folder: Traversable, prefix: str) -> list[ProjectFile]:
    found = []
    for entry in folder.iterdir():
        path = f"{prefix}{entry.name}"
        if entry.is_dir():
            found += _walk(entry, path + "/")
        elif entry.name != "__pycache__":
            found.append(ProjectFile(path, entry.read_bytes()))
    return found


def write_project(root: Path, files: list[ProjectFile], *, force: bool) -> list[str]:
    """Write `files` under `root` (created if missing); the paths written, in order.

    Without `force`, a `root` that holds anything (but `.git`) is refused before anything is written,
    naming the files that would be overwritten; with it, those are overwritten and others left alone."""
    shown = str(root)
    if root.exists() and not root.is_dir():
        raise InvalidConfiguration("is not a directory: give a directory for the new project", subject=shown)
    if root.is_dir() and not force:
        present = sorted(e.name for e in root.iterdir() if e.name not in IGNORED_WHEN_EMPTY)
        if present:
            clashes = [f.path for f in files if (root / f.path).exists() or (root / f.path).is_symlink()]
            what = (
                "would overwrite " + ", ".join(clashes)
                if clashes
                else "holds " + ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
            )
            raise InvalidConfiguration(
                f"is not empty: fabctl init {what}; choose an empty directory, or pass --force to overwrite "
                "fabctl's files (others are left as they are)",
                subject=shown,
            )
    try:
        for file in files:
            target = root / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                os.unlink(target)  # --force replaces the link, never writes through it
            target.write_bytes(file.content)
    except OSError as e:
        raise InvalidConfiguration(f"could not be written: {e.strerror or e}", subject=e.filename or shown) from e
    return [f.path for f in files]


def item_files(item: ExportedItem) -> list[ProjectFile]:
    """An exported item as its folder in the source: `<folder>/<Name>.<Type>/`, `.platform` and parts."""
    home = "/".join(p for p in (item.folder, f"{item.key.name}.{item.key.type}") if p)
    platform = platform_file(item.key.type, item.key.name, item.description, item.logical_id)
    return [
        ProjectFile(f"{home}/.platform", platform),
        *(ProjectFile(f"{home}/{part.path}", part.payload) for part in item.definition.content_parts),
    ]
