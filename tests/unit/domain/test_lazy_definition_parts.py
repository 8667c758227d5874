"""A definition part whose payload is read when needed (from a loader) behaves as one given its bytes."""

from __future__ import annotations

import copy
import hashlib
import pickle
from pathlib import Path

import pytest

from fabctl.domain.definition import DefinitionPart, ItemDefinition

NOTEBOOK = b"# Fabric notebook source\r\nprint('hello')\r\n"
IMAGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


class Loads:
    """A payload loader that counts its reads, so a test can see that nothing is kept."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.reads = 0

    def __call__(self) -> bytes:
        self.reads += 1
        return self.payload


def test_a_lazy_part_equals_and_hashes_as_the_eager_part_with_the_same_path_and_bytes() -> None:
    lazy, eager = (
        DefinitionPart("notebook-content.py", Loads(NOTEBOOK)),
        DefinitionPart("notebook-content.py", NOTEBOOK),
    )

    assert lazy == eager and eager == lazy
    assert hash(lazy) == hash(eager)
    assert len({lazy, eager}) == 1


def test_lazy_parts_differ_by_content_and_by_path() -> None:
    lazy = DefinitionPart("notebook-content.py", Loads(NOTEBOOK))

    assert lazy != DefinitionPart("notebook-content.py", NOTEBOOK + b"\n")
    assert lazy != DefinitionPart("other.py", NOTEBOOK)
    assert lazy != DefinitionPart("notebook-content.py", Loads(NOTEBOOK.replace(b"hello", b"world")))


def test_a_definition_of_lazy_parts_has_the_content_hash_of_its_eager_twin() -> None:
    lazy = ItemDefinition.of(
        [DefinitionPart("notebook-content.py", Loads(NOTEBOOK)), DefinitionPart("logo.png", Loads(IMAGE))]
    )
    eager = ItemDefinition.of([DefinitionPart("notebook-content.py", NOTEBOOK), DefinitionPart("logo.png", IMAGE)])

    # Computed independently of content_hash: path, NUL, 8-byte length, payload (CRLF -> LF in text), by path.
    expected = hashlib.sha256()
    for path, payload in (("logo.png", IMAGE), ("notebook-content.py", NOTEBOOK.replace(b"\r\n", b"\n"))):
        expected.update(path.encode() + b"\x00" + len(payload).to_bytes(8, "big") + payload)

    assert lazy.content_hash() == eager.content_hash() == expected.hexdigest()
    assert lazy == eager


def test_a_lazy_part_reads_its_payload_on_every_use_and_keeps_none() -> None:
    source = Loads(NOTEBOOK)
    part = DefinitionPart("notebook-content.py", source)
    assert source.reads == 0 and not part.is_loaded

    assert part.text == NOTEBOOK.decode()
    source.payload = b"print('changed')\n"

    assert part.payload == b"print('changed')\n"  # a kept copy would still say hello
    assert part.to_base64() == "cHJpbnQoJ2NoYW5nZWQnKQo="
    assert source.reads == 3
    assert not part.is_loaded


def test_rewriting_text_keeps_untouched_lazy_parts_lazy() -> None:
    definition = ItemDefinition.of(
        [
            DefinitionPart("notebook-content.py", Loads(NOTEBOOK)),
            DefinitionPart("README.md", Loads(b"nothing to bind\n")),
            DefinitionPart("logo.png", Loads(IMAGE)),
        ]
    )

    bound = definition.map_text(lambda part, text: text.replace("hello", "bound"))

    by_path = {p.path: p for p in bound.parts}
    rewritten = by_path["notebook-content.py"]
    assert rewritten.payload == NOTEBOOK.replace(b"hello", b"bound")
    assert rewritten.size == len(NOTEBOOK.replace(b"hello", b"bound"))
    assert not by_path["README.md"].is_loaded and not by_path["logo.png"].is_loaded
    assert by_path["logo.png"].payload == IMAGE


def test_a_part_cannot_be_changed_after_it_is_made() -> None:
    part = DefinitionPart("a.txt", b"a")

    with pytest.raises(AttributeError):
        part.path = "b.txt"


def test_a_copied_part_is_equal_and_a_lazy_copy_still_loads(tmp_path: Path) -> None:
    file = tmp_path / "notebook-content.py"
    file.write_bytes(NOTEBOOK)
    lazy, eager = DefinitionPart("notebook-content.py", file.read_bytes), DefinitionPart("logo.png", IMAGE)

    assert copy.deepcopy(eager) == eager and pickle.loads(pickle.dumps(eager)) == eager
    copied = copy.deepcopy(lazy)
    file.write_bytes(b"print('changed')\n")
    assert copied.payload == b"print('changed')\n" and not copied.is_loaded


def test_a_rewritten_part_is_kept_deflated_and_read_whole() -> None:
    # A large rewritten text waits with its item for seconds; held as is, those in flight add up.
    text = "".join(f"df_{n} = spark.read.table('hello_{n % 7}')\n" for n in range(20_000))
    definition = ItemDefinition.of([DefinitionPart("notebook-content.py", Loads(text.encode()))])

    bound = definition.map_text(lambda part, t: t.replace("hello", "bound"))

    part = bound.parts[0]
    expected = text.replace("hello", "bound").encode()
    assert not part.is_loaded
    assert part.payload == expected and part.size == len(expected)
    assert len(pickle.dumps(part)) < len(expected) // 4  # all it holds, pickled: the deflated text
    assert copy.deepcopy(part) == part and pickle.loads(pickle.dumps(part)) == part


def test_a_part_knows_its_size_without_a_read_when_its_loader_tells_it() -> None:
    source = Loads(NOTEBOOK)

    told = DefinitionPart("notebook-content.py", source, size=len(NOTEBOOK))
    assert told.size == len(NOTEBOOK) and source.reads == 0
    untold = DefinitionPart("notebook-content.py", source)
    assert untold.size == len(NOTEBOOK) and source.reads == 1
    assert ItemDefinition.of([told, DefinitionPart("logo.png", IMAGE)]).size == len(NOTEBOOK) + len(IMAGE)
