"""Property-based fuzzing of the source reader and of the YAML files (hypothesis).

Whatever the bytes of a `.platform` file, the names of the files in an item folder or the text of
`workspace-config.yaml` and `parameter.yml`, reading either succeeds or raises a `DomainError` whose
message prints as UTF-8: never another exception (which the CLI would turn into exit 1 and a
traceback). This is how the lone surrogates, the deep nesting and the huge numbers of ADR 17 were
found; the examples are derandomized, so a run is repeatable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fabctl.adapters.source.git_folder import FabricGitFolderReader
from fabctl.domain.environments import ReleaseConfig
from fabctl.domain.errors import DomainError
from fabctl.domain.items import Item
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sales-workspace"
NOTEBOOK = Path("Notebooks") / "Load Sales.Notebook"
FUZZ = settings(
    max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# JSON and YAML values, with every kind of character (lone surrogates included) and deep nesting.
ANY_CHARACTER = st.characters(exclude_categories=())  # hypothesis leaves surrogates (Cs) out by default
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHARACTER, max_size=20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(ANY_CHARACTER, max_size=8), inner, max_size=4),
    max_leaves=30,
)
# Text that looks like YAML or JSON: its punctuation, escapes, digits and a few other characters.
TOKENS = [*"{}[]:,-&*!|>'\"\\\n #%@`?0123456789eE.+ux", "\\u", "\\ud800", "\\udc80", "9" * 4400, "[" * 1200]
SYNTAX = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)


@contextmanager
def example_copy() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "ws"
        shutil.copytree(EXAMPLE, source)
        yield source


def assert_read_or_refused(source: Path) -> None:
    """Reading the source and its two YAML files succeeds with text only, or fails with a printable
    `DomainError`: what is read goes to SQLite, to Fabric and to the screen, all in UTF-8."""
    reader = FabricGitFolderReader()
    for read, path in (
        (reader.read_workspace, source),
        (reader.read_release_config, source / "workspace-config.yaml"),
        (reader.read_parameters, source / "parameter.yml"),
    ):
        try:
            found = read(str(path))  # type: ignore[operator]
        except DomainError as e:
            str(e).encode("utf-8")  # the message itself must print
        else:
            assert_text(found)


def assert_text(found: object) -> None:
    """Every string in what a reader returned encodes as UTF-8, and every regex in it compiles."""
    if isinstance(found, Workspace):
        for item in [*found, *getattr(found, "unrecognised", ())]:
            strings = [str(item.key), item.folder, getattr(item, "description", "")]
            if isinstance(item, Item):
                strings += [part.path for part in item.definition.parts]
                strings.append(json.dumps(item.creation_payload, ensure_ascii=False))
            for text in strings:
                text.encode("utf-8")
    elif isinstance(found, ReleaseConfig):
        for environment in found.environments:
            for text in (environment.name, environment.workspace_name, environment.workspace_id):
                text.encode("utf-8")
            for pattern in (*environment.exclude, *environment.exclude_names, *environment.folder_exclude):
                re.compile(pattern)
    elif isinstance(found, ParameterRules):
        for rule in found.find_replace:
            rule.find.encode("utf-8")
            for value in rule.replace.values():
                str(value).encode("utf-8")
            if rule.is_regex:
                re.compile(rule.find)


def mutated(text: str, data: st.DataObject) -> str:
    """`text` with one slice replaced by fuzzed syntax."""
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 40)))
    return text[:start] + data.draw(SYNTAX) + text[end:]


@FUZZ
@given(st.data())
def test_any_mutation_of_a_platform_file_is_read_or_refused(data: st.DataObject) -> None:
    with example_copy() as source:
        platform = source / NOTEBOOK / ".platform"
        platform.write_text(mutated(platform.read_text(encoding="utf-8"), data), encoding="utf-8")
        assert_read_or_refused(source)


@FUZZ
@given(VALUES, st.sampled_from(["metadata", "config", "displayName", "type", "logicalId", "creationPayload"]))
def test_any_json_value_in_a_platform_field_is_read_or_refused(value: object, key: str) -> None:
    with example_copy() as source:
        platform = source / NOTEBOOK / ".platform"
        document = json.loads(platform.read_text(encoding="utf-8"))
        holder = {"metadata": document, "config": document, "logicalId": document["config"]}.get(
            key, document["metadata"]
        )
        holder[key] = value
        platform.write_text(json.dumps(document), encoding="utf-8")
        assert_read_or_refused(source)


@FUZZ
@given(st.binary(min_size=1, max_size=40).filter(lambda name: b"/" not in name and b"\0" not in name))
def test_any_file_name_in_an_item_folder_is_read_or_refused(name: bytes) -> None:
    with example_copy() as source:
        if name in (b".", b".."):
            return
        path = os.fsencode(source / NOTEBOOK) + b"/" + name
        if os.path.lexists(path):
            return
        with open(path, "wb") as part:
            part.write(b"x = 1\n")
        assert_read_or_refused(source)


@FUZZ
@given(st.data(), st.sampled_from(["workspace-config.yaml", "parameter.yml"]))
def test_any_mutation_of_a_yaml_file_is_read_or_refused(data: st.DataObject, name: str) -> None:
    with example_copy() as source:
        path = source / name
        path.write_text(mutated(path.read_text(encoding="utf-8"), data), encoding="utf-8")
        assert_read_or_refused(source)


@FUZZ
@given(VALUES, st.sampled_from(["workspace-config.yaml", "parameter.yml"]))
def test_any_yaml_value_as_a_file_is_read_or_refused(value: object, name: str) -> None:
    import yaml

    with example_copy() as source:
        (source / name).write_text(yaml.safe_dump(value), encoding="utf-8")
        assert_read_or_refused(source)
