"""ItemDefinition content hash: equal content gives an equal hash, whatever the encoding noise."""

from __future__ import annotations

import pytest

from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import InvalidSource

PLATFORM = DefinitionPart.from_text(".platform", '{"metadata": {"type": "Notebook", "displayName": "Load"}}')
CONTENT = DefinitionPart.from_text("notebook-content.py", "print('hello')\n")
SETTINGS = DefinitionPart.from_text("settings.json", '{"a": 1}\n')
IMAGE = DefinitionPart("StaticResources/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def hash_of(*parts: DefinitionPart) -> str:
    return ItemDefinition.of(parts).content_hash()


def test_hash_does_not_depend_on_the_order_parts_are_given_in() -> None:
    assert hash_of(CONTENT, SETTINGS, IMAGE) == hash_of(IMAGE, SETTINGS, CONTENT)


def test_hash_does_not_depend_on_the_order_parts_are_stored_in() -> None:
    # The constructor is public (adapters may build a definition straight from an API response);
    # the class promises "parts ordered by path" and the hash promises equal content, equal hash.
    stored_one_way = ItemDefinition((CONTENT, SETTINGS))
    stored_the_other = ItemDefinition((SETTINGS, CONTENT))

    assert stored_one_way.content_hash() == stored_the_other.content_hash()


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("aGVsbG8=", b"hello"),
        ("aGVsbG8", b"hello"),
        ("aGk=", b"hi"),
        ("aGk", b"hi"),
        ("aGVs\nbG8=", b"hello"),  # line-wrapped base64
        ("", b""),
    ],
)
def test_from_base64_decodes_with_or_without_padding(encoded: str, decoded: bytes) -> None:
    assert DefinitionPart.from_base64("a.txt", encoded).payload == decoded


def test_hash_is_equal_whether_the_payload_arrived_padded_or_not() -> None:
    padded = DefinitionPart.from_base64("notebook-content.py", "aGVsbG8=")
    unpadded = DefinitionPart.from_base64("notebook-content.py", "aGVsbG8")
    as_text = DefinitionPart.from_text("notebook-content.py", "hello")

    assert hash_of(padded, SETTINGS) == hash_of(unpadded, SETTINGS) == hash_of(as_text, SETTINGS)


@pytest.mark.parametrize("encoded", ["not base64!", "a", "aGVs*bG8=", "====", "aGk==="])
def test_invalid_base64_names_the_part_and_the_payload_field(encoded: str) -> None:
    with pytest.raises(InvalidSource) as caught:
        DefinitionPart.from_base64("Load.Notebook/notebook-content.py", encoded)

    assert caught.value.subject == "Load.Notebook/notebook-content.py"
    assert caught.value.field == "payload"


def test_to_base64_round_trips() -> None:
    assert DefinitionPart.from_base64(IMAGE.path, IMAGE.to_base64()) == IMAGE


def test_hash_ignores_crlf_versus_lf_in_text_parts() -> None:
    crlf = DefinitionPart.from_text("notebook-content.py", "line 1\r\nline 2\r\n")
    lf = DefinitionPart.from_text("notebook-content.py", "line 1\nline 2\n")

    assert hash_of(crlf) == hash_of(lf)


def test_hash_sees_a_change_in_the_text() -> None:
    assert hash_of(DefinitionPart.from_text("a.py", "x = 1\n")) != hash_of(DefinitionPart.from_text("a.py", "x = 2\n"))


def test_hash_sees_one_changed_byte_in_a_binary_part() -> None:
    changed = DefinitionPart(IMAGE.path, IMAGE.payload[:-1] + b"S")

    assert hash_of(CONTENT, IMAGE) != hash_of(CONTENT, changed)


def test_binary_parts_are_not_line_ending_normalized() -> None:
    crlf = DefinitionPart("blob.bin", b"\x00\x01\r\n")
    lf = DefinitionPart("blob.bin", b"\x00\x01\n")

    assert hash_of(crlf) != hash_of(lf)


def test_hash_sees_a_renamed_part() -> None:
    renamed = DefinitionPart("other.py", CONTENT.payload)

    assert hash_of(CONTENT) != hash_of(renamed)


def test_hash_sees_bytes_moving_between_path_and_payload() -> None:
    # Without a separator, "ab" + "c" and "a" + "bc" would hash alike.
    assert hash_of(DefinitionPart("ab", b"c")) != hash_of(DefinitionPart("a", b"bc"))


def test_hash_ignores_the_platform_file() -> None:
    other_platform = DefinitionPart.from_text(
        ".platform", '{"metadata": {"type": "Notebook", "displayName": "Renamed"}}'
    )

    assert hash_of(PLATFORM, CONTENT) == hash_of(CONTENT)
    assert hash_of(PLATFORM, CONTENT) == hash_of(other_platform, CONTENT)


def test_platform_file_is_not_content() -> None:
    definition = ItemDefinition.of([PLATFORM, CONTENT])

    assert definition.content_parts == (CONTENT,)
    assert definition.without_platform().parts == (CONTENT,)
    assert ItemDefinition.of([PLATFORM]).is_empty
    assert not definition.is_empty


def test_text_is_none_for_binary_parts() -> None:
    assert IMAGE.text is None
    assert DefinitionPart("bad-utf8.txt", b"caf\xe9").text is None
    assert CONTENT.text == "print('hello')\n"


def test_map_text_rewrites_text_parts_and_leaves_binary_parts_untouched() -> None:
    definition = ItemDefinition.of([CONTENT, IMAGE])
    seen: list[str] = []

    def shout(part: DefinitionPart, text: str) -> str:
        seen.append(part.path)
        return text.upper()

    mapped = definition.map_text(shout)

    assert seen == ["notebook-content.py"]
    assert mapped.part("notebook-content.py") == DefinitionPart.from_text("notebook-content.py", "PRINT('HELLO')\n")
    assert mapped.part(IMAGE.path) == IMAGE
    assert definition.part("notebook-content.py") == CONTENT  # the original is unchanged


def test_part_looks_up_by_path() -> None:
    definition = ItemDefinition.of([CONTENT, SETTINGS])

    assert definition.part("settings.json") == SETTINGS
    assert definition.part("missing.json") is None
